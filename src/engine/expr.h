// Expression trees, built by a planner (no parsing here) and evaluated vectorised: one call
// evaluates a whole batch (a parquet::Table) into one Column. Semantics follow SQL:
//  - NULL in, NULL out for arithmetic, comparisons and functions; AND/OR/NOT use three-valued
//    logic; IS [NOT] NULL never returns NULL.
//  - Integer-like operands (ints of any width, bool, dates, timestamps) compute in int64; a
//    result outside int64 throws ExprError ("integer overflow: ..."), never wraps; if either side is floating the operation is done in double. Integer `/`
//    truncates (as in ADQL/PostgreSQL; DuckDB's `/` would give a double). Division or modulo by
//    zero gives NULL, as do math functions whose result is NaN for non-NaN input (sqrt(-1)).
//  - Doubles order with NaN above every other value (as DuckDB does), in comparisons and sorts.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/value.h"
#include "parquet/table.h"

namespace astrolake::engine {

// Every invalid expression (unknown column or function, wrong arity, wrong argument type)
// and every failing cast throws this; the message names the column, function or value.
class ExprError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

enum class ExprKind {
  Column,    // name
  Literal,   // value
  Negate,    // -args[0]
  Binary,    // args[0] op args[1]
  Not,       // NOT args[0]
  And, Or,   // args[0], args[1]
  IsNull,    // args[0] IS [NOT] NULL
  In,        // args[0] [NOT] IN (args[1..])
  Between,   // args[0] [NOT] BETWEEN args[1] AND args[2]
  Like,      // args[0] [NOT] LIKE args[1]; `case_insensitive` for ILIKE
  Case,      // WHEN args[0] THEN args[1] WHEN args[2] THEN args[3] ... [ELSE last if has_else]
  Call,      // name(args...) through the FunctionRegistry
  Cast,      // CAST(args[0] AS cast_type)
};

enum class BinOp { Add, Sub, Mul, Div, Mod, Eq, Ne, Lt, Le, Gt, Ge, Concat };
const char* binop_symbol(BinOp op);  // "+", "<=", "||", ...
bool is_comparison(BinOp op);        // = <> < <= > >=
// The operator with its operands swapped (a < b is b > a); others come back unchanged.
BinOp flip_comparison(BinOp op);

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

struct Expr {
  ExprKind kind = ExprKind::Literal;
  std::string name;               // Column: column name; Call: function name
  Value value;                    // Literal
  BinOp op = BinOp::Add;          // Binary
  parquet::Type cast_type = parquet::Type::Double;  // Cast
  bool negated = false;           // IS NOT NULL, NOT IN, NOT BETWEEN, NOT LIKE
  bool case_insensitive = false;  // ILIKE
  bool has_else = false;          // Case
  std::vector<ExprPtr> args;

  // SQL-like text, e.g. "(ra + 1)" or "sqrt(x)"; the default output column name.
  std::string to_string() const;
};

// Builders (what a planner calls).
ExprPtr col(std::string name);
ExprPtr lit(Value v);
ExprPtr lit_int(int64_t v);
ExprPtr lit_double(double v);
ExprPtr lit_str(std::string v);
ExprPtr lit_bool(bool v);
ExprPtr lit_null(parquet::Type t = parquet::Type::Int64);  // typed NULL; untyped adapts to context
ExprPtr binary(BinOp op, ExprPtr a, ExprPtr b);
ExprPtr negate(ExprPtr a);
ExprPtr not_(ExprPtr a);
ExprPtr and_(ExprPtr a, ExprPtr b);
ExprPtr or_(ExprPtr a, ExprPtr b);
ExprPtr is_null(ExprPtr a, bool negated = false);
ExprPtr in_list(ExprPtr a, std::vector<ExprPtr> list, bool negated = false);
ExprPtr between(ExprPtr a, ExprPtr lo, ExprPtr hi, bool negated = false);
ExprPtr like(ExprPtr a, ExprPtr pattern, bool negated = false, bool case_insensitive = false);
ExprPtr case_when(std::vector<std::pair<ExprPtr, ExprPtr>> branches, ExprPtr else_value = nullptr);
ExprPtr call(std::string function, std::vector<ExprPtr> args);
ExprPtr cast(ExprPtr a, parquet::Type to);

// Result field of `e` over input `schema` (name = e.to_string(), or the column's name for a
// column reference). Throws ExprError naming the bad column/function and the columns that exist.
parquet::Field infer_type(const Expr& e, const std::vector<parquet::Field>& schema);
// Evaluates `e` over every row of `batch`. The result has batch.rows() rows and the field
// infer_type would give. Throws ExprError for invalid expressions or failing casts.
parquet::Column evaluate(const Expr& e, const parquet::Table& batch);

// Helpers shared with the function registry and operators.
// The type both `a` and `b` convert to (numeric promotion, string, bool), or ExprError
// mentioning `context`. A field named "NULL" (untyped NULL literal) adapts to the other side.
parquet::Type common_type(const parquet::Field& a, const parquet::Field& b, const std::string& context);
// CAST semantics: numeric<->numeric (floats round to nearest; out of range throws), numbers
// <-> strings (parse errors throw, naming the value and row), bool <-> 'true'/'false'.
parquet::Column cast_column(const parquet::Column& c, parquet::Type to);
// LIKE matching: '%' any run, '_' one UTF-8 character; `ci` folds ASCII case.
bool like_match(std::string_view s, std::string_view pattern, bool ci = false);

}  // namespace astrolake::engine
