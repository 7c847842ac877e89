// Writes Parquet files readable by pyarrow and DuckDB: PLAIN, dictionary where it pays,
// RLE levels, per-chunk statistics, a chosen codec. Files are written atomically.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "parquet/metadata.h"
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

// Row groups encoded apart from any file (FileWriter::encode), so that several threads can
// encode while one writer appends them in order (FileWriter::append): the bytes of their
// column chunks, and their metadata with offsets counted from the first of those bytes.
struct EncodedRowGroups {
  std::vector<uint8_t> bytes;
  std::vector<meta::RowGroup> groups;
  int64_t rows = 0;
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
  // Encodes t's rows as row groups of opts.row_group_rows (the last may be shorter) for a
  // writer of this schema and options; safe to call from any thread. Throws as write() does.
  static EncodedRowGroups encode(const std::vector<Field>& schema, const Table& t, const WriteOptions& opts = {});
  // Appends row groups from encode() (same schema and options) after the rows written so far;
  // buffered rows are flushed first as a row group of their own, so the order is kept. The
  // file holds the same rows and values as if the table had been passed to write().
  void append(EncodedRowGroups&& e);
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
