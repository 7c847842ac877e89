// The function registry: every scalar function an expression can call by name, plus entries
// describing the aggregates, so `astrolake functions` and the ADQL layer can list them with a
// signature and one line of help. Other layers' functions (HEALPix, light curves, spatial)
// are added with FunctionRegistry::global().add(...) -- call that from an explicit
// register_*_functions() that your entry point runs: static-initialiser registration gets
// dropped by the linker when it pulls objects out of static libraries.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "parquet/table.h"

namespace astrolake::engine {

struct Function {
  std::string name;       // lower case; lookups are case-insensitive
  int min_args = 0;
  int max_args = 0;       // -1: variadic
  std::string signature;  // e.g. "atan2(y DOUBLE, x DOUBLE) -> DOUBLE"
  std::string help;       // one line
  bool aggregate = false; // listed only; aggregates run in the Aggregate operator
  // Result field from argument fields (each named after its argument's text, for errors).
  // Throws ExprError ("function sqrt: argument 1 (name) must be numeric, got string").
  std::function<parquet::Field(const std::vector<parquet::Field>& args)> infer;
  // Evaluates over whole columns, each with `rows` rows; returns `rows` rows of the type
  // infer() gave.
  std::function<parquet::Column(const std::vector<parquet::Column>& args, size_t rows)> eval;
};

class FunctionRegistry {
 public:
  // The process-wide registry, with the built-in functions already added.
  static FunctionRegistry& global();
  // Adds or replaces (by name) a function. Thread-safe.
  void add(Function f);
  // nullptr if unknown. The pointer stays valid while the registry lives (entries are never
  // removed, only replaced by add(), which callers should do before running queries).
  const Function* find(const std::string& name) const;
  // All entries sorted by name.
  std::vector<const Function*> list() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Function>> fns_;
};

// Adds the built-in math, string and conditional functions and the aggregate descriptions.
void register_builtin_functions(FunctionRegistry& r);

}  // namespace astrolake::engine
