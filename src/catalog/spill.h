// Row gathering and spill files for the import's partition pass. Rows of each partition are
// appended to a per-partition spill file whenever the buffered rows reach the memory budget,
// then read back whole to be sorted and written as the final Parquet leaf. The spill format
// is a raw dump of parquet::Column buffers: no encoding work, and it never leaves the build
// directory, so it needs no stability across versions.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "parquet/table.h"

namespace astrolake::catalog {

// A table with the given fields and no rows.
parquet::Table empty_table(const std::vector<parquet::Field>& fields);
// Appends rows src[idx[0]], src[idx[1]], ... to dst (same fields, by position).
void append_rows(parquet::Column& dst, const parquet::Column& src, const uint32_t* idx, size_t n);
void append_rows(parquet::Table& dst, const parquet::Table& src, const uint32_t* idx, size_t n);
// Appends rows [begin, end) of src to dst.
void append_range(parquet::Column& dst, const parquet::Column& src, size_t begin, size_t end);
void append_range(parquet::Table& dst, const parquet::Table& src, size_t begin, size_t end);
// Approximate heap bytes held by the table's buffers.
size_t table_bytes(const parquet::Table& t);

// Appends t as one chunk to the spill file at path (created if absent).
void spill_append(const std::string& path, const parquet::Table& t);
// Reads every chunk of a spill file into one table with the given fields.
parquet::Table spill_read(const std::string& path, const std::vector<parquet::Field>& fields);

}  // namespace astrolake::catalog
