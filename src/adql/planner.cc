// The planner proper: FROM binding, spatial recognition, and the operator tree. Expression
// translation and name resolution live in binder.cc.
#include "adql/planner.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "adql/binder.h"
#include "adql/memory_tables.h"
#include "adql/operators.h"
#include "adql/parser.h"
#include "adql/set_operations.h"
#include "adql/upload_join.h"
#include "engine/aggregate.h"
#include "engine/column_ops.h"
#include "engine/join.h"
#include "engine/sort.h"
#include "engine/spatial_search.h"
#include "engine/xmatch.h"

namespace astrolake::adql {

namespace fs = std::filesystem;
using EExpr = engine::ExprPtr;
using engine::OperatorPtr;

namespace {

// ---------------------------------------------------------------------------------------
// Spatial conditions

// A recognised cone/box/polygon condition: the point's two column expressions and the
// shape's argument expressions (cone: ra, dec, radius).
struct SpatialCond {
  engine::Region::Kind kind = engine::Region::Kind::Cone;
  const Expr* pra = nullptr;
  const Expr* pdec = nullptr;
  std::vector<const Expr*> shape;
  bool strict = false;  // DISTANCE < r: the engine's test is inclusive, so keep the condition too
  const Expr* at = nullptr;  // the shape (or DISTANCE's radius), where a bad size is reported
};

bool is_fn(const Expr& e, const char* name) { return e.kind == ExprKind::Function && e.name == name; }
bool is_one(const Expr& e) { return e.is_integer_literal() && e.int_value == 1; }

// Both orders of DISTANCE's points: (columns, constants) and (constants, columns).
void distance_forms(const Expr& d, const Expr& r, bool strict, std::vector<SpatialCond>& out) {
  std::vector<const Expr*> a;
  if (d.args.size() == 2 && is_fn(*d.args[0], "POINT") && is_fn(*d.args[1], "POINT") && d.args[0]->args.size() == 2 &&
      d.args[1]->args.size() == 2) {
    a = {d.args[0]->args[0].get(), d.args[0]->args[1].get(), d.args[1]->args[0].get(), d.args[1]->args[1].get()};
  } else if (d.args.size() == 4) {
    for (const auto& x : d.args) a.push_back(x.get());
  } else {
    return;
  }
  for (int swap = 0; swap < 2; swap++) {
    SpatialCond c;
    c.strict = strict;
    c.pra = a[swap ? 2 : 0];
    c.pdec = a[swap ? 3 : 1];
    c.shape = {a[swap ? 0 : 2], a[swap ? 1 : 3], &r};
    c.at = &r;
    out.push_back(c);
  }
}

// Candidate readings of one WHERE/ON conjunct as a spatial condition.
std::vector<SpatialCond> spatial_forms(const Expr& e) {
  std::vector<SpatialCond> out;
  if (e.kind != ExprKind::Binary) return out;
  const Expr& l = *e.args[0];
  const Expr& r = *e.args[1];
  if (e.binary_op == BinaryOp::Eq) {
    const Expr* fn = is_one(l) ? &r : is_one(r) ? &l : nullptr;
    if (!fn || !(is_fn(*fn, "CONTAINS") || is_fn(*fn, "INTERSECTS")) || fn->args.size() != 2) return out;
    const Expr* pt = fn->args[0].get();
    const Expr* shape = fn->args[1].get();
    if (is_fn(*fn, "INTERSECTS") && is_fn(*shape, "POINT")) std::swap(pt, shape);
    if (!is_fn(*pt, "POINT") || pt->args.size() != 2) return out;
    SpatialCond c;
    c.pra = pt->args[0].get();
    c.pdec = pt->args[1].get();
    for (const auto& a : shape->args) c.shape.push_back(a.get());
    c.at = shape;
    if (is_fn(*shape, "CIRCLE") && c.shape.size() == 3) c.kind = engine::Region::Kind::Cone;
    else if (is_fn(*shape, "BOX") && c.shape.size() == 4) c.kind = engine::Region::Kind::Box;
    else if (is_fn(*shape, "POLYGON") && c.shape.size() >= 6 && c.shape.size() % 2 == 0) c.kind = engine::Region::Kind::Polygon;
    else return out;
    out.push_back(c);
    return out;
  }
  if ((e.binary_op == BinaryOp::Lt || e.binary_op == BinaryOp::Le) && is_fn(l, "DISTANCE"))
    distance_forms(l, r, e.binary_op == BinaryOp::Lt, out);
  if ((e.binary_op == BinaryOp::Gt || e.binary_op == BinaryOp::Ge) && is_fn(r, "DISTANCE"))
    distance_forms(r, l, e.binary_op == BinaryOp::Gt, out);
  return out;
}

void split_and(const adql::ExprPtr& e, std::vector<const Expr*>& out) {
  if (!e) return;
  if (e->kind == ExprKind::Binary && e->binary_op == BinaryOp::And) {
    split_and(e->args[0], out);
    split_and(e->args[1], out);
    return;
  }
  out.push_back(e.get());
}

EExpr and_all(const std::vector<engine::ExprPtr>& v) {
  EExpr out;
  for (const auto& e : v) out = out ? engine::and_(out, e) : e;
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (size_t i = 0; i < v.size(); i++) s += (i ? sep : "") + v[i];
  return s;
}


// ---------------------------------------------------------------------------------------
// FROM tree

struct FromNode {
  bool leaf = true;
  size_t source = 0;
  JoinType type = JoinType::Inner;
  const TableRef* ref = nullptr;
  std::unique_ptr<FromNode> left, right;
  std::set<size_t> sources;  // every source below

  // Bound join (after bind_join)
  bool xmatch = false;
  double radius_deg = 0;
  std::vector<EExpr> left_keys, right_keys;
  std::vector<EExpr> residual;     // applied above the join (inner joins)
  std::vector<EExpr> right_filter; // LEFT JOIN: ON conjuncts on the right side only
  // Upload x catalog positional join: a cone of radius up_r around (up_ra, up_dec) per upload row.
  bool upload_cone = false;
  size_t up_src = 0, cat_src = 0;
  EExpr up_ra, up_dec, up_r;
};

class QueryPlanner {
 public:
  explicit QueryPlanner(const PlanOptions& o) : opts_(o) {}
  Planned plan_query(const Query& q, const std::vector<CommonTableExpr>* outer_with = nullptr);

 private:
  Planned plan_select(const Query& q);
  std::unique_ptr<FromNode> bind_from(const TableRef& t, Scope& scope);
  void add_source(Scope& scope, Source s, const std::vector<parquet::Field>& fields);
  std::shared_ptr<catalog::Catalog> open_catalog(const TableRef& t, std::string& alias);
  void bind_join(FromNode& n, Scope& scope, Translator& tr, std::vector<const Expr*> extra,
                 std::map<size_t, std::vector<EExpr>>& pushed);
  OperatorPtr build(FromNode& n, Scope& scope, std::map<size_t, std::vector<EExpr>>& pushed, PlanNode& tree,
                    engine::ScanEstimate& est);
  OperatorPtr upload_cone(FromNode& n, Scope& scope, std::map<size_t, std::vector<EExpr>>& pushed, PlanNode& tree,
                          engine::ScanEstimate& est);
  OperatorPtr leaf_scan(size_t src, Scope& scope, const std::vector<EExpr>& filters, engine::Pipeline extra,
                        bool rename, PlanNode& tree, engine::ScanEstimate& est);
  std::optional<engine::Region> region_of(const SpatialCond& c, Translator& tr);
  bool is_coord(const Expr& e, const Source& s, const std::string& column);
  std::vector<std::string> used_columns(const Source& s);
  parquet::Table run(const Query& q) {
    Planned p = plan_query(q);
    return engine::collect(*p.op);
  }

  // Footers are read only for EXPLAIN: a query that runs reads them while scanning anyway.
  engine::ScanEstimate estimate(const engine::ScanSource& src, const engine::ScanOptions& so) {
    return explain_ ? engine::estimate_scan(src, so) : engine::ScanEstimate{};
  }

 public:
  bool explain_ = false;

 private:
  PlanOptions opts_;
  std::vector<const std::vector<CommonTableExpr>*> with_;  // innermost last
};

// Subdirectories of the root, skipping entries that cannot be inspected (a symlink loop, a
// dangling link, no permission): one bad entry must not break queries of other catalogs.
static std::vector<fs::path> root_dirs(const std::string& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code e2;
    if (it->is_directory(e2)) out.push_back(it->path());
  }
  return out;
}

std::shared_ptr<catalog::Catalog> QueryPlanner::open_catalog(const TableRef& t, std::string& alias) {
  const Identifier& last = t.names.back();
  alias = last.name;
  std::string path;
  std::error_code ec;
  bool confine = opts_.confine_to_root;
  std::string root = opts_.root;
  if (t.names.size() >= 2)
    for (const auto& [schema, dir] : opts_.schema_roots)
      if (t.names[t.names.size() - 2].matches(schema)) root = dir;
  bool by_path = last.quoted && t.names.size() == 1 &&
                 (last.name.find('/') != std::string::npos || (!confine && fs::is_directory(last.name, ec)));
  if (by_path) {
    // Confined, a quoted path is relative to the root; otherwise it is used as given.
    path = confine ? (fs::path(root) / last.name).string() : last.name;
    alias = fs::path(last.name).filename().string();
    if (alias.empty()) alias = fs::path(last.name).parent_path().filename().string();
  } else {
    path = (fs::path(root) / last.name).string();
    if (!last.quoted && !fs::is_directory(path, ec)) {
      // Unquoted names are case-insensitive: find the directory whatever its case.
      for (const fs::path& d : root_dirs(root))
        if (last.matches(d.filename().string())) path = d.string();
    }
  }
  if (!t.alias.empty()) alias = t.alias.name;
  if (confine) {
    // Checked before anything is looked up, so a refused name reveals nothing outside the root.
    std::string rel = by_path ? last.name : fs::path(path).lexically_relative(root).string();
    try {
      std::string resolved = catalog::confined_catalog_path(root, rel);
      if (!resolved.empty()) path = resolved;
    } catch (const std::invalid_argument& e) {
      fail(t.line, t.column, e.what());
    }
  }
  bool is_dir = fs::is_directory(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    fail(t.line, t.column, "cannot open catalog '" + last.name + "': " + ec.message());
  if (!is_dir) {
    std::vector<std::string> names;
    for (const fs::path& d : root_dirs(root)) names.push_back(d.filename().string());
    fail(t.line, t.column, "no catalog '" + last.name + "' under " + root + suggest(last.name, names));
  }
  try {
    return std::make_shared<catalog::Catalog>(catalog::Catalog::open(path));
  } catch (const std::exception& e) {
    fail(t.line, t.column, std::string("cannot open catalog '") + last.name + "': " + e.what());
  }
}

void QueryPlanner::add_source(Scope& scope, Source s, const std::vector<parquet::Field>& fields) {
  size_t idx = scope.sources.size();
  for (const parquet::Field& f : fields) {
    ScopeColumn c;
    size_t i = size_t(&f - fields.data());
    if (s.sub && i < s.sub->xtypes.size()) c.xtype = s.sub->xtypes[i];
    c.table = s.alias;
    c.name = f.name;
    c.field = f;
    c.source = idx;
    scope.cols.push_back(c);
  }
  scope.sources.push_back(std::move(s));
}

std::unique_ptr<FromNode> QueryPlanner::bind_from(const TableRef& t, Scope& scope) {
  auto n = std::make_unique<FromNode>();
  n->ref = &t;
  if (t.kind == TableRefKind::Join) {
    n->leaf = false;
    n->type = t.join_type;
    n->left = bind_from(*t.left, scope);
    n->right = bind_from(*t.right, scope);
    if (t.join_type == JoinType::Right) {  // a RIGHT JOIN is a LEFT JOIN with the sides swapped
      std::swap(n->left, n->right);
      n->type = JoinType::Left;
    }
    if (n->type == JoinType::Full) fail(t.line, t.column, "FULL OUTER JOIN is not supported");
    n->sources = n->left->sources;
    n->sources.insert(n->right->sources.begin(), n->right->sources.end());
    if (n->type == JoinType::Left)
      for (size_t s : n->right->sources) scope.sources[s].null_supplying = true;
    return n;
  }
  Source s;
  std::vector<parquet::Field> fields;
  const Query* cte = nullptr;
  if (t.kind == TableRefKind::Table && t.names.size() == 1)
    for (auto it = with_.rbegin(); it != with_.rend() && !cte; ++it)
      for (const CommonTableExpr& c : **it)
        if (t.names[0].matches(c.name.name) || c.name.matches(t.names[0].name)) cte = c.query.get();
  bool upload = t.kind == TableRefKind::Table && t.names.size() >= 2 && t.names[t.names.size() - 2].matches("TAP_UPLOAD");
  if (upload) {
    const Identifier& want = t.names.back();
    std::vector<std::string> names;
    std::string found;
    for (const auto& [name, table] : opts_.uploads) {
      names.push_back(name);
      if (want.matches(name) && !s.upload) {
        s.upload = table;
        found = name;
      }
    }
    if (!s.upload)
      fail(t.line, t.column, "no upload table TAP_UPLOAD." + want.name +
                                 (names.empty() ? " (this query has no uploads)" : " (uploaded: " + join(names) + ")") +
                                 suggest(want.name, names));
    s.alias = !t.alias.empty() ? t.alias.name : want.name;
    s.display = "upload " + s.alias;
    s.sub = std::make_shared<Planned>();
    s.sub->op = std::make_unique<engine::TableSource>(*s.upload, engine::kDefaultBatchRows, opts_.ctx);
    s.sub->schema = s.sub->op->schema();
    auto xt = opts_.upload_xtypes.find(found);
    if (xt != opts_.upload_xtypes.end()) s.sub->xtypes = xt->second;
    s.sub->xtypes.resize(s.sub->schema.size());
    s.sub->tree = PlanNode{"Upload TAP_UPLOAD." + want.name + " (" + std::to_string(s.upload->rows()) + " rows)", {}};
    fields = s.sub->schema;
  } else if (t.kind == TableRefKind::Subquery || cte) {
    s.alias = !t.alias.empty() ? t.alias.name : t.names.back().name;
    s.display = "subquery " + s.alias;
    s.sub = std::make_shared<Planned>(plan_query(cte ? *cte : *t.subquery));
    fields = s.sub->schema;
  } else if (std::shared_ptr<Planned> mem = memory_table(t, opts_)) {
    s.alias = !t.alias.empty() ? t.alias.name : t.names.back().name;
    s.display = "table " + s.alias;
    s.sub = std::move(mem);
    fields = s.sub->schema;
  } else {
    s.cat = open_catalog(t, s.alias);
    s.display = "catalog " + s.alias;
    fields = s.cat->schema();
  }
  n->source = scope.sources.size();
  n->sources = {n->source};
  add_source(scope, std::move(s), fields);
  return n;
}

bool QueryPlanner::is_coord(const Expr& e, const Source& s, const std::string& column) {
  if (e.kind != ExprKind::Column || column.empty()) return false;
  if (!e.column_name().matches(column)) return false;
  if (e.names.size() >= 2 && !e.names[e.names.size() - 2].matches(s.alias)) return false;
  return true;
}

std::optional<engine::Region> QueryPlanner::region_of(const SpatialCond& c, Translator& tr) {
  std::vector<double> v;
  for (const Expr* a : c.shape) {
    std::optional<engine::Value> x = constant_value(tr.plain(*a));
    if (!x || x->null || x->is_string()) return std::nullopt;
    v.push_back(x->as_double());
  }
  // DISTANCE(...) < r with r outside [0, 180] (or NaN) is a comparison like any other: empty
  // or all-sky, and exact when evaluated per row, so it is left as a filter.
  bool distance = c.at == c.shape.back();
  if (distance && !(v[2] >= 0 && v[2] <= 180)) return std::nullopt;
  try {
    return make_region(c.kind, v);
  } catch (const std::invalid_argument& e) {
    fail(*c.at, e.what());
  }
  return std::nullopt;
}

// Binds a join's ON (recursively): cross-match, hash keys, residual filters.
void QueryPlanner::bind_join(FromNode& n, Scope& scope, Translator& tr, std::vector<const Expr*> extra,
                             std::map<size_t, std::vector<EExpr>>& pushed) {
  if (n.leaf) return;
  bind_join(*n.left, scope, tr, {}, pushed);
  bind_join(*n.right, scope, tr, {}, pushed);
  static const TableRef kNoRef;
  const TableRef& t = n.ref ? *n.ref : kNoRef;
  std::vector<const Expr*> conj;
  if (t.kind == TableRefKind::Join) split_and(t.on, conj);
  conj.insert(conj.end(), extra.begin(), extra.end());
  // A positional join between two catalogs becomes the engine cross-match.
  if (n.left->leaf && n.right->leaf && scope.sources[n.left->source].cat && scope.sources[n.right->source].cat) {
    const Source& ls = scope.sources[n.left->source];
    const Source& rs = scope.sources[n.right->source];
    for (size_t i = 0; i < conj.size() && !n.xmatch; i++) {
      for (const SpatialCond& c : spatial_forms(*conj[i])) {
        if (c.kind != engine::Region::Kind::Cone) continue;
        bool l_point = is_coord(*c.pra, ls, ls.cat->ra_column()) && is_coord(*c.pdec, ls, ls.cat->dec_column());
        bool r_point = is_coord(*c.pra, rs, rs.cat->ra_column()) && is_coord(*c.pdec, rs, rs.cat->dec_column());
        bool l_shape = is_coord(*c.shape[0], ls, ls.cat->ra_column()) && is_coord(*c.shape[1], ls, ls.cat->dec_column());
        bool r_shape = is_coord(*c.shape[0], rs, rs.cat->ra_column()) && is_coord(*c.shape[1], rs, rs.cat->dec_column());
        if (!((l_point && r_shape) || (r_point && l_shape))) continue;
        if (ls.alias == rs.alias) continue;  // unqualified names on a self join: ambiguous, leave to the filter
        std::optional<engine::Value> r = constant_value(tr.plain(*c.shape[2]));
        if (!r || r->null || r->is_string()) continue;
        if (!(r->as_double() >= 0)) fail(*conj[i], "the cross-match radius must be >= 0, got " + r->to_string());
        n.xmatch = true;
        n.radius_deg = r->as_double();
        if (c.strict) n.residual.push_back(tr.plain(*conj[i]));
        conj.erase(conj.begin() + long(i));
        break;
      }
    }
  }
  // A positional join of an upload with a catalog: one cone search per upload row.
  // Inner joins either way round; a LEFT JOIN with the upload on the left (every target kept).
  if (!n.xmatch && (n.type == JoinType::Inner || n.type == JoinType::Left) && n.left->leaf && n.right->leaf) {
    size_t a = n.left->source, b = n.right->source;
    bool ab = scope.sources[a].upload && scope.sources[b].cat;
    bool ba = n.type == JoinType::Inner && scope.sources[b].upload && scope.sources[a].cat;
    if (ab || ba) {
      size_t ui = ab ? a : b, ci = ab ? b : a;
      const Source& us = scope.sources[ui];
      const Source& cs = scope.sources[ci];
      auto only_upload = [&](const EExpr& e) {
        std::set<std::string> cols;
        columns_of(*e, cols);
        for (const auto& c : cols)
          if (scope.cols[scope.by_internal.at(c)].source != ui) return false;
        return true;
      };
      for (size_t i = 0; i < conj.size() && !n.upload_cone && us.alias != cs.alias; i++) {
        for (const SpatialCond& c : spatial_forms(*conj[i])) {
          if (c.kind != engine::Region::Kind::Cone) continue;
          bool cat_point = is_coord(*c.pra, cs, cs.cat->ra_column()) && is_coord(*c.pdec, cs, cs.cat->dec_column());
          bool cat_shape = is_coord(*c.shape[0], cs, cs.cat->ra_column()) && is_coord(*c.shape[1], cs, cs.cat->dec_column());
          if (!cat_point && !cat_shape) continue;
          EExpr ura = tr.plain(cat_point ? *c.shape[0] : *c.pra);
          EExpr udec = tr.plain(cat_point ? *c.shape[1] : *c.pdec);
          if (!only_upload(ura) || !only_upload(udec)) continue;
          // The radius: a constant, or per upload row (an expression over the upload's columns).
          EExpr ur = tr.plain(*c.shape[2]);
          std::optional<engine::Value> r = constant_value(ur);
          if (r && (r->null || r->is_string())) continue;
          if (!r && !only_upload(ur)) continue;
          if (r && !(r->as_double() >= 0)) fail(*conj[i], "the cross-match radius must be >= 0, got " + r->to_string());
          n.upload_cone = true;
          n.up_src = ui;
          n.cat_src = ci;
          n.up_ra = ura;
          n.up_dec = udec;
          n.up_r = ur;
          // DISTANCE < r: the cone test is inclusive, so the strict test stays, as a match
          // condition for a LEFT JOIN (it must not drop unmatched targets).
          if (c.strict) (n.type == JoinType::Left ? n.right_filter : n.residual).push_back(tr.plain(*conj[i]));
          conj.erase(conj.begin() + long(i));
          break;
        }
      }
    }
  }
  auto sources_of = [&](const EExpr& e) {
    std::set<std::string> cols;
    columns_of(*e, cols);
    std::set<size_t> s;
    for (const auto& c : cols) s.insert(scope.cols[scope.by_internal.at(c)].source);
    return s;
  };
  auto within = [](const std::set<size_t>& a, const std::set<size_t>& b) {
    return std::includes(b.begin(), b.end(), a.begin(), a.end());
  };
  // USING (c, ...) and NATURAL: equality of the same-named columns of both sides.
  std::vector<std::pair<EExpr, EExpr>> eqs;
  std::vector<std::string> using_names;
  if (t.kind == TableRefKind::Join)
    for (const Identifier& u : t.using_columns) using_names.push_back(u.name);
  if (t.kind == TableRefKind::Join && t.natural) {
    for (const ScopeColumn& lc : scope.cols)
      if (n.left->sources.count(lc.source))
        for (const ScopeColumn& rc : scope.cols)
          if (n.right->sources.count(rc.source) && rc.name == lc.name) using_names.push_back(lc.name);
  }
  for (const std::string& u : using_names) {
    const ScopeColumn *lc = nullptr, *rc = nullptr;
    for (const ScopeColumn& c : scope.cols) {
      Identifier id{u, false};
      if (!id.matches(c.name) && c.name != u) continue;
      if (n.left->sources.count(c.source) && !lc) lc = &c;
      if (n.right->sources.count(c.source) && !rc) rc = &c;
    }
    if (!lc || !rc) fail(t.line, t.column, "USING column '" + u + "' is not in both joined tables");
    scope.sources[lc->source].used.insert(lc->name);
    scope.sources[rc->source].used.insert(rc->name);
    eqs.emplace_back(engine::col(lc->internal), engine::col(rc->internal));
  }
  for (const Expr* c : conj) {
    EExpr e = tr.plain(*c);
    try {
      engine::infer_type(*e, scope.fields());
    } catch (const engine::ExprError& err) {
      fail(*c, err.what());
    }
    if (c->kind == ExprKind::Binary && c->binary_op == BinaryOp::Eq && !n.xmatch && !n.upload_cone) {
      EExpr a = e->args[0], b = e->args[1];
      std::set<size_t> sa = sources_of(a), sb = sources_of(b);
      if (!sa.empty() && !sb.empty()) {
        if (within(sa, n.left->sources) && within(sb, n.right->sources)) {
          eqs.emplace_back(a, b);
          continue;
        }
        if (within(sb, n.left->sources) && within(sa, n.right->sources)) {
          eqs.emplace_back(b, a);
          continue;
        }
      }
    }
    std::set<size_t> se = sources_of(e);
    if (n.type != JoinType::Left && se.size() == 1 && !scope.sources[*se.begin()].null_supplying) {
      pushed[*se.begin()].push_back(e);  // a condition on one table filters that table's scan
      continue;
    }
    if (n.type == JoinType::Left) {
      if ((within(se, n.right->sources) || (n.upload_cone && !within(se, n.left->sources))) && !n.xmatch) {
        n.right_filter.push_back(e);
        continue;
      }
      fail(*c, "this LEFT JOIN condition is not supported (ON may hold equalities between the sides, conditions on "
               "the right side, or one positional DISTANCE/CONTAINS condition)");
    }
    n.residual.push_back(e);
  }
  if (n.upload_cone && n.type == JoinType::Left) {
    for (auto& [a, b] : eqs) n.right_filter.push_back(engine::binary(engine::BinOp::Eq, a, b));
  } else if ((n.xmatch || n.upload_cone) && !eqs.empty()) {
    for (auto& [a, b] : eqs) n.residual.push_back(engine::binary(engine::BinOp::Eq, a, b));
    if (n.type == JoinType::Left) fail(t.line, t.column, "a positional LEFT JOIN cannot have other ON conditions");
  } else {
    for (auto& [a, b] : eqs) {
      n.left_keys.push_back(a);
      n.right_keys.push_back(b);
    }
  }
}

std::vector<std::string> QueryPlanner::used_columns(const Source& s) {
  std::vector<std::string> out;
  const std::vector<parquet::Field>& fields = s.cat ? s.cat->schema() : s.sub->schema;
  for (const auto& f : fields)
    if (s.used.count(f.name)) out.push_back(f.name);
  if (out.empty() && !fields.empty()) {
    // COUNT(*) and friends read no column; read the narrowest-looking one for the row count.
    std::string pick = s.cat && !s.cat->healpix_column().empty() ? s.cat->healpix_column() : fields[0].name;
    out.push_back(pick);
  }
  return out;
}

// A catalog or subquery leaf, reading only used columns, renamed to internal names, with
// the conjuncts pushed to it applied per partition.
OperatorPtr QueryPlanner::leaf_scan(size_t si, Scope& scope, const std::vector<EExpr>& filters,
                                    engine::Pipeline extra, bool rename, PlanNode& tree, engine::ScanEstimate& est) {
  Source& s = scope.sources[si];
  // A catalog reads only the used columns; a subquery produces all of its own.
  std::vector<std::string> cols;
  if (s.cat) cols = used_columns(s);
  else
    for (const auto& f : s.sub->schema) cols.push_back(f.name);
  std::vector<std::string> internal;
  std::map<std::string, std::string> stored_of;
  for (const std::string& c : cols) {
    std::string in = c;
    for (const ScopeColumn& sc : scope.cols)
      if (sc.source == si && sc.name == c) in = sc.internal;
    internal.push_back(in);
    stored_of[in] = c;
  }
  EExpr filter = and_all(filters);
  engine::QueryContext* ctx = opts_.ctx;
  engine::Pipeline pipe = [rename, internal, filter, extra, ctx](OperatorPtr op) -> OperatorPtr {
    if (rename) op = std::make_unique<Rename>(std::move(op), internal);
    if (filter) op = std::make_unique<engine::Filter>(std::move(op), filter, ctx);
    if (extra) op = extra(std::move(op));
    return op;
  };
  std::string label;
  if (s.cat) {
    engine::ScanOptions so;
    so.columns = cols;
    so.threads = opts_.threads;
    if (filter)
      for (engine::ColumnPredicate p : engine::extract_predicates(*filter)) {
        auto it = stored_of.find(p.column);
        if (it == stored_of.end()) continue;
        p.column = it->second;
        so.predicates.push_back(p);
      }
    engine::ScanEstimate e = estimate(*engine::catalog_source(s.cat), so);
    add_estimate(est, e);
    std::vector<std::string> preds;
    for (const auto& p : so.predicates) preds.push_back(p.to_string());
    tree.label = "Scan " + s.alias + " (" + s.cat->dir() + ") columns [" + join(cols) + "]" +
                 (preds.empty() ? "" : " prune [" + join(preds) + "]") + (filter ? " filter " + filter->to_string() : "") +
                 " -- " + e.to_string();
    return std::make_unique<engine::CatalogScan>(engine::catalog_source(s.cat), so, ctx, pipe);
  }
  tree.label = "Subquery " + s.alias + (filter ? " filter " + filter->to_string() : "");
  tree.children.push_back(s.sub->tree);
  add_estimate(est, s.sub->estimate);
  return pipe(std::move(s.sub->op));
}

// Upload x catalog: the upload's rows (after their own filters) are held; upload_join.h does
// the per-row cone searches.
OperatorPtr QueryPlanner::upload_cone(FromNode& n, Scope& scope, std::map<size_t, std::vector<EExpr>>& pushed,
                                      PlanNode& tree, engine::ScanEstimate& est) {
  Source& cs = scope.sources[n.cat_src];
  PlanNode ut;
  OperatorPtr uop = leaf_scan(n.up_src, scope, pushed[n.up_src], nullptr, true, ut, est);
  auto up = std::make_shared<parquet::Table>(engine::collect(*uop));
  if (up->columns.size() != uop->schema().size()) *up = engine::empty_table(uop->schema());
  UploadConeSpec spec;
  spec.upload = up;
  spec.ra = n.up_ra;
  spec.dec = n.up_dec;
  spec.radius = n.up_r;
  spec.cat = cs.cat;
  spec.columns = used_columns(cs);
  for (const std::string& c : spec.columns) {
    std::string in = c;
    for (const ScopeColumn& sc : scope.cols)
      if (sc.source == n.cat_src && sc.name == c) in = sc.internal;
    spec.names.push_back(in);
  }
  bool left = n.type == JoinType::Left;
  spec.left = left;
  // LEFT JOIN: conditions on the catalog side decide what matches.
  EExpr match = and_all(n.right_filter);
  spec.match = match;
  spec.threads = opts_.threads;
  OperatorPtr op;
  try {
    op = upload_cone_join(spec, opts_.ctx);
  } catch (const engine::ExprError& e) {
    fail(n.ref ? n.ref->line : 0, n.ref ? n.ref->column : 0, e.what());
  }
  engine::ScanOptions co;
  co.columns = spec.columns;
  add_estimate(est, estimate(*engine::catalog_source(cs.cat), co));
  tree.label = std::string("UploadConeJoin ") + (left ? "LEFT " : "") + scope.sources[n.up_src].alias + " x " + cs.alias +
               " radius " + n.up_r->to_string() + " deg (one cone search per upload row) columns [" +
               join(spec.columns) + "]" + (match ? " match " + match->to_string() : "");
  tree.children.push_back(ut);
  std::vector<EExpr> filters = pushed[n.cat_src];
  for (const auto& f : n.residual) filters.push_back(f);
  if (EExpr f = and_all(filters)) {
    op = std::make_unique<engine::Filter>(std::move(op), f, opts_.ctx);
    tree = PlanNode{"Filter " + f->to_string(), {tree}};
  }
  return op;
}

OperatorPtr QueryPlanner::build(FromNode& n, Scope& scope, std::map<size_t, std::vector<EExpr>>& pushed,
                                PlanNode& tree, engine::ScanEstimate& est) {
  if (n.leaf) return leaf_scan(n.source, scope, pushed[n.source], nullptr, true, tree, est);
  OperatorPtr op;
  if (n.xmatch) {
    Source& ls = scope.sources[n.left->source];
    Source& rs = scope.sources[n.right->source];
    engine::XmatchOptions o;
    o.radius_arcsec = n.radius_deg * 3600.0;
    o.k = 0;
    o.left_join = n.type == JoinType::Left;
    o.left_columns = used_columns(ls);
    o.right_columns = used_columns(rs);
    o.left_suffix = "__l";
    o.right_suffix = "__r";
    o.exclude_self = false;  // SQL semantics: a row is at distance 0 from itself
    o.threads = opts_.threads;
    o.progress = opts_.progress;
    o.ctx = opts_.ctx;
    std::shared_ptr<catalog::Catalog> lc = ls.cat, rc = rs.cat;
    std::vector<parquet::Field> schema = engine::xmatch_schema(*lc, *rc, o);
    std::vector<std::string> names;
    for (size_t side = 0; side < 2; side++) {
      size_t si = side ? n.right->source : n.left->source;
      for (const std::string& c : side ? o.right_columns : o.left_columns) {
        std::string in = c;
        for (const ScopeColumn& sc : scope.cols)
          if (sc.source == si && sc.name == c) in = sc.internal;
        names.push_back(in);
      }
    }
    names.push_back("__dist_arcsec_" + ls.alias + "_" + rs.alias);
    engine::QueryContext* ctx = opts_.ctx;
    auto job = [lc, rc, o](const PushSource::Sink& sink) { engine::crossmatch(*lc, *rc, o, sink); };
    op = std::make_unique<Rename>(std::make_unique<PushSource>(schema, job, ctx), names);
    engine::ScanOptions lo, ro;
    lo.columns = o.left_columns;
    ro.columns = o.right_columns;
    engine::ScanEstimate le = estimate(*engine::catalog_source(lc), lo);
    engine::ScanEstimate re = estimate(*engine::catalog_source(rc), ro);
    add_estimate(est, le);
    add_estimate(est, re);
    char r[64];
    std::snprintf(r, sizeof r, "%.6g", o.radius_arcsec);
    tree.label = std::string("CrossMatch ") + (o.left_join ? "LEFT " : "") + ls.alias + " x " + rs.alias +
                 " radius " + r + " arcsec, every match (engine xmatch)";
    tree.children.push_back({"Catalog " + ls.alias + " columns [" + join(o.left_columns) + "] -- " + le.to_string(), {}});
    tree.children.push_back({"Catalog " + rs.alias + " columns [" + join(o.right_columns) + "] -- " + re.to_string(), {}});
    std::vector<EExpr> side_filters = pushed[n.left->source];
    for (const auto& f : pushed[n.right->source]) side_filters.push_back(f);
    for (const auto& f : n.residual) side_filters.push_back(f);
    if (EExpr f = and_all(side_filters)) {
      op = std::make_unique<engine::Filter>(std::move(op), f, ctx);
      tree = PlanNode{"Filter " + f->to_string(), {tree}};
    }
    return op;
  }
  if (n.upload_cone) return upload_cone(n, scope, pushed, tree, est);
  PlanNode lt, rt;
  OperatorPtr l = build(*n.left, scope, pushed, lt, est);
  OperatorPtr r = build(*n.right, scope, pushed, rt, est);
  if (EExpr f = and_all(n.right_filter)) {
    r = std::make_unique<engine::Filter>(std::move(r), f, opts_.ctx);
    rt = PlanNode{"Filter " + f->to_string(), {rt}};
  }
  engine::JoinSpec spec;
  spec.type = n.type == JoinType::Left ? engine::JoinType::Left : engine::JoinType::Inner;
  spec.left_keys = n.left_keys;
  spec.right_keys = n.right_keys;
  // An inner key join of an upload with a catalog builds on the (small) upload and streams
  // the catalog; the joined rows are the same, only their column order differs, and columns
  // are referenced by name above.
  bool swap_sides = spec.type == engine::JoinType::Inner && !spec.left_keys.empty() && n.left->leaf && n.right->leaf &&
                    scope.sources[n.left->source].upload && scope.sources[n.right->source].cat;
  if (swap_sides) {
    std::swap(l, r);
    std::swap(lt, rt);
    std::swap(spec.left_keys, spec.right_keys);
  }
  std::vector<std::string> keys;
  for (size_t i = 0; i < spec.left_keys.size(); i++)
    keys.push_back(spec.left_keys[i]->to_string() + " = " + spec.right_keys[i]->to_string());
  if (spec.left_keys.empty()) {  // cross join: every left row meets every right row
    spec.left_keys = {engine::lit_int(1)};
    spec.right_keys = {engine::lit_int(1)};
    // Each probe row yields a whole build side: keep output batches near the normal size so
    // limits and cancellation are checked often and memory stays bounded.
    int64_t right_rows = 1;
    for (size_t s : n.right->sources)
      right_rows = std::min<int64_t>(int64_t(1) << 30,
                                     right_rows * (scope.sources[s].cat ? std::max<int64_t>(1, scope.sources[s].cat->rows()) : 1024));
    l = std::make_unique<Rebatch>(std::move(l), size_t(std::max<int64_t>(1, int64_t(engine::kDefaultBatchRows) / right_rows)));
  }
  op = std::make_unique<engine::HashJoin>(std::move(l), std::move(r), spec, opts_.ctx);
  tree.label = std::string("HashJoin ") + (spec.type == engine::JoinType::Left ? "LEFT " : "") +
               (keys.empty() ? "CROSS" : "on " + join(keys, " AND ")) + " (builds the right side)";
  tree.children = {lt, rt};
  if (EExpr f = and_all(n.residual)) {
    op = std::make_unique<engine::Filter>(std::move(op), f, opts_.ctx);
    tree = PlanNode{"Filter " + f->to_string(), {tree}};
  }
  return op;
}

// ---------------------------------------------------------------------------------------
// SELECT

struct OutCol {
  EExpr expr;
  std::string name;
  bool hidden = false;
  std::string xtype;  // DALI xtype of a geometry value
};

Planned QueryPlanner::plan_select(const Query& q) {
  Scope scope;
  std::vector<std::unique_ptr<FromNode>> roots;
  for (const TableRefPtr& t : q.from) roots.push_back(bind_from(*t, scope));
  // Comma-separated FROM entries are cross joins, left to right.
  std::unique_ptr<FromNode> root = std::move(roots[0]);
  for (size_t i = 1; i < roots.size(); i++) {
    auto j = std::make_unique<FromNode>();
    j->leaf = false;
    j->type = JoinType::Cross;
    j->ref = nullptr;  // no ON of its own
    j->sources = root->sources;
    j->sources.insert(roots[i]->sources.begin(), roots[i]->sources.end());
    j->left = std::move(root);
    j->right = std::move(roots[i]);
    root = std::move(j);
  }
  bool multi = scope.sources.size() > 1;
  if (multi) {
    for (size_t i = 0; i < scope.sources.size(); i++)
      for (size_t k = 0; k < i; k++)
        if (Identifier{scope.sources[i].alias, true}.matches(scope.sources[k].alias))
          fail(q.line, q.column, "table name '" + scope.sources[i].alias + "' appears twice in FROM; give one an alias");
  }
  for (size_t i = 0; i < scope.cols.size(); i++) {
    ScopeColumn& c = scope.cols[i];
    c.internal = multi ? c.table + "." + c.name : c.name;
    c.field.name = c.internal;
    scope.by_internal[c.internal] = i;
  }

  Translator tr(scope, [this](const Query& sub) { return run(sub); });
  auto check = [&](const EExpr& e, const Expr& at, const std::vector<parquet::Field>& schema) {
    try {
      return engine::infer_type(*e, schema);
    } catch (const engine::ExprError& err) {
      fail(at, err.what());
    }
  };
  // WHERE: a spatial search on a single catalog, then conjuncts.
  std::vector<const Expr*> conj;
  split_and(q.where, conj);
  std::map<size_t, std::vector<EExpr>> pushed;
  if (!root->leaf) {
    // `FROM a, b WHERE cond` is `a JOIN b ON cond`: binding WHERE as the top join's ON lets a
    // positional condition become a cross-match and equalities hash keys.
    std::vector<const Expr*> extra;
    if (root->type == JoinType::Cross || root->type == JoinType::Inner) {
      for (const Expr* c : conj)
        if (!has_aggregate(*c)) extra.push_back(c);
      std::vector<const Expr*> rest;
      for (const Expr* c : conj)
        if (has_aggregate(*c)) rest.push_back(c);
      conj = rest;
    }
    bind_join(*root, scope, tr, extra, pushed);
  }
  std::optional<engine::Region> region;
  const Source* single = root->leaf && scope.sources[0].cat ? &scope.sources[0] : nullptr;
  if (single) {
    for (size_t i = 0; i < conj.size() && !region; i++)
      for (const SpatialCond& c : spatial_forms(*conj[i])) {
        if (!is_coord(*c.pra, *single, single->cat->ra_column()) || !is_coord(*c.pdec, *single, single->cat->dec_column()))
          continue;
        region = region_of(c, tr);
        if (!region) continue;
        if (!c.strict) conj.erase(conj.begin() + long(i));
        break;
      }
  }
  std::vector<EExpr> where;
  std::vector<EExpr> above;
  for (const Expr* c : conj) {
    if (has_aggregate(*c)) fail(*c, "aggregates are not allowed in WHERE (use HAVING)");
    EExpr e = tr.plain(*c);
    check(e, *c, scope.fields());
    where.push_back(e);
    std::set<std::string> cols;
    columns_of(*e, cols);
    std::set<size_t> srcs;
    for (const auto& name : cols) srcs.insert(scope.cols[scope.by_internal.at(name)].source);
    if (!root->leaf && srcs.size() == 1 && !scope.sources[*srcs.begin()].null_supplying) pushed[*srcs.begin()].push_back(e);
    else above.push_back(e);
  }

  // GROUP BY / aggregates.
  bool grouped = !q.group_by.empty() || (q.having && true);
  for (const SelectItem& it : q.items) grouped |= !it.star && has_aggregate(*it.expr);
  for (const OrderItem& o : q.order_by) grouped |= has_aggregate(*o.expr);
  if (grouped) {
    for (const adql::ExprPtr& g : q.group_by) {
      const Expr* ge = g.get();
      // GROUP BY may name a select-list alias or ordinal.
      if (ge->kind == ExprKind::Column && ge->names.size() == 1) {
        bool in_scope = false;
        for (const ScopeColumn& c : scope.cols) in_scope |= ge->column_name().matches(c.name);
        if (!in_scope)
          for (const SelectItem& it : q.items)
            if (!it.star && !it.alias.empty() && g->column_name().matches(it.alias.name)) {
              ge = it.expr.get();
              break;
            }
      } else if (ge->is_integer_literal() && ge->int_value >= 1 && size_t(ge->int_value) <= q.items.size() &&
                 !q.items[size_t(ge->int_value - 1)].star) {
        ge = q.items[size_t(ge->int_value - 1)].expr.get();
      }
      if (has_aggregate(*ge)) fail(*ge, "aggregates are not allowed in GROUP BY");
      EExpr k = tr.plain(*ge);
      check(k, *ge, scope.fields());
      tr.add_group_key(k);
    }
  }

  // Select list.
  std::vector<OutCol> out;
  std::vector<std::string> out_text;  // expression text, to match ORDER BY expressions
  auto unique_name = [&](std::string n) {
    std::string base = n;
    for (int k = 2;; k++) {
      bool clash = false;
      for (const OutCol& o : out) clash |= o.name == n;
      if (!clash) return n;
      n = base + "_" + std::to_string(k);
    }
  };
  for (const SelectItem& it : q.items) {
    if (it.star) {
      if (grouped) fail(q.line, q.column, "SELECT * cannot be combined with GROUP BY or aggregates");
      for (size_t i : scope.star(it.qualifier, q.line, q.column)) {
        const ScopeColumn& c = scope.cols[i];
        scope.sources[c.source].used.insert(c.name);
        out.push_back({engine::col(c.internal), unique_name(c.name)});
        out.back().xtype = c.xtype;
        out_text.push_back(c.internal);
      }
      continue;
    }
    EExpr e = grouped ? tr.grouped(*it.expr) : tr.plain(*it.expr);
    if (!grouped) check(e, *it.expr, scope.fields());
    std::string name;
    if (!it.alias.empty()) name = it.alias.name;
    else if (it.expr->kind == ExprKind::Column) name = it.expr->column_name().quoted ? it.expr->column_name().name : [&] {
      auto f = scope.by_internal.find(e->name);
      return f != scope.by_internal.end() && e->kind == engine::ExprKind::Column ? scope.cols[f->second].name
                                                                              : it.expr->column_name().name;
    }();
    else name = it.expr->to_string();
    out.push_back({e, unique_name(name)});
    out.back().xtype = geometry_xtype(*it.expr);
    if (out.back().xtype.empty() && e->kind == engine::ExprKind::Column) {
      auto f = scope.by_internal.find(e->name);
      if (f != scope.by_internal.end()) out.back().xtype = scope.cols[f->second].xtype;
    }
    out_text.push_back(e->to_string());
  }
  EExpr having = q.having ? tr.grouped(*q.having) : nullptr;

  // ORDER BY: output columns by ordinal, alias or equal expression; else hidden columns.
  std::vector<engine::SortKey> sort;
  for (const OrderItem& o : q.order_by) {
    const Expr& e = *o.expr;
    int idx = -1;
    if (e.is_integer_literal()) {
      if (e.int_value < 1 || size_t(e.int_value) > out.size())
        fail(e, "ORDER BY position " + std::to_string(e.int_value) + " is not in the select list (1.." +
                    std::to_string(out.size()) + ")");
      idx = int(e.int_value - 1);
    } else if (e.kind == ExprKind::Column && e.names.size() == 1) {
      for (size_t i = 0; i < q.items.size() && idx < 0; i++)
        if (!q.items[i].star && !q.items[i].alias.empty() && e.column_name().matches(q.items[i].alias.name))
          for (size_t k = 0; k < out.size(); k++)
            if (out[k].name == q.items[i].alias.name) idx = int(k);
    }
    if (idx < 0) {
      EExpr x = grouped ? tr.grouped(e) : tr.plain(e);
      if (!grouped) check(x, e, scope.fields());
      std::string t = x->to_string();
      for (size_t k = 0; k < out.size() && idx < 0; k++)
        if (!out[k].hidden && out_text[k] == t) idx = int(k);
      if (idx < 0) {
        if (q.distinct) fail(e, "with SELECT DISTINCT, ORDER BY expressions must appear in the select list");
        out.push_back({x, "__o" + std::to_string(out.size()), true});
        out_text.push_back(t);
        idx = int(out.size() - 1);
      }
    }
    sort.push_back({engine::col(out[size_t(idx)].name), o.descending, std::nullopt});
  }

  // Operators.
  Planned p;
  engine::QueryContext* ctx = opts_.ctx;
  std::vector<engine::NamedExpr> proj;
  std::vector<std::string> proj_text;
  for (const OutCol& o : out) {
    proj.push_back({o.expr, o.name});
    proj_text.push_back(o.expr->to_string() + (o.expr->to_string() == o.name ? "" : " AS " + o.name));
  }
  std::vector<engine::NamedExpr> keys = tr.group_keys();
  std::vector<engine::AggSpec> aggs = tr.aggregates();
  auto agg_label = [&] {
    std::vector<std::string> k, a;
    for (const auto& x : keys) k.push_back(x.expr->to_string());
    for (const auto& x : aggs)
      a.push_back(std::string(engine::agg_name(x.func)) + "(" + (x.distinct ? "DISTINCT " : "") +
                  (x.arg ? x.arg->to_string() : "*") + ")");
    return "keys [" + join(k) + "] aggregates [" + join(a) + "]";
  };
  OperatorPtr op;
  PlanNode tree;
  EExpr where_all = and_all(where);
  bool projected = false;
  if (single && !region) {
    // One catalog: filter (and project, or partially aggregate) per partition, in parallel.
    engine::Pipeline extra;
    if (!grouped) {
      extra = [proj, ctx](OperatorPtr o) -> OperatorPtr { return std::make_unique<engine::Project>(std::move(o), proj, ctx); };
      projected = true;
    }
    op = leaf_scan(0, scope, where, grouped ? nullptr : extra, false, tree, p.estimate);
    if (grouped) {
      // leaf_scan built a CatalogScan; an aggregate over one catalog runs partial aggregates
      // per partition instead.
      engine::ScanOptions so;
      so.columns = used_columns(scope.sources[0]);
      so.threads = opts_.threads;
      if (where_all) so.predicates = engine::extract_predicates(*where_all);
      engine::Pipeline filt = [where_all, ctx](OperatorPtr o) -> OperatorPtr {
        return where_all ? std::make_unique<engine::Filter>(std::move(o), where_all, ctx) : std::move(o);
      };
      op = std::make_unique<engine::ParallelAggregate>(engine::catalog_source(scope.sources[0].cat), so, filt, keys,
                                                       aggs, ctx);
      tree = PlanNode{"ParallelAggregate " + agg_label() + " (partial per partition, merged)", {tree}};
    } else {
      tree.label += " project [" + join(proj_text) + "]";
    }
  } else if (single) {
    // One catalog with a region: the engine's spatial search, then the rest of the query.
    const Source& s = scope.sources[0];
    engine::SearchOptions so;
    so.columns = used_columns(s);
    so.threads = opts_.threads;
    so.progress = opts_.progress;
    std::shared_ptr<catalog::Catalog> cat = s.cat;
    engine::Region reg = *region;
    auto job = [cat, reg, so](const PushSource::Sink& sink) { engine::spatial_search(*cat, reg, so, sink); };
    op = std::make_unique<PushSource>(engine::select_fields(*cat, so.columns), job, ctx);
    // Estimate: the partitions and row groups whose HEALPix ranges meet the region's coverage.
    engine::ScanOptions est;
    est.columns = so.columns;
    int order = 0;
    for (const auto& part : cat->partitions()) order = std::max(order, part.order);
    std::vector<engine::HpRange> ranges = engine::pixel_ranges(order, reg.coverage(order));
    est.partition_filter = [ranges](const catalog::Partition& part) {
      engine::HpRange r = engine::pixel_range(part.order, part.pixel);
      return engine::ranges_intersect(ranges, r.lo, r.hi);
    };
    if (!ranges.empty() && !cat->healpix_column().empty()) {
      est.predicates.push_back({cat->healpix_column(), engine::BinOp::Ge, engine::Value::Int(ranges.front().lo)});
      est.predicates.push_back({cat->healpix_column(), engine::BinOp::Lt, engine::Value::Int(ranges.back().hi)});
    }
    p.estimate = estimate(*engine::catalog_source(cat), est);
    tree.label = "SpatialSearch " + s.alias + " " + reg.describe() + " columns [" + join(so.columns) +
                 "] (engine search: coverage-pruned partitions and row groups) -- " + p.estimate.to_string();
    if (where_all) {
      op = std::make_unique<engine::Filter>(std::move(op), where_all, ctx);
      tree = PlanNode{"Filter " + where_all->to_string(), {tree}};
    }
  } else {
    op = build(*root, scope, pushed, tree, p.estimate);
    if (EExpr f = and_all(above)) {
      op = std::make_unique<engine::Filter>(std::move(op), f, ctx);
      tree = PlanNode{"Filter " + f->to_string(), {tree}};
    }
  }
  if (grouped && !(single && !region)) {
    op = std::make_unique<engine::Aggregate>(std::move(op), keys, aggs, ctx);
    tree = PlanNode{"Aggregate " + agg_label(), {tree}};
  }
  if (grouped) {
    std::vector<parquet::Field> agg_schema = op->schema();
    if (having) {
      check(having, *q.having, agg_schema);
      op = std::make_unique<engine::Filter>(std::move(op), having, ctx);
      tree = PlanNode{"Filter (HAVING) " + having->to_string(), {tree}};
    }
    for (size_t i = 0; i < out.size(); i++)
      check(out[i].expr, i < q.items.size() ? *q.items[i].expr : *q.order_by[0].expr, agg_schema);
  }
  if (!projected) {
    op = std::make_unique<engine::Project>(std::move(op), proj, ctx);
    tree = PlanNode{"Project [" + join(proj_text) + "]", {tree}};
  }
  if (q.distinct) {
    op = std::make_unique<engine::Distinct>(std::move(op), ctx);
    tree = PlanNode{"Distinct", {tree}};
  }
  int64_t limit = q.top ? *q.top : -1;
  int64_t offset = q.offset ? *q.offset : 0;
  std::vector<std::string> sort_text;
  for (const auto& k : sort) sort_text.push_back(k.expr->to_string() + (k.descending ? " DESC" : ""));
  if (!sort.empty() && limit >= 0) {
    op = std::make_unique<engine::TopN>(std::move(op), sort, limit, offset, ctx);
    tree = PlanNode{"TopN " + std::to_string(limit) + (offset ? " offset " + std::to_string(offset) : "") + " by [" +
                        join(sort_text) + "]",
                    {tree}};
  } else {
    if (!sort.empty()) {
      op = std::make_unique<engine::Sort>(std::move(op), sort, ctx);
      tree = PlanNode{"Sort by [" + join(sort_text) + "]", {tree}};
    }
    if (limit >= 0 || offset > 0) {
      op = std::make_unique<engine::Limit>(std::move(op), limit, offset, ctx);
      tree = PlanNode{"Limit " + (limit >= 0 ? std::to_string(limit) : "all") +
                          (offset ? " offset " + std::to_string(offset) : ""),
                      {tree}};
    }
  }
  bool any_hidden = false;
  for (const OutCol& o : out) any_hidden |= o.hidden;
  if (any_hidden) {
    std::vector<engine::NamedExpr> vis;
    for (const OutCol& o : out)
      if (!o.hidden) vis.push_back({engine::col(o.name), o.name});
    op = std::make_unique<engine::Project>(std::move(op), vis, ctx);
  }
  p.op = std::move(op);
  p.schema = p.op->schema();
  for (const OutCol& o : out)
    if (!o.hidden) p.xtypes.push_back(o.xtype);
  p.xtypes.resize(p.schema.size());
  p.tree = std::move(tree);
  // ra/dec output columns of the first catalog, for --format hats.
  for (size_t si = 0; si < scope.sources.size(); si++) {
    const Source& s = scope.sources[si];
    if (!s.cat) continue;
    for (const OutCol& o : out) {
      if (o.hidden || o.expr->kind != engine::ExprKind::Column) continue;
      auto f = scope.by_internal.find(o.expr->name);
      if (f == scope.by_internal.end() || scope.cols[f->second].source != si) continue;
      if (scope.cols[f->second].name == s.cat->ra_column() && p.ra_column.empty()) p.ra_column = o.name;
      if (scope.cols[f->second].name == s.cat->dec_column() && p.dec_column.empty()) p.dec_column = o.name;
    }
    break;
  }
  return p;
}

Planned QueryPlanner::plan_query(const Query& q, const std::vector<CommonTableExpr>* outer_with) {
  if (!q.with.empty()) with_.push_back(&q.with);
  struct Pop {
    std::vector<const std::vector<CommonTableExpr>*>& w;
    bool on;
    ~Pop() {
      if (on) w.pop_back();
    }
  } pop{with_, !q.with.empty()};
  if (q.kind == QueryKind::Select) return plan_select(q);
  Planned l = plan_query(*q.left);
  Planned r = plan_query(*q.right);
  return plan_set_operation(q, std::move(l), std::move(r), opts_.ctx);
}

void print_tree(const PlanNode& n, int depth, std::string& out) {
  out += std::string(size_t(depth) * 2, ' ') + (depth ? "-> " : "") + n.label + "\n";
  for (const PlanNode& c : n.children) print_tree(c, depth + 1, out);
}

}  // namespace

std::string Plan::explain_text() const {
  std::string out;
  print_tree(tree, 0, out);
  out += "Estimate: " + estimate.to_string() + " (after pruning, before filters)\n";
  return out;
}

Plan plan(const Statement& stmt, const PlanOptions& opts) {
  register_adql_functions();
  if (!stmt.query) throw PlanError("empty statement");
  QueryPlanner qp(opts);
  qp.explain_ = stmt.explain;
  Planned pl = qp.plan_query(*stmt.query);
  Plan out;
  out.root = std::move(pl.op);
  out.schema = std::move(pl.schema);
  out.tree = std::move(pl.tree);
  out.estimate = pl.estimate;
  out.ra_column = pl.ra_column;
  out.dec_column = pl.dec_column;
  out.xtypes = pl.xtypes;
  out.xtypes.resize(out.schema.size());
  out.explain = stmt.explain;
  return out;
}

Plan plan(std::string_view adql, const PlanOptions& opts) { return plan(parse(adql), opts); }

}  // namespace astrolake::adql
