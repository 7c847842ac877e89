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
// TAP_UPLOAD.<name> names a table of PlanOptions::uploads. A join of an upload with a catalog
// on `1 = CONTAINS(POINT(cat.ra, cat.dec), CIRCLE(up.ra, up.dec, r))` (either order, or the
// DISTANCE form; r a constant or an expression of the upload's columns) runs one engine cone
// search per upload row instead of a
// cross join: the "my target list x the survey" cross-match.
// Catalogs are named by name under the root (also schema-qualified: only the last part
// counts) or by a path in double quotes (relative to the root when confine_to_root is set). Column names are case-insensitive unless quoted.
// Errors are PlanError with the position and, for unknown names, the nearest known name:
//   "line 1, column 8: no column 'rra' in catalog gaia (did you mean 'ra'?)".
// ADQL BOX(ra, dec, width, height) is the RA/Dec range [ra -+ width/2] x [dec -+ height/2]
// (RA wrapping through 0 as hats' box search does), not a great-circle box.
#pragma once
#include <map>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "adql/ast.h"
#include "engine/operator.h"
#include "engine/query_context.h"
#include "engine/scan.h"
#include "engine/spatial_search.h"

namespace astrolake::adql {

class PlanError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct PlanOptions {
  std::string root = "catalogs";        // where catalogs named by name live
  engine::QueryContext* ctx = nullptr;  // limits and cancellation (may be null)
  int threads = 0;                      // most threads of the shared pool per job; 0: all
  int progress = 0;                     // engine spatial searches: -1 auto, 0 never, 1 always
  // Served deployments: every catalog name, quoted paths included, resolves inside `root`
  // (no absolute paths, no '..', no symlink out of it; catalog::confined_catalog_path).
  bool confine_to_root = false;
  // Tables visible as TAP_UPLOAD.<name> for this query (e.g. VOTables read with
  // votable::read_votable). Names compare case-insensitively unless quoted in the query.
  std::map<std::string, std::shared_ptr<const parquet::Table>> uploads;
  // Optional, per upload name: each column's DALI xtype (the VOTable FIELD's xtype), so a
  // geometry column selected from an upload keeps it in Plan::xtypes.
  std::map<std::string, std::vector<std::string>> upload_xtypes;
  // Tables held in memory (a service's TAP_SCHEMA), asked first for each FROM name with its
  // parts as written, e.g. {"TAP_SCHEMA", "columns"}; null means "not one of mine".
  std::function<std::shared_ptr<const parquet::Table>(const std::vector<std::string>& names)> memory_tables;
  // Schemas with a catalog root of their own, e.g. {"mydb", "STATE/users/alice/mydb"} for a
  // service's per-user tables: `mydb.NAME` is NAME under that root (schema names compare
  // case-insensitively unless quoted; confinement applies to it as to `root`).
  std::map<std::string, std::string> schema_roots;
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
  // Per schema column: the DALI xtype of a geometry value ("point", "circle", "polygon"), else
  // "". Such a column is a list<double> holding DALI's serialisation in degrees: [ra, dec],
  // [ra, dec, radius], [ra1, dec1, ra2, dec2, ...]. The VOTable writer emits it as
  // datatype="double" arraysize="2"/"3"/"*" with this xtype.
  std::vector<std::string> xtypes;
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

// Parses a lone ADQL expression (a WHERE-style condition or a value, e.g. "mag < 18 AND
// lc_n(lc_mag) > 10") and binds it to the columns of `schema`, for callers that run their own
// partition pipelines (the Python bindings). Throws SyntaxError or PlanError naming the problem.
engine::ExprPtr bind_expression(std::string_view text, const std::vector<parquet::Field>& schema);
// Adds the functions the ADQL layer needs to the engine registry: distance, the CONTAINS
// helpers (in_circle, in_box, in_polygon) and healpix(order, ra, dec). Idempotent; plan()
// calls it.
void register_adql_functions();

// The region an ADQL CIRCLE(ra, dec, radius), BOX(ra, dec, width, height) or POLYGON(ra1,
// dec1, ...) with these argument values denotes. Throws std::invalid_argument naming the bad
// value: a radius or size that is NaN, negative or (radius) above 180 degrees, a box
// reaching past a pole, a polygon with repeated, antipodal or collinear vertices or that is
// not convex. The planner calls it at bind time for constant shapes.
engine::Region make_region(engine::Region::Kind kind, const std::vector<double>& args);

// The ADQL geometry constructs (POINT, CIRCLE, CONTAINS, DISTANCE, ...): name, signature and
// help, for `astrolake functions`.
struct GeometryHelp {
  std::string name, signature, help;
};
std::vector<GeometryHelp> geometry_functions();

// Levenshtein distance, for "did you mean" suggestions (case-insensitive).
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace astrolake::adql
