#include "storage/source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>
#include <numeric>
#include <string>

using namespace astrolake::storage;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("al_storage_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t((i * 131 + 7) & 0xff);
  return v;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const IoError& e) {
    return e.what();
  }
  return "<no IoError>";
}

}  // namespace

TEST(Storage, WriteAtomicThenReadBack) {
  TempDir dir;
  std::string p = (dir.path / "a.bin").string();
  auto bytes = pattern(1 << 20);
  write_file_atomic(p, bytes);
  auto src = open_file(p);
  ASSERT_EQ(src->size(), bytes.size());
  EXPECT_EQ(src->name(), p);
  std::vector<uint8_t> got(1000);
  src->read(12345, got);
  EXPECT_EQ(0, std::memcmp(got.data(), bytes.data() + 12345, got.size()));
  auto v = src->view(bytes.size() - 10, 10);  // memory-mapped: a zero-copy view
  ASSERT_EQ(v.size(), 10u);
  EXPECT_EQ(0, std::memcmp(v.data(), bytes.data() + bytes.size() - 10, 10));
  // Overwriting replaces the whole file and leaves no temp files behind.
  write_file_atomic(p, pattern(10));
  EXPECT_EQ(open_file(p)->size(), 10u);
  EXPECT_EQ(list_dir(dir.path.string()), std::vector<std::string>{"a.bin"});
  // The earlier source keeps its mapping of the old file.
  EXPECT_EQ(src->size(), bytes.size());
  src->read(0, got);
  EXPECT_EQ(0, std::memcmp(got.data(), bytes.data(), got.size()));
}

TEST(Storage, ReadsPastTheEndThrowNamingThePath) {
  TempDir dir;
  std::string p = (dir.path / "small.bin").string();
  write_file_atomic(p, pattern(100));
  auto src = open_file(p);
  std::vector<uint8_t> buf(10);
  EXPECT_NO_THROW(src->read(90, buf));
  std::string msg = message_of([&] { src->read(91, buf); });
  EXPECT_NE(msg.find(p), std::string::npos) << msg;
  EXPECT_NE(msg.find("past the end"), std::string::npos) << msg;
  EXPECT_THROW(src->read(uint64_t(-5), buf), IoError);  // offset + len overflows
  EXPECT_THROW(src->view(95, 10), IoError);
  std::vector<uint8_t> none;
  EXPECT_NO_THROW(src->read(100, none));
}

TEST(Storage, EmptyFile) {
  TempDir dir;
  std::string p = (dir.path / "empty").string();
  write_file_atomic(p, {});
  auto src = open_file(p);
  EXPECT_EQ(src->size(), 0u);
  std::vector<uint8_t> buf(1);
  EXPECT_THROW(src->read(0, buf), IoError);
}

TEST(Storage, OpenErrorsNamePathAndErrno) {
  TempDir dir;
  std::string missing = (dir.path / "nope.parquet").string();
  std::string msg = message_of([&] { open_file(missing); });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
  EXPECT_NE(msg.find(std::strerror(ENOENT)), std::string::npos) << msg;
  msg = message_of([&] { open_file(dir.path.string()); });
  EXPECT_NE(msg.find("directory"), std::string::npos) << msg;
  msg = message_of([&] { list_dir(missing); });
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
  msg = message_of([&] { write_file_atomic((dir.path / "no_dir" / "x").string(), pattern(3)); });
  EXPECT_NE(msg.find("no_dir"), std::string::npos) << msg;
}

TEST(Storage, PreadPathWhenMappingIsDisabled) {
  TempDir dir;
  std::string p = (dir.path / "p.bin").string();
  auto bytes = pattern(100000);
  write_file_atomic(p, bytes);
  ::setenv("ASTROLAKE_NO_MMAP", "1", 1);
  auto src = open_file(p);
  ::unsetenv("ASTROLAKE_NO_MMAP");
  EXPECT_TRUE(src->view(0, 10).empty());  // no mapping, so no zero-copy view
  std::vector<uint8_t> got(5000);
  src->read(95000, got);
  EXPECT_EQ(0, std::memcmp(got.data(), bytes.data() + 95000, got.size()));
  EXPECT_THROW(src->read(95001, got), IoError);
  // The file shrinking under us is reported, not read as garbage.
  ASSERT_EQ(::truncate(p.c_str(), 96000), 0);
  std::string msg = message_of([&] { src->read(95000, got); });
  EXPECT_NE(msg.find(p), std::string::npos) << msg;
}

TEST(Storage, PreadFallbackForUnmappableFiles) {
  // A character device reports size 0; it must open without mapping and give no view.
  auto src = open_file("/dev/null");
  EXPECT_EQ(src->size(), 0u);
  EXPECT_TRUE(src->view(0, 0).empty());
}

TEST(Storage, ListDirSortedNamesOnly) {
  TempDir dir;
  for (const char* n : {"Npix=11.parquet", "Npix=2.parquet", "_metadata", "Dir=0"}) {
    if (std::string(n) == "Dir=0")
      fs::create_directory(dir.path / n);
    else
      write_file_atomic((dir.path / n).string(), pattern(1));
  }
  auto names = list_dir(dir.path.string());
  std::vector<std::string> want{"Dir=0", "Npix=11.parquet", "Npix=2.parquet", "_metadata"};
  EXPECT_EQ(names, want);
}

TEST(Storage, MemorySource) {
  auto src = memory_source(pattern(64), "mem:x");
  EXPECT_EQ(src->size(), 64u);
  EXPECT_EQ(src->name(), "mem:x");
  std::vector<uint8_t> buf(4);
  src->read(60, buf);
  EXPECT_EQ(buf[0], pattern(64)[60]);
  auto v = src->view(0, 64);
  EXPECT_EQ(v.size(), 64u);
  std::string msg = message_of([&] { src->read(61, buf); });
  EXPECT_NE(msg.find("mem:x"), std::string::npos) << msg;
  EXPECT_THROW(src->view(65, 0), IoError);
}

TEST(Storage, ConcurrentAtomicWritersDoNotCollide) {
  TempDir dir;
  std::string p = (dir.path / "shared.bin").string();
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) write_file_atomic(p, std::vector<uint8_t>(1000 + t, uint8_t(t)));
    });
  for (auto& t : ts) t.join();
  auto src = open_file(p);
  ASSERT_GE(src->size(), 1000u);
  std::vector<uint8_t> all(src->size());
  src->read(0, all);
  // Whole-file replacement: the content is one writer's, never a mix.
  for (uint8_t b : all) ASSERT_EQ(b, all[0]);
  EXPECT_EQ(src->size(), 1000u + all[0]);
  EXPECT_EQ(list_dir(dir.path.string()).size(), 1u);
}
