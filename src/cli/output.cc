#include "cli/output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "catalog/import.h"
#include "catalog/progress.h"
#include "parquet/writer.h"
#include "storage/output.h"
#include "storage/file_system.h"
#include "storage/publish.h"

namespace astrolake::cli {

namespace fs = std::filesystem;

namespace {

std::string lower_ext(const std::string& path) {
  std::string e = fs::path(path).extension().string();
  for (char& c : e) c = char(std::tolower(static_cast<unsigned char>(c)));
  return e;
}


// Where rows bound for an s3:// catalog wait locally before the import publishes them.
std::string local_staging(const std::string& url) {
  return (fs::temp_directory_path() / ("astrolake-" + storage::base_name(url))).string();
}

// Days since 1970-01-01 to YYYY-MM-DD (proleptic Gregorian).
std::string iso_date(int64_t days) {
  int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  char b[32];
  std::snprintf(b, sizeof b, "%04lld-%02lld-%02lld", (long long)(y + (m <= 2)), (long long)m, (long long)d);
  return b;
}

// The decimal digits std::to_string gives, without a string of their own.
template <class T>
void append_int(std::string& out, T v) {
  char b[24];
  auto r = std::to_chars(b, b + sizeof b, v);
  out.append(b, size_t(r.ptr - b));
}

// Value i of the column's value buffer (an element, for list columns), unquoted.
void append_value(std::string& out, const parquet::Column& c, size_t i) {
  using parquet::Type;
  char b[64];
  switch (c.field.type) {
    case Type::Bool: out += c.values_as<uint8_t>()[i] ? "true" : "false"; return;
    case Type::Int8: append_int(out, c.values_as<int8_t>()[i]); return;
    case Type::Int16: append_int(out, c.values_as<int16_t>()[i]); return;
    case Type::Int32: append_int(out, c.values_as<int32_t>()[i]); return;
    case Type::Int64:
    case Type::TimestampMillis:
    case Type::TimestampMicros:
    case Type::TimestampNanos: append_int(out, c.values_as<int64_t>()[i]); return;
    case Type::UInt8: append_int(out, c.values_as<uint8_t>()[i]); return;
    case Type::UInt16: append_int(out, c.values_as<uint16_t>()[i]); return;
    case Type::UInt32: append_int(out, c.values_as<uint32_t>()[i]); return;
    case Type::UInt64: append_int(out, c.values_as<uint64_t>()[i]); return;
    case Type::Float: std::snprintf(b, sizeof b, "%.9g", double(c.values_as<float>()[i])); out += b; return;
    case Type::Double: std::snprintf(b, sizeof b, "%.17g", c.values_as<double>()[i]); out += b; return;
    case Type::Date32: out += iso_date(c.values_as<int32_t>()[i]); return;
    case Type::String: out += c.string_at(i); return;
    case Type::Binary: {
      static const char* hex = "0123456789abcdef";
      out += "0x";
      for (unsigned char ch : c.string_at(i)) {
        out += hex[ch >> 4];
        out += hex[ch & 15];
      }
      return;
    }
  }
}

std::string quote_if_needed(std::string s, bool always) {
  if (!always && s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) {
    if (ch == '"') q += '"';
    q += ch;
  }
  q += '"';
  return q;
}

// Appends the text csv_cell gives, formatting straight into `out`: values that are not strings
// or lists (numbers, dates, booleans, hex) never hold a comma, quote or line break, so they
// are never quoted.
void append_cell(std::string& out, const parquet::Column& c, size_t row) {
  using parquet::Type;
  if (c.field.list || c.field.type == Type::String) {
    out += csv_cell(c, row);
    return;
  }
  if (!c.is_null(row)) append_value(out, c, row);
}

// Rows are formatted into a buffer and written with storage::write_all, so every failed or
// short write (full disk, /dev/full, a closed pipe) is an error naming the output.
class CsvWriter : public ResultWriter {
 public:
  CsvWriter(std::string path, const std::vector<parquet::Field>& schema) : path_(std::move(path)) {
    name_ = path_ == "-" ? "standard output" : path_;
    if (storage::output_target(path_) == storage::TargetKind::Stream) {
      fd_ = storage::open_stream(path_);
    } else {
      tmp_ = storage::temp_path(path_);
      fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd_ < 0) throw std::runtime_error(path_ + ": cannot create: " + std::strerror(errno));
    }
    std::string line;
    for (size_t i = 0; i < schema.size(); i++) {
      if (i) line += ',';
      line += quote_if_needed(schema[i].name, false);
    }
    line += '\n';
    put(line);
  }
  ~CsvWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!tmp_.empty() && !closed_) ::unlink(tmp_.c_str());
  }
  void write(const parquet::Table& t) override {
    std::string buf;
    for (size_t r = 0; r < t.rows(); r++) {
      for (size_t c = 0; c < t.columns.size(); c++) {
        if (c) buf += ',';
        append_cell(buf, t.columns[c], r);
      }
      buf += '\n';
      if (buf.size() > (1 << 20)) {
        put(buf);
        buf.clear();
        catalog::check_cancelled();  // formatting a big partition takes a while: stay responsive to Ctrl-C
      }
    }
    put(buf);
    rows_ += int64_t(t.rows());
  }
  void close() override {
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw storage::IoError(name_ + ": cannot write: " + std::strerror(errno));
    if (!tmp_.empty()) storage::publish_file(tmp_, path_);
    closed_ = true;
  }

 private:
  void put(const std::string& s) { storage::write_all(fd_, s.data(), s.size(), name_); }
  std::string path_, tmp_, name_;
  int fd_ = -1;
  bool closed_ = false;
};

class ParquetWriter : public ResultWriter {
 public:
  ParquetWriter(const std::string& path, const std::vector<parquet::Field>& schema) : w_(path, schema, opts_) {}
  void write(const parquet::Table& t) override {
    w_.write(t);
    rows_ += int64_t(t.rows());
  }
  const parquet::WriteOptions* encoding() const override { return &opts_; }
  void append(parquet::EncodedRowGroups&& e) override {
    rows_ += e.rows;
    w_.append(std::move(e));
  }
  void close() override { w_.close(); }

 private:
  parquet::WriteOptions opts_;  // the defaults
  parquet::FileWriter w_;
};

// Rows go to a temporary Parquet file next to the output; close() imports it as a catalog.
class HatsWriter : public ResultWriter {
 public:
  HatsWriter(const OutputSpec& spec, const std::vector<parquet::Field>& schema)
      : spec_(spec), tmp_(storage::temp_path(storage::is_url(spec.path) ? local_staging(spec.path) : spec.path) + ".parquet") {
    bool ra = false, dec = false;
    for (const auto& f : schema) {
      ra |= f.name == spec.ra_column;
      dec |= f.name == spec.dec_column;
    }
    if (!ra || !dec)
      throw std::invalid_argument("--format hats: the result has no '" + (ra ? spec.dec_column : spec.ra_column) +
                                  "' column to partition on");
    w_ = std::make_unique<parquet::FileWriter>(tmp_, schema);
  }
  ~HatsWriter() override {
    w_.reset();
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
  void write(const parquet::Table& t) override {
    w_->write(t);
    rows_ += int64_t(t.rows());
  }
  void close() override {
    w_->close();
    w_.reset();
    catalog::ImportOptions o;
    o.inputs = {tmp_};
    o.output = spec_.path;
    o.name = spec_.name;
    o.ra_column = spec_.ra_column;
    o.dec_column = spec_.dec_column;
    o.overwrite = spec_.overwrite;
    o.progress = 0;
    catalog::import_catalog(o);
  }

 private:
  OutputSpec spec_;
  std::string tmp_;
  std::unique_ptr<parquet::FileWriter> w_;
};

}  // namespace

std::string csv_cell(const parquet::Column& c, size_t row) {
  if (c.is_null(row)) return "";
  std::string s;
  if (c.field.list) {
    s += '[';
    for (int64_t i = c.list_offsets[row]; i < c.list_offsets[row + 1]; i++) {
      if (i > c.list_offsets[row]) s += ';';
      if (!c.value_is_null(size_t(i))) append_value(s, c, size_t(i));
    }
    s += ']';
    return quote_if_needed(s, true);
  }
  append_value(s, c, row);
  return quote_if_needed(s, false);
}

void check_output_path(const std::string& path, bool overwrite, bool streamable) {
  if (path == "-" && !streamable) throw std::invalid_argument("-o -: this output cannot go to standard output");
  if (path == "-") return;
  if (storage::is_url(path)) {  // only HATS catalogs go to s3:// (published properties-last)
    if (path.rfind("s3://", 0) != 0)
      throw std::invalid_argument(path + ": cannot write over HTTP (write to s3:// or a local path)");
    if (storage::is_published(path, {"properties", "hats.properties", "collection.properties"}) && !overwrite)
      throw std::invalid_argument(path + ": already exists (use --overwrite to replace it)");
    return;
  }
  for (const std::string& note : storage::clean_leftovers(path)) std::fprintf(stderr, "astrolake: note: %s\n", note.c_str());
  storage::TargetKind kind = storage::output_target(path);  // throws for links to files, sockets...
  if (kind == storage::TargetKind::Stream) {
    if (!streamable)
      throw std::invalid_argument(path + ": is a pipe or device; this format cannot be streamed, write it to a file");
    return;  // written in place, never replaced: no --overwrite needed
  }
  if (kind != storage::TargetKind::Missing && !overwrite)
    throw std::invalid_argument(path + ": already exists (use --overwrite to replace it)");
  std::error_code ec;
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return;  // the current directory
  if (!fs::exists(parent, ec))
    throw std::invalid_argument(path + ": cannot create: directory '" + parent.string() + "' does not exist");
  if (!fs::is_directory(parent, ec))
    throw std::invalid_argument(path + ": cannot create: '" + parent.string() + "' is not a directory");
}

bool is_stream_output(const std::string& path) {
  try {
    return path.empty() || storage::output_target(path) == storage::TargetKind::Stream;
  } catch (const std::exception&) {
    return false;
  }
}

std::FILE* summary_stream(const std::string& output_path) { return output_path == "-" ? stderr : stdout; }

std::string cancelled_message(const std::string& path) {
  return is_stream_output(path) ? "cancelled; the output written so far is incomplete" : "cancelled; nothing was written";
}

std::unique_ptr<ResultWriter> open_output(const OutputSpec& spec, const std::vector<parquet::Field>& schema) {
  if (spec.path.empty()) throw std::invalid_argument("no output path (-o)");
  std::string fmt = spec.format;
  if (fmt.empty() && spec.path == "-") fmt = "csv";
  if (fmt.empty()) {
    std::string e = lower_ext(spec.path);
    if (e == ".csv") fmt = "csv";
    else if (e == ".parquet" || e == ".parq") fmt = "parquet";
    else
      throw std::invalid_argument(spec.path + ": cannot tell the output format from the extension '" + e +
                                  "'; use .csv, .parquet, or a directory with --format hats");
  }
  if (storage::is_url(spec.path) && fmt != "hats")
    throw std::invalid_argument(spec.path + ": only --format hats can be written to s3:// (CSV and Parquet results go "
                                "to a local path)");
  if (fmt == "hats" && spec.path == "-")
    throw std::invalid_argument("-o -: --format hats writes a directory; it cannot go to standard output");
  if (fmt == "hats" && is_stream_output(spec.path))
    throw std::invalid_argument(spec.path + ": is a pipe or device; --format hats writes a directory");
  if (fmt == "parquet" && spec.path == "-" && isatty(STDOUT_FILENO))
    throw std::invalid_argument("-o -: not writing Parquet to a terminal; redirect standard output");
  check_output_path(spec.path, spec.overwrite, fmt != "hats");
  if (fmt != "hats" && !storage::is_url(spec.path) && storage::output_target(spec.path) == storage::TargetKind::Directory)
    throw std::invalid_argument(spec.path + ": is a directory");
  if (fmt == "csv") return std::make_unique<CsvWriter>(spec.path, schema);
  if (fmt == "parquet") return std::make_unique<ParquetWriter>(spec.path, schema);
  if (fmt == "hats") return std::make_unique<HatsWriter>(spec, schema);
  throw std::invalid_argument("unknown output format '" + fmt + "' (csv, parquet or hats)");
}

}  // namespace astrolake::cli
