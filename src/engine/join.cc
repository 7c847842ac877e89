#include "engine/join.h"

#include <set>

#include "engine/column_ops.h"

namespace astrolake::engine {

HashJoin::HashJoin(OperatorPtr left, OperatorPtr right, JoinSpec spec, QueryContext* ctx)
    : left_(std::move(left)), right_(std::move(right)), spec_(std::move(spec)), ctx_(ctx), charge_(ctx), probe_charge_(ctx), out_charge_(ctx) {
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
  right_row_bytes_ = right_rows_.rows() ? table_bytes(right_rows_) / right_rows_.rows() : 0;
  built_ = true;
}

std::optional<Table> HashJoin::next() {
  if (!built_) build();
  // Output goes out in chunks of at most kChunkRows, so a key that matches many rows (a
  // many-to-many join) never materialises its whole product; the probe position is kept
  // between calls. Each chunk's indexes are charged and the limits checked before it is built.
  std::vector<int64_t> li, ri;
  for (;;) {
    if (ctx_) ctx_->check();
    if (!probe_ || row_ >= probe_->rows()) {
      probe_ = left_->next();
      row_ = 0;
      match_ = 0;
      probe_keys_.clear();
      if (!probe_) {
        probe_charge_.set(0);
        return std::nullopt;
      }
      for (const auto& k : spec_.left_keys) probe_keys_.push_back(evaluate(*k, *probe_));
      uint64_t bytes = table_bytes(*probe_);
      for (const auto& c : probe_keys_) bytes += c.data.size() + c.offsets.size() * 8;
      probe_charge_.set(bytes);
    }
    std::string key;
    while (row_ < probe_->rows() && li.size() < kChunkRows) {
      size_t r = row_;
      bool null = false;
      key.clear();
      for (size_t k = 0; k < probe_keys_.size(); k++) {
        null |= probe_keys_[k].is_null(r);
        append_key(key, probe_keys_[k], r, as_double_[k]);
      }
      auto it = null ? table_.end() : table_.find(key);
      if (it != table_.end()) {
        const std::vector<int64_t>& m = it->second;
        size_t n = std::min(m.size() - match_, kChunkRows - li.size());
        li.insert(li.end(), n, int64_t(r));
        ri.insert(ri.end(), m.begin() + std::ptrdiff_t(match_), m.begin() + std::ptrdiff_t(match_ + n));
        match_ += n;
        if (match_ < m.size()) break;  // the chunk is full in the middle of this key's matches
      } else if (spec_.type == JoinType::Left) {
        li.push_back(int64_t(r));
        ri.push_back(kNullRow);
      }
      row_++;
      match_ = 0;
    }
    if (li.empty()) continue;
    out_charge_.set(li.size() * (16 + table_bytes(*probe_) / probe_->rows() + right_row_bytes_));
    Table out = take(*probe_, li);
    Table rt = take(right_rows_, ri);
    for (auto& c : rt.columns) out.columns.push_back(std::move(c));
    for (size_t i = 0; i < out.columns.size(); i++) {
      bool nullable = out.columns[i].field.nullable || schema_[i].nullable;
      out.columns[i].field = schema_[i];
      out.columns[i].field.nullable = nullable;
    }
    out_charge_.set(0);  // the chunk now belongs to the consumer
    return out;
  }
}

}  // namespace astrolake::engine
