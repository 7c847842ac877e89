// Equi-join: builds a hash table on the right input (materialised, counted against the
// memory budget) and streams the left input through it. NULL keys never match. Output: the
// left columns, then the right columns; a right column whose name is already taken gets
// `right_suffix` appended. For LEFT joins, unmatched left rows get NULL right columns.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/operator.h"

namespace astrolake::engine {

enum class JoinType { Inner, Left };

struct JoinSpec {
  JoinType type = JoinType::Inner;
  std::vector<ExprPtr> left_keys, right_keys;  // same count, pairwise comparable types
  std::string left_prefix, right_prefix;       // prepended to every output name (e.g. "a.")
  std::string right_suffix = "_right";         // added on a remaining name clash
};

class HashJoin : public Operator {
 public:
  HashJoin(OperatorPtr left, OperatorPtr right, JoinSpec spec, QueryContext* ctx = nullptr);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return schema_; }

 private:
  void build();
  OperatorPtr left_, right_;
  JoinSpec spec_;
  QueryContext* ctx_;
  std::vector<parquet::Field> schema_;
  std::vector<bool> as_double_;  // per key: encode as double (int joined with float)
  bool built_ = false;
  parquet::Table right_rows_;
  std::unordered_map<std::string, std::vector<int64_t>> table_;
  MemoryCharge charge_;
};

}  // namespace astrolake::engine
