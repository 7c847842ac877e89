// ORDER BY: a full Sort and a TopN (ORDER BY ... LIMIT n) that keeps only about n rows.
// NULL placement follows DuckDB's default (NULLS LAST for both ASC and DESC) unless a key
// says otherwise. Sorting is stable: equal keys keep their input order.
#pragma once
#include <optional>
#include <vector>

#include "engine/operator.h"

namespace astrolake::engine {

struct SortKey {
  ExprPtr expr;
  bool descending = false;
  std::optional<bool> nulls_first;  // unset: NULLS LAST
};

// Stable order of the rows of `t` by `keys` (evaluated over t): row indices.
std::vector<int64_t> sort_indices(const parquet::Table& t, const std::vector<SortKey>& keys);

class Sort : public Operator {
 public:
  Sort(OperatorPtr child, std::vector<SortKey> keys, QueryContext* ctx = nullptr,
       size_t batch_rows = kDefaultBatchRows);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return child_->schema(); }

 private:
  OperatorPtr child_;
  std::vector<SortKey> keys_;
  QueryContext* ctx_;
  size_t batch_rows_;
  MemoryCharge charge_;
  bool done_ = false;
  parquet::Table sorted_;
  size_t pos_ = 0;
};

// The first `limit` rows (after `offset`) in sort order, same result as Sort + Limit, holding
// at most about 2 * (limit + offset) rows plus one input batch.
class TopN : public Operator {
 public:
  TopN(OperatorPtr child, std::vector<SortKey> keys, int64_t limit, int64_t offset = 0, QueryContext* ctx = nullptr);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return child_->schema(); }

 private:
  OperatorPtr child_;
  std::vector<SortKey> keys_;
  size_t limit_, offset_;
  QueryContext* ctx_;
  MemoryCharge charge_;
  bool done_ = false;
};

}  // namespace astrolake::engine
