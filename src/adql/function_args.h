// Argument checks and column plumbing shared by the ADQL scalar functions
// (geometry_functions.cc, geometry_values.cc), so each function body says only what it computes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "parquet/table.h"

namespace astrolake::adql {

// Throws ExprError unless every argument is a non-list numeric (or string, when !numeric)
// value or an untyped NULL literal: "function f: argument 2 (x) must be numeric, got a list".
void need_args(const std::string& fn, const std::vector<parquet::Field>& args, bool numeric);

// A nullable result field of type t (a list of t when `list`).
parquet::Field result_field(parquet::Type t, bool list = false);

// 1 for rows where no argument is null, 0 elsewhere (always n entries).
std::vector<uint8_t> valid_rows(const std::vector<parquet::Column>& args, size_t n);

// Every argument column as doubles.
std::vector<std::vector<double>> double_columns(const std::vector<parquet::Column>& args);

}  // namespace astrolake::adql
