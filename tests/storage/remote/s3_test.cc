// The S3 file system against a real radosgw (which verifies SigV4 itself).
#include <gtest/gtest.h>

#include <random>

#include "fault_proxy.h"
#include "servers.h"
#include "parquet/reader.h"
#include "storage/file_system.h"
#include "storage/http.h"
#include "storage/s3.h"

using namespace astrolake;
using namespace astrolake::storage;
using astrolake::test::Servers;

namespace {

std::string bytes_of(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  std::mt19937 g(seed);
  for (auto& c : s) c = char(g());
  return s;
}

std::string url(const std::string& key) { return "s3://" + test::kBucket + "/" + key; }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const IoError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(S3, WriteStatReadListRemove) {
  auto s3 = make_s3_file_system(Servers::s3_config());
  std::string data = bytes_of(200000, 1);
  s3->write_file(url("t1/dir/a.bin"), data);
  s3->write_file(url("t1/b b+c.txt"), std::string("odd key"));  // characters that need encoding
  EXPECT_EQ(s3->stat(url("t1/dir/a.bin")), 200000u);
  EXPECT_FALSE(s3->stat(url("t1/missing")));
  EXPECT_EQ(s3->read_file(url("t1/dir/a.bin")), data);
  EXPECT_EQ(s3->read_file(url("t1/b b+c.txt")), "odd key");
  // A range in the middle (not in the tail fetched at open).
  auto src = s3->open(url("t1/dir/a.bin"));
  EXPECT_EQ(src->size(), 200000u);
  std::string mid(1000, '\0');
  src->read(5000, std::span<uint8_t>(reinterpret_cast<uint8_t*>(mid.data()), mid.size()));
  EXPECT_EQ(mid, data.substr(5000, 1000));
  std::string past(10, '\0');
  EXPECT_NE(error_of([&] { src->read(199995, std::span<uint8_t>(reinterpret_cast<uint8_t*>(past.data()), 10)); })
                .find("past the end"),
            std::string::npos);

  auto entries = s3->list(url("t1"));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "b b+c.txt");
  EXPECT_FALSE(entries[0].is_dir);
  EXPECT_EQ(entries[0].size, 7u);
  EXPECT_EQ(entries[1].name, "dir");
  EXPECT_TRUE(entries[1].is_dir);
  s3->remove_all(url("t1"));
  EXPECT_TRUE(s3->list(url("t1")).empty());
  EXPECT_FALSE(s3->stat(url("t1/dir/a.bin")));
}

TEST(S3, ListingFollowsContinuation) {
  S3Config c = Servers::s3_config();
  c.list_page = 2;
  auto s3 = make_s3_file_system(c);
  for (int i = 0; i < 7; ++i) s3->write_file(url("t2/f" + std::to_string(i)), std::to_string(i));
  uint64_t before = http_request_count();
  auto entries = s3->list(url("t2"));
  EXPECT_EQ(http_request_count() - before, 4u);  // 7 keys, 2 per page
  ASSERT_EQ(entries.size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(entries[i].name, "f" + std::to_string(i));
  s3->remove_all(url("t2"));
}

TEST(S3, MultipartUploadAndAbandon) {
  S3Config c = Servers::s3_config();
  c.part_size = 5 << 20;
  auto s3 = make_s3_file_system(c);
  std::string data = bytes_of((12 << 20) + 123, 2);
  {
    auto f = s3->create(url("t3/big.bin"));
    for (size_t off = 0; off < data.size(); off += 1 << 20) {
      size_t n = std::min<size_t>(1 << 20, data.size() - off);
      f->append(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data() + off), n));
    }
    EXPECT_FALSE(s3->stat(url("t3/big.bin")));  // parts uploaded, object not there until commit
    f->commit();
  }
  EXPECT_EQ(s3->stat(url("t3/big.bin")), data.size());
  EXPECT_EQ(s3->read_file(url("t3/big.bin")), data);
  {
    auto f = s3->create(url("t3/dropped.bin"));
    f->append(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), 11 << 20));
  }  // destroyed without commit: the multipart upload is aborted
  EXPECT_FALSE(s3->stat(url("t3/dropped.bin")));
  s3->remove_all(url("t3"));
}

TEST(S3, ErrorsNameTheUrlAndTheS3Code) {
  auto s3 = make_s3_file_system(Servers::s3_config());
  std::string e = error_of([&] { s3->open(url("nope/none.parquet")); });
  EXPECT_NE(e.find("s3://astrolake-test/nope/none.parquet"), std::string::npos) << e;
  EXPECT_NE(e.find("NoSuchKey"), std::string::npos) << e;
  S3Config bad = Servers::s3_config();
  bad.creds.secret_key = "wrong";
  e = error_of([&] { make_s3_file_system(bad)->write_file(url("x"), std::string("x")); });
  EXPECT_NE(e.find("SignatureDoesNotMatch"), std::string::npos) << e;
  S3Config anon = Servers::s3_config();
  anon.creds = {};
  e = error_of([&] { make_s3_file_system(anon)->list(url("")); });
  EXPECT_NE(e.find("AccessDenied"), std::string::npos) << e;
  e = error_of([&] { s3->list("s3://no-such-bucket-here/x"); });
  EXPECT_NE(e.find("NoSuchBucket"), std::string::npos) << e;
}

TEST(S3, SurvivesInjectedFaults) {
  auto s3 = make_s3_file_system(Servers::s3_config());
  std::string data = bytes_of(300000, 3);
  s3->write_file(url("t5/a.bin"), data);
  // Every request but every fourth fails one way or another; retries must hide it all.
  test::FaultProxy proxy(Servers::s3_port, [](int i) {
    static const test::Fault cycle[] = {test::Fault::status503, test::Fault::reset, test::Fault::truncate,
                                        test::Fault::none, test::Fault::delay};
    return cycle[i % 5];
  });
  S3Config c = Servers::s3_config();
  c.endpoint = "http://127.0.0.1:" + std::to_string(proxy.port());
  // The Host header is signed, so radosgw sees the proxy's port; it accepts any port for the host.
  auto faulty = make_s3_file_system(c);
  for (int round = 0; round < 3; ++round) {
    auto src = faulty->open(url("t5/a.bin"));
    std::string got(data.size(), '\0');
    src->read(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(got.data()), got.size()));
    EXPECT_EQ(got, data);
  }
  faulty->write_file(url("t5/b.txt"), std::string("written through faults"));
  EXPECT_EQ(s3->read_file(url("t5/b.txt")), "written through faults");
  EXPECT_GT(proxy.requests(), 8);
  s3->remove_all(url("t5"));
}

TEST(S3, PersistentFailureIsAClearError) {
  test::FaultProxy proxy(Servers::s3_port, [](int) { return test::Fault::status503; });
  S3Config c = Servers::s3_config();
  c.endpoint = "http://127.0.0.1:" + std::to_string(proxy.port());
  ::setenv("ASTROLAKE_HTTP_RETRIES", "2", 1);
  auto s3 = make_s3_file_system(c);
  ::unsetenv("ASTROLAKE_HTTP_RETRIES");
  std::string e = error_of([&] { s3->open(url("t6/a.bin")); });
  EXPECT_NE(e.find("/astrolake-test/t6/a.bin"), std::string::npos) << e;
  EXPECT_NE(e.find("503"), std::string::npos) << e;
  EXPECT_NE(e.find("3 attempts"), std::string::npos) << e;
  EXPECT_EQ(proxy.requests(), 3);
}

TEST(S3, ColumnChunksAreFetchedCoalesced) {
  std::string local = std::string(AL_TEST_DATA) + "/hats/small_sky_source/dataset/Norder=1/Dir=0/Npix=47.parquet";
  std::string remote = url("t7/Npix=47.parquet");
  auto s3 = s3_file_system();
  s3->write_file(remote, local_file_system()->read_file(local));
  auto want = parquet::FileReader::open(local)->read({});
  uint64_t before = http_request_count();
  auto reader = parquet::FileReader::open(remote);
  uint64_t opened = http_request_count() - before;
  before = http_request_count();
  auto got = reader->read({});
  uint64_t read = http_request_count() - before;
  ASSERT_GT(got.columns.size(), 5u);
  ASSERT_EQ(got.columns.size(), want.columns.size());
  for (size_t k = 0; k < got.columns.size(); ++k) {
    const auto &g = got.columns[k].data, &w = want.columns[k].data;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(g.data()), g.size()),
              std::string(reinterpret_cast<const char*>(w.data()), w.size()))
        << got.columns[k].field.name;
    EXPECT_EQ(got.columns[k].offsets, want.columns[k].offsets) << got.columns[k].field.name;
  }
  EXPECT_EQ(opened, 1u);  // the tail (footer); the leading magic joins the chunk fetch
  EXPECT_EQ(read, 1u) << "all " << got.columns.size() << " column chunks in one ranged GET";
  s3->remove_all(url("t7"));
}

// A long range comes in 8 MiB pieces fetched in parallel; a read across a piece boundary is
// put together from the pieces, and a second reader of the same object (a later query) finds
// them in the process's block cache.
TEST(S3, LongRangesComeInPiecesAndStayCached) {
  std::string data = bytes_of(20 << 20, 9);
  auto s3 = s3_file_system();
  s3->write_file(url("t8/big"), data);
  auto src = s3->open(url("t8/big"));
  uint64_t before = http_request_count();
  src->prefetch({{1000, 18 << 20}});
  EXPECT_EQ(http_request_count() - before, 3u);  // 8 + 8 + 2 MiB
  std::string got(4 << 20, '\0');
  uint64_t at = (8 << 20) - 1000;
  src->read(at, std::span<uint8_t>(reinterpret_cast<uint8_t*>(got.data()), got.size()));
  EXPECT_EQ(got, data.substr(at, got.size()));
  src->release();
  auto again = s3->open(url("t8/big"));  // a new source: its tail costs one request
  before = http_request_count();
  again->prefetch({{5000, 1 << 20}});
  again->read(at, std::span<uint8_t>(reinterpret_cast<uint8_t*>(got.data()), got.size()));
  EXPECT_EQ(got, data.substr(at, got.size()));
  EXPECT_EQ(http_request_count() - before, 0u) << "served from the block cache";
  // A changed object (another size and ETag) is never served from the old one's blocks.
  std::string changed = bytes_of(20 << 20 | 1, 10);
  s3->write_file(url("t8/big"), changed);
  auto fresh = s3->open(url("t8/big"));
  before = http_request_count();
  fresh->read(at, std::span<uint8_t>(reinterpret_cast<uint8_t*>(got.data()), got.size()));
  EXPECT_EQ(got, changed.substr(at, got.size()));
  EXPECT_EQ(http_request_count() - before, 1u);
  s3->remove_all(url("t8"));
}
