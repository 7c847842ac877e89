// storage/output.h: what a path is as an output target, publishing a temp file without ever
// replacing a non-file, write errors, and the removal of a dead process's leftovers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/output.h"

using namespace astrolake::storage;
namespace fs = std::filesystem;

namespace {

struct Dir {
  fs::path p = fs::temp_directory_path() / ("al_output_" + std::to_string(::getpid()));
  Dir() {
    fs::remove_all(p);
    fs::create_directories(p);
  }
  ~Dir() { fs::remove_all(p); }
  std::string operator/(const std::string& n) const { return (p / n).string(); }
};

void put(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
std::string get(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A pid that is certainly not running: a child that has exited and been reaped.
pid_t dead_pid() {
  pid_t c = ::fork();
  if (c == 0) ::_exit(0);
  ::waitpid(c, nullptr, 0);
  return c;
}

TEST(Output, ClassifiesTargets) {
  Dir d;
  put(d / "file", "x");
  ASSERT_EQ(::mkfifo((d / "fifo").c_str(), 0644), 0);
  fs::create_symlink("/dev/null", d / "to_null");
  fs::create_symlink(d / "file", d / "to_file");
  fs::create_symlink(d / "nowhere", d / "dangling");
  EXPECT_EQ(output_target(d / "missing"), TargetKind::Missing);
  EXPECT_EQ(output_target(d / "file/under"), TargetKind::Missing);  // ENOTDIR: the caller names the parent
  EXPECT_EQ(output_target(d / "file"), TargetKind::Regular);
  EXPECT_EQ(output_target(d.p.string()), TargetKind::Directory);
  EXPECT_EQ(output_target(d / "fifo"), TargetKind::Stream);
  EXPECT_EQ(output_target("/dev/null"), TargetKind::Stream);
  EXPECT_EQ(output_target("-"), TargetKind::Stream);
  EXPECT_EQ(output_target(d / "to_null"), TargetKind::Stream);
  EXPECT_THROW(output_target(d / "to_file"), IoError);
  EXPECT_THROW(output_target(d / "dangling"), IoError);
}

TEST(Output, PublishRefusesToReplaceANonFile) {
  Dir d;
  put(d / "t1", "new");
  put(d / "old", "old");
  publish_file(d / "t1", d / "old");
  EXPECT_EQ(get(d / "old"), "new");
  EXPECT_FALSE(fs::exists(d / "t1"));
  put(d / "t2", "new");
  fs::create_symlink(d / "old", d / "link");
  EXPECT_THROW(publish_file(d / "t2", d / "link"), IoError);
  EXPECT_TRUE(fs::is_symlink(d / "link"));
  EXPECT_FALSE(fs::exists(d / "t2")) << "the temp file must be removed";
}

TEST(Output, WriteAllReportsFullDeviceAndBrokenPipe) {
  int fd = ::open("/dev/full", O_WRONLY);
  ASSERT_GE(fd, 0);
  try {
    write_all(fd, "abc", 3, "/dev/full");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
  }
  ::close(fd);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ::close(p[0]);
  auto old = ::signal(SIGPIPE, SIG_IGN);
  EXPECT_THROW(write_all(p[1], "abc", 3, "pipe"), BrokenPipe);
  ::signal(SIGPIPE, old);
  ::close(p[1]);
}

TEST(Output, LeftoversOfDeadProcessesAreRemovedOrRestored) {
  Dir d;
  std::string dead = std::to_string(dead_pid()), me = std::to_string(::getpid());
  put(d / ("out.csv.tmp-" + dead), "partial");
  put(d / ("out.csv.tmp-" + dead + "-3"), "partial");
  put(d / ("out.csv.tmp-" + me), "mine");                  // this process: not a leftover
  put(d / ("out.csv.tmp-" + dead + "-x"), "not ours");     // not our naming: untouched
  put(d / ("other.csv.tmp-" + dead), "another output");    // another output: untouched
  fs::create_directories(d / ("cat.building-" + dead + "/dataset"));
  fs::create_directories(d / ("gone.replaced-" + dead));
  put(d / ("gone.replaced-" + dead + "/hats.properties"), "previous");
  auto notes = clean_leftovers(d / "out.csv");
  EXPECT_EQ(notes.size(), 2u);
  EXPECT_FALSE(fs::exists(d / ("out.csv.tmp-" + dead)));
  EXPECT_FALSE(fs::exists(d / ("out.csv.tmp-" + dead + "-3")));
  EXPECT_TRUE(fs::exists(d / ("out.csv.tmp-" + me)));
  EXPECT_TRUE(fs::exists(d / ("out.csv.tmp-" + dead + "-x")));
  EXPECT_TRUE(fs::exists(d / ("other.csv.tmp-" + dead)));
  notes = clean_leftovers(d / "cat/");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].rfind("removed ", 0), 0u) << notes[0];
  EXPECT_FALSE(fs::exists(d / ("cat.building-" + dead)));
  // Killed between moving the old catalog aside and the new one in: the old one comes back.
  notes = clean_leftovers(d / "gone");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].rfind("restored ", 0), 0u) << notes[0];
  EXPECT_EQ(get(d / "gone/hats.properties"), "previous");
}

}  // namespace
