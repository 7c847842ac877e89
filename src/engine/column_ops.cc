#include "engine/column_ops.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace astrolake::engine {

bool is_intlike(Type t) {
  switch (t) {
    case Type::Bool: case Type::Date32:
    case Type::TimestampMillis: case Type::TimestampMicros: case Type::TimestampNanos: return true;
    default: return parquet::is_integer(t);
  }
}
bool is_numeric(Type t) { return is_intlike(t) || parquet::is_floating(t); }
bool is_stringlike(Type t) { return t == Type::String || t == Type::Binary; }

namespace {

template <class T, class Out>
void convert(const Column& c, std::vector<Out>& out) {
  size_t n = c.values();
  out.resize(n);
  const uint8_t* p = c.data.data();
  for (size_t i = 0; i < n; i++) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    out[i] = Out(v);
  }
}

template <class Out>
void convert_any(const Column& c, std::vector<Out>& out) {
  switch (c.field.type) {
    case Type::Bool: case Type::UInt8: convert<uint8_t>(c, out); return;
    case Type::Int8: convert<int8_t>(c, out); return;
    case Type::Int16: convert<int16_t>(c, out); return;
    case Type::UInt16: convert<uint16_t>(c, out); return;
    case Type::Int32: case Type::Date32: convert<int32_t>(c, out); return;
    case Type::UInt32: convert<uint32_t>(c, out); return;
    case Type::Int64: case Type::TimestampMillis: case Type::TimestampMicros: case Type::TimestampNanos:
      convert<int64_t>(c, out); return;
    case Type::UInt64: convert<uint64_t>(c, out); return;
    case Type::Float: convert<float>(c, out); return;
    case Type::Double: convert<double>(c, out); return;
    case Type::String: case Type::Binary: break;
  }
  throw std::invalid_argument("column '" + c.field.name + "': expected a numeric column, got " +
                              parquet::type_name(c.field.type));
}

}  // namespace

std::vector<int64_t> column_i64(const Column& c) {
  if (parquet::is_floating(c.field.type))
    throw std::invalid_argument("column '" + c.field.name + "': expected an integer column, got " +
                                parquet::type_name(c.field.type));
  std::vector<int64_t> out;
  convert_any(c, out);
  return out;
}

std::vector<double> column_f64(const Column& c) {
  std::vector<double> out;
  convert_any(c, out);
  return out;
}

bool has_nulls(const Column& c) {
  const auto& v = c.field.list ? c.list_valid : c.valid;
  for (uint8_t b : v)
    if (!b) return true;
  return false;
}

void normalize_validity(std::vector<uint8_t>& valid) {
  for (uint8_t b : valid)
    if (!b) return;
  valid.clear();
}

Column make_i64(Field f, std::vector<int64_t> v, std::vector<uint8_t> valid) {
  f.type = Type::Int64;
  f.list = false;
  Column c(std::move(f));
  c.data.append(v.data(), v.size() * 8);
  normalize_validity(valid);
  c.valid = std::move(valid);
  return c;
}

Column make_f64(Field f, std::vector<double> v, std::vector<uint8_t> valid) {
  f.type = Type::Double;
  f.list = false;
  Column c(std::move(f));
  c.data.append(v.data(), v.size() * 8);
  normalize_validity(valid);
  c.valid = std::move(valid);
  return c;
}

Column make_bool(Field f, std::vector<uint8_t> v, std::vector<uint8_t> valid) {
  f.type = Type::Bool;
  f.list = false;
  Column c(std::move(f));
  c.data.append(v.data(), v.size());
  normalize_validity(valid);
  c.valid = std::move(valid);
  return c;
}

std::string Value::to_string() const {
  if (null) return "NULL";
  if (type == Type::Bool) return i ? "TRUE" : "FALSE";
  if (is_string()) return "'" + s + "'";
  if (is_floating()) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
  }
  return std::to_string(i);
}

namespace {

template <class T>
void push_as(Column& c, T v) {
  c.data.append(&v, sizeof v);
}

}  // namespace

void append_value(Column& c, const Value& v) {
  Type t = c.field.type;
  if (c.field.list) throw std::invalid_argument("column '" + c.field.name + "': cannot append a scalar to a list column");
  if (v.null) {
    c.push_null();
    return;
  }
  if (is_stringlike(t)) {
    if (!v.is_string())
      throw std::invalid_argument("column '" + c.field.name + "': cannot store " + v.to_string() + " in a string column");
    c.push_string(v.s);
    return;
  }
  if (v.is_string())
    throw std::invalid_argument("column '" + c.field.name + "': cannot store " + v.to_string() + " in a " +
                                parquet::type_name(t) + " column");
  int64_t iv = v.is_floating() ? int64_t(v.d) : v.i;
  double dv = v.as_double();
  switch (t) {
    case Type::Bool: push_as<uint8_t>(c, v.is_floating() ? v.d != 0 : v.i != 0); break;
    case Type::Int8: push_as<int8_t>(c, int8_t(iv)); break;
    case Type::Int16: push_as<int16_t>(c, int16_t(iv)); break;
    case Type::Int32: case Type::Date32: push_as<int32_t>(c, int32_t(iv)); break;
    case Type::Int64: case Type::TimestampMillis: case Type::TimestampMicros: case Type::TimestampNanos:
      push_as<int64_t>(c, iv); break;
    case Type::UInt8: push_as<uint8_t>(c, uint8_t(iv)); break;
    case Type::UInt16: push_as<uint16_t>(c, uint16_t(iv)); break;
    case Type::UInt32: push_as<uint32_t>(c, uint32_t(iv)); break;
    case Type::UInt64: push_as<uint64_t>(c, uint64_t(iv)); break;
    case Type::Float: push_as<float>(c, float(dv)); break;
    case Type::Double: push_as<double>(c, dv); break;
    case Type::String: case Type::Binary: break;
  }
  if (!c.valid.empty()) c.valid.push_back(1);
}

Column constant_column(const Value& v, const Field& f, size_t rows) {
  Column c(f);
  c.field.list = false;
  if (is_stringlike(f.type)) c.offsets.push_back(0);
  if (v.null) {
    size_t w = parquet::type_width(f.type);
    if (w) {
      c.data.resize(rows * w);
      if (rows) std::memset(c.data.data(), 0, rows * w);
    } else {
      c.offsets.assign(rows + 1, 0);
    }
    c.valid.assign(rows, 0);
    return c;
  }
  Column one(f);
  one.field.list = false;
  append_value(one, v);
  size_t w = parquet::type_width(f.type);
  if (w) {
    c.data.resize(rows * w);
    for (size_t i = 0; i < rows; i++) std::memcpy(c.data.data() + i * w, one.data.data(), w);
  } else {
    for (size_t i = 0; i < rows; i++) c.push_string(v.s);
  }
  return c;
}

Value value_at(const Column& c, size_t row) {
  if (c.field.list) throw std::invalid_argument("column '" + c.field.name + "': list values are not scalars");
  Value v;
  v.type = c.field.type;
  if (c.is_null(row)) {
    v.null = true;
    return v;
  }
  v.null = false;
  Type t = c.field.type;
  if (is_stringlike(t)) {
    v.s = std::string(c.string_at(row));
  } else if (parquet::is_floating(t)) {
    v.d = c.as_double(row);
  } else {
    const uint8_t* p = c.data.data() + row * parquet::type_width(t);
    switch (t) {
      case Type::Bool: case Type::UInt8: v.i = p[0]; break;
      case Type::Int8: v.i = int8_t(p[0]); break;
      case Type::Int16: { int16_t x; std::memcpy(&x, p, 2); v.i = x; break; }
      case Type::UInt16: { uint16_t x; std::memcpy(&x, p, 2); v.i = x; break; }
      case Type::Int32: case Type::Date32: { int32_t x; std::memcpy(&x, p, 4); v.i = x; break; }
      case Type::UInt32: { uint32_t x; std::memcpy(&x, p, 4); v.i = x; break; }
      default: { int64_t x; std::memcpy(&x, p, 8); v.i = x; break; }
    }
  }
  return v;
}

namespace {

// Appends element values [b, e) of src (data/offsets/valid) to dst.
void append_elements(Column& dst, const Column& src, size_t b, size_t e) {
  size_t w = parquet::type_width(src.field.type);
  size_t dst_values = dst.values();
  if (w) {
    dst.data.append(src.data.data() + b * w, (e - b) * w);
  } else {
    if (dst.offsets.empty()) dst.offsets.push_back(0);
    int64_t base = dst.offsets.back() - src.offsets[b];
    dst.data.append(src.data.data() + src.offsets[b], size_t(src.offsets[e] - src.offsets[b]));
    for (size_t i = b + 1; i <= e; i++) dst.offsets.push_back(src.offsets[i] + base);
  }
  if (!src.valid.empty()) {
    if (dst.valid.empty()) dst.valid.assign(dst_values, 1);
    dst.valid.insert(dst.valid.end(), src.valid.begin() + b, src.valid.begin() + e);
  } else if (!dst.valid.empty()) {
    dst.valid.insert(dst.valid.end(), e - b, 1);
  }
}

}  // namespace

void append_column(Column& dst, const Column& src) {
  if (dst.field.name.empty() && dst.rows() == 0 && dst.data.size() == 0 && dst.offsets.empty()) dst.field = src.field;
  if (dst.field.type != src.field.type || dst.field.list != src.field.list)
    throw std::invalid_argument("column '" + dst.field.name + "': cannot append " +
                                parquet::type_name(src.field.type) + " values to a " +
                                parquet::type_name(dst.field.type) + " column");
  if (!src.field.list) {
    append_elements(dst, src, 0, src.values());
    return;
  }
  size_t rows = src.rows();
  if (dst.list_offsets.empty()) dst.list_offsets.push_back(0);
  size_t dst_rows = dst.rows();
  int64_t base = dst.list_offsets.back() - (rows ? src.list_offsets[0] : 0);
  if (rows) append_elements(dst, src, size_t(src.list_offsets[0]), size_t(src.list_offsets[rows]));
  for (size_t r = 1; r <= rows; r++) dst.list_offsets.push_back(src.list_offsets[r] + base);
  if (!src.list_valid.empty()) {
    if (dst.list_valid.empty()) dst.list_valid.assign(dst_rows, 1);
    dst.list_valid.insert(dst.list_valid.end(), src.list_valid.begin(), src.list_valid.end());
  } else if (!dst.list_valid.empty()) {
    dst.list_valid.insert(dst.list_valid.end(), rows, 1);
  }
}

void append_table(Table& dst, const Table& src) {
  if (dst.columns.empty()) {
    dst = src;
    return;
  }
  if (dst.columns.size() != src.columns.size())
    throw std::invalid_argument("cannot append a table of " + std::to_string(src.columns.size()) +
                                " columns to one of " + std::to_string(dst.columns.size()));
  for (size_t i = 0; i < src.columns.size(); i++) append_column(dst.columns[i], src.columns[i]);
}

Column take(const Column& c, const std::vector<int64_t>& rows) {
  Column out(c.field);
  size_t n = rows.size();
  bool any_null_row = false;
  for (int64_t r : rows) any_null_row |= (r < 0);
  if (!c.field.list) {
    size_t w = parquet::type_width(c.field.type);
    if (w) {
      out.data.resize(n * w);
      uint8_t* o = out.data.data();
      const uint8_t* p = c.data.data();
      for (size_t i = 0; i < n; i++) {
        if (rows[i] < 0) std::memset(o + i * w, 0, w);
        else std::memcpy(o + i * w, p + size_t(rows[i]) * w, w);
      }
    } else {
      out.offsets.reserve(n + 1);
      out.offsets.push_back(0);
      for (size_t i = 0; i < n; i++) {
        if (rows[i] >= 0) {
          std::string_view s = c.string_at(size_t(rows[i]));
          out.data.append(s.data(), s.size());
        }
        out.offsets.push_back(int64_t(out.data.size()));
      }
    }
    if (!c.valid.empty() || any_null_row) {
      out.valid.resize(n);
      for (size_t i = 0; i < n; i++) out.valid[i] = rows[i] >= 0 && !c.value_is_null(size_t(rows[i]));
      normalize_validity(out.valid);
    }
    if (any_null_row) out.field.nullable = true;
    return out;
  }
  out.list_offsets.push_back(0);
  if (is_stringlike(c.field.type)) out.offsets.push_back(0);
  for (size_t i = 0; i < n; i++) {
    if (rows[i] >= 0) {
      size_t r = size_t(rows[i]);
      append_elements(out, c, size_t(c.list_offsets[r]), size_t(c.list_offsets[r + 1]));
    }
    out.list_offsets.push_back(int64_t(out.values()));
  }
  if (!c.list_valid.empty() || any_null_row) {
    out.list_valid.resize(n);
    for (size_t i = 0; i < n; i++) out.list_valid[i] = rows[i] >= 0 && !c.is_null(size_t(rows[i]));
    normalize_validity(out.list_valid);
  }
  if (any_null_row) out.field.nullable = true;
  return out;
}

Table take(const Table& t, const std::vector<int64_t>& rows) {
  Table out;
  out.columns.reserve(t.columns.size());
  for (const auto& c : t.columns) out.columns.push_back(take(c, rows));
  return out;
}

Table filter(const Table& t, const std::vector<uint8_t>& keep) {
  std::vector<int64_t> rows;
  for (size_t i = 0; i < keep.size(); i++)
    if (keep[i]) rows.push_back(int64_t(i));
  if (rows.size() == t.rows()) return t;
  return take(t, rows);
}

Table slice(const Table& t, size_t offset, size_t count) {
  size_t n = t.rows();
  if (offset >= n) count = 0;
  else count = std::min(count, n - offset);
  if (offset == 0 && count == n) return t;
  std::vector<int64_t> rows(count);
  for (size_t i = 0; i < count; i++) rows[i] = int64_t(offset + i);
  return take(t, rows);
}

Table empty_table(const std::vector<Field>& schema) {
  Table t;
  for (const auto& f : schema) {
    Column c(f);
    if (f.list) c.list_offsets.push_back(0);
    if (is_stringlike(f.type)) c.offsets.push_back(0);
    t.columns.push_back(std::move(c));
  }
  return t;
}

std::vector<Field> schema_of(const Table& t) {
  std::vector<Field> s;
  for (const auto& c : t.columns) s.push_back(c.field);
  return s;
}

size_t table_bytes(const Table& t) {
  size_t b = 0;
  for (const auto& c : t.columns)
    b += c.data.size() + c.offsets.size() * 8 + c.valid.size() + c.list_offsets.size() * 8 + c.list_valid.size();
  return b;
}

namespace {

void key_scalar(std::string& key, const Column& c, size_t i, bool as_double) {
  // Element i (value index). Tag byte first so different kinds never collide.
  if (c.value_is_null(i)) {
    key.push_back('N');
    return;
  }
  Type t = c.field.type;
  if (is_stringlike(t)) {
    std::string_view s = c.string_at(i);
    uint32_t n = uint32_t(s.size());
    key.push_back('S');
    key.append(reinterpret_cast<const char*>(&n), 4);
    key.append(s.data(), s.size());
    return;
  }
  if (parquet::is_floating(t) || as_double) {
    double d = c.as_double(i);
    if (d == 0) d = 0;  // folds -0.0
    if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
    key.push_back('D');
    key.append(reinterpret_cast<const char*>(&d), 8);
    return;
  }
  int64_t v = value_at(c, i).i;
  key.push_back('I');
  key.append(reinterpret_cast<const char*>(&v), 8);
}

}  // namespace

void append_key(std::string& key, const Column& c, size_t row, bool as_double) {
  if (!c.field.list) {
    key_scalar(key, c, row, as_double);
    return;
  }
  if (c.is_null(row)) {
    key.push_back('N');
    return;
  }
  size_t b = size_t(c.list_offsets[row]), e = size_t(c.list_offsets[row + 1]);
  uint32_t n = uint32_t(e - b);
  key.push_back('L');
  key.append(reinterpret_cast<const char*>(&n), 4);
  for (size_t i = b; i < e; i++) key_scalar(key, c, i, as_double);
}

namespace {

int compare_scalar(const Column& a, size_t i, const Column& b, size_t j) {
  bool an = a.value_is_null(i), bn = b.value_is_null(j);
  if (an || bn) return an == bn ? 0 : (an ? 1 : -1);  // null elements last
  Type ta = a.field.type, tb = b.field.type;
  if (is_stringlike(ta) && is_stringlike(tb)) {
    int r = a.string_at(i).compare(b.string_at(j));
    return r < 0 ? -1 : (r > 0 ? 1 : 0);
  }
  if (is_stringlike(ta) || is_stringlike(tb))
    throw std::invalid_argument("cannot compare column '" + a.field.name + "' with '" + b.field.name + "'");
  if (is_intlike(ta) && is_intlike(tb)) {
    int64_t x = value_at(a, i).i, y = value_at(b, j).i;
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  double x = a.as_double(i), y = b.as_double(j);
  bool xn = std::isnan(x), yn = std::isnan(y);
  if (xn || yn) return xn == yn ? 0 : (xn ? 1 : -1);
  return x < y ? -1 : (x > y ? 1 : 0);
}

}  // namespace

int compare_values(const Column& a, size_t i, const Column& b, size_t j) {
  if (!a.field.list) return compare_scalar(a, i, b, j);
  size_t ab = size_t(a.list_offsets[i]), ae = size_t(a.list_offsets[i + 1]);
  size_t bb = size_t(b.list_offsets[j]), be = size_t(b.list_offsets[j + 1]);
  for (; ab < ae && bb < be; ab++, bb++) {
    int r = compare_scalar(a, ab, b, bb);
    if (r) return r;
  }
  return (ae - ab) == (be - bb) ? 0 : (ab < ae ? 1 : -1);
}

}  // namespace astrolake::engine

namespace astrolake::engine {
void append_row(Column& dst, const Column& src, size_t row) {
  if (src.field.list) throw std::invalid_argument("column '" + src.field.name + "': append_row on a list column");
  append_elements(dst, src, row, row + 1);
}
}  // namespace astrolake::engine
