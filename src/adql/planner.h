// The ADQL planner: binds a parsed Statement (ast.h) to catalogs and turns it into a tree of
// engine operators, ready to pull batches from.
//
// What it recognises, so the engine's fast paths run instead of a filter over every row:
//  - A WHERE conjunct `1 = CONTAINS(POINT(ra, dec), CIRCLE(...)|BOX(...)|POLYGON(...))` (either
//    operand order) or `DISTANCE(POINT(ra, dec), POINT(a, b)) < r` / `<= r` over the catalog's
//    own ra/dec columns, with constant shape arguments, on a single-catalog FROM: an engine
//    cone/box/polygon search (coverage-pruned partitions and row groups, exact test).
//  - `a JOIN b ON DISTANCE(POINT(a.ra, a.dec), POINT(b.ra, b.dec)) < r` (or the CONTAINS/CIRCLE
//    form) between two catalogs: the engine cross-match with every pair within r; the other ON
//    conjuncts become filters.
//  - Equality conjuncts of a JOIN's ON: hash-join keys.
//  - Column-vs-constant conjuncts: row-group pruning in the scan. Only used columns are read.
// Everything else runs through the general operators (Filter, Project, Aggregate, Sort...).
// A plain single-catalog query runs its filter and projection in parallel per partition and
// streams; only ORDER BY, GROUP BY, DISTINCT and join build sides hold rows.
//
// Catalogs are named by name under the root (also schema-qualified: only the last part
// counts) or by a path in double quotes. Column names are case-insensitive unless quoted.
// Errors are PlanError with the position and, for unknown names, the nearest known name:
//   "line 1, column 8: no column 'rra' in catalog gaia (did you mean 'ra'?)".
// ADQL BOX(ra, dec, width, height) is the RA/Dec range [ra -+ width/2] x [dec -+ height/2]
// (RA wrapping through 0 as hats' box search does), not a great-circle box.
#pragma once
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "adql/ast.h"
#include "engine/operator.h"
#include "engine/query_context.h"
#include "engine/scan.h"

namespace astrolake::adql {

class PlanError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct PlanOptions {
  std::string root = "catalogs";        // where catalogs named by name live
  engine::QueryContext* ctx = nullptr;  // limits and cancellation (may be null)
  int threads = 0;                      // 0: every core
  int progress = 0;                     // engine spatial searches: -1 auto, 0 never, 1 always
  // Tables held in memory (a service's TAP_SCHEMA), asked first for each FROM name with its
  // parts as written, e.g. {"TAP_SCHEMA", "columns"}; null means "not one of mine".
  std::function<std::shared_ptr<const parquet::Table>(const std::vector<std::string>& names)> memory_tables;
};

// One line of the plan tree, for EXPLAIN.
struct PlanNode {
  std::string label;
  std::vector<PlanNode> children;
};

struct Plan {
  engine::OperatorPtr root;
  std::vector<parquet::Field> schema;  // of root's batches: the select list, named
  PlanNode tree;
  // What the scans will touch after pruning (sum over every catalog the query reads).
  engine::ScanEstimate estimate;
  // Output columns that hold ra/dec of the first catalog (for --format hats), or empty.
  std::string ra_column, dec_column;
  bool explain = false;  // the statement was EXPLAIN <query>

  // The plan tree, indented, then the estimate.
  std::string explain_text() const;
};

// Plans `stmt`. Uncorrelated subqueries (IN, EXISTS, scalar) are run while planning, since
// their results become constants of the outer query. Throws PlanError (bad names, types,
// unsupported constructs) or std::runtime_error (a catalog that cannot be opened).
Plan plan(const Statement& stmt, const PlanOptions& opts);
// parse + plan.
Plan plan(std::string_view adql, const PlanOptions& opts);

// Adds the functions the ADQL layer needs to the engine registry: distance, the CONTAINS
// helpers (in_circle, in_box, in_polygon) and healpix(order, ra, dec). Idempotent; plan()
// calls it.
void register_adql_functions();

// The ADQL geometry constructs (POINT, CIRCLE, CONTAINS, DISTANCE, ...): name, signature and
// help, for `astrolake functions`.
struct GeometryHelp {
  std::string name, signature, help;
};
std::vector<GeometryHelp> geometry_functions();

// Levenshtein distance, for "did you mean" suggestions (case-insensitive).
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace astrolake::adql
