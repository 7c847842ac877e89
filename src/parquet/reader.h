// Reads Apache Parquet files (as written by pyarrow, DuckDB and ourselves) into Tables.
// Only the column chunks asked for are read; row groups can be skipped by their statistics.
#pragma once
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "parquet/table.h"
#include "storage/source.h"

namespace astrolake::parquet {

// Every malformed-file condition throws this; the message names the file and what is wrong
// (e.g. "x.parquet: column 'ra' row group 2: page header truncated").
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Min/max of a column chunk as doubles (numeric columns) or strings, plus null count.
struct ColumnStats {
  bool has_min_max = false;
  double min = 0, max = 0;           // numeric columns
  std::string min_str, max_str;      // string columns
  bool has_null_count = false;
  int64_t null_count = 0;
};

struct RowGroupInfo {
  int64_t rows = 0;
  int64_t bytes = 0;                 // total compressed bytes of its column chunks
  std::string file_path;             // set in _metadata files (relative to the dataset dir)
  std::vector<ColumnStats> stats;    // one per top-level Field of schema()
  // Byte range (offset, length) of each column chunk, one per Field of schema(); in a
  // _metadata file they lie in file_path. (0, 0) when the footer gives none.
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
};

class FileReader {
 public:
  // Parses the footer. Throws FormatError / storage::IoError.
  static std::unique_ptr<FileReader> open(std::shared_ptr<storage::ByteSource> src);
  static std::unique_ptr<FileReader> open(const std::string& path);
  virtual ~FileReader() = default;

  virtual const std::vector<Field>& schema() const = 0;
  // Columns that schema() leaves out because they cannot be read (nested lists, DECIMAL
  // wider than 16 bytes, ...): (name, why), in file order.
  virtual const std::vector<std::pair<std::string, std::string>>& unreadable() const = 0;
  virtual int64_t rows() const = 0;
  virtual int row_groups() const = 0;
  virtual const RowGroupInfo& row_group(int i) const = 0;
  // Key-value metadata of the footer (e.g. "ARROW:schema", "pandas"), in file order.
  virtual const std::vector<std::pair<std::string, std::string>>& key_value() const = 0;
  virtual std::string created_by() const = 0;
  // The raw serialized footer (FileMetaData thrift bytes), for copying and _metadata.
  virtual const std::vector<uint8_t>& footer_bytes() const = 0;

  // Reads one row group; `columns` are names (empty = all). Output column order follows
  // `columns`. Throws FormatError if a name is absent ("no column 'x' in file.parquet").
  virtual Table read_row_group(int i, const std::vector<std::string>& columns = {}) const = 0;
  // Reads all row groups (concatenated).
  virtual Table read(const std::vector<std::string>& columns = {}) const = 0;
};

}  // namespace astrolake::parquet
