// Where query results go: chosen by the output path's extension (.csv, .parquet) or by
// --format hats (a new HATS catalog, usable as input to every command). Writing to a file is
// atomic: nothing appears at the path until close() succeeds; a writer destroyed without
// close() (an error, Ctrl-C) leaves nothing behind. CSV and Parquet can also be streamed: to
// standard output (`-o -`, CSV unless --format parquet) or into a FIFO or character device,
// which are written in place and never replaced (storage/output.h has the rules).
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "parquet/table.h"
#include "parquet/writer.h"

namespace astrolake::cli {

struct OutputSpec {
  std::string path;
  std::string format;                  // "", "csv", "parquet" or "hats"; "" = by extension
  std::string ra_column = "ra";        // hats: the columns to partition on
  std::string dec_column = "dec";
  std::string name;                    // hats: catalog name (default: the directory's name)
  bool overwrite = false;
};

class ResultWriter {
 public:
  virtual ~ResultWriter() = default;
  virtual void write(const parquet::Table& t) = 0;  // columns match the schema given at open
  virtual void close() = 0;
  // Parquet output only: the options row groups must be encoded with for append() (a parallel
  // job encodes them on its workers, so the output is written in parallel). Null otherwise.
  virtual const parquet::WriteOptions* encoding() const { return nullptr; }
  // Appends row groups encoded with encoding(), after the rows written so far.
  virtual void append(parquet::EncodedRowGroups&&) { throw std::logic_error("this output takes no encoded row groups"); }
  int64_t rows() const { return rows_; }

 protected:
  int64_t rows_ = 0;
};

// Throws std::invalid_argument for an unknown extension/format, or when the path exists
// (without overwrite), or when its directory does not exist (checked up front so a long
// search never runs only to fail at the end).
std::unique_ptr<ResultWriter> open_output(const OutputSpec& spec, const std::vector<parquet::Field>& schema);

// Throws std::invalid_argument naming `path` when it exists and !overwrite, when the directory
// it would be created in is missing or not a directory, when it is a symlink to a file, a
// socket or a block device, or a pipe/device and the format is not `streamable`. Removes (and
// notes on stderr) what a killed process left beside it (storage::clean_leftovers).
void check_output_path(const std::string& path, bool overwrite, bool streamable = false);

// True for "-", a FIFO or a character device: output goes there as it is produced.
bool is_stream_output(const std::string& path);
// Where a command's summary line goes: stderr when the result itself goes to stdout.
std::FILE* summary_stream(const std::string& output_path);
// "cancelled; nothing was written", or for a stream that it is incomplete.
std::string cancelled_message(const std::string& path);

// One CSV cell for row `row` of `c`: doubles with %.17g (round-trip), floats %.9g, nulls
// empty, lists as "[a;b;c]", strings quoted when they hold a comma, quote or newline.
std::string csv_cell(const parquet::Column& c, size_t row);

}  // namespace astrolake::cli
