// Writes Parquet files readable by pyarrow and DuckDB: PLAIN, dictionary where it pays,
// RLE levels, per-chunk statistics, a chosen codec. Files are written atomically.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "parquet/table.h"

namespace astrolake::parquet {

enum class Codec { Uncompressed, Snappy, Gzip, Zstd };

struct WriteOptions {
  Codec codec = Codec::Zstd;
  int zstd_level = 1;
  int64_t row_group_rows = 128 * 1024;    // rows per row group
  bool dictionary = true;                  // try dictionary encoding; kept only where it pays
  std::vector<std::pair<std::string, std::string>> key_value;  // footer metadata to carry
};

class FileWriter {
 public:
  // Writes to `path` + ".tmp-<pid>" and renames on close(); a writer destroyed without
  // close() removes its temp file, so a failed write never leaves a partial file.
  FileWriter(std::string path, std::vector<Field> schema, WriteOptions opts = {});
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Appends rows; columns must match the schema by position and type. Rows are buffered
  // and flushed as row groups of opts.row_group_rows.
  void write(const Table& t);
  // Flushes, writes the footer, fsyncs and renames into place.
  void close();

  struct Impl;
 private:
  std::unique_ptr<Impl> impl_;
};

// Convenience: writes a whole table to one file.
void write_table(const std::string& path, const Table& t, WriteOptions opts = {});

// Summary files of a dataset (HATS `dataset/_metadata` and `_common_metadata`):
// `_metadata` holds every row group of the given files with ColumnChunk.file_path set to
// the file's path relative to `dataset_dir`; `_common_metadata` holds the schema only.
void write_metadata_files(const std::string& dataset_dir, const std::vector<std::string>& relative_files);

}  // namespace astrolake::parquet
