#include "engine/join.h"

#include <set>

#include "engine/column_ops.h"

namespace astrolake::engine {

HashJoin::HashJoin(OperatorPtr left, OperatorPtr right, JoinSpec spec, QueryContext* ctx)
    : left_(std::move(left)), right_(std::move(right)), spec_(std::move(spec)), ctx_(ctx), charge_(ctx) {
  if (spec_.left_keys.empty() || spec_.left_keys.size() != spec_.right_keys.size())
    throw ExprError("join: needs the same number (at least one) of left and right keys");
  for (size_t k = 0; k < spec_.left_keys.size(); k++) {
    Field l = infer_type(*spec_.left_keys[k], left_->schema());
    Field r = infer_type(*spec_.right_keys[k], right_->schema());
    if (l.list || r.list) throw ExprError("join: list keys are not supported (" + l.name + ", " + r.name + ")");
    common_type(l, r, "join key " + std::to_string(k + 1));
    as_double_.push_back(parquet::is_floating(l.type) != parquet::is_floating(r.type));
  }
  std::set<std::string> names;
  for (Field f : left_->schema()) {
    f.name = spec_.left_prefix + f.name;
    names.insert(f.name);
    schema_.push_back(f);
  }
  for (Field f : right_->schema()) {
    f.name = spec_.right_prefix + f.name;
    while (names.count(f.name)) f.name += spec_.right_suffix.empty() ? "_right" : spec_.right_suffix;
    names.insert(f.name);
    if (spec_.type == JoinType::Left) f.nullable = true;
    schema_.push_back(f);
  }
}

void HashJoin::build() {
  right_rows_ = empty_table(right_->schema());
  while (auto b = right_->next()) {
    if (ctx_) ctx_->check();
    append_table(right_rows_, *b);
    charge_.set(table_bytes(right_rows_));
  }
  std::vector<Column> kc;
  for (const auto& k : spec_.right_keys) kc.push_back(evaluate(*k, right_rows_));
  uint64_t bytes = table_bytes(right_rows_);
  std::string key;
  for (size_t r = 0; r < right_rows_.rows(); r++) {
    bool null = false;
    key.clear();
    for (size_t k = 0; k < kc.size(); k++) {
      null |= kc[k].is_null(r);
      append_key(key, kc[k], r, as_double_[k]);
    }
    if (null) continue;
    auto [it, inserted] = table_.try_emplace(key);
    it->second.push_back(int64_t(r));
    bytes += 8 + (inserted ? key.size() + 80 : 0);
    if ((r & 4095) == 0) charge_.set(bytes);
  }
  charge_.set(bytes);
  built_ = true;
}

std::optional<Table> HashJoin::next() {
  if (!built_) build();
  for (;;) {
    if (ctx_) ctx_->check();
    auto b = left_->next();
    if (!b) return std::nullopt;
    std::vector<Column> kc;
    for (const auto& k : spec_.left_keys) kc.push_back(evaluate(*k, *b));
    std::vector<int64_t> li, ri;
    std::string key;
    for (size_t r = 0; r < b->rows(); r++) {
      bool null = false;
      key.clear();
      for (size_t k = 0; k < kc.size(); k++) {
        null |= kc[k].is_null(r);
        append_key(key, kc[k], r, as_double_[k]);
      }
      auto it = null ? table_.end() : table_.find(key);
      if (it != table_.end()) {
        for (int64_t m : it->second) {
          li.push_back(int64_t(r));
          ri.push_back(m);
        }
      } else if (spec_.type == JoinType::Left) {
        li.push_back(int64_t(r));
        ri.push_back(kNullRow);
      }
    }
    if (li.empty()) continue;
    Table out = take(*b, li);
    Table rt = take(right_rows_, ri);
    for (auto& c : rt.columns) out.columns.push_back(std::move(c));
    for (size_t i = 0; i < out.columns.size(); i++) {
      bool nullable = out.columns[i].field.nullable || schema_[i].nullable;
      out.columns[i].field = schema_[i];
      out.columns[i].field.nullable = nullable;
    }
    return out;
  }
}

}  // namespace astrolake::engine
