#include "catalog/input.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

#include "parquet/reader.h"

namespace astrolake::catalog {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Parquet input: one chunk per row group, as the file was written.
class ParquetInput : public InputReader {
 public:
  ParquetInput(const std::string& path) {
    path_ = path;
    try {
      reader_ = parquet::FileReader::open(path);
    } catch (const std::exception& e) {
      throw InputError(std::string(e.what()).find(path) == std::string::npos ? path + ": " + e.what() : e.what());
    }
    schema_ = reader_->schema();
    check_unique_names(path, schema_);
    // Importing without them would drop data without a word: name every one.
    std::string bad;
    for (const auto& [name, why] : reader_->unreadable()) bad += (bad.empty() ? "'" : ", '") + name + "' (" + why + ")";
    if (!bad.empty())
      throw InputError(path + ": cannot import these columns: " + bad +
                       "; write the file without them (or convert them) and import again");
  }
  int64_t total_rows() const override { return reader_->rows(); }
  bool next(parquet::Table& out) override {
    out.columns.clear();
    if (rg_ >= reader_->row_groups()) return false;
    chunk_start_ = next_row_;
    try {
      out = reader_->read_row_group(rg_);
    } catch (const std::exception& e) {
      std::string m = e.what();
      throw InputError(m.find(path_) == std::string::npos ? path_ + ": row group " + std::to_string(rg_) + ": " + m : m);
    }
    ++rg_;
    next_row_ += int64_t(out.rows());
    return true;
  }

 private:
  std::unique_ptr<parquet::FileReader> reader_;
  int rg_ = 0;
  int64_t next_row_ = 0;
};

}  // namespace

void check_unique_names(const std::string& path, const std::vector<parquet::Field>& schema) {
  for (size_t i = 0; i < schema.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (schema[i].name == schema[j].name)
        throw InputError(path + ": columns " + std::to_string(j + 1) + " and " + std::to_string(i + 1) +
                         " are both named '" + schema[i].name + "'; rename one");
}

InputFormat detect_format(const std::string& path) {
  std::string l = lower(path);
  for (const char* e : {".csv", ".tsv", ".txt"})
    if (l.ends_with(e)) return InputFormat::Csv;
  for (const char* e : {".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fz"})
    if (l.ends_with(e)) return InputFormat::Fits;
  for (const char* e : {".parquet", ".parq", ".pq"})
    if (l.ends_with(e)) return InputFormat::Parquet;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw InputError(path + ": cannot open: " + std::strerror(errno));
  char head[8] = {0};
  size_t n = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  if (n >= 4 && std::memcmp(head, "PAR1", 4) == 0) return InputFormat::Parquet;
  if (n >= 6 && std::memcmp(head, "SIMPLE", 6) == 0) return InputFormat::Fits;
  throw InputError(path + ": unknown input format (expected .csv, .fits or .parquet)");
}

std::unique_ptr<InputReader> open_input(const std::string& path, const InputOptions& opts) {
  switch (detect_format(path)) {
    case InputFormat::Csv: return open_csv(path, opts);
    case InputFormat::Fits: return open_fits(path, opts);
    case InputFormat::Parquet: return open_parquet_input(path, opts);
  }
  return nullptr;
}

std::unique_ptr<InputReader> open_parquet_input(const std::string& path, const InputOptions&) {
  return std::make_unique<ParquetInput>(path);
}

}  // namespace astrolake::catalog
