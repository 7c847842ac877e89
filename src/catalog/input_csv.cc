// CSV input: RFC 4180 quoting ("" escapes, newlines inside quotes), a header row, and column
// types inferred from a sample of rows: int64, else double, else bool, else string. An empty
// unquoted field is null. Values after the sample that do not fit the inferred type are an
// error naming the row and column (silently turning them into nulls would lose data).
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "catalog/input.h"

namespace astrolake::catalog {

using parquet::Column;
using parquet::Field;
using parquet::Table;
using parquet::Type;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_int(std::string_view s, int64_t& v) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_double(std::string_view s, double& v) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars reports underflow/overflow; strtod gives the usual 0 / inf for them.
    std::string tmp(s);
    char* e = nullptr;
    v = std::strtod(tmp.c_str(), &e);
    return e == tmp.c_str() + tmp.size();
  }
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_bool(std::string_view s, uint8_t& v) {
  s = trim(s);
  auto eq = [&](const char* w) {
    size_t n = std::strlen(w);
    if (s.size() != n) return false;
    for (size_t i = 0; i < n; ++i)
      if (std::tolower(static_cast<unsigned char>(s[i])) != w[i]) return false;
    return true;
  };
  if (eq("true")) { v = 1; return true; }
  if (eq("false")) { v = 0; return true; }
  return false;
}

class CsvReader : public InputReader {
 public:
  CsvReader(const std::string& path, const InputOptions& opts) : opts_(opts) {
    path_ = path;
    if (path.size() > 4 && (path.ends_with(".tsv") || path.ends_with(".TSV"))) delim_ = '\t';
    open_file();
    if (!read_record()) throw InputError(path_ + ": empty CSV file (no header row)");
    for (size_t i = 0; i < fields_.size(); ++i) {
      Field f;
      f.name = std::string(trim(fields_[i]));
      if (f.name.empty()) f.name = "column_" + std::to_string(i);
      schema_.push_back(f);
    }
    infer_types();
    // Start again right after the header for the real reading.
    open_file();
    read_record();
  }
  ~CsvReader() override {
    if (f_) std::fclose(f_);
  }

  uint64_t file_bytes() const override { return size_; }

  bool next(Table& out) override {
    out.columns.clear();
    for (const Field& f : schema_) out.columns.emplace_back(f);
    chunk_start_ = row_;
    int64_t n = 0;
    while (n < opts_.chunk_rows && read_record()) {
      if (blank_record()) continue;
      check_width();
      for (size_t c = 0; c < schema_.size(); ++c) append(out.columns[c], c);
      ++row_;
      ++n;
    }
    return n > 0;
  }

 private:
  void open_file() {
    if (f_) std::fclose(f_);
    f_ = std::fopen(path_.c_str(), "rb");
    if (!f_) throw InputError(path_ + ": cannot open: " + std::strerror(errno));
    std::fseek(f_, 0, SEEK_END);
    size_ = uint64_t(std::ftell(f_));
    std::fseek(f_, 0, SEEK_SET);
    buf_.clear();
    pos_ = 0;
    eof_ = false;
    row_ = 0;
  }

  // Reads more bytes, dropping what was consumed. Returns false at end of file.
  bool refill() {
    if (eof_) return false;
    buf_.erase(0, pos_);
    pos_ = 0;
    size_t want = std::max<size_t>(1 << 20, buf_.size());
    size_t old = buf_.size();
    buf_.resize(old + want);
    size_t got = std::fread(buf_.data() + old, 1, want, f_);
    buf_.resize(old + got);
    if (got < want) {
      if (std::ferror(f_)) throw InputError(path_ + ": read error");
      eof_ = true;
    }
    return true;
  }

  // Parses one record into fields_ (views into buf_ or scratch_). False at end of file.
  bool read_record() {
    for (;;) {
      int r = parse_record();
      if (r == 1) return true;
      if (r == 0) return false;
      if (r == -2 || !refill()) {
        // parse_record asked for more bytes but there are none: only an unterminated quote
        // can get here, because at end of file the last line needs no newline.
        throw InputError(path_ + ": row " + std::to_string(row_ + 1) + ": unterminated quoted field");
      }
    }
  }

  // 1: a record; 0: end of input; -1: need more bytes.
  int parse_record() {
    fields_.clear();
    quoted_.clear();
    scratch_.clear();
    scratch_.reserve(buf_.size() + 1);  // views into scratch_ must not move while parsing
    const char* base = buf_.data();
    const char* p = base + pos_;
    const char* end = base + buf_.size();
    if (p == end) return eof_ ? 0 : -1;
    for (;;) {
      if (p < end && *p == '"') {
        size_t start = scratch_.size();
        const char* q = p + 1;
        for (;;) {
          const char* c = static_cast<const char*>(std::memchr(q, '"', size_t(end - q)));
          if (!c) return eof_ ? -2 : -1;
          scratch_.append(q, size_t(c - q));
          if (c + 1 == end && !eof_) return -1;  // cannot tell "" from a closing quote yet
          if (c + 1 < end && c[1] == '"') {
            scratch_.push_back('"');
            q = c + 2;
            continue;
          }
          p = c + 1;
          break;
        }
        fields_.emplace_back(scratch_.data() + start, scratch_.size() - start);
        quoted_.push_back(1);
        while (p < end && (*p == ' ' || *p == '\t') && *p != delim_) ++p;
        if (p < end && *p != delim_ && *p != '\n' && *p != '\r')
          throw InputError(path_ + ": row " + std::to_string(row_ + 1) + ": text after a closing quote");
      } else {
        const char* q = p;
        while (q < end && *q != delim_ && *q != '\n' && *q != '\r') ++q;
        if (q == end && !eof_) return -1;
        fields_.emplace_back(p, size_t(q - p));
        quoted_.push_back(0);
        p = q;
      }
      if (p == end) {
        if (!eof_) return -1;
        pos_ = size_t(p - base);
        return 1;
      }
      if (*p == delim_) {
        ++p;
        continue;
      }
      if (*p == '\r') {
        if (p + 1 == end && !eof_) return -1;
        ++p;
        if (p < end && *p == '\n') ++p;
      } else {
        ++p;  // '\n'
      }
      pos_ = size_t(p - base);
      return 1;
    }
  }

  bool blank_record() const { return fields_.size() == 1 && !quoted_[0] && trim(fields_[0]).empty(); }

  void check_width() const {
    if (fields_.size() != schema_.size())
      throw InputError(path_ + ": row " + std::to_string(row_ + 1) + ": expected " + std::to_string(schema_.size()) +
                       " fields (as in the header), found " + std::to_string(fields_.size()));
  }

  void infer_types() {
    size_t n = schema_.size();
    std::vector<uint8_t> can_int(n, 1), can_double(n, 1), can_bool(n, 1), any(n, 0);
    int64_t rows = 0;
    while (rows < opts_.csv_sample_rows && read_record()) {
      if (blank_record()) continue;
      check_width();
      for (size_t c = 0; c < n; ++c) {
        std::string_view s = fields_[c];
        if (trim(s).empty()) continue;  // null (or quoted empty): says nothing about the type
        any[c] = 1;
        int64_t i;
        double d;
        uint8_t b;
        if (can_int[c] && !parse_int(s, i)) can_int[c] = 0;
        if (can_double[c] && !parse_double(s, d)) can_double[c] = 0;
        if (can_bool[c] && !parse_bool(s, b)) can_bool[c] = 0;
      }
      ++row_;
      ++rows;
    }
    for (size_t c = 0; c < n; ++c) {
      Type t = Type::String;
      if (!any[c]) t = Type::Double;  // all null: like pandas, a float column of nulls
      else if (can_int[c]) t = Type::Int64;
      else if (can_double[c]) t = Type::Double;
      else if (can_bool[c]) t = Type::Bool;
      schema_[c].type = t;
    }
  }

  [[noreturn]] void bad_value(size_t c, std::string_view s) const {
    throw InputError(path_ + ": row " + std::to_string(row_ + 1) + " column '" + schema_[c].name + "': value '" +
                     std::string(s.substr(0, 80)) + "' is not " + parquet::type_name(schema_[c].type) +
                     " (the type inferred from the first " + std::to_string(opts_.csv_sample_rows) + " rows)");
  }

  void append(Column& col, size_t c) {
    std::string_view s = fields_[c];
    Type t = col.field.type;
    if (t == Type::String) {
      if (!quoted_[c] && s.empty()) col.push_null();
      else col.push_string(s);
      return;
    }
    if (trim(s).empty()) {
      col.push_null();
      return;
    }
    if (t == Type::Int64) {
      int64_t v;
      if (!parse_int(s, v)) bad_value(c, s);
      col.push<int64_t>(v);
    } else if (t == Type::Double) {
      double v;
      if (!parse_double(s, v)) bad_value(c, s);
      col.push<double>(v);
    } else {
      uint8_t v;
      if (!parse_bool(s, v)) bad_value(c, s);
      col.push<uint8_t>(v);
    }
  }

  InputOptions opts_;
  char delim_ = ',';
  FILE* f_ = nullptr;
  uint64_t size_ = 0;
  std::string buf_, scratch_;
  size_t pos_ = 0;
  bool eof_ = false;
  int64_t row_ = 0;  // data rows consumed so far (header excluded)
  std::vector<std::string_view> fields_;
  std::vector<uint8_t> quoted_;
};

}  // namespace

std::unique_ptr<InputReader> open_csv(const std::string& path, const InputOptions& opts) {
  return std::make_unique<CsvReader>(path, opts);
}

}  // namespace astrolake::catalog
