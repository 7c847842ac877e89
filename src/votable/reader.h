// VOTable reader (VOTable 1.1-1.4): the first TABLE of a document, serialised as TABLEDATA,
// BINARY or BINARY2 (STREAM encoding="base64"), becomes a parquet::Table, the engine's batch
// type. Used for TAP uploads; the writer lives beside it in writer.h.
//
// Types (FIELD datatype, arraysize):
//   boolean -> Bool; bit -> Bool; unsignedByte, short -> Int16; int -> Int32; long -> Int64;
//   float -> Float; double -> Double; char and unicodeChar -> String (UTF-8; with arraysize
//   "n", "n*" or "*", and one character without). Any other arraysize ("3", "*", "2x*") on a
//   numeric or boolean type gives a list column of that type, every dimension flattened.
//   floatComplex/doubleComplex are refused.
// Nulls: an empty TD; a value equal to the FIELD's VALUES null="..."; NaN floats; boolean '?'
//   or blank; BINARY2's per-row null flags; and an empty string (TABLEDATA's and astropy's
//   way of writing a masked char cell, so strings round-trip the same through every format).
// Bad input (not XML, a DTD, no TABLE, an unknown datatype, a row with the wrong number of
// cells, a value that does not parse, a truncated or malformed stream, external STREAM href,
// FITS data) throws VotableError naming the problem and, where it has one, the line or row.
// Limits bound what a hostile document can make the reader hold.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "parquet/table.h"

namespace astrolake::votable {

class VotableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ReadLimits {
  uint64_t max_bytes = uint64_t(512) << 20;  // document size (XML text, base64 included)
  uint64_t max_rows = 50'000'000;
  size_t max_columns = 4096;
  uint64_t max_array = 1 << 20;  // elements in one cell (array or string)
};

// A FIELD's metadata as written (datatype and arraysize as in the document).
struct FieldInfo {
  std::string name, id, datatype, arraysize, unit, ucd, utype, xtype, description;
};

struct VoTable {
  std::string name;              // the TABLE's name attribute, may be empty
  std::vector<FieldInfo> fields; // one per column, same order
  parquet::Table table;          // column names are the FIELD names
};

VoTable read_votable(std::string_view document, const ReadLimits& limits = {});
// Streams the file through the parser in pieces (the document is not held whole).
VoTable read_votable_file(const std::string& path, const ReadLimits& limits = {});

}  // namespace astrolake::votable
