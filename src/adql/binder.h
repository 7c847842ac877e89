// Internal to the planner: the FROM scope (which columns a query can name, and the engine
// column each becomes) and the translation of ADQL expressions into engine expressions.
// Not an interface for other layers; planner.h is.
#pragma once
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "adql/ast.h"
#include "adql/planner.h"
#include "catalog/catalog.h"
#include "engine/aggregate.h"
#include "engine/expr.h"
#include "engine/functions.h"

namespace astrolake::adql {

// "line L, column C: msg"
[[noreturn]] void fail(int line, int column, const std::string& msg);
[[noreturn]] inline void fail(const Expr& e, const std::string& msg) { fail(e.line, e.column, msg); }
// " (did you mean 'x'?)" for the nearest candidate within a small edit distance, else "".
std::string suggest(const std::string& name, const std::vector<std::string>& candidates);

// A planned (sub)query: its operator, output schema, plan tree and scan estimate.
struct Planned {
  engine::OperatorPtr op;
  std::vector<parquet::Field> schema;
  PlanNode tree;
  engine::ScanEstimate estimate;
  std::string ra_column, dec_column;
  std::vector<std::string> xtypes;  // per schema column: DALI xtype of geometry values, else ""
};

// One FROM leaf: a catalog or a subquery.
struct Source {
  std::string alias;    // qualifies its columns: the AS name, else the table's last name part
  std::string display;  // for messages: "catalog gaia", "subquery s"
  std::shared_ptr<catalog::Catalog> cat;  // catalog leaf
  std::shared_ptr<Planned> sub;           // subquery leaf (an upload is one over its table)
  std::shared_ptr<const parquet::Table> upload;  // TAP_UPLOAD leaf
  std::set<std::string> used;             // stored column names the query reads
  bool null_supplying = false;            // right side of a LEFT JOIN: WHERE cannot move below
};

struct ScopeColumn {
  std::string table;     // the source's alias
  std::string name;      // as stored in the source
  std::string internal;  // engine column name in the joined rows
  parquet::Field field;  // named `internal`
  size_t source = 0;
  std::string xtype;     // DALI xtype of a geometry column of a subquery, else ""

};

struct Scope {
  std::vector<Source> sources;
  std::vector<ScopeColumn> cols;
  std::map<std::string, size_t> by_internal;  // internal name -> index into cols

  std::vector<parquet::Field> fields() const;
  // Resolves a column reference; marks its source column used. Throws PlanError.
  const ScopeColumn& resolve(const Expr& e);
  std::vector<size_t> star(const std::vector<Identifier>& qualifier, int line, int column) const;
};

// Runs an uncorrelated subquery to completion (IN, EXISTS, scalar subqueries).
using SubqueryRunner = std::function<parquet::Table(const Query& q)>;

// Translation of ADQL expressions over a scope. In aggregate mode (after GROUP BY), column
// references must be group keys and aggregate calls become columns of the Aggregate output.
class Translator {
 public:
  Translator(Scope& scope, SubqueryRunner run) : scope_(scope), run_(std::move(run)) {}

  // Plain mode: WHERE, ON, GROUP BY keys, non-aggregate select lists.
  engine::ExprPtr plain(const Expr& e);
  // Aggregate mode: select list, HAVING and ORDER BY of a grouped query.
  engine::ExprPtr grouped(const Expr& e);

  // Group keys must be declared before grouped() is used: key i is column "__g<i>".
  void add_group_key(engine::ExprPtr key);
  std::vector<engine::NamedExpr> group_keys() const;
  std::vector<engine::AggSpec>& aggregates() { return aggs_; }

 private:
  engine::ExprPtr translate(const Expr& e, bool grouped);
  engine::ExprPtr function(const Expr& e, bool grouped);
  engine::ExprPtr aggregate(const Expr& e);
  Scope& scope_;
  SubqueryRunner run_;
  std::vector<engine::ExprPtr> keys_;
  std::vector<std::string> key_text_;
  std::vector<engine::AggSpec> aggs_;
  std::vector<std::string> agg_text_;
};

bool is_aggregate_name(const std::string& upper_name);
// a += b, field by field (the estimate of a plan that reads both).
void add_estimate(engine::ScanEstimate& a, const engine::ScanEstimate& b);
bool has_aggregate(const Expr& e);
// Internal column names an engine expression reads.
void columns_of(const engine::Expr& e, std::set<std::string>& out);
// Value of an expression without column references (constant folding), or nullopt.
std::optional<engine::Value> constant_value(const engine::ExprPtr& e);
// Geometry values, region relations and the ivo_* UDFs (geometry_values.cc).
void register_geometry_values(engine::FunctionRegistry& r);
// The DALI xtype ("point", "circle", "polygon") of an ADQL expression's value, or "".
std::string geometry_xtype(const Expr& e);
// ADQL CAST type name -> parquet type; throws PlanError.
parquet::Type cast_type(const Expr& e);

}  // namespace astrolake::adql
