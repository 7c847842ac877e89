// Helpers over parquet::Column / parquet::Table, which are the engine's batches. Everything
// here works for every Type, for nulls, and for list columns, so operators can stay short.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/value.h"
#include "parquet/table.h"

namespace astrolake::engine {

using parquet::Column;
using parquet::Field;
using parquet::Table;
using parquet::Type;

// Integer-like types load exactly as int64 (ints, bool, date, timestamps); UInt64 values
// above INT64_MAX wrap, which only matters for ordering and is documented at the call sites.
bool is_intlike(Type t);
bool is_numeric(Type t);  // intlike or floating
bool is_stringlike(Type t);
// A column's values as int64 / double (one conversion per batch, then plain loops).
// Null slots hold whatever the buffer holds (usually 0). Throws for non-numeric columns.
std::vector<int64_t> column_i64(const Column& c);
std::vector<double> column_f64(const Column& c);

// Validity helpers: `valid` empty means no nulls.
inline bool is_null(const Column& c, size_t row) { return c.is_null(row); }
bool has_nulls(const Column& c);
// Drops an all-ones validity vector so "no nulls" has one representation.
void normalize_validity(std::vector<uint8_t>& valid);

// Builders of whole columns from plain vectors; `valid` empty = no nulls.
Column make_i64(Field f, std::vector<int64_t> v, std::vector<uint8_t> valid = {});
Column make_f64(Field f, std::vector<double> v, std::vector<uint8_t> valid = {});
Column make_bool(Field f, std::vector<uint8_t> v, std::vector<uint8_t> valid = {});
// A column of `rows` copies of v, typed as `f.type` (v converted).
Column constant_column(const Value& v, const Field& f, size_t rows);

// One row as a Value (list columns are not supported here and throw).
Value value_at(const Column& c, size_t row);
// Appends v converted to c's type (null appends a null).
void append_value(Column& c, const Value& v);

// Row selection. Index -1 produces a null row (outer joins). Works for list columns too.
constexpr int64_t kNullRow = -1;
Column take(const Column& c, const std::vector<int64_t>& rows);
Table take(const Table& t, const std::vector<int64_t>& rows);
// Rows where keep[i] != 0.
Table filter(const Table& t, const std::vector<uint8_t>& keep);
Table slice(const Table& t, size_t offset, size_t count);
// Appends src's rows to dst (same type; dst may be a default Column that takes src's field).
void append_column(Column& dst, const Column& src);
void append_table(Table& dst, const Table& src);
Table empty_table(const std::vector<Field>& schema);
std::vector<Field> schema_of(const Table& t);
// Approximate bytes held by a table (buffers, offsets, validity), for memory budgets.
size_t table_bytes(const Table& t);

// Appends a byte encoding of one row's value to `key`, such that two rows have equal
// encodings iff they are equal values (NULL equals NULL: GROUP BY and DISTINCT semantics).
// Integer-like values encode as int64 and floats as double (-0.0 folded into 0.0, NaNs
// folded together), so keys of different integer widths compare equal. With `as_double`,
// integers are encoded as doubles too (used to join an int column with a float column).
void append_key(std::string& key, const Column& c, size_t row, bool as_double = false);

// Total order of two non-null values of compatible columns: <0, 0, >0. Numbers compare
// numerically (NaN above everything, like DuckDB), strings bytewise, lists element-wise.
int compare_values(const Column& a, size_t i, const Column& b, size_t j);

}  // namespace astrolake::engine

namespace astrolake::engine {
// Appends row `row` of src (non-list) to dst of the same type.
void append_row(Column& dst, const Column& src, size_t row);
}  // namespace astrolake::engine
