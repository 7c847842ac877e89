// Scanning HEALPix-partitioned data in parallel. A ScanSource lists partitions and opens
// them; a CatalogScan runs one pipeline per surviving partition (scan -> the caller's
// filter/project/...) on a thread pool and streams the batches out as they finish, in no
// particular order, through a bounded queue: a full-catalog query holds at most a few
// batches per worker, never the catalog. ParallelAggregate does the same but folds each
// partition into a partial HashAggregator and merges them.
//
// Pruning happens at two levels before any data page is read: a partition filter callback
// (spatial searches plug in here) and row-group statistics checked against simple
// column-vs-constant predicates. Predicates only prune; the rows of a kept row group must
// still go through a Filter.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "catalog/partition.h"
#include "engine/aggregate.h"
#include "engine/operator.h"
#include "parquet/reader.h"

namespace astrolake::catalog {
class Catalog;
}

namespace astrolake::engine {

// One opened partition: its row groups over all its files, with statistics aligned to the
// source schema (one ColumnStats per source field; unknown ones have has_min_max = false).
class PartitionReader {
 public:
  virtual ~PartitionReader() = default;
  virtual const std::vector<parquet::RowGroupInfo>& row_groups() const = 0;
  // Columns in the order given (empty = all of the source schema).
  virtual parquet::Table read(size_t row_group, const std::vector<std::string>& columns) = 0;
};

class ScanSource {
 public:
  virtual ~ScanSource() = default;
  virtual const std::vector<parquet::Field>& schema() const = 0;
  virtual const std::vector<catalog::Partition>& partitions() const = 0;
  // Thread-safe; opening reads footers only.
  virtual std::unique_ptr<PartitionReader> open(size_t partition) const = 0;
};

// The partitions of an opened catalog, read with parquet::FileReader.
std::shared_ptr<const ScanSource> catalog_source(std::shared_ptr<const catalog::Catalog> cat);
// In-memory partitions: row_groups[p] are the row groups of parts[p]; statistics computed.
std::shared_ptr<const ScanSource> memory_source(std::vector<catalog::Partition> parts,
                                                std::vector<std::vector<parquet::Table>> row_groups);

// `column op value`, op one of = <> < <= > >=.
struct ColumnPredicate {
  std::string column;
  BinOp op = BinOp::Eq;
  Value value;
  std::string to_string() const;
};
// The column-vs-literal conjuncts of a filter (a < 5, 5 > a, a BETWEEN 1 AND 2, ...), which
// a planner passes to ScanOptions::predicates. Anything else is left to the Filter.
std::vector<ColumnPredicate> extract_predicates(const Expr& filter);
// True when the statistics prove that no row of the chunk satisfies p. Conservative: it
// allows for float rounding of int64 statistics (e.g. _healpix_29 values above 2^53).
bool stats_exclude(const parquet::ColumnStats& s, parquet::Type type, const ColumnPredicate& p);

using PartitionFilter = std::function<bool(const catalog::Partition&)>;
// Builds a partition's pipeline on top of its scan (e.g. Filter then Project). Called on
// worker threads, once per partition; must be thread-safe.
using Pipeline = std::function<OperatorPtr(OperatorPtr scan)>;

struct ScanOptions {
  std::vector<std::string> columns;           // read these (empty = all)
  std::vector<ColumnPredicate> predicates;    // row-group pruning
  PartitionFilter partition_filter;           // nullptr = every partition
  int threads = 0;                            // cap on the scheduler's threads; 0 = all
  size_t max_queued_batches = 0;              // 0 = 2 per thread
};

// What a scan will touch after pruning, for EXPLAIN and for refusing huge queries early.
// Reads footers (not data). `bytes` is the compressed size of the row groups kept, scaled
// by the fraction of columns read.
// For partitions on an object store, also the requests and bytes the read will fetch: per
// file, the column chunks it needs merged as the storage layer merges them (ranges under
// 64 KiB apart, 8 MiB pieces) plus one request for the footer and its 64 KiB, and what that
// costs at ASTROLAKE_PRICE_PER_1000_REQUESTS dollars per 1000 GETs (default 0.0004) and
// ASTROLAKE_PRICE_PER_GB per GB transferred (default 0.09), a commercial cloud's list prices.
struct ScanEstimate {
  size_t partitions_total = 0, partitions = 0;
  size_t row_groups_total = 0, row_groups = 0;
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t remote_files = 0;  // files on an object store among those read
  int64_t requests = 0;      // GETs planned for them
  int64_t fetch_bytes = 0;   // bytes those GETs bring
  double cost_usd() const;
  std::string to_string() const;
};
ScanEstimate estimate_scan(const ScanSource& src, const ScanOptions& opts);

// The rows of one partition, row group by row group, skipping pruned row groups and
// checking the context before each read.
class PartitionScan : public Operator {
 public:
  PartitionScan(std::unique_ptr<PartitionReader> reader, std::vector<parquet::Field> schema,
                std::vector<std::string> columns, const std::vector<ColumnPredicate>& predicates,
                const std::vector<parquet::Field>& source_schema, QueryContext* ctx);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return schema_; }

 private:
  std::unique_ptr<PartitionReader> reader_;
  std::vector<parquet::Field> schema_;
  std::vector<std::string> columns_;
  std::vector<size_t> keep_;  // row groups that survived pruning
  size_t pos_ = 0;
  QueryContext* ctx_;
};

class CatalogScan : public Operator {
 public:
  CatalogScan(std::shared_ptr<const ScanSource> src, ScanOptions opts, QueryContext* ctx = nullptr,
              Pipeline pipeline = nullptr);
  ~CatalogScan() override;
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return schema_; }
  // Partitions left after the partition filter.
  size_t partitions() const { return selected_.size(); }

  struct Shared;

 private:
  void start();
  void schedule(Shared& s);
  void step(Shared& s, OperatorPtr op, size_t part);
  std::shared_ptr<const ScanSource> src_;
  ScanOptions opts_;
  QueryContext* ctx_;
  Pipeline pipeline_;
  std::vector<parquet::Field> scan_schema_, schema_;
  std::vector<size_t> selected_;
  std::shared_ptr<Shared> shared_;
};

// SELECT keys, aggs FROM (pipeline over each partition) WHERE filter GROUP BY keys, computed
// as one partial aggregate per partition on the workers, merged into the result. The filter
// (optional) is applied to the pipeline's output as a selection vector that the aggregate folds
// directly, so no filtered batch is built for ungrouped count/sum/avg of numeric columns.
class ParallelAggregate : public Operator {
 public:
  ParallelAggregate(std::shared_ptr<const ScanSource> src, ScanOptions opts, Pipeline pipeline,
                    std::vector<NamedExpr> keys, std::vector<AggSpec> aggs, QueryContext* ctx = nullptr,
                    ExprPtr filter = nullptr);
  std::optional<parquet::Table> next() override;
  const std::vector<parquet::Field>& schema() const override { return schema_; }

 private:
  std::shared_ptr<const ScanSource> src_;
  ScanOptions opts_;
  Pipeline pipeline_;
  std::vector<NamedExpr> keys_;
  std::vector<AggSpec> aggs_;
  QueryContext* ctx_;
  ExprPtr filter_;
  std::vector<parquet::Field> scan_schema_, pipe_schema_, schema_;
  bool done_ = false;
};

}  // namespace astrolake::engine
