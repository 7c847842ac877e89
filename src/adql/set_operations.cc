#include "adql/set_operations.h"

#include "engine/column_ops.h"
#include "engine/sort.h"

namespace astrolake::adql {

using parquet::Table;

Concat::Concat(engine::OperatorPtr left, engine::OperatorPtr right, engine::QueryContext* ctx)
    : left_(std::move(left)), right_(std::move(right)), schema_(left_->schema()), ctx_(ctx) {
  // A column is nullable when either side's is; types were unified by the planner.
  for (size_t i = 0; i < schema_.size() && i < right_->schema().size(); i++)
    schema_[i].nullable = schema_[i].nullable || right_->schema()[i].nullable;
}

std::optional<Table> Concat::next() {
  for (;;) {
    if (ctx_) ctx_->check();
    std::optional<Table> b = left_done_ ? right_->next() : left_->next();
    if (!b) {
      if (!left_done_) {
        left_done_ = true;
        continue;
      }
      if (emitted_) return std::nullopt;
      emitted_ = true;
      return engine::empty_table(schema_);
    }
    if (b->rows() == 0) continue;
    // Rename to the left side's names and flags (the right side's names do not matter).
    for (size_t c = 0; c < b->columns.size(); c++) {
      b->columns[c].field.name = schema_[c].name;
      b->columns[c].field.nullable = schema_[c].nullable;
    }
    emitted_ = true;
    return b;
  }
}

SetFilter::SetFilter(engine::OperatorPtr left, engine::OperatorPtr right, Kind kind, bool all, engine::QueryContext* ctx)
    : left_(std::move(left)), right_(std::move(right)), kind_(kind), all_(all), ctx_(ctx), charge_(ctx) {}

namespace {
std::string row_key(const Table& t, size_t r) {
  std::string key;
  for (const auto& c : t.columns) engine::append_key(key, c, r);
  return key;
}
}  // namespace

void SetFilter::build() {
  built_ = true;
  while (std::optional<Table> b = right_->next()) {
    if (ctx_) ctx_->check();
    for (size_t r = 0; r < b->rows(); r++) {
      auto [it, inserted] = counts_.try_emplace(row_key(*b, r), 0);
      it->second++;
      if (inserted) bytes_ += it->first.size() + 64;  // node + hash overhead, roughly
    }
    charge_.set(bytes_);
  }
  counts_.rehash(0);
}

std::optional<Table> SetFilter::next() {
  if (!built_) build();
  for (;;) {
    if (ctx_) ctx_->check();
    std::optional<Table> b = left_->next();
    if (!b) {
      if (emitted_) return std::nullopt;
      emitted_ = true;
      return engine::empty_table(schema());
    }
    std::vector<uint8_t> keep(b->rows(), 0);
    for (size_t r = 0; r < keep.size(); r++) {
      std::string key = row_key(*b, r);
      auto it = counts_.find(key);
      if (kind_ == Kind::Intersect) {
        // ALL: one copy per remaining right copy. Distinct: first time only (then -1).
        if (it != counts_.end() && it->second > 0) {
          keep[r] = 1;
          it->second = all_ ? it->second - 1 : -1;
        }
      } else if (all_) {
        if (it != counts_.end() && it->second > 0) it->second--;
        else keep[r] = 1;
      } else if (it == counts_.end()) {
        keep[r] = 1;
        bytes_ += key.size() + 64;
        counts_.emplace(std::move(key), -1);  // emitted: never again
      }
    }
    charge_.set(bytes_);
    Table out = engine::filter(*b, keep);
    if (out.rows() == 0) continue;
    emitted_ = true;
    return out;
  }
}

// ---------------------------------------------------------------------------------------
// Planning

namespace {

const char* set_name(QueryKind k) {
  return k == QueryKind::Union ? "UNION" : k == QueryKind::Except ? "EXCEPT" : "INTERSECT";
}

// Casts a side's columns to `types` where they differ (a Project over the side).
engine::OperatorPtr cast_to(engine::OperatorPtr op, const std::vector<parquet::Field>& target, engine::QueryContext* ctx) {
  const std::vector<parquet::Field>& have = op->schema();
  bool same = true;
  for (size_t i = 0; i < have.size(); i++) same &= have[i].type == target[i].type;
  if (same) return op;
  std::vector<engine::NamedExpr> proj;
  for (size_t i = 0; i < have.size(); i++) {
    engine::ExprPtr c = engine::col(have[i].name);
    proj.push_back({have[i].type == target[i].type ? c : engine::cast(c, target[i].type), have[i].name});
  }
  return std::make_unique<engine::Project>(std::move(op), proj, ctx);
}

}  // namespace

Planned plan_set_operation(const Query& q, Planned l, Planned r, engine::QueryContext* ctx) {
  const char* name = set_name(q.kind);
  std::string what = std::string(name) + (q.all ? " ALL" : "");
  if (l.schema.size() != r.schema.size())
    fail(q.line, q.column, what + ": the left query has " + std::to_string(l.schema.size()) +
                               " columns and the right one " + std::to_string(r.schema.size()) + "; they must match");
  std::vector<parquet::Field> target = l.schema;
  for (size_t i = 0; i < target.size(); i++) {
    const parquet::Field& a = l.schema[i];
    const parquet::Field& b = r.schema[i];
    std::string col = "column " + std::to_string(i + 1) + " (" + a.name + ")";
    if (a.list || b.list) {
      // Lists (geometry values, light curves) compare element-wise; no casts between them.
      if (a.list != b.list || a.type != b.type)
        fail(q.line, q.column, what + ": " + col + " is a list of " + parquet::type_name(a.type) + " on one side only");
      continue;
    }
    try {
      target[i].type = engine::common_type(a, b, what + " " + col);
    } catch (const engine::ExprError&) {
      fail(q.line, q.column, what + ": " + col + " is " + parquet::type_name(a.type) + " on the left but " +
                                 parquet::type_name(b.type) + " on the right");
    }
  }
  engine::OperatorPtr lop = cast_to(std::move(l.op), target, ctx);
  engine::OperatorPtr rop = cast_to(std::move(r.op), target, ctx);
  Planned p;
  if (q.kind == QueryKind::Union) {
    p.op = std::make_unique<Concat>(std::move(lop), std::move(rop), ctx);
    if (!q.all) p.op = std::make_unique<engine::Distinct>(std::move(p.op), ctx);
  } else {
    auto kind = q.kind == QueryKind::Intersect ? SetFilter::Kind::Intersect : SetFilter::Kind::Except;
    p.op = std::make_unique<SetFilter>(std::move(lop), std::move(rop), kind, q.all, ctx);
  }
  p.tree = PlanNode{what, {l.tree, r.tree}};
  p.estimate = l.estimate;
  add_estimate(p.estimate, r.estimate);
  p.ra_column = l.ra_column;
  p.dec_column = l.dec_column;
  p.xtypes = l.xtypes;
  // ORDER BY of a set operation names output columns (by name or 1-based position).
  std::vector<engine::SortKey> sort;
  const std::vector<parquet::Field>& out = p.op->schema();
  for (const OrderItem& o : q.order_by) {
    const Expr& e = *o.expr;
    int idx = -1;
    if (e.is_integer_literal()) {
      if (e.int_value < 1 || e.int_value > int64_t(out.size()))
        fail(e, "ORDER BY " + std::to_string(e.int_value) + ": the result has " + std::to_string(out.size()) + " columns");
      idx = int(e.int_value - 1);
    } else if (e.kind == ExprKind::Column && e.names.size() == 1) {
      for (size_t i = 0; i < out.size() && idx < 0; i++)
        if (e.column_name().matches(out[i].name)) idx = int(i);
    }
    if (idx < 0) {
      std::vector<std::string> names;
      for (const auto& f : out) names.push_back(f.name);
      fail(e, "ORDER BY of " + std::string(name) + " must name a result column or its position, got " + e.to_string() +
                  suggest(e.to_string(), names));
    }
    sort.push_back({engine::col(out[size_t(idx)].name), o.descending, {}});
  }
  if (!sort.empty()) {
    p.op = std::make_unique<engine::Sort>(std::move(p.op), sort, ctx);
    p.tree = PlanNode{"Sort", {p.tree}};
  }
  if (q.offset) {
    p.op = std::make_unique<engine::Limit>(std::move(p.op), -1, *q.offset, ctx);
    p.tree = PlanNode{"Limit all offset " + std::to_string(*q.offset), {p.tree}};
  }
  p.schema = p.op->schema();
  return p;
}

}  // namespace astrolake::adql
