// GROUP BY and aggregates with SQL NULL semantics: aggregates skip NULLs (count(*) counts
// rows), NULL keys form their own group, and without GROUP BY an empty input still gives
// one row (count 0, other aggregates NULL). A HashAggregator can consume batches on one
// thread and be merged with others, which is how the parallel executor runs partial
// aggregates per partition.
#pragma once
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/group_key.h"
#include "engine/operator.h"
#include "engine/selection.h"

namespace astrolake::engine {

enum class AggFunc { CountStar, Count, Sum, Avg, Min, Max, StddevSamp, StringAgg };
const char* agg_name(AggFunc f);

struct AggSpec {
  AggFunc func = AggFunc::CountStar;
  ExprPtr arg;            // null for CountStar
  bool distinct = false;  // count(DISTINCT x) only
  std::string name;       // output column; empty: "count(*)", "sum(x)", ...
  std::string separator;  // string_agg: put between the values (in input order per thread)
};

// Output schema: the group keys (in order), then one column per aggregate:
// count -> int64; sum -> int64 for integer input, double otherwise; avg/stddev -> double;
// min/max -> the argument's type; string_agg (of strings) -> string. Throws ExprError for invalid specs (sum of a string...).
std::vector<parquet::Field> aggregate_schema(const std::vector<parquet::Field>& input,
                                             const std::vector<NamedExpr>& keys, std::vector<AggSpec>& aggs);

class HashAggregator {
 public:
  HashAggregator(const std::vector<parquet::Field>& input, std::vector<NamedExpr> keys, std::vector<AggSpec> aggs,
                 QueryContext* ctx = nullptr);
  void consume(const parquet::Table& batch);
  // Folds only the rows listed in `sel` (ascending), as consume() would fold a batch holding
  // just those rows. Ungrouped count/sum/avg of plain numeric columns read the values in place;
  // anything else goes through a filtered copy of the batch.
  void consume(const parquet::Table& batch, const Selection& sel);
  // Folds another aggregator's groups into this one (same keys and aggregates).
  void merge(HashAggregator& other);
  parquet::Table finish();
  const std::vector<parquet::Field>& schema() const { return schema_; }
  size_t groups() const { return group_keys_.size(); }

 private:
  struct State {  // one per aggregate; vectors indexed by group
    std::vector<int64_t> count;
    std::vector<__int128> isum;  // integer SUM/AVG: 128 bits cannot overflow on int64 inputs
    std::vector<double> dsum, mean, m2;
    std::vector<int64_t> iext;
    std::vector<double> dext;
    std::vector<std::string> sext;
    std::vector<std::unordered_set<std::string>> distinct;
  };
  using KeyColumns = std::vector<const parquet::Column*>;
  size_t group_of(const std::string& key, const KeyColumns& key_cols, size_t row);
  // Appends a group whose key values are row `row` of key_cols (key: its encoded key, or empty
  // for a group found through fixed_).
  size_t add_group(const std::string& key, const KeyColumns& key_cols, size_t row);
  // The group of `o`'s group og found or added by its encoded key.
  size_t merge_by_encoded_key(HashAggregator& o, size_t og);
  void grow(size_t groups);
  void update_charge();
  // The batch column aggregate a folds in place (count/sum/avg of a plain numeric column of
  // the type the aggregate was bound to), or null when it needs the generic path.
  const parquet::Column* foldable_column(size_t a, const parquet::Table& batch) const;
  // Ungrouped count/sum/avg of plain numeric columns straight from the batch's values (sel
  // null: every row); false, having changed nothing, when the aggregates need the generic path.
  bool fold_selected(const parquet::Table& batch, const Selection* sel);
  // Grouped count/sum/avg (aggregate a) of a plain numeric column, read in place; false when
  // the generic path must run.
  bool fold_grouped(size_t a, const parquet::Table& batch, const std::vector<size_t>& gid);

  std::vector<parquet::Field> input_;
  std::vector<NamedExpr> keys_;
  std::vector<AggSpec> aggs_;
  std::vector<parquet::Field> schema_;
  std::vector<parquet::Type> arg_types_;
  std::unordered_map<std::string, size_t> index_;
  // One fixed-width key (raw_width_ > 0, its bytes): non-NULL keys are found by value in fixed_
  // and not in index_, which then holds only the NULL key.
  size_t raw_width_ = 0;
  std::optional<FixedKeyIndex> fixed_;
  parquet::Column key_buf_;  // the key of the batch being consumed, memory reused
  std::vector<std::string> group_keys_;
  std::vector<parquet::Column> key_values_;  // one row per group
  std::vector<State> states_;
  std::vector<size_t> gid_;  // group of each row of the batch being consumed
  uint64_t bytes_ = 0;
  MemoryCharge charge_;
};

// Consumes its child, then emits the groups (in first-seen order).
class Aggregate : public Operator {
 public:
  Aggregate(OperatorPtr child, std::vector<NamedExpr> keys, std::vector<AggSpec> aggs, QueryContext* ctx = nullptr);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return agg_.schema(); }

 private:
  OperatorPtr child_;
  HashAggregator agg_;
  QueryContext* ctx_;
  bool done_ = false;
};

}  // namespace astrolake::engine
