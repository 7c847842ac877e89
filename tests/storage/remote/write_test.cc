// Writing catalogs to s3://: import and query --format hats publish data objects first and the
// properties last; what lands in the bucket reads back exactly like the same catalog on disk.
#include <gtest/gtest.h>

#include "../../cli/cli_harness.h"
#include "servers.h"
#include "storage/file_system.h"

using namespace astrolake;
using astrolake::test::Servers;
using namespace al_cli_test;

namespace {

std::string bucket_url(const std::string& key) { return "s3://" + test::kBucket + "/" + key; }

void ok(const std::vector<std::string>& args) {
  RunResult r = run_cli(args);
  ASSERT_EQ(r.status, 0) << r.err;
}

std::string cone_csv(const std::string& cat, const TempDir& d, const std::string& tag) {
  std::string out = d / (tag + ".csv");
  RunResult r = run_cli({"cone", cat, "--ra", "10", "--dec", "5", "--radius-arcsec", "20000", "-o", out, "-q"});
  EXPECT_EQ(r.status, 0) << r.err;
  return slurp(out);
}

}  // namespace

TEST(RemoteWrite, ImportToBucketReadsLikeLocal) {
  TempDir d("remote_import");
  std::string input = d / "in.parquet";
  ok({"generate", "gaia", "--rows", "20000", "--seed", "7", "-o", input});
  std::string local = d / "gaia";
  std::string s3 = bucket_url("written/gaia");
  ok({"import", input, "--ra", "ra", "--dec", "dec", "--max-rows", "3000", "--margin-arcsec", "60", "-o", local,
      "-q"});
  ok({"import", input, "--ra", "ra", "--dec", "dec", "--max-rows", "3000", "--margin-arcsec", "60", "-o", s3, "-q"});
  // Same files, same bytes (properties carry a creation time, so only their presence is compared).
  std::vector<std::string> want;
  for (auto& e : fs::recursive_directory_iterator(local))
    if (e.is_regular_file()) want.push_back(fs::relative(e.path(), local).string());
  std::sort(want.begin(), want.end());
  auto s3fs = storage::s3_file_system();
  for (const std::string& rel : want) {
    ASSERT_TRUE(s3fs->stat(s3 + "/" + rel)) << rel;
    if (rel.ends_with(".parquet") || rel.ends_with("partition_info.csv"))
      EXPECT_EQ(s3fs->read_file(s3 + "/" + rel), slurp(fs::path(local) / rel)) << rel;
  }
  std::string want_cone = cone_csv(local, d, "local");
  EXPECT_GT(std::count(want_cone.begin(), want_cone.end(), '\n'), 10);
  EXPECT_EQ(cone_csv(s3, d, "s3"), want_cone);

  // Not replaced without --overwrite; replaced with it.
  RunResult again = run_cli({"import", input, "--ra", "ra", "--dec", "dec", "-o", s3, "-q"});
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  ok({"import", input, "--ra", "ra", "--dec", "dec", "--max-rows", "3000", "--margin-arcsec", "60", "-o", s3, "-q",
      "--overwrite"});
  EXPECT_EQ(cone_csv(s3, d, "s3b"), want_cone);
  s3fs->remove_all(s3);
}

TEST(RemoteWrite, InterruptedPublishIsInvisibleAndCleanedOnRetry) {
  TempDir d("remote_interrupted");
  std::string input = d / "in.parquet";
  ok({"generate", "gaia", "--rows", "5000", "--seed", "3", "-o", input});
  std::string s3 = bucket_url("written/interrupted");
  auto s3fs = storage::s3_file_system();
  // What an import killed mid-publish leaves: data objects, no properties.
  s3fs->write_file(s3 + "/dataset/Norder=9/Dir=0/Npix=99.parquet", std::string("partial"));
  RunResult r = run_cli({"info", s3});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("no catalog at"), std::string::npos) << r.err;
  ok({"import", input, "--ra", "ra", "--dec", "dec", "-o", s3, "-q"});  // no --overwrite needed
  EXPECT_FALSE(s3fs->stat(s3 + "/dataset/Norder=9/Dir=0/Npix=99.parquet"));  // the leftover is gone
  r = run_cli({"info", s3});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("5000"), std::string::npos) << r.out;
  s3fs->remove_all(s3);
}

TEST(RemoteWrite, QueryResultAsHatsInBucket) {
  TempDir d("remote_query_hats");
  std::string src = data("small_sky_source");
  std::string sql = "SELECT source_id, source_ra, source_dec, mag FROM \"" + src + "\" WHERE mag < 16";
  std::string local = d / "bright";
  std::string s3 = bucket_url("written/bright");
  for (const std::string& out : {local, s3})
    ok({"query", sql, "-o", out, "--format", "hats", "-q"});
  std::string q = "SELECT COUNT(*), SUM(mag) FROM \"";
  TempDir t("remote_query_hats_out");
  RunResult a = run_cli({"query", q + local + "\""});
  RunResult b = run_cli({"query", q + s3 + "\""});
  EXPECT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  RunResult csv = run_cli({"query", sql, "-o", bucket_url("written/x.csv")});
  EXPECT_NE(csv.status, 0);
  EXPECT_NE(csv.err.find("only --format hats"), std::string::npos) << csv.err;
  storage::s3_file_system()->remove_all(s3);
}

// Import inputs named by URL (a CSV in the bucket, the same CSV and a Parquet file over HTTP)
// are read through the storage layer and give the catalog a local input gives.
TEST(RemoteWrite, ImportInputsByUrl) {
  TempDir d("remote_inputs");
  const std::string rel = "raw/small_sky_source/small_sky_source.csv";
  const std::string csv = std::string(AL_TEST_DATA) + "/hats/" + rel;
  std::string s3_csv = bucket_url("inputs/small_sky_source.csv");
  storage::s3_file_system()->write_file(s3_csv, storage::local_file_system()->read_file(csv));
  auto import_and_query = [&](const std::string& input, const std::string& tag) {
    std::string out = d / tag;
    RunResult r = run_cli({"import", input, "--ra", "source_ra", "--dec", "source_dec", "--max-rows", "3000", "-o",
                           out, "-q"});
    EXPECT_EQ(r.status, 0) << r.err;
    RunResult q = run_cli({"query", "SELECT source_id, source_ra, mag, band FROM \"" + out + "\" ORDER BY source_id"});
    EXPECT_EQ(q.status, 0) << q.err;
    return q.out;
  };
  std::string want = import_and_query(csv, "local");
  ASSERT_GT(want.size(), 100000u);
  EXPECT_EQ(import_and_query(s3_csv, "s3"), want);
  EXPECT_EQ(import_and_query(Servers::http_base() + "/" + rel, "http"), want);

  // A Parquet input over HTTP: a leaf of a served catalog.
  const std::string leaf = "small_sky/dataset/Norder=0/Dir=0/Npix=11.parquet";
  auto import_leaf = [&](const std::string& input, const std::string& tag) {
    std::string out = d / tag;
    RunResult r = run_cli({"import", input, "--ra", "ra", "--dec", "dec", "-o", out, "-q"});
    EXPECT_EQ(r.status, 0) << r.err;
    return run_cli({"query", "SELECT id, ra, dec FROM \"" + out + "\" ORDER BY id"}).out;
  };
  std::string want_leaf = import_leaf(std::string(AL_TEST_DATA) + "/hats/" + leaf, "leaf_local");
  ASSERT_GT(want_leaf.size(), 1000u);
  EXPECT_EQ(import_leaf(Servers::http_base() + "/" + leaf, "leaf_http"), want_leaf);

  // A missing object is a clear error naming it.
  RunResult r = run_cli({"import", bucket_url("inputs/none.csv"), "--ra", "a", "--dec", "b", "-o", d / "x", "-q"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("s3://astrolake-test/inputs/none.csv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("404"), std::string::npos) << r.err;
  storage::s3_file_system()->remove_all(bucket_url("inputs"));
}
