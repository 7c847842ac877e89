// Pull-based operators. A query is a tree of them; the consumer calls next() on the root
// until it returns nullopt. Batches are parquet::Tables (no second vector type). Operators
// check their QueryContext (cancel, time, memory) between batches; a null context means no
// limits. schema() is known at construction, so a planner can validate a tree before running.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/expr.h"
#include "engine/query_context.h"
#include "parquet/table.h"

namespace astrolake::engine {

class Operator {
 public:
  virtual ~Operator() = default;
  // The next batch (never empty unless it is the only batch of an empty result), or nullopt.
  virtual std::optional<parquet::Table> next() = 0;
  virtual const std::vector<parquet::Field>& schema() const = 0;
};
using OperatorPtr = std::unique_ptr<Operator>;

// Pulls everything into one table (tests, small results, the CLI's final output).
parquet::Table collect(Operator& op);

constexpr size_t kDefaultBatchRows = 65536;

// Emits an in-memory table in batches of `batch_rows`.
class TableSource : public Operator {
 public:
  explicit TableSource(parquet::Table t, size_t batch_rows = kDefaultBatchRows, QueryContext* ctx = nullptr);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return schema_; }

 private:
  parquet::Table table_;
  std::vector<parquet::Field> schema_;
  size_t batch_rows_, pos_ = 0;
  bool emitted_ = false;
  QueryContext* ctx_;
};

// Keeps rows where `predicate` is TRUE (NULL and FALSE drop the row).
class Filter : public Operator {
 public:
  Filter(OperatorPtr child, ExprPtr predicate, QueryContext* ctx = nullptr);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return child_->schema(); }

 private:
  OperatorPtr child_;
  ExprPtr pred_;
  QueryContext* ctx_;
};

struct NamedExpr {
  ExprPtr expr;
  std::string name;  // empty: expr->to_string() (a column reference keeps its name)
};

// Computes one output column per expression.
class Project : public Operator {
 public:
  Project(OperatorPtr child, std::vector<NamedExpr> exprs, QueryContext* ctx = nullptr);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return schema_; }

 private:
  OperatorPtr child_;
  std::vector<NamedExpr> exprs_;
  std::vector<parquet::Field> schema_;
  QueryContext* ctx_;
};

// Skips `offset` rows, then passes at most `limit` rows (limit < 0: no limit), and stops
// pulling from its child once satisfied.
class Limit : public Operator {
 public:
  Limit(OperatorPtr child, int64_t limit, int64_t offset = 0, QueryContext* ctx = nullptr);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return child_->schema(); }

 private:
  OperatorPtr child_;
  int64_t limit_, offset_, skipped_ = 0, emitted_ = 0;
  QueryContext* ctx_;
};

// Streams the first occurrence of each distinct row (NULLs equal each other).
class Distinct : public Operator {
 public:
  explicit Distinct(OperatorPtr child, QueryContext* ctx = nullptr);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return child_->schema(); }

 private:
  OperatorPtr child_;
  std::unordered_set<std::string> seen_;
  uint64_t seen_bytes_ = 0;
  QueryContext* ctx_;
  MemoryCharge charge_;
};

}  // namespace astrolake::engine
