// Random tables with nulls for the engine tests, and small accessors for brute-force checks.
#pragma once
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/column_ops.h"
#include "parquet/table.h"

namespace astrolake::engine::testing {

inline parquet::Field field(const std::string& name, parquet::Type t, bool nullable = true) {
  parquet::Field f;
  f.name = name;
  f.type = t;
  f.nullable = nullable;
  return f;
}

// Columns: i int32 (nulls), j int64 (no nulls), x double (nulls), s string (nulls, few
// distinct values), b bool (nulls), k int64 small range (nulls) for grouping/joining.
inline parquet::Table random_table(size_t rows, uint32_t seed, double null_frac = 0.2) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  parquet::Table t;
  t.columns.emplace_back(field("i", parquet::Type::Int32));
  t.columns.emplace_back(field("j", parquet::Type::Int64, false));
  t.columns.emplace_back(field("x", parquet::Type::Double));
  t.columns.emplace_back(field("s", parquet::Type::String));
  t.columns.emplace_back(field("b", parquet::Type::Bool));
  t.columns.emplace_back(field("k", parquet::Type::Int64));
  static const char* words[] = {"alpha", "beta", "gamma", "Delta", "eps", "", "zeta", "éta"};
  for (size_t r = 0; r < rows; r++) {
    auto null = [&] { return u(rng) < null_frac; };
    if (null()) t.columns[0].push_null(); else t.columns[0].push<int32_t>(int32_t(rng() % 201) - 100);
    t.columns[1].push<int64_t>(int64_t(rng() % 2000001) - 1000000);
    if (null()) t.columns[2].push_null(); else t.columns[2].push<double>(u(rng) * 200 - 100);
    if (null()) t.columns[3].push_null(); else t.columns[3].push_string(words[rng() % 8]);
    if (null()) t.columns[4].push_null(); else t.columns[4].push<uint8_t>(uint8_t(rng() % 2));
    if (null()) t.columns[5].push_null(); else t.columns[5].push<int64_t>(int64_t(rng() % 7));
  }
  return t;
}

inline std::optional<int64_t> get_i(const parquet::Column& c, size_t r) {
  if (c.is_null(r)) return std::nullopt;
  return value_at(c, r).i;
}
inline std::optional<double> get_d(const parquet::Column& c, size_t r) {
  if (c.is_null(r)) return std::nullopt;
  return c.as_double(r);
}
inline std::optional<std::string> get_s(const parquet::Column& c, size_t r) {
  if (c.is_null(r)) return std::nullopt;
  return std::string(c.string_at(r));
}

}  // namespace astrolake::engine::testing
