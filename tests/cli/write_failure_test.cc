// Every writer checks its writes, and no output replaces what is not a regular file: stdout
// to /dev/full or a closed pipe, outputs on a full file system, -o into FIFOs, devices and
// symlinks, and `-o -` (standard output) for the streamed formats.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "cli_harness.h"
#include "parquet/reader.h"

namespace {

using namespace al_cli_test;

std::string root() { return std::string(AL_TEST_DATA) + "/hats"; }
const char* kAllSources = "SELECT * FROM small_sky_source";  // 17161 rows, about 2 MB of CSV

// Every command that prints to stdout, with stdout on /dev/full, fails and says why.
TEST(CliWrites, StdoutToDevFullFailsEveryCommand) {
  TempDir d("devfull");
  std::string cat = data("small_sky");
  const std::vector<std::vector<std::string>> cmds = {
      {"query", kAllSources, "--root", root()},
      {"query", "SELECT TOP 5 id FROM small_sky", "--root", root(), "--format", "table"},
      {"query", "EXPLAIN SELECT id FROM small_sky", "--root", root()},
      {"query", "SELECT id, ra, dec FROM small_sky", "--root", root(), "-o", "-"},
      {"query", "SELECT id, ra, dec FROM small_sky", "--root", root(), "-o", "-", "--format", "parquet"},
      {"info", cat, "--json"},
      {"info", cat},
      {"head", cat},
      {"functions"},
      {"cone", cat, "--ra", "0", "--dec", "-60", "--radius-arcsec", "36000", "-o", d / "c.csv"},
      {"cone", cat, "--ra", "0", "--dec", "-60", "--radius-arcsec", "36000", "-o", "-"},
      {"generate", "gaia", "--rows", "1000", "-o", "-"},
      {"skymap", cat, "--order", "2", "-o", d / "m.fits"},
  };
  for (const auto& args : cmds) {
    std::string line;
    for (const auto& a : args) line += a + " ";
    SCOPED_TRACE(line);
    RunResult r = run_cli_stdout_to(args, "/dev/full");
    EXPECT_NE(r.status, 0) << "reported success on a failed write";
    EXPECT_NE(r.status, -1) << "killed by a signal";
    EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  }
}

// `-o /dev/full` streams into the device (never replacing it) and fails on the first write.
TEST(CliWrites, OutputToDevFullFailsAndKeepsTheDevice) {
  for (const std::string& fmt : {"csv", "parquet"}) {
    RunResult r = run_cli({"query", kAllSources, "--root", root(), "-o", "/dev/full", "--format", fmt, "--overwrite"});
    EXPECT_EQ(r.status, 1) << fmt;
    EXPECT_NE(r.err.find("/dev/full"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
    struct stat st;
    ASSERT_EQ(::lstat("/dev/full", &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/full was replaced";
  }
}

// `query ... | head -1`: once the reader is gone the work stops at the next write, quietly,
// with the status a shell shows for a broken pipe, and not by dying of SIGPIPE.
TEST(CliWrites, ClosedPipeStopsTheWorkQuietly) {
  const std::vector<std::vector<std::string>> cmds = {
      {"query", kAllSources, "--root", root()},
      {"query", kAllSources, "--root", root(), "-o", "-", "--format", "parquet"},
      {"cone", data("small_sky_source"), "--ra", "0", "--dec", "-60", "--radius-arcsec", "100000", "-o", "-"},
  };
  for (const auto& args : cmds) {
    SCOPED_TRACE(args[0] + " " + args.back());
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    std::string err = (fs::temp_directory_path() / ("al_pipe_err_" + std::to_string(::getpid()))).string();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = spawn_binary(args, fa);
    posix_spawn_file_actions_destroy(&fa);
    ASSERT_GT(pid, 0);
    ::close(fds[1]);
    char buf[16];
    ASSERT_GT(::read(fds[0], buf, sizeof buf), 0);  // like head: read a little, then go away
    ::close(fds[0]);
    auto t0 = std::chrono::steady_clock::now();
    int ws = 0;
    ASSERT_EQ(::waitpid(pid, &ws, 0), pid);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_TRUE(WIFEXITED(ws)) << "died of signal " << (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
    if (WIFEXITED(ws)) EXPECT_EQ(WEXITSTATUS(ws), 141);
    EXPECT_EQ(slurp(err), "");
    EXPECT_LT(secs, 10.0);
    std::remove(err.c_str());
  }
}

// A tiny full file system: every file output fails with the reason and leaves nothing behind.
TEST(CliWrites, FullFileSystemFailsEveryOutputAndLeavesNothing) {
  TempDir d("tinyfs");
  std::string mnt = d / "mnt";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  struct Unmount {
    std::string p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{mnt};
  std::string src = data("small_sky_source"), cat = data("small_sky");
  const std::vector<std::vector<std::string>> cmds = {
      {"query", kAllSources, "--root", root(), "-o", mnt + "/q.csv"},
      {"query", kAllSources, "--root", root(), "-o", mnt + "/q.parquet"},
      {"query", kAllSources, "--root", root(), "-o", mnt + "/q", "--format", "hats"},
      {"cone", src, "--ra", "0", "--dec", "-60", "--radius-arcsec", "100000", "-o", mnt + "/c.csv"},
      {"xmatch", src, src, "--radius-arcsec", "10", "-o", mnt + "/x.parquet"},
      {"skymap", cat, "--order", "6", "-o", mnt + "/m.fits"},
      {"skymap", cat, "--order", "6", "--png", mnt + "/m.png"},
      {"generate", "ztf", "--rows", "20000", "-o", mnt + "/g.parquet"},
      {"import", data("raw/small_sky_source/small_sky_source.csv"), "--ra", "source_ra", "--dec", "source_dec", "-o",
       mnt + "/imp"},
  };
  // Filled up to the last 8 KiB, so even a small output (a PNG) cannot fit.
  {
    int fd = ::open((mnt + "/fill").c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    std::string block(4096, 'x');
    off_t size = 0;
    while (::write(fd, block.data(), block.size()) == ssize_t(block.size())) size += off_t(block.size());
    ASSERT_EQ(::ftruncate(fd, size > 8192 ? size - 8192 : 0), 0);
    ::close(fd);
  }
  for (const auto& args : cmds) {
    SCOPED_TRACE(args[0] + " " + args.back());
    RunResult r = run_cli(args);
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
    EXPECT_EQ(r.err_lines(), 1) << r.err;
    std::vector<std::string> left;
    for (auto& e : fs::directory_iterator(mnt))
      if (e.path().filename() != "fill") left.push_back(e.path().filename().string());
    EXPECT_TRUE(left.empty()) << "left behind: " << left.front();
  }
}

// A FIFO given with -o is written into, not replaced by a regular file.
TEST(CliOverwrite, FifoIsWrittenIntoNotReplaced) {
  TempDir d("fifo");
  std::string fifo = d / "out.csv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  // A non-blocking reader first, so the writer's open() does not wait; the result (small)
  // stays in the pipe buffer until read after the command ends.
  int rfd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(rfd, 0);
  RunResult r = run_cli({"query", "SELECT TOP 3 id FROM small_sky ORDER BY id", "--root", root(), "-o", fifo,
                         "--overwrite", "-q"});
  std::string got(4096, '\0');
  ssize_t n = ::read(rfd, got.data(), got.size());
  ::close(rfd);
  EXPECT_EQ(r.status, 0) << r.err;
  got.resize(n > 0 ? size_t(n) : 0);
  EXPECT_EQ(got, "id\n700\n701\n702\n");
  struct stat st;
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced";
  EXPECT_EQ(d.entries(), std::vector<std::string>{"out.csv"});
}

// Symlinks are never replaced: one to a character device is written through (a stream); one
// to a file or a directory is refused, whatever the format and with --overwrite.
TEST(CliOverwrite, SymlinksAreNeverReplaced) {
  TempDir d("links");
  fs::create_symlink("/dev/null", d / "null.csv");
  RunResult r = run_cli({"query", "SELECT id FROM small_sky", "--root", root(), "-o", d / "null.csv", "--overwrite"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(d / "null.csv"));

  { std::ofstream(d / "target.csv") << "keep"; }
  fs::create_directories(d / "dir");
  fs::create_symlink(d / "target.csv", d / "file.csv");
  fs::create_symlink(d / "target.csv", d / "file.parquet");
  fs::create_symlink(d / "target.csv", d / "file.fits");
  fs::create_symlink(d / "dir", d / "dirlink");
  std::string cat = data("small_sky");
  const std::vector<std::vector<std::string>> cmds = {
      {"query", "SELECT id FROM small_sky", "--root", root(), "-o", d / "file.csv", "--overwrite"},
      {"cone", cat, "--ra", "0", "--dec", "-60", "--radius-arcsec", "3600", "-o", d / "file.parquet", "--overwrite"},
      {"query", "SELECT * FROM small_sky", "--root", root(), "-o", d / "dirlink", "--format", "hats", "--overwrite"},
      {"skymap", cat, "--order", "2", "-o", d / "file.fits", "--overwrite"},
      {"generate", "gaia", "--rows", "10", "-o", d / "file.parquet"},
      {"import", d / "target.csv", "-o", d / "dirlink", "--overwrite"},
  };
  for (const auto& args : cmds) {
    SCOPED_TRACE(args[0] + " " + args.back());
    r = run_cli(args);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("symbolic link"), std::string::npos) << r.err;
  }
  EXPECT_EQ(slurp(d / "target.csv"), "keep");
  for (const char* l : {"file.csv", "file.parquet", "file.fits", "dirlink"}) EXPECT_TRUE(fs::is_symlink(d / l)) << l;
  EXPECT_TRUE(fs::is_empty(d / "dir"));
}

// Formats that cannot be streamed (FITS, PNG, a HATS directory) refuse a FIFO target.
TEST(CliOverwrite, UnstreamableFormatsRefuseFifos) {
  TempDir d("fifo2");
  for (const char* n : {"m.fits", "m.png", "h"}) ASSERT_EQ(::mkfifo((d / n).c_str(), 0644), 0);
  std::string cat = data("small_sky");
  const std::vector<std::vector<std::string>> cmds = {
      {"skymap", cat, "--order", "2", "-o", d / "m.fits", "--overwrite"},
      {"skymap", cat, "--order", "2", "--png", d / "m.png", "--overwrite"},
      {"query", "SELECT * FROM small_sky", "--root", root(), "-o", d / "h", "--format", "hats", "--overwrite"},
      {"import", data("raw/small_sky/small_sky.csv"), "-o", d / "h", "--overwrite"},
  };
  for (const auto& args : cmds) {
    SCOPED_TRACE(args[0] + " " + args.back());
    RunResult r = run_cli(args);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("pipe or device"), std::string::npos) << r.err;
  }
  for (const char* n : {"m.fits", "m.png", "h"}) {
    struct stat st;
    ASSERT_EQ(::lstat((d / n).c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode)) << n << " was replaced";
  }
}

// `-o -` streams CSV (the default) or Parquet to standard output; summaries go to stderr.
TEST(CliOverwrite, DashIsStandardOutput) {
  RunResult r = run_cli({"query", "SELECT TOP 2 id FROM small_sky ORDER BY id", "--root", root(), "-o", "-"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "id\n700\n701\n");
  r = run_cli({"cone", data("small_sky"), "--ra", "0", "--dec", "-60", "--radius-arcsec", "3600", "--columns", "id",
               "-o", "-"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("id\n", 0), 0u) << r.out;
  EXPECT_NE(r.err.find("rows in"), std::string::npos) << r.err;

  TempDir d("dash");
  std::string pq = d / "via_stdout.parquet";
  { std::ofstream(pq) << ""; }
  RunResult p = run_cli_stdout_to(
      {"query", "SELECT id, ra FROM small_sky", "--root", root(), "-o", "-", "--format", "parquet"}, pq);
  EXPECT_EQ(p.status, 0) << p.err;
  auto t = astrolake::parquet::FileReader::open(pq)->read();
  EXPECT_EQ(t.rows(), 131u);
  EXPECT_EQ(t.columns.size(), 2u);
  p = run_cli_stdout_to({"generate", "gaia", "--rows", "500", "-q", "-o", "-"}, pq);
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(astrolake::parquet::FileReader::open(pq)->read().rows(), 500u);
}

}  // namespace
