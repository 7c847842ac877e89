// A single SQL value: what literals, IN lists, statistics bounds and group keys hold.
// Integers (any width, and bool) are kept as int64, floats as double, strings as bytes, so a
// planner can build one without caring about the column's exact Parquet type.
#pragma once
#include <cstdint>
#include <string>

#include "parquet/table.h"

namespace astrolake::engine {

struct Value {
  parquet::Type type = parquet::Type::Int64;
  bool null = true;
  int64_t i = 0;       // integer, bool (0/1), date and timestamp types
  double d = 0;        // Float, Double
  std::string s;       // String, Binary

  static Value Null() { return Value(); }
  static Value Int(int64_t v) { Value x; x.type = parquet::Type::Int64; x.null = false; x.i = v; return x; }
  static Value Double(double v) { Value x; x.type = parquet::Type::Double; x.null = false; x.d = v; return x; }
  static Value Bool(bool v) { Value x; x.type = parquet::Type::Bool; x.null = false; x.i = v; return x; }
  static Value String(std::string v) {
    Value x; x.type = parquet::Type::String; x.null = false; x.s = std::move(v); return x;
  }
  bool is_string() const { return type == parquet::Type::String || type == parquet::Type::Binary; }
  bool is_floating() const { return parquet::is_floating(type); }
  double as_double() const { return is_floating() ? d : double(i); }
  // SQL-ish text: NULL, 42, 1.5, 'abc'.
  std::string to_string() const;
};

}  // namespace astrolake::engine
