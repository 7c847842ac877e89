// bind_expression: one ADQL expression over a plain list of columns. The scope is a single
// anonymous source whose engine column names are the stored names.
#include "adql/binder.h"
#include "adql/parser.h"

namespace astrolake::adql {

engine::ExprPtr bind_expression(std::string_view text, const std::vector<parquet::Field>& schema) {
  register_adql_functions();
  ExprPtr parsed = parse_expression(text);
  Scope scope;
  Source src;
  src.alias = "t";
  src.display = "the catalog";
  scope.sources.push_back(std::move(src));
  for (const parquet::Field& f : schema) {
    ScopeColumn c;
    c.table = "t";
    c.name = f.name;
    c.internal = f.name;
    c.field = f;
    scope.by_internal[f.name] = scope.cols.size();
    scope.cols.push_back(std::move(c));
  }
  Translator tr(scope, [](const Query&) -> parquet::Table {
    throw PlanError("subqueries are not supported in a filter expression");
  });
  return tr.plain(*parsed);
}

}  // namespace astrolake::adql
