#include "engine/operator.h"

#include "engine/column_ops.h"

namespace astrolake::engine {

namespace {
void check(QueryContext* ctx) {
  if (ctx) ctx->check();
}
}  // namespace

parquet::Table collect(Operator& op) {
  Table out = empty_table(op.schema());
  while (auto b = op.next()) append_table(out, *b);
  // Keep the declared names/nullability even if a batch carried different ones.
  for (size_t i = 0; i < out.columns.size() && i < op.schema().size(); i++) {
    bool nullable = out.columns[i].field.nullable || op.schema()[i].nullable;
    out.columns[i].field = op.schema()[i];
    out.columns[i].field.nullable = nullable;
  }
  return out;
}

TableSource::TableSource(Table t, size_t batch_rows, QueryContext* ctx)
    : table_(std::move(t)), schema_(schema_of(table_)), batch_rows_(batch_rows ? batch_rows : 1), ctx_(ctx) {}

std::optional<Table> TableSource::next() {
  check(ctx_);
  size_t n = table_.rows();
  if (pos_ >= n) {
    if (n == 0 && !emitted_) {
      emitted_ = true;
      return empty_table(schema_);
    }
    return std::nullopt;
  }
  emitted_ = true;
  Table b = slice(table_, pos_, batch_rows_);
  pos_ += b.rows();
  return b;
}

Filter::Filter(OperatorPtr child, ExprPtr predicate, QueryContext* ctx)
    : child_(std::move(child)), pred_(std::move(predicate)), ctx_(ctx) {
  Field f = infer_type(*pred_, child_->schema());
  if (f.type != Type::Bool && f.name != "NULL")
    throw ExprError("filter " + pred_->to_string() + " must be boolean, got " + parquet::type_name(f.type));
}

std::optional<Table> Filter::next() {
  for (;;) {
    check(ctx_);
    auto b = child_->next();
    if (!b) return std::nullopt;
    Column m = evaluate(*pred_, *b);
    std::vector<int64_t> t = column_i64(m);
    std::vector<uint8_t> keep(b->rows());
    for (size_t i = 0; i < keep.size(); i++) keep[i] = t[i] != 0 && !m.value_is_null(i);
    Table out = filter(*b, keep);
    if (out.rows() > 0) return out;
  }
}

Project::Project(OperatorPtr child, std::vector<NamedExpr> exprs, QueryContext* ctx)
    : child_(std::move(child)), exprs_(std::move(exprs)), ctx_(ctx) {
  for (auto& e : exprs_) {
    Field f = infer_type(*e.expr, child_->schema());
    if (e.name.empty()) e.name = f.name;
    f.name = e.name;
    schema_.push_back(f);
  }
}

std::optional<Table> Project::next() {
  check(ctx_);
  auto b = child_->next();
  if (!b) return std::nullopt;
  Table out;
  for (size_t i = 0; i < exprs_.size(); i++) {
    Column c = evaluate(*exprs_[i].expr, *b);
    c.field.name = schema_[i].name;
    out.columns.push_back(std::move(c));
  }
  return out;
}

Limit::Limit(OperatorPtr child, int64_t limit, int64_t offset, QueryContext* ctx)
    : child_(std::move(child)), limit_(limit), offset_(offset < 0 ? 0 : offset), ctx_(ctx) {}

std::optional<Table> Limit::next() {
  for (;;) {
    if (limit_ >= 0 && emitted_ >= limit_) return std::nullopt;
    check(ctx_);
    auto b = child_->next();
    if (!b) return std::nullopt;
    size_t n = b->rows(), start = 0;
    if (skipped_ < offset_) {
      size_t skip = size_t(std::min<int64_t>(offset_ - skipped_, int64_t(n)));
      skipped_ += int64_t(skip);
      start = skip;
    }
    size_t count = n - start;
    if (limit_ >= 0) count = std::min<size_t>(count, size_t(limit_ - emitted_));
    if (count == 0) continue;
    emitted_ += int64_t(count);
    return slice(*b, start, count);
  }
}

Distinct::Distinct(OperatorPtr child, QueryContext* ctx) : child_(std::move(child)), ctx_(ctx), charge_(ctx) {}

std::optional<Table> Distinct::next() {
  for (;;) {
    check(ctx_);
    auto b = child_->next();
    if (!b) return std::nullopt;
    std::vector<uint8_t> keep(b->rows());
    std::string key;
    for (size_t r = 0; r < keep.size(); r++) {
      key.clear();
      for (const auto& c : b->columns) append_key(key, c, r);
      auto [it, inserted] = seen_.insert(key);
      keep[r] = inserted;
      if (inserted) seen_bytes_ += key.size() + 48;  // node + hash overhead, roughly
    }
    charge_.set(seen_bytes_);
    Table out = filter(*b, keep);
    if (out.rows() > 0) return out;
  }
}

}  // namespace astrolake::engine
