// Catalog commands on s3:// and http(s):// catalogs give exactly what they give on local disk.
// The fixtures are uploaded to radosgw; nginx serves the fixtures directory itself.
#include <gtest/gtest.h>

#include "../../cli/cli_harness.h"
#include "servers.h"
#include "storage/file_system.h"
#include "engine/spatial_search.h"
#include "storage/http.h"

#include <nlohmann/json.hpp>

using namespace astrolake;
using astrolake::test::Servers;
using namespace al_cli_test;

namespace {

// Copies a local catalog directory into the bucket under prefix/fixture (once per process).
std::string upload(const std::string& fixture, const std::string& prefix = "fixtures") {
  static std::set<std::string> done;
  std::string dest = "s3://" + test::kBucket + "/" + prefix + "/" + fixture;
  if (done.insert(dest).second) {
    auto s3 = storage::s3_file_system();
    std::string root = data(fixture);
    for (auto& e : fs::recursive_directory_iterator(root))
      if (e.is_regular_file())
        s3->write_file(dest + "/" + fs::relative(e.path(), root).string(),
                       storage::local_file_system()->read_file(e.path().string()));
  }
  return dest;
}

std::string http_url(const std::string& fixture) { return Servers::http_base() + "/" + fixture; }

// Runs the command with CATALOG replaced by `where`, writing to OUT when it has one; returns
// stdout and the output file's bytes.
std::string run_on(std::vector<std::string> args, const std::vector<std::string>& where, const TempDir& d,
                   const std::string& tag) {
  std::string out = d / (tag + ".csv");
  size_t k = 0;
  for (auto& a : args) {
    if (a == "CATALOG") a = where.at(k++);
    if (a == "OUT") a = out;
  }
  RunResult r = run_cli(args);
  EXPECT_EQ(r.status, 0) << r.err;
  std::string text = r.out;
  if (fs::exists(out)) text += "\n--file--\n" + slurp(out);
  return text;
}

void expect_same_everywhere(const std::vector<std::string>& args, const std::vector<std::string>& fixtures,
                            bool http = true) {
  TempDir d("remote_catalog");
  std::vector<std::string> local, s3, web;
  for (const auto& f : fixtures) {
    local.push_back(data(f));
    s3.push_back(upload(f));
    web.push_back(http_url(f));
  }
  std::string want = run_on(args, local, d, "local");
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(run_on(args, s3, d, "s3"), want);
  if (http) EXPECT_EQ(run_on(args, web, d, "http"), want);
}

}  // namespace

TEST(RemoteCatalog, Head) { expect_same_everywhere({"head", "CATALOG", "-n", "7"}, {"small_sky_source"}); }

TEST(RemoteCatalog, Cone) {
  expect_same_everywhere({"cone", "CATALOG", "--ra", "315", "--dec", "-66", "--radius-arcsec", "9000", "-o", "OUT",
                          "-q"},
                         {"small_sky_order1_collection"});
}

TEST(RemoteCatalog, CrossMatchWithMargin) {
  expect_same_everywhere({"xmatch", "CATALOG", "CATALOG", "--radius-arcsec", "1800", "-o", "OUT", "-q"},
                         {"small_sky", "small_sky_order1_collection"});
}

TEST(RemoteCatalog, Adql) {
  TempDir d("remote_adql");
  auto q = [&](const std::string& where, const std::string& tag) {
    return run_on({"query",
                   "SELECT source_id, source_ra, source_dec, mag FROM \"" + where +
                       "\" WHERE 1 = CONTAINS(POINT('ICRS', source_ra, source_dec), CIRCLE('ICRS', 320, -30, 8)) ORDER BY source_id",
                   "-o", "OUT"},
                  {}, d, tag);
  };
  std::string want = q(data("small_sky_source"), "local");
  EXPECT_NE(want.find("source_id"), std::string::npos);
  EXPECT_EQ(q(upload("small_sky_source"), "s3"), want);
  EXPECT_EQ(q(http_url("small_sky_source"), "http"), want);
}

TEST(RemoteCatalog, OpeningCostsAFewRequests) {
  std::string s3 = upload("small_sky_source");
  uint64_t before = storage::http_request_count();
  catalog::Catalog c = catalog::Catalog::open(s3);
  uint64_t opened = storage::http_request_count() - before;
  EXPECT_GT(c.partitions().size(), 10u);
  // Properties (catalog and collection), the partition list and the schema: a constant number
  // of requests, however many partitions (the _metadata footer is read on first need).
  EXPECT_LE(opened, 8u) << "opening a " << c.partitions().size() << "-partition catalog";
  // Reading a partition twice fetches its footer once.
  before = storage::http_request_count();
  c.read_partition(0, {"source_id"});
  uint64_t first = storage::http_request_count() - before;
  before = storage::http_request_count();
  c.read_partition(0, {"source_id"});
  EXPECT_LT(storage::http_request_count() - before, first);
}

// Leaves that are Npix=p/ directories of files (hats_npix_suffix "/"): over HTTP, which cannot
// list a directory, and in the bucket, the files come from dataset/_metadata.
TEST(RemoteCatalog, PixelDirectories) {
  expect_same_everywhere({"head", "CATALOG", "-n", "200"}, {"small_sky_npix_as_dir"});
  expect_same_everywhere({"cone", "CATALOG", "--ra", "315", "--dec", "-66", "--radius-arcsec", "36000", "-o", "OUT",
                          "-q"},
                         {"small_sky_npix_as_dir"});
}

TEST(RemoteCatalog, MissingCatalogIsAClearError) {
  RunResult r = run_cli({"info", "s3://" + test::kBucket + "/no/such/catalog"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("no catalog at s3://astrolake-test/no/such/catalog"), std::string::npos) << r.err;
}

TEST(RemoteCatalog, LegacyHipscatCatalog) {
  expect_same_everywhere({"head", "CATALOG", "-n", "5"}, {"legacy_hipscat/small_sky_object_catalog"});
}

TEST(RemoteCatalog, SkyMap) {
  TempDir d("remote_skymap");
  auto map = [&](const std::string& where, const std::string& tag) {
    std::string out = d / (tag + ".fits");
    RunResult r = run_cli({"skymap", where, "--order", "3", "--agg", "mean:mag", "-o", out, "-q"});
    EXPECT_EQ(r.status, 0) << r.err;
    return slurp(out);
  };
  std::string want = map(data("small_sky_source"), "local");
  ASSERT_GT(want.size(), 2880u);
  EXPECT_EQ(map(upload("small_sky_source"), "s3"), want);
  EXPECT_EQ(map(http_url("small_sky_source"), "http"), want);
}

TEST(RemoteCatalog, Info) {
  auto info = [](const std::string& where, bool keep_bytes) {
    RunResult r = run_cli({"info", where, "--json"});
    EXPECT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["path"], where);
    j.erase("path");
    if (!keep_bytes) j.erase("bytes");  // over HTTP only the data files can be sized
    return j;
  };
  EXPECT_EQ(info(upload("small_sky_source"), true), info(data("small_sky_source"), true));
  EXPECT_EQ(info(http_url("small_sky_source"), false), info(data("small_sky_source"), false));
}

namespace {

// A cone's rows as text (column names and bytes), to compare an S3 search with a local one.
std::string cone_rows(const catalog::Catalog& c, const engine::Region& cone, engine::SearchStats& st) {
  std::string out;
  st = engine::spatial_search(c, cone, {}, [&](parquet::Table&& t) {
    for (const auto& col : t.columns) {
      out += col.field.name + ":" + std::to_string(col.rows()) + ":";
      out.append(reinterpret_cast<const char*>(col.data.data()), col.data.size());
      for (int64_t o : col.offsets) out += std::to_string(o) + ",";
    }
  });
  return out;
}

}  // namespace

// Request counts are deterministic where times are not, so the cost of a cone is asserted in
// requests. The fixture goes to a prefix of its own: no other test has its bytes cached.
TEST(RemoteCatalog, ConeCostsOneRequestPerLeafTouched) {
  std::string s3 = upload("small_sky_order1_collection", "cone_counts");
  catalog::Catalog local = catalog::Catalog::open(data("small_sky_order1_collection"), {false, ""});
  const engine::Region a = engine::Region::cone(290, -70, 3), b = engine::Region::cone(345, -60, 3);
  engine::SearchStats want_a, want_b;
  std::string rows_a = cone_rows(local, a, want_a), rows_b = cone_rows(local, b, want_b);
  ASSERT_FALSE(rows_a.empty());
  ASSERT_GE(want_a.partitions_read, 1);

  // A fresh process (the CLI): collection.properties, hats.properties, partition_info.csv and
  // _common_metadata (not _metadata), then one GET per leaf touched: its last 64 KiB, which
  // hold the whole of these small leaves.
  TempDir d("cone_counts");
  ::setenv("ASTROLAKE_HTTP_STATS", "1", 1);
  RunResult r = run_cli({"cone", s3, "--ra", "290", "--dec", "-70", "--radius-arcsec", "10800", "-o", d / "a.csv", "-q"});
  ::unsetenv("ASTROLAKE_HTTP_STATS");
  ASSERT_EQ(r.status, 0) << r.err;
  unsigned long requests = 0;
  ASSERT_EQ(std::sscanf(r.err.c_str(), "http: %lu requests", &requests), 1) << r.err;
  EXPECT_EQ(requests, 4u + uint64_t(want_a.partitions_read)) << r.err;

  // One process, the catalog opened once (the service, Python): a cone costs one request per
  // leaf it touches the first time, and none when it touches them again (block cache).
  catalog::Catalog c = catalog::Catalog::open(s3, {false, ""});
  engine::SearchStats st;
  uint64_t before = storage::http_request_count();
  EXPECT_EQ(cone_rows(c, a, st), rows_a);
  EXPECT_EQ(storage::http_request_count() - before, uint64_t(want_a.partitions_read));
  before = storage::http_request_count();
  EXPECT_EQ(cone_rows(c, a, st), rows_a);
  EXPECT_EQ(storage::http_request_count() - before, 0u);
  before = storage::http_request_count();
  EXPECT_EQ(cone_rows(c, b, st), rows_b);
  EXPECT_LE(storage::http_request_count() - before, uint64_t(want_b.partitions_read));
}

// EXPLAIN on a bucket's catalog plans the requests and bytes the query will fetch, and their
// price; running the query then costs exactly that beyond opening the catalog.
TEST(RemoteCatalog, ExplainPlansRequestsAndBytes) {
  std::string s3 = upload("small_sky_source", "explain");
  const std::string sql = "SELECT COUNT(*), MIN(source_ra), MAX(source_ra) FROM \"CAT\" WHERE mag < 17";
  auto with = [&](const std::string& cat, const std::string& prefix) {
    std::string q = sql;
    q.replace(q.find("CAT"), 3, cat);
    return prefix + q;
  };
  RunResult local = run_cli({"query", with(data("small_sky_source"), "EXPLAIN ")});
  ASSERT_EQ(local.status, 0) << local.err;
  EXPECT_EQ(local.out.find("object store"), std::string::npos) << local.out;

  ::setenv("ASTROLAKE_PRICE_PER_1000_REQUESTS", "1000", 1);  // $1 a request: the cost shows the count
  ::setenv("ASTROLAKE_PRICE_PER_GB", "0", 1);
  RunResult ex = run_cli({"query", with(s3, "EXPLAIN ")});
  ::unsetenv("ASTROLAKE_PRICE_PER_1000_REQUESTS");
  ::unsetenv("ASTROLAKE_PRICE_PER_GB");
  ASSERT_EQ(ex.status, 0) << ex.err;
  size_t at = ex.out.find("Estimate:");
  ASSERT_NE(at, std::string::npos) << ex.out;
  unsigned long planned = 0;
  double dollars = -1;
  size_t os = ex.out.find("object store: ", at);
  ASSERT_NE(os, std::string::npos) << ex.out;
  ASSERT_EQ(std::sscanf(ex.out.c_str() + os, "object store: %lu requests", &planned), 1) << ex.out;
  size_t dollar = ex.out.find('$', os);
  ASSERT_NE(dollar, std::string::npos) << ex.out;
  dollars = std::atof(ex.out.c_str() + dollar + 1);
  EXPECT_GT(planned, 0u);
  EXPECT_DOUBLE_EQ(dollars, double(planned));

  // What opening costs, counted in this process on the same (not yet opened) objects.
  uint64_t before = storage::http_request_count();
  catalog::Catalog::open(s3);
  uint64_t opening = storage::http_request_count() - before;
  ::setenv("ASTROLAKE_HTTP_STATS", "1", 1);
  RunResult run = run_cli({"query", with(s3, "")});
  ::unsetenv("ASTROLAKE_HTTP_STATS");
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, run_cli({"query", with(data("small_sky_source"), "")}).out);
  unsigned long used = 0;
  ASSERT_EQ(std::sscanf(run.err.c_str(), "http: %lu requests", &used), 1) << run.err;
  EXPECT_EQ(used, opening + planned) << ex.out << run.err;
}

// A fresh process that scans, searches or cross-matches a bucket's catalogs reads their
// properties, partition lists, schemas and the leaves it needs, never dataset/_metadata (about
// 1 kB per row group, which every process would otherwise read whole), and gives what it gives
// on local disk.
TEST(RemoteCatalog, QueriesDoNotReadMetadataFooter) {
  const std::string a = "small_sky_order1_collection", b = "small_sky";
  // Each command with its catalogs (a, or b then a) and output file filled in.
  auto command = [](int which, const std::vector<std::string>& cats, const std::string& out) {
    std::vector<std::string> args;
    if (which == 0) args = {"query", "SELECT COUNT(*), SUM(ra), MIN(dec) FROM \"" + cats.back() + "\""};
    if (which == 1) args = {"cone", cats.back(), "--ra", "315", "--dec", "-66", "--radius-arcsec", "9000"};
    if (which == 2) args = {"xmatch", cats.front(), cats.back(), "--radius-arcsec", "1800"};
    for (const char* x : {"-o", "", "-q"}) args.push_back(*x ? x : out);
    return args;
  };
  TempDir d("no_metadata");
  const std::vector<std::string> local = {data(b), data(a)}, s3 = {upload(b, "no_metadata"), upload(a, "no_metadata")};
  for (int which = 0; which < 3; which++) {
    const std::string n = std::to_string(which);
    RunResult want = run_cli(command(which, local, d / ("local" + n + ".csv")));
    ASSERT_EQ(want.status, 0) << want.err;
    ::setenv("ASTROLAKE_HTTP_STATS", "2", 1);
    RunResult r = run_cli(command(which, s3, d / ("s3" + n + ".csv")));
    ::unsetenv("ASTROLAKE_HTTP_STATS");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("/_common_metadata "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("/dataset/Norder"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("/_metadata "), std::string::npos) << which << ":\n" << r.err;
    std::string got = slurp(d / ("s3" + n + ".csv"));
    EXPECT_GT(got.size(), 20u);
    EXPECT_EQ(got, slurp(d / ("local" + n + ".csv"))) << which;
  }
}
