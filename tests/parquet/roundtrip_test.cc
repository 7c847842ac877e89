// Write with our writer, read back with our reader: every type, nulls, empty strings, lists
// with null/empty lists and null elements, every codec, dictionary and plain paths, many
// pages and row groups.
#include <gtest/gtest.h>

#include <filesystem>

#include "parquet/reader.h"
#include "parquet/writer.h"

using namespace astrolake::parquet;
namespace fs = std::filesystem;

static std::string tmpdir() {
  auto d = fs::temp_directory_path() / ("al_parquet_rt_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d.string();
}

// A deterministic table with every type; row i is null in nullable columns when i % 7 == 3.
static Table make_table(size_t n) {
  Table t;
  t.columns.reserve(32);  // the lambdas below hand out references into this vector
  auto add = [&](std::string name, Type type, bool nullable) -> Column& {
    Field f;
    f.name = std::move(name);
    f.type = type;
    f.nullable = nullable;
    t.columns.emplace_back(f);
    return t.columns.back();
  };
  Column& b = add("b", Type::Bool, true);
  Column& i8 = add("i8", Type::Int8, true);
  Column& i16 = add("i16", Type::Int16, false);
  Column& i32 = add("i32", Type::Int32, true);
  Column& i64 = add("i64", Type::Int64, false);
  Column& u8 = add("u8", Type::UInt8, false);
  Column& u16 = add("u16", Type::UInt16, true);
  Column& u32 = add("u32", Type::UInt32, true);
  Column& u64 = add("u64", Type::UInt64, true);
  Column& f32 = add("f32", Type::Float, true);
  Column& f64 = add("f64", Type::Double, false);
  Column& s = add("s", Type::String, true);
  Column& bin = add("bin", Type::Binary, true);
  Column& d = add("d", Type::Date32, true);
  Column& tms = add("tms", Type::TimestampMillis, true);
  Column& tus = add("tus", Type::TimestampMicros, false);
  Column& tns = add("tns", Type::TimestampNanos, true);
  Column& lowcard = add("lowcard", Type::String, false);
  Column& lowint = add("lowint", Type::Int64, false);
  for (size_t i = 0; i < n; i++) {
    bool null = i % 7 == 3;
    auto nn = [&](Column& c, auto v) { if (null) c.push_null(); else c.push(v); };
    nn(b, uint8_t(i % 3 == 0));
    nn(i8, int8_t(int(i % 256) - 128));
    i16.push(int16_t(int(i * 7 % 65536) - 32768));
    nn(i32, int32_t(i * 2654435761u));
    i64.push(int64_t(i) * 1000003 - (int64_t(1) << 62));
    u8.push(uint8_t(255 - i % 256));
    nn(u16, uint16_t(65535 - i % 1000));
    nn(u32, uint32_t(4000000000u + i));
    nn(u64, uint64_t(18000000000000000000ull + i));
    nn(f32, float(i) * 0.5f - 3.25f);
    f64.push(double(i) / 3.0 - 17.0);
    if (null) s.push_null(); else s.push_string(i % 5 == 0 ? "" : "str" + std::to_string(i * 31));
    if (null) bin.push_null(); else bin.push_string(std::string("\0\xff", 2) + std::to_string(i));
    nn(d, int32_t(19000 + i));
    nn(tms, int64_t(1700000000000 + i));
    tus.push(int64_t(1700000000000000 + i));
    nn(tns, int64_t(1700000000000000000 + i));
    lowcard.push_string(std::string("band_") + "ugrizy"[i % 6]);
    lowint.push(int64_t(i % 4));
  }
  return t;
}

static Column make_list(size_t n, Type type, bool nullable, bool element_nullable) {
  Field f;
  f.name = "l_" + std::string(type_name(type));
  f.type = type;
  f.list = true;
  f.nullable = nullable;
  f.element_nullable = element_nullable;
  Column c(f);
  c.list_offsets.push_back(0);
  for (size_t r = 0; r < n; r++) {
    bool null_list = nullable && r % 5 == 1;
    size_t len = null_list ? 0 : r % 4;  // includes empty lists
    for (size_t k = 0; k < len; k++) {
      bool null_el = element_nullable && (r + k) % 3 == 0;
      if (null_el) c.push_null();
      else if (type == Type::String) c.push_string(k == 1 ? "" : "e" + std::to_string(r * 10 + k));
      else c.push(double(r) + double(k) / 10);
    }
    c.list_offsets.push_back(int64_t(c.values()));
    if (nullable) {
      if (c.list_valid.empty() && null_list) c.list_valid.assign(r, 1);
      if (!c.list_valid.empty()) c.list_valid.push_back(null_list ? 0 : 1);
    }
  }
  return c;
}

// Column equality in value terms (validity + values + offsets), null slots' bytes ignored.
static void expect_same(const Column& a, const Column& b) {
  SCOPED_TRACE(a.field.name);
  ASSERT_EQ(a.field.type, b.field.type);
  ASSERT_EQ(a.field.list, b.field.list);
  ASSERT_EQ(a.rows(), b.rows());
  ASSERT_EQ(a.values(), b.values());
  if (a.field.list) {
    EXPECT_EQ(a.list_offsets, b.list_offsets);
    for (size_t r = 0; r < a.rows(); r++) ASSERT_EQ(a.is_null(r), b.is_null(r)) << "row " << r;
  }
  size_t w = type_width(a.field.type);
  for (size_t i = 0; i < a.values(); i++) {
    ASSERT_EQ(a.value_is_null(i), b.value_is_null(i)) << "value " << i;
    if (a.value_is_null(i)) continue;
    if (w == 0) ASSERT_EQ(a.string_at(i), b.string_at(i)) << "value " << i;
    else ASSERT_EQ(0, std::memcmp(a.data.data() + i * w, b.data.data() + i * w, w)) << "value " << i;
  }
}

class RoundTrip : public ::testing::TestWithParam<Codec> {};

TEST_P(RoundTrip, AllTypes) {
  std::string path = tmpdir() + "/all_" + std::to_string(int(GetParam())) + ".parquet";
  Table t = make_table(5000);
  t.columns.push_back(make_list(5000, Type::Double, true, true));
  t.columns.push_back(make_list(5000, Type::String, true, false));
  Column l3 = make_list(5000, Type::Double, false, false);
  l3.field.name = "l_required";
  t.columns.push_back(std::move(l3));
  WriteOptions o;
  o.codec = GetParam();
  o.row_group_rows = 1500;  // 4 row groups, last one partial
  write_table(path, t, o);
  auto r = FileReader::open(path);
  EXPECT_EQ(r->rows(), 5000);
  EXPECT_EQ(r->row_groups(), 4);
  EXPECT_EQ(r->created_by(), "astrolake");
  ASSERT_EQ(r->schema().size(), t.columns.size());
  for (size_t i = 0; i < t.columns.size(); i++) {
    EXPECT_EQ(r->schema()[i].name, t.columns[i].field.name);
    EXPECT_EQ(r->schema()[i].nullable, t.columns[i].field.nullable) << t.columns[i].field.name;
    EXPECT_EQ(r->schema()[i].element_nullable, t.columns[i].field.element_nullable);
  }
  Table back = r->read();
  ASSERT_EQ(back.columns.size(), t.columns.size());
  for (size_t i = 0; i < t.columns.size(); i++) expect_same(t.columns[i], back.columns[i]);
}

INSTANTIATE_TEST_SUITE_P(Codecs, RoundTrip,
                         ::testing::Values(Codec::Uncompressed, Codec::Snappy, Codec::Gzip, Codec::Zstd));

TEST(RoundTripBig, ManyPagesAndAllNullColumns) {
  std::string path = tmpdir() + "/big.parquet";
  Table t;
  Field fa{"ra", Type::Double, false};
  Field fn{"allnull", Type::Int32, true};
  Field fs{"text", Type::String, false};
  t.columns.emplace_back(fa);
  t.columns.emplace_back(fn);
  t.columns.emplace_back(fs);
  const size_t n = 400000;  // 3.2 MB of doubles: several ~1 MB pages
  for (size_t i = 0; i < n; i++) {
    t.columns[0].push(double(i) * 0.001);
    t.columns[1].push_null();
    t.columns[2].push_string("row" + std::to_string(i));
  }
  WriteOptions o;
  o.row_group_rows = 1 << 20;
  write_table(path, t, o);
  auto r = FileReader::open(path);
  EXPECT_EQ(r->row_groups(), 1);
  Table back = r->read();
  for (size_t i = 0; i < 3; i++) expect_same(t.columns[i], back.columns[i]);
  const auto& st = r->row_group(0).stats;
  EXPECT_TRUE(st[0].has_min_max);
  EXPECT_EQ(st[0].min, 0.0);
  EXPECT_EQ(st[0].max, double(n - 1) * 0.001);
  EXPECT_FALSE(st[1].has_min_max);
  EXPECT_EQ(st[1].null_count, int64_t(n));
  EXPECT_EQ(st[2].min_str, "row0");
  EXPECT_EQ(st[2].max_str, "row99999");
}

TEST(RoundTripBig, IncrementalWritesBufferIntoRowGroups) {
  std::string path = tmpdir() + "/incr.parquet";
  Table whole = make_table(1000);
  std::vector<Field> fields;
  for (auto& c : whole.columns) fields.push_back(c.field);
  WriteOptions o;
  o.row_group_rows = 300;
  {
    FileWriter w(path, fields, o);
    // Feed it in uneven slices (7, 250, 500, 243 rows).
    size_t cuts[] = {0, 7, 257, 757, 1000};
    for (int k = 0; k < 4; k++) {
      Table part = make_table(cuts[k + 1]);
      Table slice;
      for (auto& c : part.columns) {
        Column s(c.field);
        // Rebuild rows [cuts[k], cuts[k+1]) by value.
        for (size_t i = cuts[k]; i < cuts[k + 1]; i++) {
          size_t ww = type_width(c.field.type);
          if (c.value_is_null(i)) s.push_null();
          else if (ww == 0) s.push_string(c.string_at(i));
          else { if (!s.valid.empty()) s.valid.push_back(1); s.data.append(c.data.data() + i * ww, ww); }
        }
        slice.columns.push_back(std::move(s));
      }
      w.write(slice);
    }
    w.close();
  }
  auto r = FileReader::open(path);
  EXPECT_EQ(r->row_groups(), 4);
  EXPECT_EQ(r->row_group(0).rows, 300);
  Table back = r->read();
  for (size_t i = 0; i < whole.columns.size(); i++) expect_same(whole.columns[i], back.columns[i]);
}
