// SIGTERM and SIGHUP stop a command as cleanly as Ctrl-C (exit 128+N, a message, no output
// and no temp file), and what a process killed with SIGKILL left beside its output is removed,
// with a note, by the next command writing the same output.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace {

using namespace al_cli_test;
using Clock = std::chrono::steady_clock;

// Starts `args`, waits until an entry starting with `marker` appears in `d`, lets it work a
// moment, and sends `sig`. Returns the result; `secs` is how long it took to exit.
RunResult interrupt(const TempDir& d, const std::vector<std::string>& args, const std::string& marker, int sig,
                    double& secs) {
  std::string io = (fs::temp_directory_path() / ("al_sig_" + std::to_string(::getpid()))).string();
  pid_t pid = spawn_cli(args, io + ".out", io + ".err");
  EXPECT_GT(pid, 0);
  auto started = Clock::now();
  bool seen = false;
  while (!seen && Clock::now() - started < std::chrono::seconds(60)) {
    for (auto& e : d.entries()) seen |= e.rfind(marker, 0) == 0;
    if (!seen) ::usleep(10000);
  }
  EXPECT_TRUE(seen) << "no " << marker << " appeared";
  ::usleep(200000);
  int ws = 0;
  EXPECT_EQ(::waitpid(pid, &ws, WNOHANG), 0) << "finished before the signal";
  auto sent = Clock::now();
  ::kill(pid, sig);
  RunResult r = wait_cli(pid, io + ".out", io + ".err");
  secs = std::chrono::duration<double>(Clock::now() - sent).count();
  return r;
}

// The suite's shared input directory (TempDir is per test).
struct SuiteDir {
  fs::path path = fs::temp_directory_path() / ("al_signals_" + std::to_string(::getpid()));
  SuiteDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~SuiteDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

class CliSignals : public ::testing::Test {
 protected:
  // One generated catalog for every test: big enough that a cone over the whole sky or an
  // import of it takes seconds.
  static void SetUpTestSuite() {
    dir_ = new SuiteDir();
    RunResult r = run_cli({"generate", "gaia", "--rows", "1500000", "--seed", "9", "-q", "-o", *dir_ / "g.parquet"});
    ASSERT_EQ(r.status, 0) << r.err;
    r = run_cli({"import", *dir_ / "g.parquet", "-o", *dir_ / "g", "--max-rows", "100000", "-q"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static SuiteDir* dir_;
};
SuiteDir* CliSignals::dir_ = nullptr;

TEST_F(CliSignals, TermAndHupStopCleanlyLikeCtrlC) {
  TempDir d("sigout");
  std::string g = *dir_ / "g";
  struct Job {
    std::vector<std::string> args;
    std::string marker;
  };
  const std::vector<Job> jobs = {
      {{"cone", g, "--ra", "0", "--dec", "0", "--radius-arcsec", "648000", "-o", d / "all.csv"}, "all.csv.tmp-"},
      {{"query", "SELECT * FROM g", "--root", dir_->path.string(), "-o", d / "q.parquet"}, "q.parquet.tmp-"},
      {{"import", *dir_ / "g.parquet", "-o", d / "imp", "--max-rows", "20000"}, "imp.building-"},
      {{"generate", "ztf", "--rows", "3000000", "-o", d / "z.parquet"}, "z.parquet.tmp-"},
  };
  for (int sig : {SIGTERM, SIGHUP}) {
    for (const Job& job : jobs) {
      SCOPED_TRACE(job.args[0] + " signal " + std::to_string(sig));
      double secs = 0;
      RunResult r = interrupt(d, job.args, job.marker, sig, secs);
      EXPECT_EQ(r.status, 128 + sig) << "status " << r.status << " (-1: died of the signal)\n" << r.err;
      EXPECT_NE(r.err.find("cancelled"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(sig == SIGTERM ? "SIGTERM" : "SIGHUP"), std::string::npos) << r.err;
      EXPECT_EQ(r.err_lines(), 1) << r.err;
      EXPECT_LT(secs, 5.0);
      EXPECT_TRUE(d.entries().empty()) << "left behind: " << d.entries().front();
    }
  }
}

// kill -9 leaves temp files; the next command writing the same output removes them and says so.
TEST_F(CliSignals, LeftoversOfAKilledProcessAreRemovedByTheNextRun) {
  TempDir d("sigkill");
  std::string g = *dir_ / "g";
  struct Job {
    std::vector<std::string> args, rerun;
    std::string marker;
  };
  const std::vector<Job> jobs = {
      {{"cone", g, "--ra", "0", "--dec", "0", "--radius-arcsec", "648000", "-o", d / "all.csv"},
       {"cone", g, "--ra", "0", "--dec", "0", "--radius-arcsec", "60", "-o", d / "all.csv", "-q"},
       "all.csv.tmp-"},
      {{"import", *dir_ / "g.parquet", "-o", d / "imp", "--max-rows", "20000"},
       {"import", data("raw/small_sky/small_sky.csv"), "-o", d / "imp", "-q"},
       "imp.building-"},
      {{"generate", "ztf", "--rows", "3000000", "-o", d / "z.parquet"},
       {"generate", "ztf", "--rows", "10", "-q", "-o", d / "z.parquet"},
       "z.parquet.tmp-"},
  };
  for (const Job& job : jobs) {
    SCOPED_TRACE(job.args[0]);
    double secs = 0;
    RunResult r = interrupt(d, job.args, job.marker, SIGKILL, secs);
    EXPECT_EQ(r.status, -1);
    std::string left;
    for (auto& e : d.entries())
      if (e.rfind(job.marker, 0) == 0 && e.find('/') == std::string::npos) left = e;
    ASSERT_FALSE(left.empty()) << "kill -9 left nothing to clean up";
    r = run_cli(job.rerun);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("removed " + (d / left)), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(d / left));
    for (auto& e : d.entries()) EXPECT_EQ(e.find(".tmp-"), std::string::npos) << e;
    for (auto& e : d.entries()) EXPECT_EQ(e.find(".building-"), std::string::npos) << e;
  }
}

// A leftover whose process still runs is left alone, and said so.
TEST(CliLeftovers, ALiveProcessesTempFileIsLeftAlone) {
  TempDir d("alive");
  pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  ASSERT_GT(child, 0);
  std::string tmp = d / ("out.csv.tmp-" + std::to_string(child));
  { std::ofstream(tmp) << "partial"; }
  RunResult r = run_cli({"query", "SELECT TOP 1 id FROM small_sky", "--root", std::string(AL_TEST_DATA) + "/hats",
                         "-o", d / "out.csv", "-q"});
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(tmp));
  EXPECT_NE(r.err.find("still running; left alone"), std::string::npos) << r.err;
}

}  // namespace
