// Memory, thread and time limits of the CLI, measured on the real binary: the peak resident
// size of the child process (from wait4) must stay near the memory budget whatever the query
// asks for.
#include <sys/resource.h>
#include <sys/wait.h>

#include "cli_harness.h"

namespace {

using al_cli_test::spawn_binary;
using al_cli_test::TempDir;

struct Measured {
  int status = -1;
  long max_rss_kib = 0;
  std::string out, err;
};

// Runs the binary with `env` added to the environment; records exit status and peak RSS.
Measured run_measured(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  TempDir tmp("limits");
  std::string out = tmp / "out", err = tmp / "err";
  std::vector<std::string> envs = env;
  for (char** e = environ; *e; ++e) envs.push_back(*e);
  std::vector<char*> envp;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = spawn_binary(args, fa, envp.data());
  posix_spawn_file_actions_destroy(&fa);
  Measured m;
  if (pid < 0) return m;
  int status = 0;
  rusage ru{};
  if (wait4(pid, &status, 0, &ru) != pid) return m;
  m.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  m.max_rss_kib = ru.ru_maxrss;
  m.out = al_cli_test::slurp(out);
  m.err = al_cli_test::slurp(err);
  return m;
}

std::string hats() { return std::string(AL_TEST_DATA) + "/hats"; }

// 17161 sources in six bands: joining on the band pairs every source with ~2860 others,
// 49,085,613 rows in all.
const char* kBandJoin =
    "FROM small_sky_order1_source_collection AS a JOIN small_sky_order1_source_collection AS b ON a.band = b.band";

TEST(CliLimits, ManyToManyJoinStreamsInBoundedMemory) {
  Measured m = run_measured({"query", std::string("SELECT COUNT(*) ") + kBandJoin, "--root", hats(), "--memory-budget",
                             "256MiB"});
  ASSERT_EQ(m.status, 0) << m.err;
  EXPECT_NE(m.out.find("49085613"), std::string::npos) << m.out;
  // The join emits bounded chunks: the 49M-row product is never held at once.
  EXPECT_LT(m.max_rss_kib, 256 * 1024) << "peak RSS " << m.max_rss_kib << " KiB";
}

TEST(CliLimits, PathologicalJoinStopsAtTheBudgetWithRssNearIt) {
  // Sorting the product needs it all in memory: far more than 256 MiB.
  Measured m = run_measured({"query", std::string("SELECT a.source_id, b.source_id ") + kBandJoin + " ORDER BY a.mag",
                             "--root", hats(), "--memory-budget", "256MiB", "--format", "csv"});
  EXPECT_EQ(m.status, 1) << m.err;
  EXPECT_NE(m.err.find("query exceeded memory budget of 256 MiB"), std::string::npos) << m.err;
  EXPECT_LT(m.max_rss_kib, 512 * 1024) << "peak RSS " << m.max_rss_kib << " KiB";
}

TEST(CliLimits, HugeRadiusSelfCrossMatchStopsAtTheBudget) {
  TempDir tmp("xmatch_budget");
  // A 20 degree radius pairs nearly every source with every other: ~290M pairs.
  Measured m = run_measured({"xmatch", "small_sky_order1_source_collection", "small_sky_order1_source_collection",
                             "--radius-arcsec", "72000", "--k", "all", "-o", tmp / "x.parquet", "--root", hats(),
                             "--memory-budget", "256MiB", "-q"});
  EXPECT_EQ(m.status, 1) << m.err;
  EXPECT_NE(m.err.find("memory budget of 256 MiB"), std::string::npos) << m.err;
  EXPECT_LT(m.max_rss_kib, 512 * 1024) << "peak RSS " << m.max_rss_kib << " KiB";
  EXPECT_FALSE(std::filesystem::exists(tmp / "x.parquet"));
}

TEST(CliLimits, HugeRadiusCrossMatchInAdqlStopsAtTheBudget) {
  Measured m = run_measured({"query",
                             "SELECT COUNT(*) FROM small_sky_order1_source_collection AS a "
                             "JOIN small_sky_order1_source_collection AS b ON 1 = CONTAINS(POINT('ICRS', a.source_ra, "
                             "a.source_dec), CIRCLE('ICRS', b.source_ra, b.source_dec, 20))",
                             "--root", hats(), "--memory-budget", "256MiB"});
  EXPECT_EQ(m.status, 1) << m.err;
  EXPECT_NE(m.err.find("query exceeded memory budget of 256 MiB"), std::string::npos) << m.err;
  EXPECT_LT(m.max_rss_kib, 512 * 1024) << "peak RSS " << m.max_rss_kib << " KiB";
}

TEST(CliLimits, ThreadCountsAreCappedOrRefusedClearly) {
  std::string q = "SELECT COUNT(*) FROM small_sky_order1_source_collection";
  // A per-query cap above the pool's limit is refused before anything starts; one above the
  // pool's actual size (here 2 workers) is the pool: no more threads are started.
  Measured m = run_measured({"query", q, "--root", hats(), "--threads", "100000"});
  EXPECT_EQ(m.status, 105) << m.err;
  EXPECT_NE(m.err.find("--threads: must be in [0, 1024], got 100000"), std::string::npos) << m.err;
  m = run_measured({"query", q, "--root", hats(), "--threads", "1000"}, {"ASTROLAKE_THREADS=2"});
  EXPECT_EQ(m.status, 0) << m.err;
  EXPECT_NE(m.out.find("17161"), std::string::npos) << m.out;
  // The pool's own size is checked before any thread starts.
  m = run_measured({"query", q, "--root", hats()}, {"ASTROLAKE_THREADS=100000"});
  EXPECT_EQ(m.status, 1);
  EXPECT_NE(m.err.find("ASTROLAKE_THREADS must be a whole number from 1 to 1024, got '100000'"), std::string::npos)
      << m.err;
  m = run_measured({"query", q, "--root", hats()}, {"ASTROLAKE_THREADS=2"});
  EXPECT_EQ(m.status, 0) << m.err;
  EXPECT_NE(m.out.find("17161"), std::string::npos) << m.out;
}

}  // namespace
