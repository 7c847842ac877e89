// Reading pyarrow-written HATS fixtures, checked against the raw CSV and internal facts, and
// corrupt inputs that must fail with FormatError (never a crash).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <unistd.h>
#include <map>
#include <sstream>
#include <thread>

#include "parquet/metadata.h"
#include "parquet/reader.h"
#include "parquet/writer.h"
#include "storage/source.h"

using namespace astrolake;
using namespace astrolake::parquet;

static std::string data(const std::string& f) { return std::string(AL_TEST_DATA) + "/parquet/" + f; }

static std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct CsvRow { double ra, dec; int64_t ra_error, dec_error; };

static std::map<int64_t, CsvRow> small_sky_csv() {
  std::ifstream in(data("small_sky.csv"));
  std::string line;
  std::getline(in, line);
  std::map<int64_t, CsvRow> rows;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string f[5];
    for (auto& x : f) std::getline(ss, x, ',');
    rows[std::stoll(f[0])] = {std::stod(f[1]), std::stod(f[2]), std::stoll(f[3]), std::stoll(f[4])};
  }
  return rows;
}

TEST(Reader, SmallSkyMatchesCsv) {
  auto r = FileReader::open(data("small_sky_Npix11.parquet"));
  EXPECT_EQ(r->rows(), 131);
  ASSERT_EQ(r->schema().size(), 6u);
  EXPECT_EQ(r->schema()[0].name, "_healpix_29");
  EXPECT_EQ(r->schema()[0].type, Type::Int64);
  EXPECT_EQ(r->schema()[2].type, Type::Double);
  EXPECT_EQ(r->schema()[4].type, Type::Int64);
  EXPECT_NE(r->created_by().find("parquet-cpp-arrow"), std::string::npos);
  bool arrow_schema = false;
  for (auto& [k, v] : r->key_value()) arrow_schema |= k == "ARROW:schema";
  EXPECT_TRUE(arrow_schema);
  EXPECT_GT(r->footer_bytes().size(), 100u);

  auto csv = small_sky_csv();
  ASSERT_EQ(csv.size(), 131u);
  Table t = r->read();
  ASSERT_EQ(t.rows(), 131u);
  const Column& id = t.col("id");
  const Column& ra = t.col("ra");
  const Column& dec = t.col("dec");
  const Column& hp = t.col("_healpix_29");
  int64_t hmin = INT64_MAX, hmax = INT64_MIN;
  for (size_t i = 0; i < 131; i++) {
    int64_t k = id.values_as<int64_t>()[i];
    ASSERT_TRUE(csv.count(k)) << k;
    EXPECT_EQ(ra.values_as<double>()[i], csv[k].ra);
    EXPECT_EQ(dec.values_as<double>()[i], csv[k].dec);
    EXPECT_EQ(t.col("ra_error").values_as<int64_t>()[i], csv[k].ra_error);
    csv.erase(k);
    hmin = std::min(hmin, hp.values_as<int64_t>()[i]);
    hmax = std::max(hmax, hp.values_as<int64_t>()[i]);
  }
  EXPECT_TRUE(csv.empty());
  // Footer statistics (EXPECTED.md section 1) and their agreement with the data.
  const RowGroupInfo& g = r->row_group(0);
  ASSERT_EQ(g.stats.size(), 6u);
  EXPECT_TRUE(g.stats[0].has_min_max);
  EXPECT_EQ(int64_t(g.stats[0].min), int64_t(double(3187422220182231470)));
  EXPECT_EQ(hmin, 3187422220182231470);
  EXPECT_EQ(hmax, 3424180623569024089);
  EXPECT_EQ(g.stats[2].min, 280.5);
  EXPECT_EQ(g.stats[2].max, 350.5);
  EXPECT_TRUE(g.stats[2].has_null_count);
  EXPECT_EQ(g.stats[2].null_count, 0);
}

TEST(Reader, ProjectionOrderAndMissingColumn) {
  auto r = FileReader::open(data("small_sky_Npix11.parquet"));
  Table t = r->read_row_group(0, {"dec", "id"});
  ASSERT_EQ(t.columns.size(), 2u);
  EXPECT_EQ(t.columns[0].field.name, "dec");
  EXPECT_EQ(t.columns[1].field.name, "id");
  EXPECT_EQ(t.columns[1].values_as<int64_t>()[0], 707);
  try {
    r->read({"nope"});
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("no column 'nope'"), std::string::npos);
  }
}

TEST(Reader, ConcurrentRowGroupReads) {
  auto r = FileReader::open(data("small_sky_Npix11.parquet"));
  Table want = r->read_row_group(0);
  std::vector<std::thread> ts;
  std::atomic<int> bad{0};
  for (int k = 0; k < 4; k++)
    ts.emplace_back([&] {
      for (int i = 0; i < 50; i++) {
        Table t = r->read_row_group(0, {"ra", "_healpix_29"});
        if (std::memcmp(t.columns[0].data.data(), want.col("ra").data.data(), 131 * 8) != 0) bad++;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad, 0);
}

TEST(Reader, SummaryMetadataFile) {
  auto r = FileReader::open(data("small_sky_source_metadata"));
  EXPECT_EQ(r->rows(), 17161);
  EXPECT_EQ(r->row_groups(), 14);
  int64_t sum = 0;
  for (int g = 0; g < r->row_groups(); g++) {
    sum += r->row_group(g).rows;
    EXPECT_NE(r->row_group(g).file_path.find("Npix="), std::string::npos);
  }
  EXPECT_EQ(sum, 17161);
  EXPECT_EQ(r->schema()[6].name, "band");
  EXPECT_EQ(r->schema()[6].type, Type::String);
  EXPECT_THROW(r->read_row_group(0), FormatError);  // the data is in other files
}

TEST(Reader, SnappyMarginFile) {
  auto r = FileReader::open(data("margin_snappy_Npix4.parquet"));
  Table t = r->read();
  ASSERT_EQ(t.rows(), 1u);
  EXPECT_EQ(t.col("id").values_as<int64_t>()[0], 779);
  EXPECT_EQ(t.col("ra").values_as<double>()[0], 347.5);
  EXPECT_EQ(t.col("dec").values_as<double>()[0], -29.5);
}

TEST(Reader, NestedStructOfLists) {
  auto r = FileReader::open(data("nested_Npix44.parquet"));
  Table t = r->read();
  ASSERT_EQ(t.rows(), 42u);
  const Column& ra = t.col("ra");
  const Column& ora = t.col("sources.object_ra");
  const Column& band = t.col("sources.band");
  const Column& sid = t.col("sources.source_id");
  ASSERT_TRUE(ora.field.list);
  EXPECT_EQ(band.field.type, Type::String);
  ASSERT_EQ(ora.list_offsets.size(), 43u);
  // Every source's object_ra is its parent row's ra, and sibling lists line up.
  size_t total = 0;
  for (size_t row = 0; row < 42; row++) {
    EXPECT_FALSE(ora.is_null(row));
    for (int64_t e = ora.list_offsets[row]; e < ora.list_offsets[row + 1]; e++)
      EXPECT_EQ(ora.values_as<double>()[e], ra.values_as<double>()[row]);
    EXPECT_EQ(sid.list_offsets[row], ora.list_offsets[row]);
    total += size_t(ora.list_offsets[row + 1] - ora.list_offsets[row]);
  }
  EXPECT_EQ(total, ora.values());
  EXPECT_EQ(band.values(), total);
  for (size_t i = 0; i < band.values(); i++) {
    auto b = band.string_at(i);
    EXPECT_EQ(b.size(), 1u);
    EXPECT_NE(std::string("ugrizy").find(b), std::string::npos) << b;
  }
}

TEST(Reader, LegacyUnsignedColumns) {
  auto r = FileReader::open(data("legacy_object_Npix11.parquet"));
  Table t = r->read({"Norder", "Npix", "_hipscat_index", "ra"});
  EXPECT_EQ(t.columns[0].field.type, Type::UInt8);
  EXPECT_EQ(t.columns[1].field.type, Type::UInt64);
  EXPECT_EQ(t.columns[2].field.type, Type::UInt64);
  ASSERT_EQ(t.rows(), 131u);
  for (size_t i = 0; i < 131; i++) {
    EXPECT_EQ(t.columns[0].values_as<uint8_t>()[i], 0);
    EXPECT_EQ(t.columns[1].values_as<uint64_t>()[i], 11u);
    // The hipscat index is above 2^63 here, so it must be read as unsigned.
    EXPECT_EQ(t.columns[2].values_as<uint64_t>()[i] >> 60, 11u);
  }
  const ColumnStats& s = r->row_group(0).stats[8];  // _hipscat_index
  if (s.has_min_max) EXPECT_GT(s.min, 9.2e18);
}

// ---- corrupt input -------------------------------------------------------------------

static void expect_format_error_or_ok(std::vector<uint8_t> bytes, const std::string& what) {
  try {
    auto r = FileReader::open(storage::memory_source(std::move(bytes), "corrupt.parquet"));
    for (int g = 0; g < r->row_groups(); g++) r->read_row_group(g);
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt.parquet"), std::string::npos) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": wrong exception type: " << e.what();
  }
}

TEST(ReaderCorrupt, TruncatedEverywhere) {
  for (const char* f : {"small_sky_Npix11.parquet", "nested_Npix44.parquet", "margin_snappy_Npix4.parquet"}) {
    auto bytes = slurp(data(f));
    for (size_t n = 0; n < bytes.size(); n += (n < 64 ? 1 : 97)) {
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + ptrdiff_t(n));
      EXPECT_THROW(FileReader::open(storage::memory_source(cut, "cut.parquet")), FormatError) << f << " at " << n;
    }
  }
}

TEST(ReaderCorrupt, FlippedBytesNeverCrash) {
  for (const char* f : {"small_sky_Npix11.parquet", "nested_Npix44.parquet", "margin_snappy_Npix4.parquet",
                        "legacy_object_Npix11.parquet"}) {
    auto bytes = slurp(data(f));
    uint32_t seed = 12345;
    for (int k = 0; k < 300; k++) {
      auto b = bytes;
      seed = seed * 1103515245 + 12345;
      size_t at = (seed >> 8) % b.size();
      b[at] ^= uint8_t(1 + (seed >> 3) % 255);
      expect_format_error_or_ok(std::move(b), std::string(f) + " flip at " + std::to_string(at));
    }
    // Every byte of the footer, one at a time.
    uint32_t flen;
    std::memcpy(&flen, bytes.data() + bytes.size() - 8, 4);
    for (size_t at = bytes.size() - 8 - flen; at < bytes.size(); at++) {
      auto b = bytes;
      b[at] ^= 0x55;
      expect_format_error_or_ok(std::move(b), std::string(f) + " footer flip at " + std::to_string(at));
    }
  }
}

TEST(ReaderCorrupt, LyingFooterLengthAndMagic) {
  auto bytes = slurp(data("small_sky_Npix11.parquet"));
  for (uint32_t len : {0u, 1u, 7u, uint32_t(bytes.size()), uint32_t(bytes.size() - 12), 0xffffffffu}) {
    auto b = bytes;
    std::memcpy(b.data() + b.size() - 8, &len, 4);
    try {
      FileReader::open(storage::memory_source(b, "lie.parquet"));
      ADD_FAILURE() << "footer length " << len << " accepted";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("lie.parquet"), std::string::npos);
    }
  }
  auto b = bytes;
  b[0] = 'X';
  try {
    FileReader::open(storage::memory_source(b, "magic.parquet"));
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("bad magic"), std::string::npos);
  }
}

// A page header claiming far more uncompressed bytes than its codec can make of the stored
// bytes is rejected before anything is allocated for it; data that really compresses that
// well (all zeros) still reads.
TEST(ReaderCorrupt, PageSizeBeyondWhatTheCodecCanExpandTo) {
  Table t;
  t.columns.emplace_back(Field{"x", Type::Double});
  for (int i = 0; i < 100000; i++) t.columns[0].push<double>(0.0);
  std::string path = "/tmp/al_ratio_" + std::to_string(getpid()) + ".parquet";
  for (Codec codec : {Codec::Snappy, Codec::Gzip, Codec::Zstd}) {
    WriteOptions o;
    o.codec = codec;
    o.dictionary = false;
    write_table(path, t, o);
    std::vector<uint8_t> bytes = slurp(path);
    std::remove(path.c_str());
    EXPECT_EQ(FileReader::open(storage::memory_source(bytes, "zeros.parquet"))->read().rows(), 100000u);
    // The same file rebuilt with its first page claiming 900 MiB.
    uint32_t flen;
    std::memcpy(&flen, bytes.data() + bytes.size() - 8, 4);
    meta::FileMetaData md = meta::parse_file_metadata(std::span(bytes.data() + bytes.size() - 8 - flen, flen));
    meta::ColumnMetaData& m = *md.row_groups[0].columns[0].meta;
    size_t consumed = 0;
    size_t at = size_t(m.data_page_offset);
    meta::PageHeader h = meta::parse_page_header(std::span(bytes.data() + at, bytes.size() - at), consumed);
    std::vector<uint8_t> body(bytes.begin() + ptrdiff_t(at + consumed),
                              bytes.begin() + ptrdiff_t(at + consumed + size_t(h.compressed_size)));
    h.uncompressed_size = 900 << 20;
    std::vector<uint8_t> hb, out = {'P', 'A', 'R', '1'};
    meta::serialize(h, hb);
    out.insert(out.end(), hb.begin(), hb.end());
    out.insert(out.end(), body.begin(), body.end());
    m.data_page_offset = 4;
    m.dictionary_page_offset.reset();
    m.total_compressed_size = int64_t(hb.size() + body.size());
    m.total_uncompressed_size = int64_t(hb.size()) + (900 << 20);
    md.row_groups[0].columns[0].file_offset = 4;
    md.row_groups[0].file_offset.reset();
    md.row_groups[0].total_compressed_size.reset();
    std::vector<uint8_t> fb;
    meta::serialize(md, fb);
    out.insert(out.end(), fb.begin(), fb.end());
    uint32_t n = uint32_t(fb.size());
    out.insert(out.end(), reinterpret_cast<uint8_t*>(&n), reinterpret_cast<uint8_t*>(&n) + 4);
    out.insert(out.end(), {'P', 'A', 'R', '1'});
    try {
      FileReader::open(storage::memory_source(out, "lying.parquet"))->read();
      ADD_FAILURE() << "codec " << int(codec) << ": accepted";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("page claims 943718400 uncompressed bytes from " + std::to_string(body.size()) +
                                           " stored bytes, more than"),
                std::string::npos)
          << e.what();
    }
  }
}
