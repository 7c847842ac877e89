// The operators behind UNION, EXCEPT and INTERSECT. Both inputs must already have the same
// column types (the planner casts them); rows compare as GROUP BY does (NULL equals NULL).
//  - Concat streams the left input, then the right (UNION ALL; UNION adds engine::Distinct).
//  - SetFilter holds the right input as a multiset of row keys, then streams the left input:
//      INTERSECT      left rows present on the right, each distinct row once
//      INTERSECT ALL  min(left count, right count) copies of each row
//      EXCEPT         left rows absent from the right, each distinct row once
//      EXCEPT ALL     max(0, left count - right count) copies of each row
//    which is the SQL standard's (and DuckDB's) bag semantics. Only the right side and the
//    keys already emitted are held, charged to the QueryContext's memory budget.
#pragma once
#include <string>
#include <unordered_map>

#include "adql/binder.h"
#include "engine/operator.h"

namespace astrolake::adql {

class Concat : public engine::Operator {
 public:
  Concat(engine::OperatorPtr left, engine::OperatorPtr right, engine::QueryContext* ctx = nullptr);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return schema_; }

 private:
  engine::OperatorPtr left_, right_;
  std::vector<parquet::Field> schema_;
  engine::QueryContext* ctx_;
  bool left_done_ = false, emitted_ = false;
};

class SetFilter : public engine::Operator {
 public:
  enum class Kind { Intersect, Except };
  SetFilter(engine::OperatorPtr left, engine::OperatorPtr right, Kind kind, bool all,
            engine::QueryContext* ctx = nullptr);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return left_->schema(); }

 private:
  void build();
  engine::OperatorPtr left_, right_;
  Kind kind_;
  bool all_;
  engine::QueryContext* ctx_;
  engine::MemoryCharge charge_;
  bool built_ = false, emitted_ = false;
  // Right-side row key -> copies left to match (ALL) or a flag (distinct forms, where an
  // emitted key is recorded as -1 so it is not emitted twice).
  std::unordered_map<std::string, int64_t> counts_;
  uint64_t bytes_ = 0;
};

// Plans `q` (a UNION, EXCEPT or INTERSECT) over its planned sides: checks that the column
// counts match, casts both sides to common column types, applies the operator, then the
// query's ORDER BY (result column names or positions) and OFFSET. Throws PlanError.
Planned plan_set_operation(const Query& q, Planned left, Planned right, engine::QueryContext* ctx);

}  // namespace astrolake::adql
