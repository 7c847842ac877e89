// Cell access shared by the writers: a column's value at a row as int64/double/text, and
// dates and timestamps as ISO 8601 (DALI timestamp) text.
#pragma once
#include <cstdint>
#include <string>

#include "parquet/table.h"

namespace astrolake::votable {

// Value i of the column's value array (elements for list columns), as int64 (integers, bool,
// dates and timestamps) or double (floats).
int64_t int_at(const parquet::Column& c, size_t i);
double double_at(const parquet::Column& c, size_t i);

// Appends value i as text: shortest round-trip numbers, NaN/+Inf/-Inf, T/F for booleans,
// ISO 8601 for dates and timestamps, strings raw (the caller escapes), binary as hex.
void append_value_text(const parquet::Column& c, size_t i, std::string& out);

// Appends row r as text: a scalar as above, a list as its values separated by spaces
// (a null element of a float list is NaN, of others 0). A null row appends nothing.
void append_cell_text(const parquet::Column& c, size_t r, std::string& out);

// The [first, last) range of value indices of row r (r, r+1 for a scalar column).
void value_range(const parquet::Column& c, size_t r, size_t& first, size_t& last);

}  // namespace astrolake::votable
