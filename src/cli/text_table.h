// Plain-text rendering of table values for the CLI: one cell per value, lists abbreviated,
// and an aligned table of the first rows.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "parquet/table.h"

namespace astrolake::cli {

// "list<double>" for list columns, else the element type name.
std::string field_type_string(const parquet::Field& f);
// One cell: numbers in shortest round-trip form, "null" for nulls, dates/timestamps in ISO
// 8601 (UTC), lists as "[1.2, 3.4, … 57 items]" (first three elements shown).
std::string format_cell(const parquet::Column& c, size_t row);
// Header, a rule, then rows [0, max_rows) with columns padded to their widest cell (numbers
// right-aligned). Long strings are cut at 40 characters with "…".
void print_table(std::FILE* out, const parquet::Table& t, size_t max_rows);
// The same over consecutive pieces with identical columns (e.g. one per partition), shown as
// one table; the header comes from the first piece.
void print_tables(std::FILE* out, const std::vector<parquet::Table>& pieces, size_t max_rows);

}  // namespace astrolake::cli
