#include "adql/binder.h"

#include <algorithm>
#include <cctype>

#include "engine/column_ops.h"
#include "engine/functions.h"

namespace astrolake::adql {

using EExpr = engine::ExprPtr;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join_names(const std::vector<Identifier>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); i++) s += (i ? "." : "") + names[i].name;
  return s;
}

}  // namespace

void fail(int line, int column, const std::string& msg) {
  if (line > 0) throw PlanError("line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + msg);
  throw PlanError(msg);
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); j++) prev[j] = j;
  for (size_t i = 1; i <= a.size(); i++) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); j++) {
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggest(const std::string& name, const std::vector<std::string>& candidates) {
  size_t best = std::string::npos;
  std::string pick;
  for (const std::string& c : candidates) {
    size_t d = edit_distance(name, c);
    if (d < best) {
      best = d;
      pick = c;
    }
  }
  // Allow about one edit per three characters: close enough to be a typo.
  if (pick.empty() || best > std::max<size_t>(2, name.size() / 3)) return "";
  return " (did you mean '" + pick + "'?)";
}

// ---------------------------------------------------------------------------------------
// Scope

std::vector<parquet::Field> Scope::fields() const {
  std::vector<parquet::Field> f;
  for (const auto& c : cols) f.push_back(c.field);
  return f;
}

const ScopeColumn& Scope::resolve(const Expr& e) {
  const Identifier& name = e.column_name();
  const Identifier* qual = e.names.size() >= 2 ? &e.names[e.names.size() - 2] : nullptr;
  if (qual) {
    bool known = false;
    for (const Source& s : sources) known |= qual->matches(s.alias);
    if (!known) {
      std::vector<std::string> aliases;
      for (const Source& s : sources) aliases.push_back(s.alias);
      fail(e, "no table '" + join_names({e.names.begin(), e.names.end() - 1}) + "' in FROM" + suggest(qual->name, aliases));
    }
  }
  const ScopeColumn* found = nullptr;
  for (const ScopeColumn& c : cols) {
    if (!name.matches(c.name)) continue;
    if (qual && !qual->matches(c.table)) continue;
    if (found && found->source != c.source)
      fail(e, "column '" + name.name + "' is ambiguous (in " + sources[found->source].display + " and " +
                  sources[c.source].display + "); qualify it");
    if (!found) found = &c;
  }
  if (!found) {
    std::vector<std::string> names;
    std::string where;
    for (size_t i = 0; i < sources.size(); i++) {
      if (qual && !qual->matches(sources[i].alias)) continue;
      where += (where.empty() ? "" : ", ") + sources[i].display;
    }
    for (const ScopeColumn& c : cols)
      if (!qual || qual->matches(c.table)) names.push_back(c.name);
    fail(e, "no column '" + name.name + "' in " + where + suggest(name.name, names));
  }
  sources[found->source].used.insert(found->name);
  return *found;
}

std::vector<size_t> Scope::star(const std::vector<Identifier>& qualifier, int line, int column) const {
  std::vector<size_t> out;
  if (qualifier.empty()) {
    for (size_t i = 0; i < cols.size(); i++) out.push_back(i);
    return out;
  }
  const Identifier& q = qualifier.back();
  for (size_t i = 0; i < cols.size(); i++)
    if (q.matches(cols[i].table)) out.push_back(i);
  if (out.empty()) {
    std::vector<std::string> aliases;
    for (const Source& s : sources) aliases.push_back(s.alias);
    fail(line, column, "no table '" + join_names(qualifier) + "' in FROM" + suggest(q.name, aliases));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Helpers

void add_estimate(engine::ScanEstimate& a, const engine::ScanEstimate& b) {
  a.partitions_total += b.partitions_total;
  a.partitions += b.partitions;
  a.row_groups_total += b.row_groups_total;
  a.row_groups += b.row_groups;
  a.rows += b.rows;
  a.bytes += b.bytes;
  a.remote_files += b.remote_files;
  a.requests += b.requests;
  a.fetch_bytes += b.fetch_bytes;
}

bool is_aggregate_name(const std::string& n) {
  return n == "COUNT" || n == "SUM" || n == "AVG" || n == "MIN" || n == "MAX" || n == "STDDEV" || n == "STDDEV_SAMP" ||
         n == "IVO_STRING_AGG";
}

bool has_aggregate(const Expr& e) {
  if (e.kind == ExprKind::Function && is_aggregate_name(e.name)) return true;
  for (const auto& a : e.args)
    if (a && has_aggregate(*a)) return true;
  if (e.else_result && has_aggregate(*e.else_result)) return true;
  return false;
}

void columns_of(const engine::Expr& e, std::set<std::string>& out) {
  if (e.kind == engine::ExprKind::Column) out.insert(e.name);
  for (const auto& a : e.args) columns_of(*a, out);
}

std::optional<engine::Value> constant_value(const EExpr& e) {
  std::set<std::string> cols;
  columns_of(*e, cols);
  if (!cols.empty()) return std::nullopt;
  parquet::Table one;
  one.columns.push_back(engine::make_i64(parquet::Field{"__one", parquet::Type::Int64, false}, {0}));
  try {
    parquet::Column c = engine::evaluate(*e, one);
    if (c.rows() != 1 || c.field.list) return std::nullopt;
    return engine::value_at(c, 0);
  } catch (const engine::ExprError&) {
    return std::nullopt;
  }
}

parquet::Type cast_type(const Expr& e) {
  const std::string& t = e.cast_type;
  using parquet::Type;
  if (t == "INTEGER" || t == "INT") return Type::Int32;
  if (t == "SMALLINT") return Type::Int16;
  if (t == "BIGINT") return Type::Int64;
  if (t == "REAL") return Type::Float;
  if (t == "DOUBLE PRECISION" || t == "DOUBLE" || t == "FLOAT") return Type::Double;
  if (t == "CHAR" || t == "VARCHAR") return Type::String;
  if (t == "BOOLEAN") return Type::Bool;
  if (t == "TIMESTAMP") return Type::TimestampMicros;
  fail(e, "CAST to " + t + " is not supported (geometry values exist only inside CONTAINS/DISTANCE)");
}

// ---------------------------------------------------------------------------------------
// Translator

void Translator::add_group_key(EExpr key) {
  key_text_.push_back(key->to_string());
  keys_.push_back(std::move(key));
}

std::vector<engine::NamedExpr> Translator::group_keys() const {
  std::vector<engine::NamedExpr> out;
  for (size_t i = 0; i < keys_.size(); i++) out.push_back({keys_[i], "__g" + std::to_string(i)});
  return out;
}

EExpr Translator::plain(const Expr& e) { return translate(e, false); }
EExpr Translator::grouped(const Expr& e) { return translate(e, true); }

EExpr Translator::aggregate(const Expr& e) {
  engine::AggSpec spec;
  const std::string& n = e.name;
  if (e.star) {
    spec.func = engine::AggFunc::CountStar;
  } else if (n == "IVO_STRING_AGG") {
    // ivo_string_agg(expr, delimiter): the non-null values joined by a constant delimiter.
    if (e.args.size() != 2) fail(e, "ivo_string_agg takes (expression, delimiter)");
    for (const auto& a : e.args)
      if (has_aggregate(*a)) fail(*a, "aggregate calls cannot be nested: " + e.to_string());
    spec.func = engine::AggFunc::StringAgg;
    spec.arg = plain(*e.args[0]);
    std::optional<engine::Value> d = constant_value(plain(*e.args[1]));
    if (!d || d->null || !d->is_string()) fail(*e.args[1], "ivo_string_agg: the delimiter must be a constant string");
    spec.separator = d->s;
    if (e.distinct) fail(e, "ivo_string_agg(DISTINCT ...) is not supported");
  } else {
    if (e.args.size() != 1) fail(e, n + " takes one argument, got " + std::to_string(e.args.size()));
    if (has_aggregate(*e.args[0])) fail(*e.args[0], "aggregate calls cannot be nested: " + e.to_string());
    spec.arg = plain(*e.args[0]);
    spec.distinct = e.distinct;
    if (n == "COUNT") spec.func = engine::AggFunc::Count;
    else if (n == "SUM") spec.func = engine::AggFunc::Sum;
    else if (n == "AVG") spec.func = engine::AggFunc::Avg;
    else if (n == "MIN") spec.func = engine::AggFunc::Min;
    else if (n == "MAX") spec.func = engine::AggFunc::Max;
    else spec.func = engine::AggFunc::StddevSamp;
    if (spec.distinct && spec.func != engine::AggFunc::Count) {
      // MIN/MAX(DISTINCT x) equal MIN/MAX(x); other DISTINCT aggregates are not implemented.
      if (spec.func == engine::AggFunc::Min || spec.func == engine::AggFunc::Max) spec.distinct = false;
      else fail(e, n + "(DISTINCT ...) is not supported; only COUNT(DISTINCT ...)");
    }
  }
  std::string text = std::string(engine::agg_name(spec.func)) + (spec.distinct ? "(distinct " : "(") +
                     (spec.arg ? spec.arg->to_string() : "*") + ")" + spec.separator;
  for (size_t i = 0; i < agg_text_.size(); i++)
    if (agg_text_[i] == text) return engine::col(aggs_[i].name);
  spec.name = "__a" + std::to_string(aggs_.size());
  agg_text_.push_back(text);
  aggs_.push_back(spec);
  return engine::col(spec.name);
}

EExpr Translator::translate(const Expr& e, bool grouped) {
  using engine::BinOp;
  if (grouped) {
    if (e.kind == ExprKind::Function && is_aggregate_name(e.name)) return aggregate(e);
    if (!has_aggregate(e) && e.kind != ExprKind::Literal) {
      // A whole group key (or an expression of only constants) stands for itself.
      EExpr p = plain(e);
      std::string t = p->to_string();
      for (size_t i = 0; i < key_text_.size(); i++)
        if (key_text_[i] == t) return engine::col("__g" + std::to_string(i));
      std::set<std::string> cols;
      columns_of(*p, cols);
      if (cols.empty()) return p;
      if (e.kind == ExprKind::Column)
        fail(e, "column '" + e.to_string() + "' must appear in GROUP BY or be used in an aggregate");
    }
  } else if (e.kind == ExprKind::Function && is_aggregate_name(e.name)) {
    fail(e, "aggregate " + e.to_string() + " is not allowed here (only in the select list, HAVING and ORDER BY)");
  }
  auto sub = [&](size_t i) { return translate(*e.args.at(i), grouped); };
  switch (e.kind) {
    case ExprKind::Column: return engine::col(scope_.resolve(e).internal);
    case ExprKind::Literal:
      switch (e.literal) {
        case LiteralKind::Null: return engine::lit_null();
        case LiteralKind::Integer: return engine::lit_int(e.int_value);
        case LiteralKind::Float: return engine::lit_double(e.float_value);
        case LiteralKind::String: return engine::lit_str(e.string_value);
        case LiteralKind::Boolean: return engine::lit_bool(e.int_value != 0);
      }
      break;
    case ExprKind::Unary:
      if (e.unary_op == UnaryOp::Neg) return engine::negate(sub(0));
      if (e.unary_op == UnaryOp::Not) return engine::not_(sub(0));
      fail(e, "bitwise ~ is not supported");
    case ExprKind::Binary: {
      EExpr a = sub(0), b = sub(1);
      switch (e.binary_op) {
        case BinaryOp::Or: return engine::or_(a, b);
        case BinaryOp::And: return engine::and_(a, b);
        case BinaryOp::Eq: return engine::binary(BinOp::Eq, a, b);
        case BinaryOp::Ne: return engine::binary(BinOp::Ne, a, b);
        case BinaryOp::Lt: return engine::binary(BinOp::Lt, a, b);
        case BinaryOp::Le: return engine::binary(BinOp::Le, a, b);
        case BinaryOp::Gt: return engine::binary(BinOp::Gt, a, b);
        case BinaryOp::Ge: return engine::binary(BinOp::Ge, a, b);
        case BinaryOp::Concat: return engine::binary(BinOp::Concat, a, b);
        case BinaryOp::Add: return engine::binary(BinOp::Add, a, b);
        case BinaryOp::Sub: return engine::binary(BinOp::Sub, a, b);
        case BinaryOp::Mul: return engine::binary(BinOp::Mul, a, b);
        case BinaryOp::Div: return engine::binary(BinOp::Div, a, b);
        case BinaryOp::Mod: return engine::binary(BinOp::Mod, a, b);
        default: fail(e, std::string("bitwise operator ") + to_string(e.binary_op) + " is not supported");
      }
    }
    case ExprKind::Function: return function(e, grouped);
    case ExprKind::Case: {
      std::vector<std::pair<EExpr, EExpr>> branches;
      size_t i = 0;
      EExpr operand;
      if (e.has_operand) operand = sub(i++);
      for (; i + 1 < e.args.size(); i += 2) {
        EExpr w = sub(i);
        if (operand) w = engine::binary(BinOp::Eq, operand, w);
        branches.emplace_back(w, sub(i + 1));
      }
      EExpr els = e.else_result ? translate(*e.else_result, grouped) : nullptr;
      return engine::case_when(std::move(branches), els);
    }
    case ExprKind::Cast: return engine::cast(sub(0), cast_type(e));
    case ExprKind::In: {
      EExpr a = sub(0);
      std::vector<EExpr> list;
      if (e.subquery) {
        parquet::Table t = run_(*e.subquery);
        if (t.columns.size() != 1)
          fail(e, "IN (subquery) needs a subquery with one column, got " + std::to_string(t.columns.size()));
        const parquet::Column& c = t.columns[0];
        if (c.field.list) fail(e, "IN (subquery): the subquery's column is a list");
        std::set<std::string> seen;  // duplicates do not change IN; keep the list short
        for (size_t r = 0; r < c.rows(); r++) {
          std::string key;
          engine::append_key(key, c, r);
          if (!seen.insert(key).second) continue;
          engine::Value v = engine::value_at(c, r);
          list.push_back(v.null ? engine::lit_null() : engine::lit(v));
        }
      } else {
        for (size_t i = 1; i < e.args.size(); i++) list.push_back(sub(i));
      }
      return engine::in_list(a, std::move(list), e.negated);
    }
    case ExprKind::Between: return engine::between(sub(0), sub(1), sub(2), e.negated);
    case ExprKind::Like: return engine::like(sub(0), sub(1), e.negated, e.case_insensitive);
    case ExprKind::IsNull: return engine::is_null(sub(0), e.negated);
    case ExprKind::Exists: {
      parquet::Table t = run_(*e.subquery);
      return engine::lit_bool(t.rows() > 0);
    }
    case ExprKind::Subquery: {
      parquet::Table t = run_(*e.subquery);
      if (t.columns.size() != 1) fail(e, "a scalar subquery must return one column, got " + std::to_string(t.columns.size()));
      if (t.rows() > 1) fail(e, "a scalar subquery returned " + std::to_string(t.rows()) + " rows; at most one is allowed");
      if (t.rows() == 0) return engine::lit_null(t.columns[0].field.type);
      engine::Value v = engine::value_at(t.columns[0], 0);
      return v.null ? engine::lit_null(t.columns[0].field.type) : engine::lit(v);
    }
  }
  fail(e, "unsupported expression " + e.to_string());
}

namespace {

bool is_geometry(const Expr& e, const char* name) { return e.kind == ExprKind::Function && e.name == name; }

}  // namespace

std::string geometry_xtype(const Expr& e) {
  if (is_geometry(e, "POINT") || is_geometry(e, "IVO_HEALPIX_CENTER") || is_geometry(e, "IVO_EPOCH_PROP_POS")) return "point";
  if (is_geometry(e, "CIRCLE")) return "circle";
  if (is_geometry(e, "POLYGON")) return "polygon";
  return "";
}

EExpr Translator::function(const Expr& e, bool grouped) {
  auto sub = [&](const Expr& x) { return translate(x, grouped); };
  const std::string& n = e.name;
  auto point_args = [&](const Expr& p, std::vector<EExpr>& out) {
    if (!is_geometry(p, "POINT") || p.args.size() != 2)
      fail(p, n + ": expected POINT(ra, dec), got " + p.to_string());
    out.push_back(sub(*p.args[0]));
    out.push_back(sub(*p.args[1]));
  };
  if (n == "POINT" || n == "CIRCLE" || n == "POLYGON") {
    // A geometry value (an output column): DALI's list of doubles.
    if (n == "POINT" && e.args.size() != 2) fail(e, "POINT takes (ra, dec)");
    if (n == "CIRCLE" && e.args.size() != 3) fail(e, "CIRCLE takes (ra, dec, radius)");
    if (n == "POLYGON" && (e.args.size() < 6 || e.args.size() % 2)) fail(e, "POLYGON takes at least 3 (ra, dec) vertices");
    std::vector<EExpr> args;
    for (const auto& a : e.args) args.push_back(sub(*a));
    return engine::call(lower(n), std::move(args));
  }
  if (n == "BOX" || n == "REGION")
    fail(e, n + " is supported only as the region of CONTAINS/INTERSECTS with a POINT");
  if (n == "CONTAINS" || n == "INTERSECTS") {
    if (e.args.size() != 2) fail(e, n + " takes two arguments");
    const Expr* pt = e.args[0].get();
    const Expr* shape = e.args[1].get();
    if (n == "INTERSECTS" && is_geometry(*shape, "POINT")) std::swap(pt, shape);
    auto region_shape = [&](const Expr& g) { return is_geometry(g, "CIRCLE") || is_geometry(g, "POLYGON"); };
    if (region_shape(*pt) && region_shape(*shape)) {
      // Region with region: region_relation(contains, a_is_circle, a_count, a..., b_is_circle, b...).
      std::vector<EExpr> args{engine::lit_int(n == "CONTAINS"), engine::lit_int(is_geometry(*pt, "CIRCLE")),
                              engine::lit_int(int64_t(pt->args.size()))};
      for (const Expr* g : {pt, shape}) {
        if (is_geometry(*g, "CIRCLE") && g->args.size() != 3) fail(*g, "CIRCLE takes (ra, dec, radius)");
        if (is_geometry(*g, "POLYGON") && (g->args.size() < 6 || g->args.size() % 2))
          fail(*g, "POLYGON takes at least 3 (ra, dec) vertices");
        if (g == shape) args.push_back(engine::lit_int(is_geometry(*g, "CIRCLE")));
        for (const auto& a : g->args) args.push_back(sub(*a));
      }
      return engine::call("region_relation", std::move(args));
    }
    if ((region_shape(*pt) || is_geometry(*pt, "BOX")) && (region_shape(*shape) || is_geometry(*shape, "BOX")))
      fail(e, n + " of two regions takes CIRCLE and POLYGON; BOX (an RA/Dec range) works only with a POINT, "
               "so write it as a POLYGON");
    std::vector<EExpr> args;
    point_args(*pt, args);
    for (const auto& a : shape->args) args.push_back(sub(*a));
    // A shape given by constants is checked now, so that a bad size is an error at its
    // position in the query instead of rows that silently never match.
    auto check_constant = [&](engine::Region::Kind kind) {
      std::vector<double> v;
      for (size_t i = 2; i < args.size(); i++) {
        std::optional<engine::Value> x = constant_value(args[i]);
        if (!x || x->null || x->is_string()) return;
        v.push_back(x->as_double());
      }
      try {
        make_region(kind, v);
      } catch (const std::invalid_argument& err) {
        fail(*shape, err.what());
      }
    };
    if (is_geometry(*shape, "CIRCLE")) {
      if (shape->args.size() != 3) fail(*shape, "CIRCLE takes (ra, dec, radius)");
      check_constant(engine::Region::Kind::Cone);
      return engine::call("in_circle", std::move(args));
    }
    if (is_geometry(*shape, "BOX")) {
      if (shape->args.size() != 4) fail(*shape, "BOX takes (ra, dec, width, height)");
      check_constant(engine::Region::Kind::Box);
      return engine::call("in_box", std::move(args));
    }
    if (is_geometry(*shape, "POLYGON")) {
      if (shape->args.size() < 6 || shape->args.size() % 2) fail(*shape, "POLYGON takes at least 3 (ra, dec) vertices");
      check_constant(engine::Region::Kind::Polygon);
      return engine::call("in_polygon", std::move(args));
    }
    fail(*shape, n + ": the second argument must be CIRCLE, BOX or POLYGON, got " + shape->to_string());
  }
  if (n == "DISTANCE") {
    std::vector<EExpr> args;
    if (e.args.size() == 2) {
      point_args(*e.args[0], args);
      point_args(*e.args[1], args);
    } else if (e.args.size() == 4) {
      for (const auto& a : e.args) args.push_back(sub(*a));
    } else {
      fail(e, "DISTANCE takes (POINT, POINT) or (ra1, dec1, ra2, dec2)");
    }
    return engine::call("distance", std::move(args));
  }
  if (n == "COORD1" || n == "COORD2") {
    if (e.args.size() != 1 || !is_geometry(*e.args[0], "POINT") || e.args[0]->args.size() != 2)
      fail(e, n + " takes POINT(ra, dec)");
    return sub(*e.args[0]->args[n == "COORD1" ? 0 : 1]);
  }
  if (n == "COORDSYS") return engine::lit_str("ICRS");
  const engine::Function* fn = engine::FunctionRegistry::global().find(n);
  if (!fn || fn->aggregate) {
    std::vector<std::string> names;
    for (const engine::Function* f : engine::FunctionRegistry::global().list()) names.push_back(f->name);
    for (const char* g : {"contains", "distance", "point", "circle", "box", "polygon", "intersects"}) names.push_back(g);
    fail(e, "unknown function " + lower(n) + suggest(lower(n), names));
  }
  std::vector<EExpr> args;
  for (const auto& a : e.args) args.push_back(sub(*a));
  return engine::call(lower(n), std::move(args));
}

}  // namespace astrolake::adql
