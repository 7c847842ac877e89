#include "engine/expr.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/column_ops.h"
#include "engine/functions.h"

namespace astrolake::engine {

using parquet::Type;

const char* binop_symbol(BinOp op) {
  switch (op) {
    case BinOp::Add: return "+";
    case BinOp::Sub: return "-";
    case BinOp::Mul: return "*";
    case BinOp::Div: return "/";
    case BinOp::Mod: return "%";
    case BinOp::Eq: return "=";
    case BinOp::Ne: return "<>";
    case BinOp::Lt: return "<";
    case BinOp::Le: return "<=";
    case BinOp::Gt: return ">";
    case BinOp::Ge: return ">=";
    case BinOp::Concat: return "||";
  }
  return "?";
}

bool is_comparison(BinOp op) {
  return op == BinOp::Eq || op == BinOp::Ne || op == BinOp::Lt || op == BinOp::Le || op == BinOp::Gt ||
         op == BinOp::Ge;
}

BinOp flip_comparison(BinOp op) {
  switch (op) {
    case BinOp::Lt: return BinOp::Gt;
    case BinOp::Le: return BinOp::Ge;
    case BinOp::Gt: return BinOp::Lt;
    case BinOp::Ge: return BinOp::Le;
    default: return op;
  }
}

// ---------------------------------------------------------------------------------------
// Builders and text

namespace {

std::shared_ptr<Expr> node(ExprKind k, std::vector<ExprPtr> args = {}) {
  auto e = std::make_shared<Expr>();
  e->kind = k;
  for (auto& a : args)
    if (!a) throw ExprError("expression builder: missing operand");
  e->args = std::move(args);
  return e;
}

bool is_arith(BinOp op) {
  return op == BinOp::Add || op == BinOp::Sub || op == BinOp::Mul || op == BinOp::Div || op == BinOp::Mod;
}

std::string quote_str(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace

ExprPtr col(std::string name) {
  auto e = node(ExprKind::Column);
  e->name = std::move(name);
  return e;
}
ExprPtr lit(Value v) {
  auto e = node(ExprKind::Literal);
  e->value = std::move(v);
  return e;
}
ExprPtr lit_int(int64_t v) { return lit(Value::Int(v)); }
ExprPtr lit_double(double v) { return lit(Value::Double(v)); }
ExprPtr lit_str(std::string v) { return lit(Value::String(std::move(v))); }
ExprPtr lit_bool(bool v) { return lit(Value::Bool(v)); }
ExprPtr lit_null(Type t) {
  Value v;
  v.type = t;
  auto e = node(ExprKind::Literal);
  e->value = v;
  // An Int64 NULL is the "untyped" NULL: it takes the type of whatever it meets.
  if (t == Type::Int64) e->name = "NULL";
  return e;
}
ExprPtr binary(BinOp op, ExprPtr a, ExprPtr b) {
  auto e = node(ExprKind::Binary, {std::move(a), std::move(b)});
  e->op = op;
  return e;
}
ExprPtr negate(ExprPtr a) { return node(ExprKind::Negate, {std::move(a)}); }
ExprPtr not_(ExprPtr a) { return node(ExprKind::Not, {std::move(a)}); }
ExprPtr and_(ExprPtr a, ExprPtr b) { return node(ExprKind::And, {std::move(a), std::move(b)}); }
ExprPtr or_(ExprPtr a, ExprPtr b) { return node(ExprKind::Or, {std::move(a), std::move(b)}); }
ExprPtr is_null(ExprPtr a, bool negated) {
  auto e = node(ExprKind::IsNull, {std::move(a)});
  e->negated = negated;
  return e;
}
ExprPtr in_list(ExprPtr a, std::vector<ExprPtr> list, bool negated) {
  if (list.empty()) throw ExprError("IN: the list is empty");
  list.insert(list.begin(), std::move(a));
  auto e = node(ExprKind::In, std::move(list));
  e->negated = negated;
  return e;
}
ExprPtr between(ExprPtr a, ExprPtr lo, ExprPtr hi, bool negated) {
  auto e = node(ExprKind::Between, {std::move(a), std::move(lo), std::move(hi)});
  e->negated = negated;
  return e;
}
ExprPtr like(ExprPtr a, ExprPtr pattern, bool negated, bool case_insensitive) {
  auto e = node(ExprKind::Like, {std::move(a), std::move(pattern)});
  e->negated = negated;
  e->case_insensitive = case_insensitive;
  return e;
}
ExprPtr case_when(std::vector<std::pair<ExprPtr, ExprPtr>> branches, ExprPtr else_value) {
  if (branches.empty()) throw ExprError("CASE: needs at least one WHEN branch");
  std::vector<ExprPtr> args;
  for (auto& [c, v] : branches) {
    args.push_back(std::move(c));
    args.push_back(std::move(v));
  }
  bool has_else = else_value != nullptr;
  if (has_else) args.push_back(std::move(else_value));
  auto e = node(ExprKind::Case, std::move(args));
  e->has_else = has_else;
  return e;
}
ExprPtr call(std::string function, std::vector<ExprPtr> args) {
  auto e = node(ExprKind::Call, std::move(args));
  for (auto& ch : function) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  e->name = std::move(function);
  return e;
}
ExprPtr cast(ExprPtr a, Type to) {
  auto e = node(ExprKind::Cast, {std::move(a)});
  e->cast_type = to;
  return e;
}

std::string Expr::to_string() const {
  auto a = [this](size_t i) { return args[i]->to_string(); };
  switch (kind) {
    case ExprKind::Column: return name;
    case ExprKind::Literal: return value.null ? "NULL" : (value.is_string() ? quote_str(value.s) : value.to_string());
    case ExprKind::Negate: return "(-" + a(0) + ")";
    case ExprKind::Binary: return "(" + a(0) + " " + binop_symbol(op) + " " + a(1) + ")";
    case ExprKind::Not: return "(NOT " + a(0) + ")";
    case ExprKind::And: return "(" + a(0) + " AND " + a(1) + ")";
    case ExprKind::Or: return "(" + a(0) + " OR " + a(1) + ")";
    case ExprKind::IsNull: return "(" + a(0) + (negated ? " IS NOT NULL)" : " IS NULL)");
    case ExprKind::In: {
      std::string s = "(" + a(0) + (negated ? " NOT IN (" : " IN (");
      for (size_t i = 1; i < args.size(); i++) s += (i > 1 ? ", " : "") + a(i);
      return s + "))";
    }
    case ExprKind::Between:
      return "(" + a(0) + (negated ? " NOT BETWEEN " : " BETWEEN ") + a(1) + " AND " + a(2) + ")";
    case ExprKind::Like:
      return "(" + a(0) + (negated ? " NOT" : "") + (case_insensitive ? " ILIKE " : " LIKE ") + a(1) + ")";
    case ExprKind::Case: {
      std::string s = "CASE";
      size_t pairs = (args.size() - (has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < pairs; i++) s += " WHEN " + a(2 * i) + " THEN " + a(2 * i + 1);
      if (has_else) s += " ELSE " + a(args.size() - 1);
      return s + " END";
    }
    case ExprKind::Call: {
      std::string s = name + "(";
      for (size_t i = 0; i < args.size(); i++) s += (i ? ", " : "") + a(i);
      return s + ")";
    }
    case ExprKind::Cast: return "CAST(" + a(0) + " AS " + parquet::type_name(cast_type) + ")";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------
// Type inference

namespace {

bool untyped_null(const Field& f) { return f.name == "NULL"; }

std::string describe(const Field& f) {
  return std::string(f.list ? "list<" : "") + parquet::type_name(f.type) + (f.list ? ">" : "");
}

void require(bool ok, const std::string& what, const Field& f, const char* kind) {
  if (!ok) throw ExprError(what + " (" + f.name + ") must be " + kind + ", got " + describe(f));
}

bool numeric_or_null(const Field& f) { return !f.list && (is_numeric(f.type) || untyped_null(f)); }
bool bool_or_null(const Field& f) { return !f.list && (f.type == Type::Bool || untyped_null(f)); }

std::string column_list(const std::vector<Field>& schema) {
  std::string s;
  for (size_t i = 0; i < schema.size() && i < 40; i++) s += (i ? ", " : "") + schema[i].name;
  if (schema.size() > 40) s += ", ...";
  return s;
}

Field infer(const Expr& e, const std::vector<Field>& schema) {
  Field out;
  out.name = e.to_string();
  out.nullable = true;
  std::vector<Field> args;
  // Case/Call/etc. need the children's fields; columns and literals do not have children.
  for (const auto& a : e.args) args.push_back(infer(*a, schema));
  auto any_nullable = [&] {
    bool n = false;
    for (auto& f : args) n |= f.nullable;
    return n;
  };
  switch (e.kind) {
    case ExprKind::Column: {
      for (const auto& f : schema)
        if (f.name == e.name) return f;
      throw ExprError("no column '" + e.name + "' (columns: " + column_list(schema) + ")");
    }
    case ExprKind::Literal:
      out.type = e.value.type;
      out.nullable = e.value.null;
      if (e.value.null && e.value.type == Type::Int64) out.name = "NULL";
      return out;
    case ExprKind::Negate:
      require(numeric_or_null(args[0]), "unary -: operand", args[0], "numeric");
      out.type = is_intlike(args[0].type) ? Type::Int64 : Type::Double;
      out.nullable = args[0].nullable;
      return out;
    case ExprKind::Binary: {
      std::string op = std::string("operator ") + binop_symbol(e.op);
      if (e.op == BinOp::Concat) {
        require(!args[0].list, op + ": left operand", args[0], "a scalar");
        require(!args[1].list, op + ": right operand", args[1], "a scalar");
        out.type = Type::String;
        out.nullable = any_nullable();
        return out;
      }
      if (is_arith(e.op)) {
        require(numeric_or_null(args[0]), op + ": left operand", args[0], "numeric");
        require(numeric_or_null(args[1]), op + ": right operand", args[1], "numeric");
        out.type = is_intlike(args[0].type) && is_intlike(args[1].type) ? Type::Int64 : Type::Double;
        out.nullable = any_nullable() || e.op == BinOp::Div || e.op == BinOp::Mod;
        return out;
      }
      if (args[0].list || args[1].list) throw ExprError(op + ": cannot compare list values (" + out.name + ")");
      common_type(args[0], args[1], op);
      out.type = Type::Bool;
      out.nullable = any_nullable();
      return out;
    }
    case ExprKind::Not:
      require(bool_or_null(args[0]), "NOT: operand", args[0], "boolean");
      out.type = Type::Bool;
      out.nullable = args[0].nullable;
      return out;
    case ExprKind::And: case ExprKind::Or: {
      const char* w = e.kind == ExprKind::And ? "AND" : "OR";
      require(bool_or_null(args[0]), std::string(w) + ": left operand", args[0], "boolean");
      require(bool_or_null(args[1]), std::string(w) + ": right operand", args[1], "boolean");
      out.type = Type::Bool;
      out.nullable = any_nullable();
      return out;
    }
    case ExprKind::IsNull:
      out.type = Type::Bool;
      out.nullable = false;
      return out;
    case ExprKind::In: case ExprKind::Between: {
      const char* w = e.kind == ExprKind::In ? "IN" : "BETWEEN";
      for (size_t i = 0; i < args.size(); i++)
        if (args[i].list) throw ExprError(std::string(w) + ": cannot compare list values (" + args[i].name + ")");
      for (size_t i = 1; i < args.size(); i++) common_type(args[0], args[i], w);
      out.type = Type::Bool;
      out.nullable = any_nullable();
      return out;
    }
    case ExprKind::Like: {
      auto str_or_null = [](const Field& f) { return !f.list && (is_stringlike(f.type) || untyped_null(f)); };
      require(str_or_null(args[0]), "LIKE: operand", args[0], "a string");
      require(str_or_null(args[1]), "LIKE: pattern", args[1], "a string");
      out.type = Type::Bool;
      out.nullable = any_nullable();
      return out;
    }
    case ExprKind::Case: {
      size_t pairs = (args.size() - (e.has_else ? 1 : 0)) / 2;
      Field acc;
      acc.name = "NULL";
      acc.type = Type::Int64;
      bool nullable = !e.has_else;
      for (size_t i = 0; i < pairs; i++)
        require(bool_or_null(args[2 * i]), "CASE: WHEN condition", args[2 * i], "boolean");
      for (size_t i = 0; i < args.size(); i++) {
        bool is_value = (i % 2 == 1) || (e.has_else && i == args.size() - 1);
        if (!is_value) continue;
        if (args[i].list) throw ExprError("CASE: list values are not supported (" + args[i].name + ")");
        Type t = common_type(acc, args[i], "CASE");
        bool was_null = untyped_null(acc) && untyped_null(args[i]);
        acc.type = t;
        acc.name = was_null ? "NULL" : "";
        nullable |= args[i].nullable;
      }
      out.type = acc.type;
      out.nullable = nullable;
      return out;
    }
    case ExprKind::Call: {
      const Function* fn = FunctionRegistry::global().find(e.name);
      if (!fn) throw ExprError("unknown function '" + e.name + "'");
      if (fn->aggregate || !fn->eval)
        throw ExprError("function " + e.name + " is an aggregate; use it in an aggregation, not in a row expression");
      int n = int(args.size());
      if (n < fn->min_args || (fn->max_args >= 0 && n > fn->max_args))
        throw ExprError("function " + e.name + " takes " +
                        (fn->min_args == fn->max_args ? std::to_string(fn->min_args)
                         : fn->max_args < 0           ? "at least " + std::to_string(fn->min_args)
                                            : std::to_string(fn->min_args) + " to " + std::to_string(fn->max_args)) +
                        " argument(s), got " + std::to_string(n) + ": " + fn->signature);
      Field f = fn->infer(args);
      f.name = out.name;
      return f;
    }
    case ExprKind::Cast: {
      if (args[0].list) throw ExprError("CAST: cannot cast list column " + args[0].name);
      if (e.cast_type == Type::Binary && !is_stringlike(args[0].type) && !untyped_null(args[0]))
        throw ExprError("CAST: cannot cast " + describe(args[0]) + " (" + args[0].name + ") to binary");
      out.type = e.cast_type;
      out.nullable = args[0].nullable;
      return out;
    }
  }
  throw ExprError("invalid expression");
}

}  // namespace

Type common_type(const Field& a, const Field& b, const std::string& context) {
  if (untyped_null(a)) return b.type;
  if (untyped_null(b)) return a.type;
  Type x = a.type, y = b.type;
  if (x == y) return x;
  if (is_stringlike(x) && is_stringlike(y)) return Type::String;
  if (x == Type::Bool || y == Type::Bool) {
    if (x == Type::Bool && y == Type::Bool) return Type::Bool;
    // ADQL writes predicates as `1 = CONTAINS(...)`; a boolean compares with an integer as 0/1.
    if (is_intlike(x == Type::Bool ? y : x)) return Type::Int64;
  } else if (is_numeric(x) && is_numeric(y)) {
    return is_intlike(x) && is_intlike(y) ? Type::Int64 : Type::Double;
  }
  throw ExprError(context + ": cannot combine " + describe(a) + " (" + a.name + ") with " + describe(b) + " (" +
                  b.name + ")");
}

Field infer_type(const Expr& e, const std::vector<Field>& schema) { return infer(e, schema); }

// ---------------------------------------------------------------------------------------
// Casting

namespace {

std::string format_double(double d, bool single) {
  char buf[64];
  auto r = single ? std::to_chars(buf, buf + sizeof buf, float(d)) : std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

bool int_in_range(Type t, int64_t v) {
  switch (t) {
    case Type::Int8: return v >= INT8_MIN && v <= INT8_MAX;
    case Type::Int16: return v >= INT16_MIN && v <= INT16_MAX;
    case Type::Int32: case Type::Date32: return v >= INT32_MIN && v <= INT32_MAX;
    case Type::UInt8: return v >= 0 && v <= UINT8_MAX;
    case Type::UInt16: return v >= 0 && v <= UINT16_MAX;
    case Type::UInt32: return v >= 0 && v <= int64_t(UINT32_MAX);
    case Type::UInt64: return v >= 0;
    default: return true;
  }
}

[[noreturn]] void cast_fail(const std::string& what, Type to, size_t row) {
  throw ExprError("cast: cannot convert " + what + " to " + parquet::type_name(to) + " (row " + std::to_string(row) +
                  ")");
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

Column cast_column(const Column& c, Type to) {
  if (c.field.list) throw ExprError("cast: cannot cast list column '" + c.field.name + "'");
  Type from = c.field.type;
  if (from == to) return c;
  Field f = c.field;
  f.type = to;
  Column out(f);
  size_t n = c.rows();
  if (is_stringlike(to)) {
    if (is_stringlike(from)) {
      out.data = c.data;
      out.offsets = c.offsets;
      out.valid = c.valid;
      return out;
    }
    out.offsets.push_back(0);
    std::vector<int64_t> iv;
    std::vector<double> dv;
    bool fl = parquet::is_floating(from);
    if (fl) dv = column_f64(c);
    else iv = column_i64(c);
    for (size_t i = 0; i < n; i++) {
      if (c.value_is_null(i)) {
        out.push_null();
        continue;
      }
      if (from == Type::Bool) out.push_string(iv[i] ? "true" : "false");
      else if (fl) out.push_string(format_double(dv[i], from == Type::Float));
      else if (from == Type::UInt64) out.push_string(std::to_string(uint64_t(iv[i])));
      else out.push_string(std::to_string(iv[i]));
    }
    return out;
  }
  if (is_stringlike(from)) {
    for (size_t i = 0; i < n; i++) {
      if (c.value_is_null(i)) {
        out.push_null();
        continue;
      }
      std::string_view s = trim_spaces(c.string_at(i));
      std::string q = "'" + std::string(c.string_at(i)) + "'";
      if (to == Type::Bool) {
        std::string l(s);
        for (auto& ch : l) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        if (l == "true" || l == "t" || l == "1" || l == "yes") append_value(out, Value::Bool(true));
        else if (l == "false" || l == "f" || l == "0" || l == "no") append_value(out, Value::Bool(false));
        else cast_fail(q, to, i);
      } else if (parquet::is_floating(to)) {
        double d = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), d);
        if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) cast_fail(q, to, i);
        append_value(out, Value::Double(d));
      } else {
        int64_t v = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) cast_fail(q, to, i);
        if (!int_in_range(to, v)) cast_fail(q + " (out of range)", to, i);
        append_value(out, Value::Int(v));
      }
    }
    return out;
  }
  // Numeric to numeric.
  if (!c.valid.empty()) out.valid = c.valid;
  if (parquet::is_floating(to)) {
    std::vector<double> dv = column_f64(c);
    if (from == Type::UInt64) {
      std::vector<int64_t> iv = column_i64(c);
      for (size_t i = 0; i < n; i++) dv[i] = double(uint64_t(iv[i]));
    }
    if (to == Type::Double) {
      out.data.append(dv.data(), n * 8);
    } else {
      std::vector<float> fv(dv.begin(), dv.end());
      out.data.append(fv.data(), n * 4);
    }
    return out;
  }
  std::vector<int64_t> iv;
  if (parquet::is_floating(from)) {
    std::vector<double> dv = column_f64(c);
    iv.resize(n);
    for (size_t i = 0; i < n; i++) {
      if (c.value_is_null(i)) continue;
      double r = std::round(dv[i]);
      if (to == Type::Bool) {
        iv[i] = dv[i] != 0;
        continue;
      }
      if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
        cast_fail("value " + format_double(dv[i], false) + " (out of range)", to, i);
      iv[i] = int64_t(r);
    }
  } else {
    iv = column_i64(c);
  }
  size_t w = parquet::type_width(to);
  out.data.resize(n * w);
  uint8_t* p = out.data.data();
  for (size_t i = 0; i < n; i++) {
    int64_t v = iv[i];
    bool null = c.value_is_null(i);
    if (to == Type::Bool) v = v != 0;
    else if (!null && !int_in_range(to, v)) cast_fail("value " + std::to_string(v) + " (out of range)", to, i);
    if (null) v = 0;
    std::memcpy(p + i * w, &v, w);  // little-endian: low bytes hold the narrowed value
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Evaluation

namespace {

Column eval_node(const Expr& e, const Table& batch);

// A column operand without copying column references out of the batch.
struct Operand {
  const Column* ptr = nullptr;
  Column owned;
  const Column& get() const { return *ptr; }
};

void eval_operand(const Expr& e, const Table& batch, Operand& op) {
  if (e.kind == ExprKind::Column) {
    int i = batch.find(e.name);
    if (i < 0) throw ExprError("no column '" + e.name + "' (columns: " + column_list(schema_of(batch)) + ")");
    op.ptr = &batch.columns[size_t(i)];
    return;
  }
  op.owned = eval_node(e, batch);
  op.ptr = &op.owned;
}

// Validity of a binary result: both present.
std::vector<uint8_t> both_valid(const Column& a, const Column& b, size_t n) {
  if (a.valid.empty() && b.valid.empty()) return {};
  std::vector<uint8_t> v(n, 1);
  for (size_t i = 0; i < n; i++) v[i] = !a.value_is_null(i) && !b.value_is_null(i);
  return v;
}

Field result_field(const std::string& name, Type t) {
  Field f;
  f.name = name;
  f.type = t;
  return f;
}

Column arith(BinOp op, const Column& a, const Column& b, size_t n) {
  std::vector<uint8_t> valid = both_valid(a, b, n);
  auto kill = [&](size_t i) {
    if (valid.empty()) valid.assign(n, 1);
    valid[i] = 0;
  };
  if (is_intlike(a.field.type) && is_intlike(b.field.type)) {
    std::vector<int64_t> x = column_i64(a), y = column_i64(b), r(n);
    // A result outside BIGINT is an error (as in PostgreSQL and DuckDB), never a wrapped
    // value; rows that are NULL are not checked (their slots hold no value).
    bool overflow = false;
    switch (op) {
      case BinOp::Add: for (size_t i = 0; i < n; i++) overflow |= __builtin_add_overflow(x[i], y[i], &r[i]) && (valid.empty() || valid[i]); break;
      case BinOp::Sub: for (size_t i = 0; i < n; i++) overflow |= __builtin_sub_overflow(x[i], y[i], &r[i]) && (valid.empty() || valid[i]); break;
      case BinOp::Mul: for (size_t i = 0; i < n; i++) overflow |= __builtin_mul_overflow(x[i], y[i], &r[i]) && (valid.empty() || valid[i]); break;
      case BinOp::Div: case BinOp::Mod:
        for (size_t i = 0; i < n; i++) {
          if (y[i] == 0) {
            kill(i);
          } else if (y[i] == -1) {
            // INT64_MIN / -1 does not fit; INT64_MIN % -1 is 0.
            if (op == BinOp::Div) overflow |= __builtin_sub_overflow(int64_t(0), x[i], &r[i]) && (valid.empty() || valid[i]);
            else r[i] = 0;
          } else {
            r[i] = op == BinOp::Div ? x[i] / y[i] : x[i] % y[i];
          }
        }
        break;
      default: break;
    }
    if (overflow) {
      for (size_t i = 0; i < n; i++) {
        int64_t t;
        bool bad = op == BinOp::Add ? __builtin_add_overflow(x[i], y[i], &t)
                 : op == BinOp::Sub ? __builtin_sub_overflow(x[i], y[i], &t)
                 : op == BinOp::Mul ? __builtin_mul_overflow(x[i], y[i], &t)
                                    : (y[i] == -1 && x[i] == INT64_MIN);
        if (bad && (valid.empty() || valid[i]))
          throw ExprError("integer overflow: " + std::to_string(x[i]) + " " + binop_symbol(op) + " " +
                          std::to_string(y[i]) + " is outside the BIGINT range (cast an operand to DOUBLE to "
                          "compute in floating point)");
      }
    }
    return make_i64(result_field("", Type::Int64), std::move(r), std::move(valid));
  }
  std::vector<double> x = column_f64(a), y = column_f64(b), r(n);
  switch (op) {
    case BinOp::Add: for (size_t i = 0; i < n; i++) r[i] = x[i] + y[i]; break;
    case BinOp::Sub: for (size_t i = 0; i < n; i++) r[i] = x[i] - y[i]; break;
    case BinOp::Mul: for (size_t i = 0; i < n; i++) r[i] = x[i] * y[i]; break;
    case BinOp::Div: case BinOp::Mod:
      for (size_t i = 0; i < n; i++) {
        if (y[i] == 0) kill(i);
        else r[i] = op == BinOp::Div ? x[i] / y[i] : std::fmod(x[i], y[i]);
      }
      break;
    default: break;
  }
  return make_f64(result_field("", Type::Double), std::move(r), std::move(valid));
}

int cmp_double(double x, double y) {
  bool xn = std::isnan(x), yn = std::isnan(y);
  if (xn || yn) return xn == yn ? 0 : (xn ? 1 : -1);
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool cmp_holds(BinOp op, int r) {
  switch (op) {
    case BinOp::Eq: return r == 0;
    case BinOp::Ne: return r != 0;
    case BinOp::Lt: return r < 0;
    case BinOp::Le: return r <= 0;
    case BinOp::Gt: return r > 0;
    case BinOp::Ge: return r >= 0;
    default: return false;
  }
}

Column compare(BinOp op, const Column& a0, const Column& b0, size_t n) {
  // Mixed string/number only happens with an untyped NULL; casting makes it all-null.
  const Column* a = &a0;
  const Column* b = &b0;
  Column tmp;
  if (is_stringlike(a->field.type) != is_stringlike(b->field.type)) {
    if (!is_stringlike(a->field.type)) { tmp = cast_column(*a, Type::String); a = &tmp; }
    else { tmp = cast_column(*b, Type::String); b = &tmp; }
  }
  std::vector<uint8_t> valid = both_valid(*a, *b, n);
  std::vector<int8_t> r(n);
  if (is_stringlike(a->field.type)) {
    for (size_t i = 0; i < n; i++) {
      int c = a->string_at(i).compare(b->string_at(i));
      r[i] = int8_t(c < 0 ? -1 : (c > 0 ? 1 : 0));
    }
  } else if (is_intlike(a->field.type) && is_intlike(b->field.type)) {
    std::vector<int64_t> x = column_i64(*a), y = column_i64(*b);
    for (size_t i = 0; i < n; i++) r[i] = int8_t(x[i] < y[i] ? -1 : (x[i] > y[i] ? 1 : 0));
  } else {
    std::vector<double> x = column_f64(*a), y = column_f64(*b);
    for (size_t i = 0; i < n; i++) r[i] = int8_t(cmp_double(x[i], y[i]));
  }
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; i++) out[i] = cmp_holds(op, r[i]);
  return make_bool(result_field("", Type::Bool), std::move(out), std::move(valid));
}

// Truth values of a boolean (or untyped-NULL) column, and their validity.
std::vector<uint8_t> truth(const Column& c) {
  std::vector<int64_t> v = column_i64(c);
  std::vector<uint8_t> t(v.size());
  for (size_t i = 0; i < v.size(); i++) t[i] = v[i] != 0;
  return t;
}

// Kleene AND / OR of two boolean columns.
Column logic(bool is_and, const Column& a, const Column& b, size_t n) {
  std::vector<uint8_t> x = truth(a), y = truth(b), out(n), valid(n);
  for (size_t i = 0; i < n; i++) {
    bool xv = !a.value_is_null(i), yv = !b.value_is_null(i);
    if (is_and) {
      if ((xv && !x[i]) || (yv && !y[i])) { out[i] = 0; valid[i] = 1; }
      else if (xv && yv) { out[i] = 1; valid[i] = 1; }
      else valid[i] = 0;
    } else {
      if ((xv && x[i]) || (yv && y[i])) { out[i] = 1; valid[i] = 1; }
      else if (xv && yv) { out[i] = 0; valid[i] = 1; }
      else valid[i] = 0;
    }
  }
  return make_bool(result_field("", Type::Bool), std::move(out), std::move(valid));
}

Column logic_not(const Column& a, size_t n) {
  std::vector<uint8_t> x = truth(a);
  for (auto& v : x) v = !v;
  std::vector<uint8_t> valid;
  if (!a.valid.empty()) valid = a.valid;
  return make_bool(result_field("", Type::Bool), std::move(x), std::move(valid));
}

Column concat(const Column& a0, const Column& b0, size_t n) {
  Column a = cast_column(a0, Type::String), b = cast_column(b0, Type::String);
  Column out(result_field("", Type::String));
  out.offsets.push_back(0);
  std::string s;
  for (size_t i = 0; i < n; i++) {
    if (a.value_is_null(i) || b.value_is_null(i)) {
      out.push_null();
      continue;
    }
    s.assign(a.string_at(i));
    s.append(b.string_at(i));
    out.push_string(s);
  }
  return out;
}

Column eval_node(const Expr& e, const Table& batch) {
  size_t n = batch.rows();
  switch (e.kind) {
    case ExprKind::Column: {
      Operand o;
      eval_operand(e, batch, o);
      return o.get();
    }
    case ExprKind::Literal: {
      Field f = result_field("", e.value.type);
      return constant_column(e.value, f, n);
    }
    case ExprKind::Negate: {
      Operand a;
      eval_operand(*e.args[0], batch, a);
      Column zero = constant_column(Value::Int(0), result_field("", Type::Int64), n);
      return arith(BinOp::Sub, zero, a.get(), n);
    }
    case ExprKind::Binary: {
      Operand a, b;
      eval_operand(*e.args[0], batch, a);
      eval_operand(*e.args[1], batch, b);
      if (e.op == BinOp::Concat) return concat(a.get(), b.get(), n);
      if (is_arith(e.op)) return arith(e.op, a.get(), b.get(), n);
      return compare(e.op, a.get(), b.get(), n);
    }
    case ExprKind::Not: {
      Operand a;
      eval_operand(*e.args[0], batch, a);
      return logic_not(a.get(), n);
    }
    case ExprKind::And: case ExprKind::Or: {
      Operand a, b;
      eval_operand(*e.args[0], batch, a);
      eval_operand(*e.args[1], batch, b);
      return logic(e.kind == ExprKind::And, a.get(), b.get(), n);
    }
    case ExprKind::IsNull: {
      Operand a;
      eval_operand(*e.args[0], batch, a);
      std::vector<uint8_t> out(n);
      for (size_t i = 0; i < n; i++) out[i] = a.get().is_null(i) != e.negated;
      return make_bool(result_field("", Type::Bool), std::move(out));
    }
    case ExprKind::In: {
      Operand a;
      eval_operand(*e.args[0], batch, a);
      Column acc = make_bool(result_field("", Type::Bool), std::vector<uint8_t>(n, 0));
      for (size_t k = 1; k < e.args.size(); k++) {
        Operand b;
        eval_operand(*e.args[k], batch, b);
        acc = logic(false, acc, compare(BinOp::Eq, a.get(), b.get(), n), n);
      }
      return e.negated ? logic_not(acc, n) : acc;
    }
    case ExprKind::Between: {
      Operand a, lo, hi;
      eval_operand(*e.args[0], batch, a);
      eval_operand(*e.args[1], batch, lo);
      eval_operand(*e.args[2], batch, hi);
      Column r = logic(true, compare(BinOp::Ge, a.get(), lo.get(), n), compare(BinOp::Le, a.get(), hi.get(), n), n);
      return e.negated ? logic_not(r, n) : r;
    }
    case ExprKind::Like: {
      Operand a, p;
      eval_operand(*e.args[0], batch, a);
      eval_operand(*e.args[1], batch, p);
      const Column& s = a.get();
      const Column& pat = p.get();
      bool s_str = is_stringlike(s.field.type), p_str = is_stringlike(pat.field.type);
      std::vector<uint8_t> out(n), valid(n);
      for (size_t i = 0; i < n; i++) {
        valid[i] = s_str && p_str && !s.value_is_null(i) && !pat.value_is_null(i);
        if (valid[i]) out[i] = like_match(s.string_at(i), pat.string_at(i), e.case_insensitive) != e.negated;
      }
      return make_bool(result_field("", Type::Bool), std::move(out), std::move(valid));
    }
    case ExprKind::Case: {
      Type t = infer(e, schema_of(batch)).type;
      size_t pairs = (e.args.size() - (e.has_else ? 1 : 0)) / 2;
      std::vector<int> choice(n, -1);  // index into values, -1 = NULL
      std::vector<Column> values;
      for (size_t k = 0; k < pairs; k++) {
        Operand c;
        eval_operand(*e.args[2 * k], batch, c);
        std::vector<uint8_t> tv = truth(c.get());
        for (size_t i = 0; i < n; i++)
          if (choice[i] < 0 && tv[i] && !c.get().value_is_null(i)) choice[i] = int(k);
      }
      // Rows no WHEN matched take ELSE; mark them with `pairs` before evaluating values.
      if (e.has_else)
        for (auto& ch : choice)
          if (ch < 0) ch = int(pairs);
      for (size_t k = 0; k < pairs + (e.has_else ? 1 : 0); k++) {
        const Expr& v = k < pairs ? *e.args[2 * k + 1] : *e.args.back();
        values.push_back(cast_column(eval_node(v, batch), t));
      }
      Column out(result_field("", t));
      if (is_stringlike(t)) out.offsets.push_back(0);
      for (size_t i = 0; i < n; i++) {
        if (choice[i] < 0) out.push_null();
        else append_row(out, values[size_t(choice[i])], i);
      }
      normalize_validity(out.valid);
      return out;
    }
    case ExprKind::Call: {
      const Function* fn = FunctionRegistry::global().find(e.name);
      std::vector<Column> args;
      for (const auto& a : e.args) args.push_back(eval_node(*a, batch));
      return fn->eval(args, n);
    }
    case ExprKind::Cast: {
      Operand a;
      eval_operand(*e.args[0], batch, a);
      return cast_column(a.get(), e.cast_type);
    }
  }
  throw ExprError("invalid expression");
}

}  // namespace

Column evaluate(const Expr& e, const Table& batch) {
  Field f = infer(e, schema_of(batch));
  Column c = eval_node(e, batch);
  if (c.field.type != f.type) c = cast_column(c, f.type);
  if (c.rows() != batch.rows())
    throw ExprError("expression " + f.name + " produced " + std::to_string(c.rows()) + " rows for a batch of " +
                    std::to_string(batch.rows()));
  c.field = f;
  if (has_nulls(c)) c.field.nullable = true;
  return c;
}

bool like_match(std::string_view s, std::string_view p, bool ci) {
  // Iterative matcher with single-'%' backtracking: linear-ish, no recursion blowup.
  auto fold = [ci](char c) { return ci ? char(std::tolower(static_cast<unsigned char>(c))) : c; };
  auto char_len = [](std::string_view x, size_t i) {
    unsigned char c = static_cast<unsigned char>(x[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    return std::min(len, x.size() - i);
  };
  size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '%') {
      star_p = ++pi;
      star_s = si;
    } else if (pi < p.size() && p[pi] == '_') {
      si += char_len(s, si);
      pi++;
    } else if (pi < p.size() && fold(p[pi]) == fold(s[si])) {
      si++;
      pi++;
    } else if (star_p != std::string_view::npos) {
      star_s += char_len(s, star_s);
      si = star_s;
      pi = star_p;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '%') pi++;
  return pi == p.size();
}

}  // namespace astrolake::engine
