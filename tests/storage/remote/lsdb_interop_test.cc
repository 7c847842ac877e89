// LSDB (the Python reference implementation of HATS, reading S3 through fsspec/s3fs) opens a
// catalog astrolake wrote into the bucket, and astrolake opens one that LSDB wrote there.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../../cli/cli_harness.h"
#include "servers.h"
#include "storage/file_system.h"

using namespace astrolake;
using namespace al_cli_test;

namespace {

std::string python() { return std::string(AL_SOURCE_DIR) + "/.venv/bin/python"; }
std::string script() { return std::string(AL_SOURCE_DIR) + "/tests/storage/remote/lsdb_interop.py"; }

nlohmann::json run_python(const std::vector<std::string>& args) {
  std::string cmd = "'" + python() + "' '" + script() + "'";
  for (const auto& a : args) cmd += " '" + a + "'";  // test paths hold no quotes
  TempDir d("lsdb_py");
  int status = std::system((cmd + " >" + d / "out" + " 2>" + d / "err").c_str());
  std::string out = slurp(d / "out");
  EXPECT_EQ(status, 0) << slurp(d / "err");
  size_t brace = out.rfind("\n{");
  return nlohmann::json::parse(brace == std::string::npos ? out : out.substr(brace + 1));
}

}  // namespace

TEST(LsdbInterop, LsdbReadsWhatAstrolakeWrote) {
  ASSERT_TRUE(fs::exists(python())) << "the project's .venv (bash scripts/install-deps.sh) is missing";
  TempDir d("lsdb_read");
  std::string input = d / "in.parquet";
  ASSERT_EQ(run_cli({"generate", "gaia", "--rows", "20000", "--seed", "11", "-o", input}).status, 0);
  std::string local = d / "gaia";
  std::string s3 = "s3://" + test::kBucket + "/interop/al_gaia";
  for (const std::string& out : {local, s3}) {
    RunResult r = run_cli({"import", input, "--ra", "ra", "--dec", "dec", "--max-rows", "4000", "-o", out, "-q"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  nlohmann::json j = run_python({"read", s3, local, "source_id"});
  EXPECT_EQ(j["remote"]["rows"], 20000);
  EXPECT_GT(j["remote"]["partitions"].get<int>(), 4);
  EXPECT_EQ(j["remote"], j["local"]);
  storage::s3_file_system()->remove_all(s3);
}

TEST(LsdbInterop, AstrolakeReadsWhatLsdbWrote) {
  ASSERT_TRUE(fs::exists(python())) << "the project's .venv (bash scripts/install-deps.sh) is missing";
  std::string s3 = "s3://" + test::kBucket + "/interop/lsdb_small_sky";
  run_python({"write", data("small_sky_order1_collection/small_sky_order1"), s3});
  std::string listing;
  for (const auto& e : storage::s3_file_system()->list(s3)) listing += e.name + " ";
  // LSDB writes a collection: collection.properties and the catalog beneath it.
  ASSERT_TRUE(storage::exists(s3 + "/collection.properties")) << listing;
  std::string q = "SELECT COUNT(*), SUM(id), SUM(ra), MIN(dec) FROM \"";
  RunResult want = run_cli({"query", q + data("small_sky_order1_collection/small_sky_order1") + "\""});
  RunResult got = run_cli({"query", q + s3 + "\""});
  ASSERT_EQ(want.status, 0) << want.err;
  ASSERT_EQ(got.status, 0) << got.err;
  EXPECT_EQ(got.out, want.out);
  EXPECT_NE(want.out.find("131"), std::string::npos) << want.out;  // small_sky has 131 rows
  storage::s3_file_system()->remove_all(s3);
}
