// Input readers for `astrolake import`: stream a CSV file, a FITS binary table or a Parquet
// file as a sequence of parquet::Table chunks with one fixed schema, so the importer never
// holds a whole input in memory and can read each input twice (histogram, then partition).
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "parquet/table.h"

namespace astrolake::catalog {

// Any problem with an input file; the message names the file (and row/column where known).
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct InputOptions {
  int64_t chunk_rows = 65536;        // rows per chunk (Parquet: one row group per chunk)
  int64_t csv_sample_rows = 100000;  // CSV rows used to infer column types
  int threads = 1;                   // CSV: threads parsing each chunk (chunks stay in file order)
  // CSV: the indexes (in schema order) of the only columns to parse; chunks then hold just
  // these, in this order, and the other fields of each line are only counted. Empty: every
  // column. Other formats return every column.
  std::vector<int> only;
};

class InputReader {
 public:
  virtual ~InputReader() = default;
  const std::string& path() const { return path_; }
  const std::vector<parquet::Field>& schema() const { return schema_; }
  // Replaces `out` with the next chunk; false at the end of the input.
  virtual bool next(parquet::Table& out) = 0;
  // 0-based index of the first row of the chunk last returned by next().
  int64_t chunk_start() const { return chunk_start_; }
  // Row count if the format knows it up front (FITS NAXIS2, Parquet footer), else -1.
  virtual int64_t total_rows() const { return -1; }
  // Size of the input in bytes (for progress when the row count is unknown).
  virtual uint64_t file_bytes() const { return 0; }

 protected:
  std::string path_;
  std::vector<parquet::Field> schema_;
  int64_t chunk_start_ = 0;
};

// Throws InputError naming `path` and the column if two columns share a name: rows would
// otherwise be read into the wrong one, or one would be lost when written.
void check_unique_names(const std::string& path, const std::vector<parquet::Field>& schema);

enum class InputFormat { Csv, Fits, Parquet };
// By extension (.csv/.tsv/.txt[.gz not supported], .fits/.fit/.fits.gz/.fz, .parquet/.parq/.pq),
// else by the file's first bytes. Throws InputError for an unknown format.
InputFormat detect_format(const std::string& path);

// Opens an input; reads only what is needed to know the schema (CSV: a sample of rows).
std::unique_ptr<InputReader> open_input(const std::string& path, const InputOptions& opts = {});

std::unique_ptr<InputReader> open_csv(const std::string& path, const InputOptions& opts = {});
std::unique_ptr<InputReader> open_fits(const std::string& path, const InputOptions& opts = {});
std::unique_ptr<InputReader> open_parquet_input(const std::string& path, const InputOptions& opts = {});

}  // namespace astrolake::catalog
