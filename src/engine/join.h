// Equi-join: builds a hash table on the right input (materialised, counted against the
// memory budget) and streams the left input through it, emitting at most 65536 rows per
// output batch however many rows a key matches. NULL keys never match. Output: the
// left columns, then the right columns; a right column whose name is already taken gets
// `right_suffix` appended. For LEFT joins, unmatched left rows get NULL right columns.
#pragma once
#include <optional>
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
  MemoryCharge charge_;  // the build side
  // Probe state, kept between calls so one left batch can yield several output chunks.
  static constexpr size_t kChunkRows = 65536;
  std::optional<parquet::Table> probe_;
  std::vector<parquet::Column> probe_keys_;
  size_t row_ = 0, match_ = 0;  // next left row; matches of that row already emitted
  uint64_t right_row_bytes_ = 0;
  MemoryCharge probe_charge_, out_charge_;
};

}  // namespace astrolake::engine
