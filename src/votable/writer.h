// Result writers for the TAP service: VOTable 1.4 (TABLEDATA, BINARY, BINARY2), CSV, TSV and
// a JSON form. Each writer turns batches (parquet::Table) into bytes appended to a caller's
// string, so a result streams out batch by batch in constant memory: begin(), then write()
// for each batch, then finish() with the query's status. The VOTable writer puts
// <INFO name="QUERY_STATUS" value="OK"/> before the table and, when the result was cut at
// MAXREC or failed while streaming, an OVERFLOW or ERROR INFO after it (TAP 1.1, DALI).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parquet/table.h"

namespace astrolake::votable {

enum class Format { TableData, Binary, Binary2, Csv, Tsv, Json };

// The MIME type each format is served with.
const char* mime_type(Format f);

// What is known about a column beyond its name and type (empty strings are left out).
struct ColumnMeta {
  std::string unit, ucd, description, xtype;
};

enum class Status { Ok, Overflow, Error };

class TableWriter {
 public:
  virtual ~TableWriter() = default;
  virtual void begin(std::string& out) = 0;
  // Rows [first, last) of `t`, whose columns match the schema given at construction.
  virtual void write(const parquet::Table& t, size_t first, size_t last, std::string& out) = 0;
  // Ends the document; `message` is the error text for Status::Error.
  virtual void finish(Status status, std::string_view message, std::string& out) = 0;
};

struct WriterOptions {
  std::vector<ColumnMeta> meta;  // one per column, or empty
  std::string query;             // the ADQL, recorded in an INFO (VOTable) when not empty
  std::string table_name = "result";
};

std::unique_ptr<TableWriter> make_writer(Format f, const std::vector<parquet::Field>& schema,
                                         WriterOptions opts = {});

// A DALI error document: a VOTable whose only content is INFO QUERY_STATUS=ERROR.
std::string error_document(std::string_view message);

// Text with &, <, >, " escaped and characters XML 1.0 cannot carry replaced by '?'.
std::string xml_escape(std::string_view s);

// The VOTable datatype and arraysize of a column ("double", ""; "char", "*"; "float", "*").
struct VotType {
  std::string datatype, arraysize, xtype;
};
VotType votable_type(const parquet::Field& f);

}  // namespace astrolake::votable
