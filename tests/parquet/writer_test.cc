// Writer specifics: footer contents (types, encodings, statistics, key-value), atomic
// writes, input validation, and the dataset summary files.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "parquet/metadata.h"
#include "parquet/reader.h"
#include "parquet/writer.h"

using namespace astrolake::parquet;
namespace fs = std::filesystem;

static std::string tmpdir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("al_parquet_w_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

static Table sample(size_t n, int64_t base = 0) {
  Table t;
  t.columns.emplace_back(Field{"id", Type::Int64, false});
  t.columns.emplace_back(Field{"ra", Type::Double, true});
  t.columns.emplace_back(Field{"band", Type::String, true});
  t.columns.emplace_back(Field{"norder", Type::UInt8, false});
  t.columns.emplace_back(Field{"npix", Type::UInt64, false});
  t.columns.emplace_back(Field{"t", Type::TimestampMicros, false});
  for (size_t i = 0; i < n; i++) {
    t.columns[0].push(base + int64_t(i));
    if (i == 5) t.columns[1].push_null(); else t.columns[1].push(double(i) - 10.5);
    if (i == 6) t.columns[2].push_null(); else t.columns[2].push_string(std::string(1, "ugriz"[i % 5]));
    t.columns[3].push(uint8_t(200 + i % 50));
    t.columns[4].push(uint64_t(1) << 63 | i);
    t.columns[5].push(int64_t(1600000000000000 + i));
  }
  return t;
}

TEST(Writer, FooterTypesEncodingsStats) {
  std::string path = tmpdir("footer") + "/a.parquet";
  WriteOptions o;
  o.key_value = {{"hats", "yes"}, {"ARROW:schema", "x"}};
  write_table(path, sample(1000), o);
  auto r = FileReader::open(path);
  meta::FileMetaData md = meta::parse_file_metadata(r->footer_bytes());
  EXPECT_EQ(*md.created_by, "astrolake");
  ASSERT_EQ(md.key_value.size(), 2u);
  EXPECT_EQ(md.key_value[0].key, "hats");
  EXPECT_EQ(*md.key_value[0].value, "yes");
  ASSERT_EQ(md.schema.size(), 7u);
  EXPECT_EQ(*md.schema[3].converted_type, meta::CT_UTF8);
  EXPECT_EQ(md.schema[3].logical.kind, meta::LogicalType::STRING);
  EXPECT_EQ(*md.schema[4].converted_type, meta::CT_UINT_8);
  EXPECT_EQ(md.schema[4].logical.bit_width, 8);
  EXPECT_FALSE(md.schema[4].logical.is_signed);
  EXPECT_EQ(*md.schema[5].converted_type, meta::CT_UINT_64);
  EXPECT_EQ(md.schema[6].logical.kind, meta::LogicalType::TIMESTAMP);
  EXPECT_EQ(md.schema[6].logical.unit, meta::LogicalType::MICROS);
  EXPECT_EQ(*md.schema[1].repetition, meta::REQUIRED);
  EXPECT_EQ(*md.schema[2].repetition, meta::OPTIONAL);
  const auto& cols = md.row_groups[0].columns;
  auto has = [](const std::vector<int32_t>& v, int32_t e) { return std::find(v.begin(), v.end(), e) != v.end(); };
  EXPECT_FALSE(has(cols[0].meta->encodings, meta::RLE_DICTIONARY));  // ids: all distinct
  EXPECT_TRUE(has(cols[2].meta->encodings, meta::RLE_DICTIONARY));   // band: 5 values
  EXPECT_TRUE(cols[2].meta->dictionary_page_offset.has_value());
  EXPECT_EQ(cols[0].meta->codec, 6);  // ZSTD default

  const auto& st = r->row_group(0).stats;
  EXPECT_EQ(st[0].min, 0);
  EXPECT_EQ(st[0].max, 999);
  EXPECT_EQ(st[1].min, -10.5);
  EXPECT_EQ(st[1].max, 988.5);
  EXPECT_EQ(st[1].null_count, 1);
  EXPECT_EQ(st[2].min_str, "g");
  EXPECT_EQ(st[2].max_str, "z");
  EXPECT_EQ(st[2].null_count, 1);
  EXPECT_EQ(st[3].min, 200);
  EXPECT_EQ(st[3].max, 249);
  EXPECT_EQ(st[4].min, double(uint64_t(1) << 63));  // unsigned order, not negative
}

TEST(Writer, AtomicAndValidated) {
  std::string dir = tmpdir("atomic");
  std::string path = dir + "/x.parquet";
  {
    FileWriter w(path, {Field{"a", Type::Int32, false}});
    Table t;
    t.columns.emplace_back(Field{"a", Type::Int32, false});
    t.columns[0].push(int32_t(1));
    w.write(t);
    // destroyed without close()
  }
  EXPECT_TRUE(fs::is_empty(dir)) << "temp file left behind";
  EXPECT_FALSE(fs::exists(path));

  FileWriter w(path, {Field{"a", Type::Int32, false}});
  Table wrong;
  wrong.columns.emplace_back(Field{"a", Type::Double, false});
  wrong.columns[0].push(1.0);
  EXPECT_THROW(w.write(wrong), std::invalid_argument);
  Table nulls;
  nulls.columns.emplace_back(Field{"a", Type::Int32, false});
  nulls.columns[0].push_null();
  EXPECT_THROW(w.write(nulls), std::invalid_argument);  // null in a non-nullable column
}

TEST(Writer, EmptyTable) {
  std::string path = tmpdir("empty") + "/e.parquet";
  write_table(path, sample(0));
  auto r = FileReader::open(path);
  EXPECT_EQ(r->rows(), 0);
  Table t = r->read();
  EXPECT_EQ(t.columns.size(), 6u);
  EXPECT_EQ(t.rows(), 0u);
}

TEST(Writer, MetadataFiles) {
  std::string dir = tmpdir("dataset");
  fs::create_directories(dir + "/Norder=0/Dir=0");
  WriteOptions o;
  o.row_group_rows = 40;
  o.key_value = {{"k", "v"}};
  write_table(dir + "/Norder=0/Dir=0/Npix=1.parquet", sample(100, 0), o);
  write_table(dir + "/Norder=0/Dir=0/Npix=2.parquet", sample(30, 1000), o);
  write_metadata_files(dir, {"Norder=0/Dir=0/Npix=1.parquet", "Norder=0/Dir=0/Npix=2.parquet"});

  auto m = FileReader::open(dir + "/_metadata");
  EXPECT_EQ(m->rows(), 130);
  ASSERT_EQ(m->row_groups(), 4);
  EXPECT_EQ(m->row_group(0).file_path, "Norder=0/Dir=0/Npix=1.parquet");
  EXPECT_EQ(m->row_group(3).file_path, "Norder=0/Dir=0/Npix=2.parquet");
  EXPECT_EQ(m->row_group(3).stats[0].min, 1000);
  ASSERT_EQ(m->key_value().size(), 1u);
  // Offsets in _metadata are those of the data file: identical chunk metadata.
  auto f1 = FileReader::open(dir + "/Norder=0/Dir=0/Npix=1.parquet");
  meta::FileMetaData mm = meta::parse_file_metadata(m->footer_bytes());
  meta::FileMetaData m1 = meta::parse_file_metadata(f1->footer_bytes());
  for (int g = 0; g < 3; g++)
    for (size_t c = 0; c < 6; c++) {
      EXPECT_EQ(mm.row_groups[g].columns[c].meta->data_page_offset, m1.row_groups[g].columns[c].meta->data_page_offset);
      EXPECT_EQ(mm.row_groups[g].columns[c].meta->total_compressed_size, m1.row_groups[g].columns[c].meta->total_compressed_size);
    }

  auto c = FileReader::open(dir + "/_common_metadata");
  EXPECT_EQ(c->rows(), 0);
  EXPECT_EQ(c->row_groups(), 0);
  EXPECT_EQ(c->schema().size(), 6u);
  EXPECT_EQ(c->schema()[2].type, Type::String);
  EXPECT_EQ(c->key_value().size(), 1u);
}

TEST(Writer, FloatChunksThatDoNotCompressAreStoredUncompressed) {
  // Noise doubles shrink by a few percent under zstd and are stored uncompressed (fast to
  // read); doubles on a coarse grid and the integer ids still compress and keep the codec.
  Table t;
  t.columns.emplace_back(Field{"id", Type::Int64, false});
  t.columns.emplace_back(Field{"noise", Type::Double, true});
  t.columns.emplace_back(Field{"grid", Type::Double, false});
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < 50000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    t.columns[0].push(int64_t(i));
    if (i % 1000 == 3) t.columns[1].push_null(); else t.columns[1].push(double(x >> 11) * 0x1p-53 * 360);
    t.columns[2].push(double(i % 3000) * 0.25 + double(i / 3000));
  }
  std::string path = tmpdir("codec_choice") + "/a.parquet";
  WriteOptions o;
  o.row_group_rows = 20000;
  write_table(path, t, o);
  auto r = FileReader::open(path);
  meta::FileMetaData md = meta::parse_file_metadata(r->footer_bytes());
  ASSERT_EQ(md.row_groups.size(), 3u);
  for (const auto& rg : md.row_groups) {
    EXPECT_EQ(rg.columns[0].meta->codec, 6);  // ZSTD
    EXPECT_EQ(rg.columns[1].meta->codec, 0);  // UNCOMPRESSED
    EXPECT_EQ(rg.columns[2].meta->codec, 6);
  }
  Table back = r->read();
  ASSERT_EQ(back.rows(), t.rows());
  for (size_t c = 0; c < t.columns.size(); c++) {
    ASSERT_EQ(back.columns[c].data.size(), t.columns[c].data.size()) << c;
    EXPECT_EQ(std::memcmp(back.columns[c].data.data(), t.columns[c].data.data(), t.columns[c].data.size()), 0) << c;
  }
  EXPECT_EQ(back.columns[1].is_null(3), true);
  // Uncompressed everywhere when asked, as before.
  o.codec = Codec::Uncompressed;
  write_table(path, t, o);
  md = meta::parse_file_metadata(FileReader::open(path)->footer_bytes());
  EXPECT_EQ(md.row_groups[0].columns[0].meta->codec, 0);
}

static std::vector<uint8_t> file_bytes(const std::string& path) {
  std::vector<uint8_t> b(fs::file_size(path));
  FILE* f = std::fopen(path.c_str(), "rb");
  EXPECT_EQ(std::fread(b.data(), 1, b.size(), f), b.size());
  std::fclose(f);
  return b;
}

TEST(Writer, EncodedRowGroupsAppendAsWriteWouldWrite) {
  std::string d = tmpdir("encoded");
  WriteOptions opts;
  opts.row_group_rows = 1000;
  Table t = sample(3000);
  std::vector<Field> schema;
  for (const Column& c : t.columns) schema.push_back(c.field);
  write_table(d + "/a.parquet", t, opts);
  {
    FileWriter w(d + "/b.parquet", schema, opts);
    w.append(FileWriter::encode(schema, t, opts));
    w.close();
  }
  // The same row groups, encoded apart and appended: the same file, byte for byte.
  EXPECT_EQ(file_bytes(d + "/a.parquet"), file_bytes(d + "/b.parquet"));

  // Rows written, then row groups encoded on other threads appended in order, then rows again:
  // the same rows as writing the three tables one after the other.
  Table p1 = sample(700), p2 = sample(1800, 700), p3 = sample(50, 2500), p4 = sample(1200, 2550);
  EncodedRowGroups e2, e4;
  std::thread t2([&] { e2 = FileWriter::encode(schema, p2, opts); });
  std::thread t4([&] { e4 = FileWriter::encode(schema, p4, opts); });
  t2.join();
  t4.join();
  EXPECT_EQ(e2.rows, 1800);
  EXPECT_EQ(e2.groups.size(), 2u);
  {
    FileWriter w(d + "/c.parquet", schema, opts);
    w.write(p1);
    w.append(std::move(e2));
    w.write(p3);
    w.append(std::move(e4));
    w.close();
    FileWriter v(d + "/d.parquet", schema, opts);
    for (const Table* p : {&p1, &p2, &p3, &p4}) v.write(*p);
    v.close();
  }
  auto c = FileReader::open(d + "/c.parquet"), want = FileReader::open(d + "/d.parquet");
  EXPECT_EQ(c->row_groups(), 6);  // 700 | 1000 800 | 50 | 1000 200
  Table got = c->read(), ref = want->read();
  ASSERT_EQ(got.rows(), 3750u);
  for (size_t i = 0; i < ref.columns.size(); i++) {
    SCOPED_TRACE(ref.columns[i].field.name);
    EXPECT_EQ(got.columns[i].valid, ref.columns[i].valid);
    EXPECT_EQ(got.columns[i].offsets, ref.columns[i].offsets);
    ASSERT_EQ(got.columns[i].data.size(), ref.columns[i].data.size());
    EXPECT_EQ(std::memcmp(got.columns[i].data.data(), ref.columns[i].data.data(), ref.columns[i].data.size()), 0);
  }
  EXPECT_EQ(got.columns[0].values_as<int64_t>()[3749], 3749);
  // Row groups of another schema are refused.
  std::vector<Field> other(schema.begin(), schema.begin() + 2);
  FileWriter w(d + "/e.parquet", other, opts);
  EXPECT_THROW(w.append(FileWriter::encode(schema, p1, opts)), std::invalid_argument);
}
