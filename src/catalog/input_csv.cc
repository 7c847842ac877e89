// CSV input: RFC 4180 quoting ("" escapes, newlines inside quotes), a header row, and column
// types inferred from a sample of rows: int64, else double, else bool, else string. An empty
// unquoted field is null. Values after the sample that do not fit the inferred type are an
// error naming the row and column (silently turning them into nulls would lose data).
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

#include "base/scheduler.h"
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

// Appends one field to its column; false if the text does not fit the column's type. An
// empty unquoted field is null.
bool append_value(Column& col, std::string_view s, bool quoted) {
  Type t = col.field.type;
  if (t == Type::String) {
    if (!quoted && s.empty()) col.push_null();
    else col.push_string(s);
    return true;
  }
  if (trim(s).empty()) {
    col.push_null();
    return true;
  }
  if (t == Type::Int64) {
    int64_t v;
    if (!parse_int(s, v)) return false;
    col.push<int64_t>(v);
  } else if (t == Type::Double) {
    double v;
    if (!parse_double(s, v)) return false;
    col.push<double>(v);
  } else {
    uint8_t v;
    if (!parse_bool(s, v)) return false;
    col.push<uint8_t>(v);
  }
  return true;
}

// Parses [p, end), whole lines, as plain CSV: each '\n' ends a record and fields are the text
// between delimiters. False if it meets a quote or '\r' (then a record could span lines or
// end differently: the caller parses serially), a line of the wrong width or a value of the
// wrong type (the serial parse then reports it with its row number).
// `slot[c]`: the column of `out` field c goes to, or -1 for a field not parsed.
bool parse_plain_lines(const char* p, const char* end, char delim, const std::vector<int>& slot, Table& out) {
  // 1 for the bytes that end a field or need the full parser.
  uint8_t stop[256] = {0};
  stop[uint8_t(delim)] = stop[uint8_t('\n')] = stop[uint8_t('"')] = stop[uint8_t('\r')] = 1;
  size_t ncol = slot.size();
  std::vector<std::string_view> fields;
  fields.reserve(ncol + 1);
  while (p < end) {
    fields.clear();
    for (;;) {
      const char* f = p;
      while (p < end && !stop[uint8_t(*p)]) ++p;
      fields.emplace_back(f, size_t(p - f));
      if (p == end) break;
      char c = *p++;
      if (c == '\n') break;
      if (c != delim) return false;  // quote or '\r'
    }
    if (fields.size() == 1 && trim(fields[0]).empty()) continue;  // blank line
    if (fields.size() != ncol) return false;
    for (size_t c = 0; c < ncol; ++c)
      if (slot[c] >= 0 && !append_value(out.columns[size_t(slot[c])], fields[c], false)) return false;
  }
  return true;
}

// Appends all rows of `src` to `dst` (same schema; plain, non-list columns).
void append_table(Table& dst, Table& src) {
  for (size_t c = 0; c < dst.columns.size(); ++c) {
    Column& d = dst.columns[c];
    Column& s = src.columns[c];
    size_t dn = d.rows(), sn = s.rows();
    if (sn == 0) continue;
    if (!s.valid.empty() || !d.valid.empty()) {
      if (d.valid.empty()) d.valid.assign(dn, 1);
      if (s.valid.empty()) d.valid.insert(d.valid.end(), sn, 1);
      else d.valid.insert(d.valid.end(), s.valid.begin(), s.valid.end());
    }
    if (!s.offsets.empty()) {
      if (d.offsets.empty()) d.offsets.push_back(0);
      int64_t base = int64_t(d.data.size());
      for (size_t i = 1; i < s.offsets.size(); ++i) d.offsets.push_back(base + s.offsets[i]);
    }
    d.data.append(s.data.data(), s.data.size());
  }
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
    check_unique_names(path_, schema_);
    infer_types();
    slot_.assign(schema_.size(), -1);
    for (size_t k = 0; k < opts_.only.size(); ++k) {
      int c = opts_.only[k];
      if (c < 0 || size_t(c) >= schema_.size() || (k > 0 && c <= opts_.only[k - 1]))
        throw std::invalid_argument(path_ + ": columns to parse must be ascending indexes of the schema");
      slot_[size_t(c)] = int(k);
    }
    if (opts_.only.empty())
      for (size_t c = 0; c < schema_.size(); ++c) slot_[c] = int(c);
    // Start again right after the header for the real reading.
    open_file();
    read_record();
  }

  uint64_t file_bytes() const override { return size_; }

  bool next(Table& out) override {
    empty_chunk(out);
    chunk_start_ = row_;
    // Blank lines are not rows, so a parallel step may give fewer rows than asked: go on
    // until the chunk is full, keeping chunks the same as a serial parse gives.
    while (int64_t(out.rows()) < opts_.chunk_rows && !(eof_ && pos_ == buf_.size())) {
      if (!parse_parallel(out, opts_.chunk_rows - int64_t(out.rows()))) {
        parse_serial(out, opts_.chunk_rows - int64_t(out.rows()));
        break;
      }
    }
    return out.rows() > 0;
  }

 private:
  // Serial parsing of up to `want` more rows into `out`: any CSV, and the exact error (with
  // its row number) for a bad row.
  void parse_serial(Table& out, int64_t want) {
    int64_t n = 0;
    while (n < want && read_record()) {
      if (blank_record()) continue;
      check_width();
      for (size_t c = 0; c < schema_.size(); ++c)
        if (slot_[c] >= 0) append(out.columns[size_t(slot_[c])], c);
      ++row_;
      ++n;
    }
  }

  // Appends the rows of the next `want` lines to `out`, parsed in parallel, if those bytes
  // hold no quote and no '\r' (then lines are records and can be split at any '\n'; a
  // quoted field could span lines). The workers check that; false (nothing consumed) if they
  // found either, or a bad row, or when there is one thread: the caller then parses
  // serially. Each thread parses a contiguous slice into its own table and the slices are
  // joined in file order, so the rows are the same as a serial parse gives.
  bool parse_parallel(Table& out, int64_t want) {
    // Find the end of the next `want` lines, reading more of the file as needed.
    size_t scan = pos_;
    int64_t lines = 0;
    for (;;) {
      while (lines < want) {
        const char* b = buf_.data();
        const char* nl = static_cast<const char*>(std::memchr(b + scan, '\n', buf_.size() - scan));
        if (!nl) break;
        scan = size_t(nl - b) + 1;
        ++lines;
      }
      if (lines == want) break;
      if (eof_) {
        scan = buf_.size();
        break;
      }
      size_t off = scan - pos_;
      refill();  // drops the consumed prefix: pos_ becomes 0
      scan = pos_ + off;
    }
    const char* b = buf_.data() + pos_;
    const char* e = buf_.data() + scan;
    int threads = std::max(1, opts_.threads);
    if (b == e || threads == 1) return false;
    base::TaskGroup group(threads);
    threads = group.concurrency();  // the scheduler's size caps it
    if (threads == 1) return false;
    // Slices of about equal bytes, each ending after a '\n' (or at the chunk end).
    std::vector<const char*> cuts{b};
    for (int k = 1; k < threads; ++k) {
      const char* c = b + (e - b) * k / threads;
      if (c < cuts.back()) c = cuts.back();
      const char* nl = static_cast<const char*>(std::memchr(c, '\n', size_t(e - c)));
      cuts.push_back(nl ? nl + 1 : e);
    }
    cuts.push_back(e);
    size_t ns = cuts.size() - 1;
    std::vector<Table> parts(ns);
    std::vector<uint8_t> ok(ns, 0);
    auto work = [&](size_t k) {
      empty_chunk(parts[k]);
      ok[k] = parse_plain_lines(cuts[k], cuts[k + 1], delim_, slot_, parts[k]);
    };
    group.parallel_for(ns, [&](size_t lo, size_t hi) {
      for (size_t k = lo; k < hi; ++k) work(k);
    }, 1);
    for (size_t k = 0; k < ns; ++k)
      if (!ok[k]) return false;
    size_t before = out.rows();
    for (size_t k = 0; k < ns; ++k) {
      if (out.rows() == 0) out = std::move(parts[k]);
      else append_table(out, parts[k]);
    }
    row_ += int64_t(out.rows() - before);
    pos_ = scan;
    return true;
  }

  // `t` emptied to the columns a chunk holds.
  void empty_chunk(Table& t) const {
    t.columns.clear();
    for (size_t c = 0; c < schema_.size(); ++c)
      if (slot_[c] >= 0) t.columns.emplace_back(schema_[c]);
  }

  void open_file() {
    file_.reset(std::fopen(path_.c_str(), "rb"));
    if (!file_) throw InputError(path_ + ": cannot open: " + std::strerror(errno));
    FILE* f = file_.get();
    std::fseek(f, 0, SEEK_END);
    size_ = uint64_t(std::ftell(f));
    std::fseek(f, 0, SEEK_SET);
    buf_.clear();
    pos_ = 0;
    eof_ = false;
    row_ = 0;
    // A UTF-8 byte order mark (spreadsheets write one) is not part of the first column's name.
    refill();
    if (buf_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;
  }

  // Reads more bytes, dropping what was consumed. Returns false at end of file.
  bool refill() {
    if (eof_) return false;
    buf_.erase(0, pos_);
    pos_ = 0;
    size_t want = std::max<size_t>(1 << 20, buf_.size());
    size_t old = buf_.size();
    buf_.resize(old + want);
    size_t got = std::fread(buf_.data() + old, 1, want, file_.get());
    buf_.resize(old + got);
    if (got < want) {
      if (std::ferror(file_.get())) throw InputError(path_ + ": read error");
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
    if (!append_value(col, fields_[c], quoted_[c])) bad_value(c, fields_[c]);
  }

  InputOptions opts_;
  char delim_ = ',';
  // A member that closes itself: the file is closed also when the constructor throws (a bad
  // header or sample), which a destructor would not do.
  struct Close {
    void operator()(FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<FILE, Close> file_;
  uint64_t size_ = 0;
  std::string buf_, scratch_;
  size_t pos_ = 0;
  bool eof_ = false;
  int64_t row_ = 0;  // data rows consumed so far (header excluded)
  std::vector<std::string_view> fields_;
  std::vector<uint8_t> quoted_;
  std::vector<int> slot_;  // per schema column: its column in a chunk, or -1 (not parsed)
};

}  // namespace

std::unique_ptr<InputReader> open_csv(const std::string& path, const InputOptions& opts) {
  return std::make_unique<CsvReader>(path, opts);
}

}  // namespace astrolake::catalog
