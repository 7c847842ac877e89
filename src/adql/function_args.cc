#include "adql/function_args.h"

#include "engine/column_ops.h"
#include "engine/expr.h"

namespace astrolake::adql {

using parquet::Type;

void need_args(const std::string& fn, const std::vector<parquet::Field>& a, bool numeric) {
  for (size_t i = 0; i < a.size(); i++) {
    bool untyped_null = a[i].name == "NULL" && a[i].type == Type::Int64;
    bool ok = !a[i].list && (untyped_null || (numeric ? engine::is_numeric(a[i].type) : engine::is_stringlike(a[i].type)));
    if (!ok)
      throw engine::ExprError("function " + fn + ": argument " + std::to_string(i + 1) + " (" + a[i].name + ") must be " +
                              (numeric ? "numeric" : "a string") + ", got " +
                              (a[i].list ? "a list" : parquet::type_name(a[i].type)));
  }
}

parquet::Field result_field(Type t, bool list) {
  parquet::Field f;
  f.type = t;
  f.nullable = true;
  f.list = list;
  return f;
}

std::vector<uint8_t> valid_rows(const std::vector<parquet::Column>& a, size_t n) {
  std::vector<uint8_t> v(n, 1);
  for (const parquet::Column& c : a)
    for (size_t i = 0; i < n; i++)
      if (c.value_is_null(i)) v[i] = 0;
  return v;
}

std::vector<std::vector<double>> double_columns(const std::vector<parquet::Column>& a) {
  std::vector<std::vector<double>> x;
  for (const parquet::Column& c : a) x.push_back(engine::column_f64(c));
  return x;
}

}  // namespace astrolake::adql
