// Interoperability with DuckDB, the independent reference implementation:
//  (1) files astrolake writes are read by DuckDB with identical values and aggregates;
//  (2) files DuckDB writes (its defaults, each codec, v2 pages, several row groups, lists,
//      nulls, strings, dictionaries, timestamps) are read by astrolake with identical values.
// Values are compared as canonical text (tests/parquet/duckdb/query.mjs): doubles as the hex
// of their IEEE bits, strings as hex bytes, so the comparison is exact.
// DuckDB comes from `npm install --prefix tools/duckdb`; if node or the module is missing the
// tests FAIL with instructions (a silent skip would hide a lost interop check).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../duckdb_runner.h"
#include "parquet/reader.h"
#include "parquet/writer.h"

namespace astrolake::parquet {
namespace {

namespace fs = std::filesystem;

using al_duckdb_test::duckdb_problem;
using al_duckdb_test::hex_bytes;
using al_duckdb_test::hex_double;

class TempDir {
 public:
  TempDir() {
    static int n = 0;
    path_ = fs::temp_directory_path() / ("al_duckdb_" + std::to_string(getpid()) + "_" + std::to_string(n++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

// Runs the statements in DuckDB (one node process for all); returns each one's rows in
// canonical form.
std::vector<std::vector<std::string>> duck(const TempDir& dir, const std::vector<std::string>& stmts) {
  al_duckdb_test::DuckRun r = al_duckdb_test::run_duckdb(stmts, dir.path());
  if (r.status != 0) {
    ADD_FAILURE() << "DuckDB failed (exit " << r.status << "): " << r.error;
    return r.rows;
  }
  EXPECT_EQ(r.completed, stmts.size()) << "DuckDB output incomplete";
  return r.rows;
}

std::vector<std::string> split_tab(const std::string& s) {
  std::vector<std::string> v;
  size_t a = 0;
  for (;;) {
    size_t b = s.find('\t', a);
    v.push_back(s.substr(a, b == std::string::npos ? std::string::npos : b - a));
    if (b == std::string::npos) return v;
    a = b + 1;
  }
}

// --- canonical text of astrolake values (must match query.mjs) ----------------------------

template <class T>
T load(const Column& c, size_t i) {
  T v;
  std::memcpy(&v, c.data.data() + i * sizeof(T), sizeof(T));
  return v;
}

std::string fmt_value(const Column& c, size_t i) {
  if (c.value_is_null(i)) return "\\N";
  switch (c.field.type) {
    case Type::Bool: return c.data.data()[i] ? "true" : "false";
    case Type::Int8: return std::to_string(load<int8_t>(c, i));
    case Type::Int16: return std::to_string(load<int16_t>(c, i));
    case Type::Int32: case Type::Date32: return std::to_string(load<int32_t>(c, i));
    case Type::Int64: case Type::TimestampMillis: case Type::TimestampMicros: case Type::TimestampNanos:
      return std::to_string(load<int64_t>(c, i));
    case Type::UInt8: return std::to_string(load<uint8_t>(c, i));
    case Type::UInt16: return std::to_string(load<uint16_t>(c, i));
    case Type::UInt32: return std::to_string(load<uint32_t>(c, i));
    case Type::UInt64: return std::to_string(load<uint64_t>(c, i));
    case Type::Float: return hex_double(double(load<float>(c, i)));
    case Type::Double: return hex_double(load<double>(c, i));
    case Type::String: case Type::Binary: {
      std::string_view s = c.string_at(i);
      return hex_bytes(s);
    }
  }
  return "?";
}

std::string fmt_cell(const Column& c, size_t row) {
  if (!c.field.list) return fmt_value(c, row);
  if (c.is_null(row)) return "\\N";
  std::string s = "[";
  for (int64_t k = c.list_offsets[row]; k < c.list_offsets[row + 1]; k++) {
    if (k > c.list_offsets[row]) s += ",";
    s += fmt_value(c, size_t(k));
  }
  return s + "]";
}

std::vector<std::string> table_lines(const Table& t) {
  std::vector<std::string> lines(t.rows());
  for (size_t r = 0; r < t.rows(); r++)
    for (size_t k = 0; k < t.columns.size(); k++) lines[r] += (k ? "\t" : "") + fmt_cell(t.columns[k], r);
  return lines;
}

// DuckDB expression that yields a column in the canonical form of its astrolake type.
std::string select_expr(const Field& f) {
  std::string q = "\"" + f.name + "\"";
  if (f.list) return q;
  switch (f.type) {
    case Type::TimestampMillis: return "epoch_ms(" + q + ")";
    case Type::TimestampMicros: return "epoch_us(" + q + ")";
    case Type::TimestampNanos: return "epoch_ns(" + q + ")";
    case Type::Date32: return "(" + q + " - DATE '1970-01-01')";
    default: return q;
  }
}

std::string select_all(const std::vector<Field>& schema, const std::string& file) {
  std::string s = "SELECT ";
  for (size_t i = 0; i < schema.size(); i++) s += (i ? ", " : "") + select_expr(schema[i]);
  return s + " FROM read_parquet('" + file + "')";
}

void expect_same_lines(const std::vector<std::string>& ours, const std::vector<std::string>& theirs,
                       const std::string& what) {
  ASSERT_EQ(ours.size(), theirs.size()) << what << ": row counts differ";
  int shown = 0;
  for (size_t i = 0; i < ours.size(); i++) {
    if (ours[i] != theirs[i] && shown++ < 5)
      ADD_FAILURE() << what << " row " << i << "\n  astrolake: " << ours[i] << "\n  duckdb:    " << theirs[i];
  }
  EXPECT_EQ(shown, 0) << what << ": rows differ";
}

// --- (1) astrolake writes, DuckDB reads ------------------------------------------------------

Table make_all_types(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto F = [](std::string name, Type t, bool nullable = true) {
    Field f;
    f.name = std::move(name);
    f.type = t;
    f.nullable = nullable;
    return f;
  };
  Table t;
  std::vector<Field> fields = {
      F("b", Type::Bool),          F("i8", Type::Int8),      F("i16", Type::Int16),
      F("i32", Type::Int32),       F("i64", Type::Int64),    F("u8", Type::UInt8),
      F("u16", Type::UInt16),      F("u32", Type::UInt32),   F("u64", Type::UInt64),
      F("f", Type::Float),         F("d", Type::Double),     F("s", Type::String),
      F("bin", Type::Binary),      F("date", Type::Date32),  F("ts_ms", Type::TimestampMillis),
      F("ts_us", Type::TimestampMicros), F("ts_ns", Type::TimestampNanos),
      F("id", Type::Int64, false), F("dense", Type::Double, false), F("cat", Type::String, false)};
  Field lf = F("lc", Type::Double);
  lf.list = true;
  lf.element_nullable = true;
  fields.push_back(lf);
  for (auto& f : fields) t.columns.emplace_back(f);
  auto col = [&](const char* name) -> Column& { return t.columns[size_t(t.find(name))]; };
  const char* cats[] = {"alpha", "beta", "gamma", "δέλτα", ""};
  for (size_t r = 0; r < n; r++) {
    bool null = r % 7 == 3;  // the same rows are null in every nullable column
    auto put = [&](const char* name, auto v) {
      if (null) col(name).push_null();
      else col(name).push(v);
    };
    put("b", uint8_t(rng() & 1));
    // Extremes appear at fixed rows so min/max hit the type limits.
    put("i8", r == 1 ? int8_t(-128) : r == 2 ? int8_t(127) : int8_t(rng()));
    put("i16", r == 1 ? int16_t(-32768) : int16_t(rng()));
    put("i32", r == 1 ? INT32_MIN : r == 2 ? INT32_MAX : int32_t(rng()));
    put("i64", r == 1 ? INT64_MIN : r == 2 ? INT64_MAX : int64_t(rng()));
    put("u8", r == 2 ? uint8_t(255) : uint8_t(rng()));
    put("u16", r == 2 ? uint16_t(65535) : uint16_t(rng()));
    put("u32", r == 2 ? UINT32_MAX : uint32_t(rng()));
    put("u64", r == 2 ? UINT64_MAX : rng());
    float fv = r == 4 ? -0.0f : r == 5 ? 1e-40f : float(std::ldexp(double(int64_t(rng() % 2000001) - 1000000), -7));
    put("f", fv);
    put("d", r == 4 ? -0.0 : r == 5 ? 5e-324 : std::ldexp(double(int64_t(rng() >> 11)) - double(1ull << 52), int(rng() % 40) - 60));
    if (null) {
      col("s").push_null();
      col("bin").push_null();
    } else {
      std::string s;
      size_t len = rng() % 12;
      for (size_t k = 0; k < len; k++) s += char('a' + rng() % 26);
      if (r % 11 == 0) s = "ünïcødé ✓ " + s;
      col("s").push_string(s);
      std::string b;
      for (size_t k = 0; k < rng() % 6; k++) b += char(rng());
      col("bin").push_string(b);
    }
    put("date", int32_t(int64_t(rng() % 40000) - 10000));
    put("ts_ms", int64_t(1600000000000ll + int64_t(rng() % 100000000000ll)));
    put("ts_us", int64_t(-1000000ll + int64_t(rng() % 4000000000000000ll)));
    put("ts_ns", int64_t(1700000000000000000ll + int64_t(rng() % 1000000000000000ll)));
    col("id").push(int64_t(r));
    col("dense").push(std::ldexp(double(rng() % 1000000), -10));
    col("cat").push_string(cats[r % 5]);
    // List rows: null lists, empty lists, lists with null elements.
    Column& l = col("lc");
    if (l.list_offsets.empty()) l.list_offsets.push_back(0);
    bool list_null = r % 9 == 4;
    l.list_valid.push_back(list_null ? 0 : 1);
    if (!list_null && r % 9 != 5) {
      size_t len = rng() % 5;
      for (size_t k = 0; k < len; k++) {
        if (k == 1 && r % 3 == 0) l.push_null();
        else l.push(std::ldexp(double(rng() % 100000), -3) - 1000.0);
      }
    }
    l.list_offsets.push_back(int64_t(l.values()));
  }
  // list validity per element: push() only appends to `valid` once it is materialised.
  Column& l = col("lc");
  if (!l.valid.empty() && l.valid.size() != l.values()) ADD_FAILURE() << "test table builder bug";
  return t;
}

// The aggregates DuckDB computes for a column vs the same ones computed here by brute force.
struct Agg {
  std::string sql;   // DuckDB select list
  std::string ours;  // canonical text of the expected row
};

Agg aggregate(const Column& c) {
  std::string q = "\"" + c.field.name + "\"";
  size_t n = c.rows(), present = 0;
  for (size_t i = 0; i < n; i++) present += !c.is_null(i);
  std::string counts = std::to_string(n) + "\t" + std::to_string(present) + "\t" + std::to_string(n - present);
  std::string sql = "count(*), count(" + q + "), count(*) - count(" + q + ")";
  Type t = c.field.type;
  if (c.field.list) {
    int64_t elems = 0, null_elems = 0;
    double sum = 0;
    for (size_t i = 0; i < c.values(); i++) {
      if (c.value_is_null(i)) null_elems++;
      else sum += load<double>(c, i);
    }
    elems = int64_t(c.values());
    // The element values are multiples of 1/8 below 2^14, so every summation order is exact.
    // Sums over no rows (or no non-null elements) are NULL in SQL.
    std::string n_txt = present ? std::to_string(elems) + "\t" + std::to_string(null_elems) : "\\N\t\\N";
    std::string s_txt = elems - null_elems > 0 ? hex_double(sum) : "\\N";
    return {sql + ", sum(len(" + q + ")), sum(len(" + q + ") - len(list_filter(" + q +
                ", x -> x IS NOT NULL))), sum(list_sum(" + q + "))",
            counts + "\t" + n_txt + "\t" + s_txt};
  }
  if (t == Type::Bool) return {sql, counts};
  if (present == 0) {  // DuckDB's sum/min/max of nothing are NULL
    bool has_sum = t != Type::String && t != Type::Binary && (t != Type::Float && (t != Type::Double || c.field.name == "dense"));
    std::string e = select_expr(c.field);
    return {sql + (has_sum ? ", sum(" + e + ")" : std::string()) + ", min(" + e + "), max(" + e + ")",
            counts + (has_sum ? "\t\\N" : "") + "\t\\N\t\\N"};
  }
  bool first = true;
  size_t imin = 0, imax = 0;
  for (size_t i = 0; i < n; i++) {
    if (c.value_is_null(i)) continue;
    if (first) imin = imax = i, first = false;
    auto less = [&](size_t a, size_t b) {
      if (t == Type::String || t == Type::Binary) return c.string_at(a) < c.string_at(b);
      switch (t) {
        case Type::UInt64: return load<uint64_t>(c, a) < load<uint64_t>(c, b);
        case Type::Int64: case Type::TimestampMillis: case Type::TimestampMicros: case Type::TimestampNanos:
          return load<int64_t>(c, a) < load<int64_t>(c, b);
        default: return c.as_double(a) < c.as_double(b);
      }
    };
    if (less(i, imin)) imin = i;
    if (less(imax, i)) imax = i;
  }
  std::string e = select_expr(c.field);
  std::string mm = "\t" + fmt_value(c, imin) + "\t" + fmt_value(c, imax);
  if (t == Type::String || t == Type::Binary) return {sql + ", min(" + e + "), max(" + e + ")", counts + mm};
  // Sums: integers exactly in 128 bits (DuckDB sums into HUGEINT); doubles only where the data
  // makes every summation order exact (the "dense" column of dyadic values).
  std::string sum_sql, sum_txt;
  if (is_integer(t) || t == Type::Date32 || t == Type::TimestampMillis || t == Type::TimestampMicros ||
      t == Type::TimestampNanos) {
    __int128 s = 0;
    for (size_t i = 0; i < n; i++) {
      if (c.value_is_null(i)) continue;
      if (t == Type::UInt64) {
        s += load<uint64_t>(c, i);
      } else if (type_width(t) == 8) {
        s += load<int64_t>(c, i);
      } else {
        s += __int128(c.as_double(i));
      }
    }
    bool neg = s < 0;
    unsigned __int128 u = neg ? -(unsigned __int128)s : (unsigned __int128)s;
    std::string d;
    do {
      d.insert(d.begin(), char('0' + int(u % 10)));
      u /= 10;
    } while (u);
    sum_sql = ", sum(" + e + ")";
    sum_txt = "\t" + std::string(neg ? "-" : "") + d;
  } else if (c.field.name == "dense") {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += load<double>(c, i);
    sum_sql = ", sum(" + e + ")";
    sum_txt = "\t" + hex_double(s);
  }
  return {sql + sum_sql + ", min(" + e + "), max(" + e + ")", counts + sum_txt + mm};
}

// DuckDB maps a UTC-adjusted TIMESTAMP(NANOS) column to TIMESTAMP WITH TIME ZONE, which has
// microsecond resolution, so it sees our nanosecond values truncated to microseconds. (The
// file itself declares NANOS; check_duckdb_reads asserts that separately.)
Table as_duckdb_sees_it(const Table& t) {
  Table v = t;
  for (auto& c : v.columns) {
    if (c.field.type != Type::TimestampNanos) continue;
    for (size_t i = 0; i < c.values(); i++) {
      int64_t x = load<int64_t>(c, i) / 1000 * 1000;
      std::memcpy(c.data.data() + 8 * i, &x, 8);
    }
  }
  return v;
}

void check_duckdb_reads(const Table& table, const WriteOptions& opts, const std::string& what) {
  TempDir dir;
  std::string path = dir.file("ours.parquet");
  write_table(path, table, opts);
  Table t = as_duckdb_sees_it(table);
  std::vector<Field> schema;
  std::vector<Agg> aggs;
  std::string agg_sql;
  for (auto& c : t.columns) {
    schema.push_back(c.field);
    aggs.push_back(aggregate(c));
    agg_sql += (agg_sql.empty() ? "" : ", ") + aggs.back().sql;
  }
  auto res = duck(dir, {"SELECT name, logical_type FROM parquet_schema('" + path + "') WHERE name LIKE 'ts_%'",
                        select_all(schema, path), "SELECT " + agg_sql + " FROM read_parquet('" + path + "')",
                        "SELECT count(DISTINCT row_group_id) FROM parquet_metadata('" + path + "')"});
  // The timestamp columns declare their own units (DuckDB's view of ns is only to the us).
  ASSERT_EQ(res[0].size(), 3u) << what;
  for (const auto& u : res[0]) {
    std::string name = u.substr(0, u.find('\t'));
    std::string unit = name == hex_bytes("ts_ns")   ? "NANOS=NanoSeconds()"
                       : name == hex_bytes("ts_us") ? "MICROS=MicroSeconds()"
                                                       : "MILLIS=MilliSeconds()";
    EXPECT_NE(u.find(hex_bytes(unit)), std::string::npos) << what << ": unit " << unit;
  }
  expect_same_lines(table_lines(t), res[1], what + ": values");
  // Aggregates, column by column (count, non-null count, null count, [sum,] min, max).
  ASSERT_EQ(res[2].size(), 1u) << what;
  std::vector<std::string> got = split_tab(res[2][0]);
  size_t pos = 0;
  for (size_t k = 0; k < aggs.size(); k++) {
    std::vector<std::string> want = split_tab(aggs[k].ours);
    std::string g;
    for (size_t j = 0; j < want.size(); j++) g += (j ? "\t" : "") + (pos + j < got.size() ? got[pos + j] : "?");
    pos += want.size();
    EXPECT_EQ(g, aggs[k].ours) << what << ": aggregates of column '" << schema[k].name << "' (" << aggs[k].sql << ")";
  }
  EXPECT_EQ(pos, got.size()) << what;
  // DuckDB sees the same row groups as our own reader.
  auto r = FileReader::open(path);
  ASSERT_EQ(res[3].size(), 1u);
  EXPECT_EQ(res[3][0], std::to_string(r->row_groups())) << what;
  if (opts.row_group_rows < int64_t(t.rows())) {
    EXPECT_EQ(r->row_groups(), int((int64_t(t.rows()) + opts.row_group_rows - 1) / opts.row_group_rows)) << what;
  }
}

TEST(DuckdbInterop, DuckdbReadsOurFilesEveryCodec) {
  std::string problem = duckdb_problem();
  ASSERT_TRUE(problem.empty()) << problem;
  Table t = make_all_types(3000, 1);
  for (Codec codec : {Codec::Uncompressed, Codec::Snappy, Codec::Gzip, Codec::Zstd}) {
    WriteOptions o;
    o.codec = codec;
    check_duckdb_reads(t, o, "codec " + std::to_string(int(codec)));
  }
}

TEST(DuckdbInterop, DuckdbReadsOurFilesRowGroupsAndNoDictionary) {
  std::string problem = duckdb_problem();
  ASSERT_TRUE(problem.empty()) << problem;
  Table t = make_all_types(2500, 2);
  WriteOptions o;
  o.row_group_rows = 1000;  // 3 row groups, the last one short
  check_duckdb_reads(t, o, "row groups");
  o.dictionary = false;
  o.row_group_rows = 128 * 1024;
  check_duckdb_reads(t, o, "no dictionary");
}

TEST(DuckdbInterop, DuckdbReadsEmptyAndTinyFiles) {
  std::string problem = duckdb_problem();
  ASSERT_TRUE(problem.empty()) << problem;
  check_duckdb_reads(make_all_types(1, 3), WriteOptions{}, "one row");
  check_duckdb_reads(make_all_types(0, 4), WriteOptions{}, "no rows");
}

// --- (2) DuckDB writes, astrolake reads ------------------------------------------------------

// A table with the column kinds HATS catalogs carry, generated in SQL so it is DuckDB's own
// data: ids, doubles with full mantissas and special values, floats, small ints, strings with
// nulls, dictionary-heavy strings, timestamps, dates, booleans, unsigned, lists of doubles.
const char* kDuckTable =
    "CREATE TABLE t AS SELECT "
    "i::BIGINT AS id, "
    "(i * 7919 % 1000 - 500)::INTEGER AS i32, "
    "CASE i % 1000 WHEN 1 THEN 'nan'::DOUBLE WHEN 2 THEN 'inf'::DOUBLE WHEN 3 THEN '-inf'::DOUBLE "
    "  WHEN 4 THEN -0.0::DOUBLE ELSE sin(i) * 1e3 END AS d, "
    "CASE WHEN i % 13 = 0 THEN NULL ELSE cos(i)::FLOAT END AS f, "
    "(i % 200 - 100)::TINYINT AS i8, "
    "(i * 3 % 60000)::USMALLINT AS u16, "
    "(i * 2654435761 % 4294967296)::UBIGINT AS u64, "
    "CASE WHEN i % 5 = 0 THEN NULL ELSE 'str_' || (i * 31 % 1717) || repeat('x', (i % 9)::INTEGER) END AS s, "
    "'category_' || (i % 4) AS dict, "
    "'obj_' || lpad(i::VARCHAR, 8, '0') || md5(i::VARCHAR)[1:(i % 7)::INTEGER] AS uniq, "  // no dictionary
    "TIMESTAMP '2021-03-04 05:06:07' + INTERVAL (i * 1234567) MICROSECOND AS ts, "
    "CASE WHEN i % 11 = 0 THEN NULL ELSE DATE '1999-12-31' + (i % 5000)::INTEGER END AS dt, "
    "i % 3 = 0 AS b, "
    "CASE WHEN i % 17 = 0 THEN NULL WHEN i % 17 = 1 THEN [] "
    "  ELSE [sin(i), NULL, cos(i), i * 0.25][1:(i % 4)::INTEGER + 1] END AS l "
    "FROM range(10000) r(i)";

struct DuckFile {
  const char* name;
  const char* options;
  bool many_row_groups;
};

Field field(const char* name, Type t, bool list = false) {
  Field f;
  f.name = name;
  f.type = t;
  f.list = list;
  return f;
}

// What astrolake should make of kDuckTable's columns.
const std::vector<Field> kDuckSchema = {
    field("id", Type::Int64),   field("i32", Type::Int32),      field("d", Type::Double),
    field("f", Type::Float),    field("i8", Type::Int8),        field("u16", Type::UInt16),
    field("u64", Type::UInt64), field("s", Type::String),       field("dict", Type::String),
    field("uniq", Type::String),
    field("ts", Type::TimestampMicros), field("dt", Type::Date32), field("b", Type::Bool),
    field("l", Type::Double, true)};

// DuckDB writes each file, then reads each back (its own view is the truth we compare to).
void check_we_read(const std::vector<DuckFile>& files) {
  TempDir dir;
  std::vector<std::string> stmts = {kDuckTable};
  for (const auto& df : files)
    stmts.push_back("COPY t TO '" + dir.file(std::string(df.name) + ".parquet") + "' (FORMAT parquet" + df.options + ")");
  size_t first_select = stmts.size();
  std::vector<Field> two = {kDuckSchema[7], kDuckSchema[0]};  // s, id
  for (const auto& df : files) {
    std::string path = dir.file(std::string(df.name) + ".parquet");
    stmts.push_back(select_all(kDuckSchema, path));
    stmts.push_back(select_all(two, path));
  }
  auto res = duck(dir, stmts);
  for (size_t k = 0; k < files.size(); k++) {
    const DuckFile& df = files[k];
    std::string path = dir.file(std::string(df.name) + ".parquet");
    ASSERT_TRUE(fs::exists(path)) << df.name;
    std::unique_ptr<FileReader> r;
    Table ours, some;
    try {
      r = FileReader::open(path);
      ours = r->read();
      some = r->read({"s", "id"});  // projection, in the requested order
    } catch (const std::exception& e) {
      ADD_FAILURE() << df.name << ": astrolake cannot read DuckDB's file: " << e.what();
      continue;
    }
    EXPECT_EQ(r->rows(), 10000) << df.name;
    EXPECT_EQ(ours.rows(), 10000u) << df.name;
    if (df.many_row_groups) {
      EXPECT_GT(r->row_groups(), 1) << df.name;
    }
    ASSERT_EQ(ours.columns.size(), kDuckSchema.size()) << df.name;
    for (size_t i = 0; i < kDuckSchema.size(); i++) {
      EXPECT_EQ(ours.columns[i].field.name, kDuckSchema[i].name) << df.name;
      EXPECT_EQ(int(ours.columns[i].field.type), int(kDuckSchema[i].type))
          << df.name << " column " << kDuckSchema[i].name << " read as " << type_name(ours.columns[i].field.type);
      EXPECT_EQ(ours.columns[i].field.list, kDuckSchema[i].list) << df.name << " column " << kDuckSchema[i].name;
    }
    expect_same_lines(table_lines(ours), res[first_select + 2 * k], df.name);
    ASSERT_EQ(some.columns.size(), 2u);
    expect_same_lines(table_lines(some), res[first_select + 2 * k + 1], std::string(df.name) + " projected");
  }
}

TEST(DuckdbInterop, WeReadDuckdbFiles) {
  std::string problem = duckdb_problem();
  ASSERT_TRUE(problem.empty()) << problem;
  check_we_read({{"default", "", false},  // DuckDB's default: SNAPPY, dictionary where it pays
                 {"zstd", ", COMPRESSION zstd", false},
                 {"snappy", ", COMPRESSION snappy", false},
                 {"gzip", ", COMPRESSION gzip", false},
                 {"uncompressed", ", COMPRESSION uncompressed", false},
                 {"lz4_raw", ", COMPRESSION lz4_raw", false},
                 {"row_groups", ", COMPRESSION zstd, ROW_GROUP_SIZE 2048", true},
                 // PARQUET_VERSION v2: data page v2, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT.
                 {"v2", ", PARQUET_VERSION v2, ROW_GROUP_SIZE 3000", true}});
}

}  // namespace
}  // namespace astrolake::parquet

namespace astrolake::parquet {
namespace {

// DECIMAL columns, as DuckDB stores them (INT32 up to 9 digits, INT64 up to 18, 16-byte
// FIXED_LEN_BYTE_ARRAY beyond), read as the double DuckDB itself converts them to; nested
// lists, which cannot be read, are named by unreadable() instead of vanishing.
TEST(DuckdbInterop, DecimalsReadAsDoubleAndUnreadableColumnsNamed) {
  std::string problem = duckdb_problem();
  ASSERT_TRUE(problem.empty()) << problem;
  TempDir dir;
  std::string f = dir.file("dec.parquet");
  std::string make = "CREATE TABLE t AS SELECT (i * 1.375 - 700)::DECIMAL(9,3) AS d9, (i * 123456.000001 - 1e8)::DECIMAL(18,6) AS d18, "
                     "CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 1234567890.0123456789 - 9e20)::DECIMAL(38,10) END AS d38, "
                     "[[i, i + 1], [i]] AS nested FROM range(1000) r(i)";
  auto rows = duck(dir, {make, "COPY t TO '" + f + "' (FORMAT parquet)",
                         "SELECT d9::DOUBLE, d18::DOUBLE, d38::DOUBLE FROM t ORDER BY rowid"});
  ASSERT_EQ(rows.size(), 3u);
  ASSERT_EQ(rows[2].size(), 1000u);
  auto r = FileReader::open(f);
  ASSERT_EQ(r->schema().size(), 3u);
  for (const Field& fl : r->schema()) EXPECT_EQ(fl.type, Type::Double) << fl.name;
  ASSERT_EQ(r->unreadable().size(), 1u);
  EXPECT_EQ(r->unreadable()[0].first.rfind("nested", 0), 0u) << r->unreadable()[0].first;
  EXPECT_NE(r->unreadable()[0].second.find("nested lists"), std::string::npos);
  Table t = r->read();
  Table g = r->read_row_group(0, {"d38", "d9"});
  for (size_t i = 0; i < 1000; i++) {
    std::vector<std::string> want = split_tab(rows[2][i]);
    for (size_t c = 0; c < 3; c++) {
      const Column& col = t.columns[c];
      std::string got = col.value_is_null(i) ? "\\N" : hex_double(load<double>(col, i));
      EXPECT_EQ(got, want[c]) << col.field.name << " row " << i;
    }
  }
  EXPECT_EQ(g.columns[0].field.type, Type::Double);
  EXPECT_EQ(hex_double(load<double>(g.columns[1], 5)), split_tab(rows[2][5])[0]);
  // Statistics are of unscaled integers: not offered for pruning.
  EXPECT_FALSE(r->row_group(0).stats[0].has_min_max);
}

}  // namespace
}  // namespace astrolake::parquet
