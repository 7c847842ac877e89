#include "adql/set_operations.h"

#include "engine/column_ops.h"

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

}  // namespace astrolake::adql
