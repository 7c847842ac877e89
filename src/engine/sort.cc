#include "engine/sort.h"

#include <algorithm>
#include <cmath>

#include "engine/column_ops.h"

namespace astrolake::engine {

namespace {

// One evaluated key, converted once so the comparator is a plain switch on `kind`.
struct KeyData {
  enum Kind { Int, Dbl, Str, Other } kind = Other;
  Column col;
  std::vector<int64_t> i;
  std::vector<double> d;
  bool desc = false, nulls_first = false;
};

int cmp_key(const KeyData& k, size_t a, size_t b) {
  bool an = k.col.is_null(a), bn = k.col.is_null(b);
  if (an || bn) {
    if (an == bn) return 0;
    // NULL placement is independent of ASC/DESC.
    return an == k.nulls_first ? -1 : 1;
  }
  int r;
  switch (k.kind) {
    case KeyData::Int: r = k.i[a] < k.i[b] ? -1 : (k.i[a] > k.i[b] ? 1 : 0); break;
    case KeyData::Dbl: {
      double x = k.d[a], y = k.d[b];
      bool xn = std::isnan(x), yn = std::isnan(y);
      if (xn || yn) r = xn == yn ? 0 : (xn ? 1 : -1);
      else r = x < y ? -1 : (x > y ? 1 : 0);
      break;
    }
    case KeyData::Str: {
      int c = k.col.string_at(a).compare(k.col.string_at(b));
      r = c < 0 ? -1 : (c > 0 ? 1 : 0);
      break;
    }
    default: r = compare_values(k.col, a, k.col, b); break;
  }
  return k.desc ? -r : r;
}

std::vector<KeyData> eval_keys(const Table& t, const std::vector<SortKey>& keys) {
  std::vector<KeyData> out(keys.size());
  for (size_t k = 0; k < keys.size(); k++) {
    KeyData& d = out[k];
    d.col = evaluate(*keys[k].expr, t);
    d.desc = keys[k].descending;
    d.nulls_first = keys[k].nulls_first.value_or(false);
    Type ty = d.col.field.type;
    if (d.col.field.list) d.kind = KeyData::Other;
    else if (is_intlike(ty)) { d.kind = KeyData::Int; d.i = column_i64(d.col); }
    else if (parquet::is_floating(ty)) { d.kind = KeyData::Dbl; d.d = column_f64(d.col); }
    else if (is_stringlike(ty)) d.kind = KeyData::Str;
  }
  return out;
}

void validate(const std::vector<SortKey>& keys, const std::vector<Field>& schema) {
  if (keys.empty()) throw ExprError("ORDER BY: no sort keys");
  for (const auto& k : keys) infer_type(*k.expr, schema);
}

}  // namespace

std::vector<int64_t> sort_indices(const Table& t, const std::vector<SortKey>& keys) {
  std::vector<KeyData> kd = eval_keys(t, keys);
  std::vector<int64_t> idx(t.rows());
  for (size_t i = 0; i < idx.size(); i++) idx[i] = int64_t(i);
  std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
    for (const auto& k : kd) {
      int r = cmp_key(k, size_t(a), size_t(b));
      if (r) return r < 0;
    }
    return false;
  });
  return idx;
}

Sort::Sort(OperatorPtr child, std::vector<SortKey> keys, QueryContext* ctx, size_t batch_rows)
    : child_(std::move(child)), keys_(std::move(keys)), ctx_(ctx), batch_rows_(batch_rows ? batch_rows : 1),
      charge_(ctx) {
  validate(keys_, child_->schema());
}

std::optional<Table> Sort::next() {
  if (!done_) {
    Table all = empty_table(child_->schema());
    while (auto b = child_->next()) {
      if (ctx_) ctx_->check();
      append_table(all, *b);
      charge_.set(table_bytes(all));
    }
    if (ctx_) ctx_->check();
    std::vector<int64_t> idx = sort_indices(all, keys_);
    charge_.set(table_bytes(all) * 2 + idx.size() * 8);
    sorted_ = take(all, idx);
    done_ = true;
    if (sorted_.rows() == 0) {
      pos_ = 1;
      return sorted_;
    }
  }
  if (pos_ >= sorted_.rows()) {
    sorted_ = Table();
    charge_.set(0);
    return std::nullopt;
  }
  if (ctx_) ctx_->check();
  Table b = slice(sorted_, pos_, batch_rows_);
  pos_ += b.rows();
  return b;
}

TopN::TopN(OperatorPtr child, std::vector<SortKey> keys, int64_t limit, int64_t offset, QueryContext* ctx)
    : child_(std::move(child)), keys_(std::move(keys)), limit_(size_t(std::max<int64_t>(0, limit))),
      offset_(size_t(std::max<int64_t>(0, offset))), ctx_(ctx), charge_(ctx) {
  validate(keys_, child_->schema());
}

std::optional<Table> TopN::next() {
  if (done_) return std::nullopt;
  done_ = true;
  size_t keep = limit_ + offset_;
  Table top = empty_table(child_->schema());
  // Earlier rows come first in `top`, so the stable sort keeps input order among ties,
  // exactly like a full stable sort followed by LIMIT.
  auto shrink = [&] {
    std::vector<int64_t> idx = sort_indices(top, keys_);
    if (idx.size() > keep) idx.resize(keep);
    top = take(top, idx);
  };
  while (auto b = child_->next()) {
    if (ctx_) ctx_->check();
    if (keep == 0) break;  // LIMIT 0: nothing to read
    append_table(top, *b);
    if (top.rows() > 2 * keep) shrink();
    charge_.set(table_bytes(top));
  }
  shrink();
  Table out = slice(top, offset_, limit_);
  charge_.set(0);
  return out;
}

}  // namespace astrolake::engine
