#include "cli/text_table.h"

#include <charconv>
#include <cinttypes>
#include <algorithm>
#include <vector>

namespace astrolake::cli {
namespace {

using parquet::Column;
using parquet::Type;

std::string shortest(double v) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : std::string("?");
}

// Days since 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm).
std::string civil_date(int64_t days) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y++;
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02" PRId64 "-%02" PRId64, y, m, d);
  return buf;
}

std::string timestamp(int64_t v, int64_t per_second) {
  int64_t secs = v / per_second, frac = v % per_second;
  if (frac < 0) { frac += per_second; secs--; }
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) { rem += 86400; days--; }
  char buf[64];
  std::snprintf(buf, sizeof buf, "T%02" PRId64 ":%02" PRId64 ":%02" PRId64, rem / 3600, rem / 60 % 60, rem % 60);
  std::string s = civil_date(days) + buf;
  if (frac) {
    int digits = per_second == 1000 ? 3 : per_second == 1000000 ? 6 : 9;
    std::snprintf(buf, sizeof buf, ".%0*" PRId64, digits, frac);
    s += buf;
  }
  return s + "Z";
}

// The i-th element value (not row) of a column, ignoring list structure.
std::string value_at(const Column& c, size_t i) {
  if (c.value_is_null(i)) return "null";
  switch (c.field.type) {
    case Type::Bool: return c.values_as<uint8_t>()[i] ? "true" : "false";
    case Type::Int8: return std::to_string(c.values_as<int8_t>()[i]);
    case Type::Int16: return std::to_string(c.values_as<int16_t>()[i]);
    case Type::Int32: return std::to_string(c.values_as<int32_t>()[i]);
    case Type::Int64: return std::to_string(c.values_as<int64_t>()[i]);
    case Type::UInt8: return std::to_string(c.values_as<uint8_t>()[i]);
    case Type::UInt16: return std::to_string(c.values_as<uint16_t>()[i]);
    case Type::UInt32: return std::to_string(c.values_as<uint32_t>()[i]);
    case Type::UInt64: return std::to_string(c.values_as<uint64_t>()[i]);
    case Type::Float: return shortest(double(c.values_as<float>()[i]));
    case Type::Double: return shortest(c.values_as<double>()[i]);
    case Type::String: return std::string(c.string_at(i));
    case Type::Binary: return "<" + std::to_string(c.string_at(i).size()) + " bytes>";
    case Type::Date32: return civil_date(c.values_as<int32_t>()[i]);
    case Type::TimestampMillis: return timestamp(c.values_as<int64_t>()[i], 1000);
    case Type::TimestampMicros: return timestamp(c.values_as<int64_t>()[i], 1000000);
    case Type::TimestampNanos: return timestamp(c.values_as<int64_t>()[i], 1000000000);
  }
  return "?";
}

bool right_aligned(const parquet::Field& f) {
  return !f.list && f.type != Type::String && f.type != Type::Binary && f.type != Type::Date32 &&
         f.type != Type::TimestampMillis && f.type != Type::TimestampMicros && f.type != Type::TimestampNanos;
}

// Display width in code points (UTF-8 continuation bytes do not count).
size_t display_width(const std::string& s) {
  size_t w = 0;
  for (unsigned char ch : s)
    if ((ch & 0xC0) != 0x80) w++;
  return w;
}

std::string cut(const std::string& s, size_t max_cp) {
  if (display_width(s) <= max_cp) return s;
  std::string out;
  size_t w = 0;
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char ch = static_cast<unsigned char>(s[i]);
    if ((ch & 0xC0) != 0x80 && ++w > max_cp - 1) break;
    out += s[i];
  }
  return out + "…";
}

// Control characters would break the table layout.
std::string printable(std::string s) {
  for (char& ch : s)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = ' ';
  return s;
}

}  // namespace

std::string field_type_string(const parquet::Field& f) {
  std::string t = parquet::type_name(f.type);
  return f.list ? "list<" + t + ">" : t;
}

std::string format_cell(const Column& c, size_t row) {
  if (!c.field.list) return value_at(c, row);
  if (!c.list_valid.empty() && !c.list_valid[row]) return "null";
  int64_t b = c.list_offsets[row], e = c.list_offsets[row + 1];
  int64_t n = e - b;
  std::string s = "[";
  const int64_t shown = n > 3 ? 2 : n;
  for (int64_t i = 0; i < shown; i++) {
    if (i) s += ", ";
    // Short elements keep the item count visible: 8 significant digits for floats.
    size_t k = size_t(b + i);
    if (parquet::is_floating(c.field.type) && !c.value_is_null(k)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.8g", c.as_double(k));
      s += buf;
    } else {
      s += cut(value_at(c, k), 16);
    }
  }
  if (n > 3) s += ", … " + std::to_string(n) + " items";
  return s + "]";
}

void print_table(std::FILE* out, const parquet::Table& t, size_t max_rows) {
  print_tables(out, std::vector<parquet::Table>{t}, max_rows);
}

void print_tables(std::FILE* out, const std::vector<parquet::Table>& pieces, size_t max_rows) {
  if (pieces.empty()) return;
  const parquet::Table& head = pieces.front();
  size_t ncol = head.columns.size();
  std::vector<std::vector<std::string>> cells(ncol);
  std::vector<size_t> width(ncol);
  for (size_t c = 0; c < ncol; c++) width[c] = display_width(head.columns[c].field.name);
  size_t rows = 0;
  for (const parquet::Table& t : pieces) {
    for (size_t r = 0; r < t.rows() && rows < max_rows; r++, rows++) {
      for (size_t c = 0; c < ncol && c < t.columns.size(); c++) {
        const parquet::Column& col = t.columns[c];
        std::string s = printable(format_cell(col, r));
        if (!col.field.list) s = cut(s, 40);  // list cells are already bounded
        width[c] = std::max(width[c], display_width(s));
        cells[c].push_back(std::move(s));
      }
    }
  }
  auto pad = [&](const std::string& s, size_t w, bool right) {
    std::string sp(w - std::min(w, display_width(s)), ' ');
    return right ? sp + s : s + sp;
  };
  auto emit = [&](std::string line) {
    // Trailing pad spaces are noise in diffs and terminals.
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out, "%s\n", line.c_str());
  };
  std::string line;
  for (size_t c = 0; c < ncol; c++) {
    if (c) line += "  ";
    line += pad(head.columns[c].field.name, width[c], right_aligned(head.columns[c].field));
  }
  emit(line);
  line.clear();
  for (size_t c = 0; c < ncol; c++) {
    if (c) line += "  ";
    line += std::string(width[c], '-');
  }
  emit(line);
  for (size_t r = 0; r < rows; r++) {
    line.clear();
    for (size_t c = 0; c < ncol; c++) {
      if (c) line += "  ";
      line += pad(r < cells[c].size() ? cells[c][r] : "", width[c], right_aligned(head.columns[c].field));
    }
    emit(line);
  }
}

}  // namespace astrolake::cli
