#include "votable/writer_values.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace astrolake::votable {

using parquet::Type;

int64_t int_at(const parquet::Column& c, size_t i) {
  switch (c.field.type) {
    case Type::Bool: case Type::UInt8: return c.values_as<uint8_t>()[i];
    case Type::Int8: return c.values_as<int8_t>()[i];
    case Type::Int16: return c.values_as<int16_t>()[i];
    case Type::UInt16: return c.values_as<uint16_t>()[i];
    case Type::Int32: case Type::Date32: return c.values_as<int32_t>()[i];
    case Type::UInt32: return c.values_as<uint32_t>()[i];
    case Type::UInt64: return int64_t(c.values_as<uint64_t>()[i]);
    case Type::Int64: case Type::TimestampMillis: case Type::TimestampMicros: case Type::TimestampNanos:
      return c.values_as<int64_t>()[i];
    case Type::Float: return int64_t(c.values_as<float>()[i]);
    case Type::Double: return int64_t(c.values_as<double>()[i]);
    default: return 0;
  }
}

double double_at(const parquet::Column& c, size_t i) {
  if (c.field.type == Type::Float) return c.values_as<float>()[i];
  if (c.field.type == Type::Double) return c.values_as<double>()[i];
  return double(int_at(c, i));
}

namespace {

// Days since 1970-01-01 to a proleptic Gregorian (year, month, day) (the era-based method).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = unsigned(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = int64_t(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y++;
}

void append_timestamp(int64_t v, int64_t per_second, int digits, std::string& out) {
  int64_t secs = v / per_second, frac = v % per_second;
  if (frac < 0) { frac += per_second; secs--; }
  int64_t days = secs / 86400, sod = secs % 86400;
  if (sod < 0) { sod += 86400; days--; }
  int64_t y; unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d, int(sod / 3600),
                        int(sod / 60 % 60), int(sod % 60));
  out.append(buf, n);
  if (digits > 0) {
    n = std::snprintf(buf, sizeof buf, ".%0*lld", digits, (long long)frac);
    out.append(buf, n);
  }
}

template <class T>
void append_number(T v, std::string& out) {
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_floating(double v, bool is_float, std::string& out) {
  if (std::isnan(v)) out += "NaN";
  else if (std::isinf(v)) out += v > 0 ? "+Inf" : "-Inf";
  else if (is_float) append_number(float(v), out);
  else append_number(v, out);
}

}  // namespace

void append_value_text(const parquet::Column& c, size_t i, std::string& out) {
  switch (c.field.type) {
    case Type::Bool: out += int_at(c, i) ? 'T' : 'F'; return;
    case Type::Float: append_floating(c.values_as<float>()[i], true, out); return;
    case Type::Double: append_floating(c.values_as<double>()[i], false, out); return;
    case Type::UInt64: append_number(c.values_as<uint64_t>()[i], out); return;
    case Type::String: out += c.string_at(i); return;
    case Type::Binary: {
      static const char* hex = "0123456789abcdef";
      for (unsigned char b : c.string_at(i)) { out += hex[b >> 4]; out += hex[b & 15]; }
      return;
    }
    case Type::Date32: {
      int64_t y; unsigned m, d;
      civil_from_days(int_at(c, i), y, m, d);
      char buf[32];
      out.append(buf, std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", (long long)y, m, d));
      return;
    }
    case Type::TimestampMillis: append_timestamp(int_at(c, i), 1000, 3, out); return;
    case Type::TimestampMicros: append_timestamp(int_at(c, i), 1000000, 6, out); return;
    case Type::TimestampNanos: append_timestamp(int_at(c, i), 1000000000, 9, out); return;
    default: append_number(int_at(c, i), out); return;
  }
}

void value_range(const parquet::Column& c, size_t r, size_t& first, size_t& last) {
  if (c.field.list) {
    first = size_t(c.list_offsets[r]);
    last = size_t(c.list_offsets[r + 1]);
  } else {
    first = r;
    last = r + 1;
  }
}

void append_cell_text(const parquet::Column& c, size_t r, std::string& out) {
  if (c.is_null(r)) return;
  if (!c.field.list) {
    append_value_text(c, r, out);
    return;
  }
  size_t first, last;
  value_range(c, r, first, last);
  for (size_t i = first; i < last; i++) {
    if (i > first) out += ' ';
    if (c.value_is_null(i)) out += parquet::is_floating(c.field.type) ? "NaN" : "0";
    else append_value_text(c, i, out);
  }
}

}  // namespace astrolake::votable
