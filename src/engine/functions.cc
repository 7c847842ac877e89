#include "engine/functions.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/column_ops.h"
#include "engine/expr.h"
#include "engine/lightcurve.h"

namespace astrolake::engine {

using parquet::Type;

FunctionRegistry& FunctionRegistry::global() {
  static FunctionRegistry* r = [] {
    auto* reg = new FunctionRegistry();
    register_builtin_functions(*reg);
    register_lightcurve_functions(*reg);  // list functions; a direct call keeps them linked
    return reg;
  }();
  return *r;
}

namespace {
std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

void FunctionRegistry::add(Function f) {
  f.name = lower(f.name);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& p : fns_)
    if (p->name == f.name) {
      *p = std::move(f);
      return;
    }
  fns_.push_back(std::make_unique<Function>(std::move(f)));
}

const Function* FunctionRegistry::find(const std::string& name) const {
  std::string n = lower(name);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& p : fns_)
    if (p->name == n) return p.get();
  return nullptr;
}

std::vector<const Function*> FunctionRegistry::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<const Function*> out;
  for (auto& p : fns_) out.push_back(p.get());
  std::sort(out.begin(), out.end(), [](const Function* a, const Function* b) { return a->name < b->name; });
  return out;
}

namespace {

using Fields = std::vector<Field>;
using Columns = std::vector<Column>;

bool untyped(const Field& f) { return f.name == "NULL"; }

void need_numeric(const std::string& fn, const Fields& a, size_t i) {
  if (a[i].list || !(is_numeric(a[i].type) || untyped(a[i])))
    throw ExprError("function " + fn + ": argument " + std::to_string(i + 1) + " (" + a[i].name +
                    ") must be numeric, got " + parquet::type_name(a[i].type));
}
void need_string(const std::string& fn, const Fields& a, size_t i) {
  if (a[i].list || !(is_stringlike(a[i].type) || untyped(a[i])))
    throw ExprError("function " + fn + ": argument " + std::to_string(i + 1) + " (" + a[i].name +
                    ") must be a string, got " + parquet::type_name(a[i].type));
}
void need_integer(const std::string& fn, const Fields& a, size_t i) {
  if (a[i].list || !(is_intlike(a[i].type) || untyped(a[i])))
    throw ExprError("function " + fn + ": argument " + std::to_string(i + 1) + " (" + a[i].name +
                    ") must be an integer, got " + parquet::type_name(a[i].type));
}

Field typed(Type t) {
  Field f;
  f.type = t;
  return f;
}

std::vector<uint8_t> all_valid(const Columns& a, size_t n) {
  std::vector<uint8_t> v;
  for (const auto& c : a) {
    if (c.valid.empty()) continue;
    if (v.empty()) v.assign(n, 1);
    for (size_t i = 0; i < n; i++) v[i] &= c.valid[i];
  }
  return v;
}

// Doubles out; a NaN produced from non-NaN inputs becomes NULL (domain error).
Column finish_double(std::vector<double> r, std::vector<uint8_t> valid, const std::vector<std::vector<double>>& in) {
  size_t n = r.size();
  for (size_t i = 0; i < n; i++) {
    if (!std::isnan(r[i])) continue;
    bool input_nan = false;
    for (const auto& x : in) input_nan |= std::isnan(x[i]);
    if (input_nan) continue;
    if (valid.empty()) valid.assign(n, 1);
    valid[i] = 0;
  }
  for (size_t i = 0; i < valid.size(); i++)
    if (!valid[i]) r[i] = 0;
  return make_f64(typed(Type::Double), std::move(r), std::move(valid));
}

void add_unary(FunctionRegistry& r, const std::string& name, const std::string& help, double (*fn)(double)) {
  Function f;
  f.name = name;
  f.min_args = f.max_args = 1;
  f.signature = name + "(x DOUBLE) -> DOUBLE";
  f.help = help;
  f.infer = [name](const Fields& a) {
    need_numeric(name, a, 0);
    return typed(Type::Double);
  };
  f.eval = [fn](const Columns& a, size_t n) {
    std::vector<double> x = column_f64(a[0]), out(n);
    for (size_t i = 0; i < n; i++) out[i] = fn(x[i]);
    return finish_double(std::move(out), all_valid(a, n), {x});
  };
  r.add(std::move(f));
}

void add_binary(FunctionRegistry& r, const std::string& name, const std::string& sig, const std::string& help,
                double (*fn)(double, double)) {
  Function f;
  f.name = name;
  f.min_args = f.max_args = 2;
  f.signature = sig;
  f.help = help;
  f.infer = [name](const Fields& a) {
    need_numeric(name, a, 0);
    need_numeric(name, a, 1);
    return typed(Type::Double);
  };
  f.eval = [fn](const Columns& a, size_t n) {
    std::vector<double> x = column_f64(a[0]), y = column_f64(a[1]), out(n);
    for (size_t i = 0; i < n; i++) out[i] = fn(x[i], y[i]);
    return finish_double(std::move(out), all_valid(a, n), {x, y});
  };
  r.add(std::move(f));
}

// Integer in, integer out; double in, double out (abs, floor, ceil, round, sign...).
void add_int_or_double(FunctionRegistry& r, const std::string& name, const std::string& help,
                       int64_t (*ifn)(int64_t), double (*dfn)(double)) {
  Function f;
  f.name = name;
  f.min_args = f.max_args = 1;
  f.signature = name + "(x NUMERIC) -> same kind (BIGINT for integers, DOUBLE otherwise)";
  f.help = help;
  f.infer = [name](const Fields& a) {
    need_numeric(name, a, 0);
    return typed(is_intlike(a[0].type) ? Type::Int64 : Type::Double);
  };
  f.eval = [ifn, dfn](const Columns& a, size_t n) {
    if (is_intlike(a[0].field.type)) {
      std::vector<int64_t> x = column_i64(a[0]);
      std::vector<uint8_t> valid = all_valid(a, n);
      for (size_t i = 0; i < x.size(); i++)
        if (valid.empty() || valid[i]) x[i] = ifn(x[i]);  // a NULL's slot holds no value
      return make_i64(typed(Type::Int64), std::move(x), std::move(valid));
    }
    std::vector<double> x = column_f64(a[0]), out(n);
    for (size_t i = 0; i < n; i++) out[i] = dfn(x[i]);
    return finish_double(std::move(out), all_valid(a, n), {x});
  };
  r.add(std::move(f));
}

// Evaluates an operator expression over argument columns (mod() reuses `%`).
Column eval_via(const ExprPtr& e, const Columns& a) {
  Table t;
  for (size_t i = 0; i < a.size(); i++) {
    t.columns.push_back(a[i]);
    t.columns.back().field.name = "a" + std::to_string(i);
  }
  return evaluate(*e, t);
}

// UTF-8 character boundaries of s: byte offsets of each character start, plus s.size().
std::vector<size_t> char_starts(std::string_view s) {
  std::vector<size_t> b;
  for (size_t i = 0; i < s.size(); i++)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) b.push_back(i);
  b.push_back(s.size());
  return b;
}

Column map_strings(const Column& c, size_t n, const std::function<std::string(std::string_view, size_t)>& fn) {
  Column out(typed(Type::String));
  out.offsets.push_back(0);
  for (size_t i = 0; i < n; i++) {
    if (c.value_is_null(i) || !is_stringlike(c.field.type)) out.push_null();
    else out.push_string(fn(c.string_at(i), i));
  }
  normalize_validity(out.valid);
  return out;
}

void add_string_fn(FunctionRegistry& r, const std::string& name, const std::string& sig, const std::string& help,
                   std::string (*fn)(std::string_view)) {
  Function f;
  f.name = name;
  f.min_args = f.max_args = 1;
  f.signature = sig;
  f.help = help;
  f.infer = [name](const Fields& a) {
    need_string(name, a, 0);
    return typed(Type::String);
  };
  f.eval = [fn](const Columns& a, size_t n) {
    return map_strings(a[0], n, [fn](std::string_view s, size_t) { return fn(s); });
  };
  r.add(std::move(f));
}

std::string to_lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = char(std::tolower(static_cast<unsigned char>(c)));
  return o;
}
std::string to_upper(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = char(std::toupper(static_cast<unsigned char>(c)));
  return o;
}
std::string trim_both(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}
std::string trim_left(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return std::string(s);
}
std::string trim_right(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

double sign_d(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

}  // namespace

void register_builtin_functions(FunctionRegistry& r) {
  add_unary(r, "sqrt", "square root; NULL for negative x", [](double x) { return std::sqrt(x); });
  add_unary(r, "log", "natural logarithm; NULL for x < 0", [](double x) { return std::log(x); });
  add_unary(r, "ln", "natural logarithm (same as log)", [](double x) { return std::log(x); });
  add_unary(r, "log10", "base-10 logarithm", [](double x) { return std::log10(x); });
  add_unary(r, "exp", "e raised to x", [](double x) { return std::exp(x); });
  add_unary(r, "sin", "sine of x in radians", [](double x) { return std::sin(x); });
  add_unary(r, "cos", "cosine of x in radians", [](double x) { return std::cos(x); });
  add_unary(r, "tan", "tangent of x in radians", [](double x) { return std::tan(x); });
  add_unary(r, "cot", "cotangent of x in radians", [](double x) { return 1.0 / std::tan(x); });
  add_unary(r, "asin", "arc sine in radians; NULL outside [-1, 1]", [](double x) { return std::asin(x); });
  add_unary(r, "acos", "arc cosine in radians; NULL outside [-1, 1]", [](double x) { return std::acos(x); });
  add_unary(r, "atan", "arc tangent in radians", [](double x) { return std::atan(x); });
  add_unary(r, "radians", "degrees to radians", [](double x) { return x * (std::numbers::pi / 180.0); });
  add_unary(r, "degrees", "radians to degrees", [](double x) { return x * (180.0 / std::numbers::pi); });
  add_binary(r, "atan2", "atan2(y DOUBLE, x DOUBLE) -> DOUBLE", "angle of the point (x, y) in radians",
             [](double y, double x) { return std::atan2(y, x); });
  add_binary(r, "pow", "pow(x DOUBLE, y DOUBLE) -> DOUBLE", "x raised to the power y",
             [](double x, double y) { return std::pow(x, y); });
  add_binary(r, "power", "power(x DOUBLE, y DOUBLE) -> DOUBLE", "x raised to the power y (same as pow)",
             [](double x, double y) { return std::pow(x, y); });
  add_int_or_double(r, "abs", "absolute value",
                    [](int64_t x) {
                      if (x == INT64_MIN) throw ExprError("integer overflow: abs(" + std::to_string(x) + ") is outside the BIGINT range");
                      return x < 0 ? -x : x;
                    }, [](double x) { return std::fabs(x); });
  add_int_or_double(r, "floor", "largest integer <= x", [](int64_t x) { return x; }, [](double x) { return std::floor(x); });
  add_int_or_double(r, "ceil", "smallest integer >= x", [](int64_t x) { return x; }, [](double x) { return std::ceil(x); });
  add_int_or_double(r, "ceiling", "smallest integer >= x (same as ceil)", [](int64_t x) { return x; },
                    [](double x) { return std::ceil(x); });
  add_int_or_double(r, "sign", "-1, 0 or 1 by the sign of x", [](int64_t x) { return int64_t(x > 0) - int64_t(x < 0); },
                    sign_d);

  {
    Function f;
    f.name = "round";
    f.min_args = 1;
    f.max_args = 2;
    f.signature = "round(x NUMERIC [, digits INTEGER]) -> same kind as x, DOUBLE with digits";
    f.help = "rounds half away from zero, to `digits` decimals (default 0)";
    f.infer = [](const Fields& a) {
      need_numeric("round", a, 0);
      if (a.size() == 2) need_integer("round", a, 1);
      return typed(a.size() == 1 && is_intlike(a[0].type) ? Type::Int64 : Type::Double);
    };
    f.eval = [](const Columns& a, size_t n) {
      if (a.size() == 1 && is_intlike(a[0].field.type)) return make_i64(typed(Type::Int64), column_i64(a[0]), all_valid(a, n));
      std::vector<double> x = column_f64(a[0]), out(n);
      std::vector<int64_t> d = a.size() == 2 ? column_i64(a[1]) : std::vector<int64_t>(n, 0);
      for (size_t i = 0; i < n; i++) {
        if (d[i] == 0) {
          out[i] = std::round(x[i]);
        } else {
          double s = std::pow(10.0, double(std::clamp<int64_t>(d[i], -308, 308)));
          out[i] = std::round(x[i] * s) / s;
        }
      }
      return finish_double(std::move(out), all_valid(a, n), {x});
    };
    r.add(std::move(f));
  }
  {
    Function f;
    f.name = "truncate";
    f.min_args = 1;
    f.max_args = 2;
    f.signature = "truncate(x DOUBLE [, digits INTEGER]) -> DOUBLE";
    f.help = "rounds toward zero, to `digits` decimals (default 0)";
    f.infer = [](const Fields& a) {
      need_numeric("truncate", a, 0);
      if (a.size() == 2) need_integer("truncate", a, 1);
      return typed(Type::Double);
    };
    f.eval = [](const Columns& a, size_t n) {
      std::vector<double> x = column_f64(a[0]), out(n);
      std::vector<int64_t> d = a.size() == 2 ? column_i64(a[1]) : std::vector<int64_t>(n, 0);
      for (size_t i = 0; i < n; i++) {
        double s = std::pow(10.0, double(std::clamp<int64_t>(d[i], -308, 308)));
        out[i] = std::trunc(x[i] * s) / s;
      }
      return finish_double(std::move(out), all_valid(a, n), {x});
    };
    r.add(std::move(f));
  }
  {
    Function f;
    f.name = "mod";
    f.min_args = f.max_args = 2;
    f.signature = "mod(x NUMERIC, y NUMERIC) -> BIGINT or DOUBLE";
    f.help = "remainder of x / y with the sign of x (same as x % y); NULL when y = 0";
    f.infer = [](const Fields& a) {
      need_numeric("mod", a, 0);
      need_numeric("mod", a, 1);
      return typed(is_intlike(a[0].type) && is_intlike(a[1].type) ? Type::Int64 : Type::Double);
    };
    f.eval = [](const Columns& a, size_t) { return eval_via(binary(BinOp::Mod, col("a0"), col("a1")), a); };
    r.add(std::move(f));
  }
  {
    Function f;
    f.name = "pi";
    f.signature = "pi() -> DOUBLE";
    f.help = "the constant pi";
    f.infer = [](const Fields&) {
      Field x = typed(Type::Double);
      x.nullable = false;
      return x;
    };
    f.eval = [](const Columns&, size_t n) {
      return make_f64(typed(Type::Double), std::vector<double>(n, std::numbers::pi));
    };
    r.add(std::move(f));
  }

  add_string_fn(r, "lower", "lower(s STRING) -> STRING", "ASCII lower case", to_lower);
  add_string_fn(r, "upper", "upper(s STRING) -> STRING", "ASCII upper case", to_upper);
  add_string_fn(r, "trim", "trim(s STRING) -> STRING", "removes leading and trailing spaces", trim_both);
  add_string_fn(r, "ltrim", "ltrim(s STRING) -> STRING", "removes leading spaces", trim_left);
  add_string_fn(r, "rtrim", "rtrim(s STRING) -> STRING", "removes trailing spaces", trim_right);
  {
    Function f;
    f.name = "length";
    f.min_args = f.max_args = 1;
    f.signature = "length(s STRING) -> BIGINT";
    f.help = "number of UTF-8 characters";
    f.infer = [](const Fields& a) {
      need_string("length", a, 0);
      return typed(Type::Int64);
    };
    f.eval = [](const Columns& a, size_t n) {
      std::vector<int64_t> out(n);
      bool str = is_stringlike(a[0].field.type);
      for (size_t i = 0; i < n; i++)
        if (str && !a[0].value_is_null(i)) out[i] = int64_t(char_starts(a[0].string_at(i)).size() - 1);
      std::vector<uint8_t> valid = all_valid(a, n);
      if (!str) valid.assign(n, 0);
      return make_i64(typed(Type::Int64), std::move(out), std::move(valid));
    };
    r.add(std::move(f));
  }
  {
    Function f;
    f.name = "substring";
    f.min_args = 2;
    f.max_args = 3;
    f.signature = "substring(s STRING, start INTEGER [, length INTEGER]) -> STRING";
    f.help = "characters from 1-based `start`, at most `length` of them (SQL SUBSTRING)";
    f.infer = [](const Fields& a) {
      need_string("substring", a, 0);
      need_integer("substring", a, 1);
      if (a.size() == 3) need_integer("substring", a, 2);
      return typed(Type::String);
    };
    f.eval = [](const Columns& a, size_t n) {
      std::vector<int64_t> start = column_i64(a[1]);
      std::vector<int64_t> len = a.size() == 3 ? column_i64(a[2]) : std::vector<int64_t>();
      Column out(typed(Type::String));
      out.offsets.push_back(0);
      for (size_t i = 0; i < n; i++) {
        bool null = !is_stringlike(a[0].field.type);
        for (const auto& c : a) null |= c.value_is_null(i);
        if (!null && !len.empty() && len[i] < 0)
          throw ExprError("function substring: negative length " + std::to_string(len[i]) + " (row " +
                          std::to_string(i) + ")");
        if (null) {
          out.push_null();
          continue;
        }
        std::string_view s = a[0].string_at(i);
        std::vector<size_t> b = char_starts(s);
        int64_t chars = int64_t(b.size()) - 1;
        // SQL: characters [start, start+len) intersected with [1, chars].
        int64_t from = std::max<int64_t>(start[i], 1);
        int64_t to = len.empty() ? chars + 1 : std::min<int64_t>(chars + 1, start[i] + std::min<int64_t>(len[i], chars + 1));
        if (to <= from || from > chars) {
          out.push_string("");
          continue;
        }
        out.push_string(s.substr(b[size_t(from - 1)], b[size_t(to - 1)] - b[size_t(from - 1)]));
      }
      normalize_validity(out.valid);
      return out;
    };
    r.add(std::move(f));
  }
  {
    Function f;
    f.name = "concat";
    f.min_args = 1;
    f.max_args = -1;
    f.signature = "concat(a, b, ...) -> STRING";
    f.help = "concatenation of the arguments as text (same as a || b); NULL if any is NULL";
    f.infer = [](const Fields& a) {
      for (size_t i = 0; i < a.size(); i++)
        if (a[i].list) throw ExprError("function concat: argument " + std::to_string(i + 1) + " (" + a[i].name + ") is a list");
      return typed(Type::String);
    };
    f.eval = [](const Columns& a, size_t n) {
      ExprPtr e = col("a0");
      for (size_t i = 1; i < a.size(); i++) e = binary(BinOp::Concat, e, col("a" + std::to_string(i)));
      if (a.size() == 1) e = cast(e, Type::String);
      return eval_via(e, a);
    };
    r.add(std::move(f));
  }
  {
    Function f;
    f.name = "coalesce";
    f.min_args = 1;
    f.max_args = -1;
    f.signature = "coalesce(a, b, ...) -> common type";
    f.help = "the first argument that is not NULL";
    f.infer = [](const Fields& a) {
      Field acc = a[0];
      for (size_t i = 1; i < a.size(); i++) {
        Type t = common_type(acc, a[i], "function coalesce");
        acc.name = (acc.name == "NULL" && a[i].name == "NULL") ? "NULL" : "";
        acc.type = t;
      }
      if (acc.list) throw ExprError("function coalesce: list arguments are not supported");
      Field f = typed(acc.type);
      return f;
    };
    f.eval = [](const Columns& a, size_t n) {
      std::vector<ExprPtr> args;
      Fields fs;
      for (size_t i = 0; i < a.size(); i++) {
        fs.push_back(a[i].field);
        fs.back().name = "x";
      }
      Type t = a[0].field.type;
      for (size_t i = 1; i < a.size(); i++) t = common_type(typed(t), a[i].field, "coalesce");
      Column out(typed(t));
      if (is_stringlike(t)) out.offsets.push_back(0);
      Columns cast_args;
      for (const auto& c : a) cast_args.push_back(cast_column(c, t));
      for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < cast_args.size() && cast_args[k].value_is_null(i)) k++;
        if (k == cast_args.size()) out.push_null();
        else append_row(out, cast_args[k], i);
      }
      normalize_validity(out.valid);
      return out;
    };
    r.add(std::move(f));
  }

  // Aggregates: listed for discovery; the Aggregate operator implements them.
  auto agg = [&r](const char* name, const char* sig, const char* help) {
    Function f;
    f.name = name;
    f.min_args = 0;
    f.max_args = 1;
    f.signature = sig;
    f.help = help;
    f.aggregate = true;
    r.add(std::move(f));
  };
  agg("count", "count(*) | count(x) | count(DISTINCT x) -> BIGINT", "number of rows, or of non-NULL (distinct) x");
  agg("sum", "sum(x NUMERIC) -> BIGINT or DOUBLE", "sum of non-NULL x; NULL if there are none");
  agg("avg", "avg(x NUMERIC) -> DOUBLE", "mean of non-NULL x");
  agg("min", "min(x) -> type of x", "smallest non-NULL x");
  agg("max", "max(x) -> type of x", "largest non-NULL x");
  agg("stddev", "stddev(x NUMERIC) -> DOUBLE", "sample standard deviation of non-NULL x; NULL below 2 values");
  agg("stddev_samp", "stddev_samp(x NUMERIC) -> DOUBLE", "same as stddev");
}

}  // namespace astrolake::engine
