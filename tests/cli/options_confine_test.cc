// Numeric options are validated (no NaN, no negative thread counts or timeouts, no budget that
// overflows), and --confine-to-root keeps every catalog name of a query inside the root: no
// absolute paths, no '..', no symlink out of it; a symlink loop in the root breaks nothing else.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_harness.h"

namespace {

using namespace al_cli_test;

std::string root() { return std::string(AL_TEST_DATA) + "/hats"; }

TEST(CliOptions, BadNumbersAreRefusedWithTheOptionNamed) {
  TempDir d("opts");
  std::string cat = data("small_sky"), csv = data("raw/small_sky/small_sky.csv");
  std::vector<std::string> q = {"query", "SELECT COUNT(*) FROM small_sky", "--root", root()};
  auto with = [](std::vector<std::string> base, std::vector<std::string> more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
  };
  std::vector<std::string> cone = {"cone", cat, "--ra", "0", "--dec", "-60", "--radius-arcsec", "60", "-o", d / "c.csv"};
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {with(q, {"--timeout", "-1"}), "--timeout"},
      {with(q, {"--timeout", "nan"}), "--timeout"},
      {with(q, {"--timeout", "inf"}), "--timeout"},
      {with(q, {"--memory-budget", "99999999999TiB"}), "too large"},
      {with(q, {"--memory-budget", "1e999"}), "bad byte size"},
      {with(q, {"--memory-budget", "0"}), "--memory-budget"},
      {with(q, {"--threads", "-1"}), "--threads"},
      {with(q, {"--threads", "100000000"}), "--threads"},
      {with(q, {"--max-rows", "-1"}), "--max-rows"},
      {with(cone, {"--threads", "-2"}), "--threads"},
      {{"cone", cat, "--ra", "0", "--dec", "nan", "--radius-arcsec", "60", "-o", d / "c.csv"}, "dec nan"},
      {{"cone", cat, "--ra", "inf", "--dec", "0", "--radius-arcsec", "60", "-o", d / "c.csv"}, "ra inf"},
      {{"cone", cat, "--ra", "0", "--dec", "0", "--radius-arcsec", "nan", "-o", d / "c.csv"}, "radius nan"},
      {{"box", cat, "--ra-min", "0", "--ra-max", "nan", "-o", d / "c.csv"}, "ra nan"},
      {{"xmatch", cat, cat, "--radius-arcsec", "nan", "-o", d / "x.csv"}, "radius"},
      {{"xmatch", cat, cat, "--radius-arcsec", "5", "--threads", "-1", "-o", d / "x.csv"}, "--threads"},
      {{"skymap", cat, "--threads", "-1", "-o", d / "m.fits"}, "--threads"},
      {{"import", csv, "-o", d / "i", "--max-rows", "0"}, "--max-rows"},
      {{"import", csv, "-o", d / "i", "--threads", "-3"}, "--threads"},
      {{"import", csv, "-o", d / "i", "--memory-budget", "99999999999TiB"}, "too large"},
      {{"import", csv, "-o", d / "i", "--margin-arcsec", "nan"}, "--margin-arcsec"},
      {{"generate", "gaia", "--rows", "10", "--match-fraction", "nan", "-o", d / "g.parquet"}, "--match-fraction"},
      {{"generate", "gaia", "--rows", "10", "--offset-arcsec", "nan", "-o", d / "g.parquet"}, "--offset-arcsec"},
      {{"generate", "gaia", "--rows", "10", "--seed", "-1", "-o", d / "g.parquet"}, "--seed"},
      {{"generate", "gaia", "--rows", "10", "--threads", "-1", "-o", d / "g.parquet"}, "--threads"},
      {{"generate", "gaia", "--rows", "10", "--chunk-rows", "99999999999", "-o", d / "g.parquet"}, "--chunk-rows"},
  };
  for (const Case& c : cases) {
    std::string line;
    for (auto& a : c.args) line += a + " ";
    SCOPED_TRACE(line);
    RunResult r = run_cli(c.args);
    EXPECT_NE(r.status, 0) << "accepted";
    EXPECT_NE(r.status, -1) << "crashed";
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(r.err_lines(), 1) << r.err;
  }
  EXPECT_TRUE(d.entries().empty()) << d.entries().front();
}

struct ConfinedRoot {
  TempDir dir{"confine"};
  std::string root = dir / "root";
  ConfinedRoot() {
    fs::create_directories(root);
    fs::create_directories(dir / "outside");
    fs::create_directory_symlink(data("small_sky"), dir / "outside/secret");
    fs::copy(data("small_sky"), root + "/Small", fs::copy_options::recursive);
    fs::create_directory_symlink(root + "/Small", root + "/alias");          // stays inside
    fs::create_directory_symlink(data("small_sky"), root + "/escape");       // leaves the root
    fs::create_symlink(root + "/loop", root + "/loop");                      // a loop
  }
  RunResult query(const std::string& from, bool confine = true) {
    std::vector<std::string> a = {"query", "SELECT COUNT(*) AS n FROM " + from, "--root", root};
    if (confine) a.push_back("--confine-to-root");
    return run_cli(a);
  }
};

TEST(CliConfine, NamesStayInsideTheRoot) {
  ConfinedRoot c;
  for (const std::string& ok : {"small", "\"Small\"", "alias", "\"alias/\""}) {
    RunResult r = c.query(ok);
    EXPECT_EQ(r.status, 0) << ok << ": " << r.err;
    EXPECT_EQ(r.out, "n\n131\n") << ok;
  }
  struct Bad {
    std::string from, message;
  };
  const std::vector<Bad> bad = {
      {"\"" + data("small_sky") + "\"", "only names relative to the catalog root"},
      {"\"" + (c.dir / "outside/secret") + "\"", "only names relative to the catalog root"},
      {"\"../outside/secret\"", "'..' is not allowed"},
      {"\"Small/../../outside/secret\"", "'..' is not allowed"},
      {"escape", "resolves outside the catalog root"},
      {"\"escape/\"", "resolves outside the catalog root"},
  };
  for (const Bad& b : bad) {
    RunResult r = c.query(b.from);
    EXPECT_EQ(r.status, 1) << b.from;
    EXPECT_NE(r.err.find(b.message), std::string::npos) << b.from << ": " << r.err;
    EXPECT_EQ(r.out, "") << b.from;
  }
  // The environment variable switches the same mode on (for every command naming catalogs).
  std::string cmd = "ASTROLAKE_CONFINE_TO_ROOT=1 " + std::string(AL_BINARY) + " info escape --root " + c.root +
                    " >/dev/null 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
  // Without confinement, paths work as before.
  RunResult r = c.query("\"" + data("small_sky") + "\"", false);
  EXPECT_EQ(r.out, "n\n131\n") << r.err;
}

// A symlink loop in the root is skipped when looking names up, and an error only when named.
TEST(CliConfine, SymlinkLoopInTheRootBreaksOnlyItself) {
  ConfinedRoot c;
  for (bool confine : {false, true}) {
    RunResult r = c.query("small", confine);  // case-insensitive lookup lists the root
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "n\n131\n");
    r = c.query("nosuch", confine);  // the suggestion lists the root too
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("no catalog 'nosuch'"), std::string::npos) << r.err;
    r = c.query("\"loop\"", confine);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("loop"), std::string::npos) << r.err;
    EXPECT_EQ(r.err_lines(), 1) << r.err;
  }
}

}  // namespace
