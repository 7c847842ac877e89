// The HTTP file system against nginx serving the HATS fixtures.
#include <gtest/gtest.h>

#include "fault_proxy.h"
#include "servers.h"
#include "storage/file_system.h"

using namespace astrolake;
using namespace astrolake::storage;
using astrolake::test::Servers;

namespace {
const char* kFile = "small_sky_source/dataset/Norder=1/Dir=0/Npix=47.parquet";

std::string local_bytes(const std::string& rel) { return local_file_system()->read_file(Servers::served_dir() + "/" + rel); }
}  // namespace

TEST(Http, RangeReadsEqualLocalBytes) {
  std::string want = local_bytes(kFile);
  auto src = http_file_system()->open(Servers::http_base() + "/" + kFile);
  ASSERT_EQ(src->size(), want.size());
  for (uint64_t off : {uint64_t(0), uint64_t(4), uint64_t(want.size() / 3)}) {
    std::string got(std::min<size_t>(1000, want.size() - off), '\0');
    src->read(off, std::span<uint8_t>(reinterpret_cast<uint8_t*>(got.data()), got.size()));
    EXPECT_EQ(got, want.substr(off, got.size()));
  }
  EXPECT_EQ(http_file_system()->stat(Servers::http_base() + "/" + kFile), want.size());
  EXPECT_FALSE(http_file_system()->stat(Servers::http_base() + "/missing"));
}

TEST(Http, MissingFileIsAClearError) {
  try {
    http_file_system()->open(Servers::http_base() + "/small_sky/nothing.parquet");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/small_sky/nothing.parquet: HTTP 404"), std::string::npos) << e.what();
  }
}

TEST(Http, TruncatedAndFailedResponsesAreRetried) {
  std::string want = local_bytes(kFile);
  test::FaultProxy proxy(Servers::http_port, [](int i) {
    return i % 2 == 0 ? test::Fault::truncate : (i % 3 == 0 ? test::Fault::reset : test::Fault::none);
  });
  std::string base = "http://127.0.0.1:" + std::to_string(proxy.port());
  EXPECT_EQ(http_file_system()->read_file(base + "/" + kFile), want);
}
