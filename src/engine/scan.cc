#include "engine/scan.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>

#include "base/scheduler.h"
#include "engine/column_ops.h"
#include "engine/expr.h"
#include "storage/file_system.h"

namespace astrolake::engine {

// ---------------------------------------------------------------------------------------
// Predicates and statistics

std::string ColumnPredicate::to_string() const { return column + " " + binop_symbol(op) + " " + value.to_string(); }

namespace {

void collect_preds(const Expr& e, std::vector<ColumnPredicate>& out) {
  if (e.kind == ExprKind::And) {
    collect_preds(*e.args[0], out);
    collect_preds(*e.args[1], out);
    return;
  }
  if (e.kind == ExprKind::Binary && is_comparison(e.op)) {
    const Expr& a = *e.args[0];
    const Expr& b = *e.args[1];
    if (a.kind == ExprKind::Column && b.kind == ExprKind::Literal) out.push_back({a.name, e.op, b.value});
    else if (b.kind == ExprKind::Column && a.kind == ExprKind::Literal) out.push_back({b.name, flip_comparison(e.op), a.value});
    return;
  }
  if (e.kind == ExprKind::Between && !e.negated && e.args[0]->kind == ExprKind::Column &&
      e.args[1]->kind == ExprKind::Literal && e.args[2]->kind == ExprKind::Literal) {
    out.push_back({e.args[0]->name, BinOp::Ge, e.args[1]->value});
    out.push_back({e.args[0]->name, BinOp::Le, e.args[2]->value});
  }
}

// Room for the rounding of an int64 (or of a double statistic) to double.
double slack(double x) { return std::fabs(x) * 4e-16; }

}  // namespace

std::vector<ColumnPredicate> extract_predicates(const Expr& filter) {
  std::vector<ColumnPredicate> out;
  collect_preds(filter, out);
  return out;
}

bool stats_exclude(const parquet::ColumnStats& s, Type type, const ColumnPredicate& p) {
  if (p.value.null) return true;  // comparisons with NULL are never TRUE
  if (!s.has_min_max) return false;
  if (is_stringlike(type)) {
    if (!p.value.is_string()) return false;
    const std::string& v = p.value.s;
    switch (p.op) {
      case BinOp::Eq: return v < s.min_str || v > s.max_str;
      case BinOp::Lt: return s.min_str >= v;
      case BinOp::Le: return s.min_str > v;
      case BinOp::Gt: return s.max_str <= v;
      case BinOp::Ge: return s.max_str < v;
      case BinOp::Ne: return s.min_str == v && s.max_str == v;
      default: return false;
    }
  }
  if (!is_numeric(type) || p.value.is_string()) return false;
  if (std::isnan(s.min) || std::isnan(s.max)) return false;
  double v = p.value.as_double();
  if (std::isnan(v)) return false;
  double lo = s.min - slack(s.min), hi = s.max + slack(s.max);
  double vlo = v - slack(v), vhi = v + slack(v);
  switch (p.op) {
    case BinOp::Eq: return vhi < lo || vlo > hi;
    case BinOp::Lt: return lo >= vhi;
    case BinOp::Le: return lo > vhi;
    case BinOp::Gt: return hi <= vlo;
    case BinOp::Ge: return hi < vlo;
    case BinOp::Ne: return s.min == s.max && s.min == v && std::fabs(v) < 9007199254740992.0;
    default: return false;
  }
}

namespace {

// Indices (into src schema) of the predicates' columns, -1 if absent.
std::vector<int> predicate_columns(const std::vector<Field>& schema, const std::vector<ColumnPredicate>& preds) {
  std::vector<int> out;
  for (const auto& p : preds) {
    int k = -1;
    for (size_t i = 0; i < schema.size(); i++)
      if (schema[i].name == p.column) k = int(i);
    if (k < 0) {
      std::string names;
      for (const auto& f : schema) names += (names.empty() ? "" : ", ") + f.name;
      throw ExprError("predicate " + p.to_string() + ": no column '" + p.column + "' (columns: " + names + ")");
    }
    out.push_back(k);
  }
  return out;
}

bool row_group_excluded(const parquet::RowGroupInfo& rg, const std::vector<Field>& schema,
                        const std::vector<ColumnPredicate>& preds, const std::vector<int>& cols) {
  for (size_t p = 0; p < preds.size(); p++) {
    size_t c = size_t(cols[p]);
    if (c >= rg.stats.size() || schema[c].list) continue;
    if (stats_exclude(rg.stats[c], schema[c].type, preds[p])) return true;
  }
  return false;
}

std::vector<Field> projected_schema(const std::vector<Field>& schema, const std::vector<std::string>& columns) {
  if (columns.empty()) return schema;
  std::vector<Field> out;
  for (const auto& name : columns) {
    bool found = false;
    for (const auto& f : schema)
      if (f.name == name) {
        out.push_back(f);
        found = true;
        break;
      }
    if (!found) {
      std::string names;
      for (const auto& f : schema) names += (names.empty() ? "" : ", ") + f.name;
      throw ExprError("no column '" + name + "' in the catalog (columns: " + names + ")");
    }
  }
  return out;
}

std::vector<size_t> select_partitions(const ScanSource& src, const PartitionFilter& filter) {
  std::vector<size_t> out;
  const auto& parts = src.partitions();
  for (size_t i = 0; i < parts.size(); i++)
    if (!filter || filter(parts[i])) out.push_back(i);
  return out;
}

std::vector<Field> pipeline_schema(const std::vector<Field>& scan_schema, const Pipeline& pipe) {
  if (!pipe) return scan_schema;
  // Building the pipeline over an empty source validates it and yields its schema.
  return pipe(std::make_unique<TableSource>(empty_table(scan_schema)))->schema();
}

}  // namespace

namespace {

double env_price(const char* name, double dflt) {
  const char* v = std::getenv(name);
  if (!v || !*v) return dflt;
  char* end = nullptr;
  double x = std::strtod(v, &end);
  return end && *end == 0 && x >= 0 ? x : dflt;
}

// Requests and bytes to fetch `ranges` of one object whose column chunks end at `data_end`,
// after opening it (one request for its last 64 KiB, which holds the footer and whatever
// chunks lie that near the end), merged the way storage's RemoteSource::prefetch merges them.
void add_object_fetch(std::vector<std::pair<uint64_t, uint64_t>> ranges, uint64_t data_end, ScanEstimate& e) {
  constexpr uint64_t kGap = 64 * 1024, kPart = 8 << 20, kTail = 64 * 1024;
  e.remote_files++;
  e.requests++;
  e.fetch_bytes += int64_t(std::min(kTail, data_end + 8));
  const uint64_t tail_start = data_end + 8 > kTail ? data_end + 8 - kTail : 0;  // the footer makes it later still
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;  // [start, end)
  for (auto [off, len] : ranges) {
    if (len == 0 || off >= tail_start) continue;
    len = std::min(len, tail_start - off);
    if (!merged.empty() && off <= merged.back().second + kGap) merged.back().second = std::max(merged.back().second, off + len);
    else merged.emplace_back(off, off + len);
  }
  for (auto [a, b] : merged) {
    e.requests += int64_t((b - a + kPart - 1) / kPart);
    e.fetch_bytes += int64_t(b - a);
  }
}

}  // namespace

double ScanEstimate::cost_usd() const {
  return double(requests) / 1000 * env_price("ASTROLAKE_PRICE_PER_1000_REQUESTS", 0.0004) +
         double(fetch_bytes) / 1e9 * env_price("ASTROLAKE_PRICE_PER_GB", 0.09);
}

std::string ScanEstimate::to_string() const {
  std::string out = "partitions " + std::to_string(partitions) + "/" + std::to_string(partitions_total) +
                    ", row groups " + std::to_string(row_groups) + "/" + std::to_string(row_groups_total) +
                    ", rows " + std::to_string(rows) + ", bytes " + format_bytes(uint64_t(bytes));
  if (remote_files > 0) {
    char cost[64];
    std::snprintf(cost, sizeof cost, "%.6f", cost_usd());
    out += ", object store: " + std::to_string(requests) + " requests, " + format_bytes(uint64_t(fetch_bytes)) +
           " fetched, $" + cost;
  }
  return out;
}

ScanEstimate estimate_scan(const ScanSource& src, const ScanOptions& opts) {
  ScanEstimate e;
  const auto& schema = src.schema();
  std::vector<int> cols = predicate_columns(schema, opts.predicates);
  size_t ncols = opts.columns.empty() ? schema.size() : projected_schema(schema, opts.columns).size();
  double frac = schema.empty() ? 1.0 : double(ncols) / double(schema.size());
  e.partitions_total = src.partitions().size();
  std::vector<size_t> sel = select_partitions(src, opts.partition_filter);
  e.partitions = sel.size();
  // The columns read (by index into schema), for the byte ranges of object-store files.
  std::vector<size_t> read_cols;
  for (size_t k = 0; k < schema.size(); k++)
    if (opts.columns.empty() || std::find(opts.columns.begin(), opts.columns.end(), schema[k].name) != opts.columns.end())
      read_cols.push_back(k);
  for (size_t p : sel) {
    auto reader = src.open(p);
    std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> remote;  // file -> chunk ranges
    std::map<std::string, uint64_t> data_end;                                  // file -> end of its chunks
    for (const auto& rg : reader->row_groups()) {
      e.row_groups_total++;
      bool url = storage::is_url(rg.file_path);
      if (url) {
        remote[rg.file_path];  // a file read even when all its row groups are pruned (its footer)
        for (auto [off, len] : rg.ranges) data_end[rg.file_path] = std::max(data_end[rg.file_path], off + len);
      }
      if (row_group_excluded(rg, schema, opts.predicates, cols)) continue;
      e.row_groups++;
      e.rows += rg.rows;
      e.bytes += int64_t(double(rg.bytes) * frac);
      if (url)
        for (size_t k : read_cols)
          if (k < rg.ranges.size()) remote[rg.file_path].push_back(rg.ranges[k]);
    }
    for (auto& [file, ranges] : remote) add_object_fetch(std::move(ranges), data_end[file], e);
  }
  // Row groups of partitions the filter dropped are not counted: their footers are not read.
  return e;
}

// ---------------------------------------------------------------------------------------
// PartitionScan

PartitionScan::PartitionScan(std::unique_ptr<PartitionReader> reader, std::vector<Field> schema,
                             std::vector<std::string> columns, const std::vector<ColumnPredicate>& predicates,
                             const std::vector<Field>& source_schema, QueryContext* ctx)
    : reader_(std::move(reader)), schema_(std::move(schema)), columns_(std::move(columns)), ctx_(ctx) {
  std::vector<int> cols = predicate_columns(source_schema, predicates);
  const auto& rgs = reader_->row_groups();
  for (size_t i = 0; i < rgs.size(); i++)
    if (!row_group_excluded(rgs[i], source_schema, predicates, cols)) keep_.push_back(i);
}

std::optional<Table> PartitionScan::next() {
  while (pos_ < keep_.size()) {
    if (ctx_) ctx_->check();
    Table t = reader_->read(keep_[pos_++], columns_);
    if (t.rows() == 0) continue;
    for (size_t i = 0; i < t.columns.size() && i < schema_.size(); i++) t.columns[i].field.name = schema_[i].name;
    return t;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// CatalogScan

// The scan is a series of small tasks on the process-wide scheduler: each advances one open
// partition by one batch. Tasks never block on the consumer: a new one is started only while
// batches queued plus tasks in flight stay under `capacity`, so the queue is bounded and a
// slow consumer holds no worker thread.
struct CatalogScan::Shared {
  std::mutex mu;
  std::condition_variable ready;  // a task finished: a batch queued, a partition done, or an error
  std::deque<Table> queue;
  std::deque<OperatorPtr> idle;  // open partitions waiting for their next step
  size_t next_part = 0;          // selected_[next_part...] are not opened yet
  size_t capacity = 4, in_flight = 0, done = 0;
  bool stop = false;
  std::exception_ptr error;
  std::unique_ptr<base::TaskGroup> group;  // last member: destroyed first, after running steps end
};

CatalogScan::CatalogScan(std::shared_ptr<const ScanSource> src, ScanOptions opts, QueryContext* ctx,
                         Pipeline pipeline)
    : src_(std::move(src)), opts_(std::move(opts)), ctx_(ctx), pipeline_(std::move(pipeline)) {
  scan_schema_ = projected_schema(src_->schema(), opts_.columns);
  predicate_columns(src_->schema(), opts_.predicates);
  schema_ = pipeline_schema(scan_schema_, pipeline_);
  selected_ = select_partitions(*src_, opts_.partition_filter);
}

CatalogScan::~CatalogScan() {
  if (!shared_) return;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->stop = true;  // no step is started after this
  }
  shared_->group.reset();  // drops queued steps, waits for running ones
}

void CatalogScan::start() {
  shared_ = std::make_shared<Shared>();
  QueryContext* ctx = ctx_;
  shared_->group = std::make_unique<base::TaskGroup>(opts_.threads, [ctx] {
    if (ctx) ctx->check();
  });
  int threads = shared_->group->concurrency();
  shared_->capacity = opts_.max_queued_batches ? opts_.max_queued_batches : size_t(2 * threads);
}

// Under s.mu: starts steps while there is room and work.
void CatalogScan::schedule(Shared& s) {
  while (!s.stop && s.in_flight + s.queue.size() < s.capacity && (!s.idle.empty() || s.next_part < selected_.size())) {
    auto op = std::make_shared<OperatorPtr>();  // std::function needs a copyable capture
    size_t part = 0;
    if (!s.idle.empty()) {
      *op = std::move(s.idle.front());
      s.idle.pop_front();
    } else {
      part = selected_[s.next_part++];
    }
    s.in_flight++;
    s.group->run([this, &s, op, part] { step(s, std::move(*op), part); });
  }
}

// Opens partition `part` when `op` is null, then reads its next non-empty batch.
void CatalogScan::step(Shared& s, OperatorPtr op, size_t part) {
  std::optional<Table> b;
  bool finished = false;
  try {
    if (!op) {
      op = std::make_unique<PartitionScan>(src_->open(part), scan_schema_, opts_.columns, opts_.predicates,
                                           src_->schema(), ctx_);
      if (pipeline_) op = pipeline_(std::move(op));
    }
    while ((b = op->next()) && b->rows() == 0) {
    }
    finished = !b;
  } catch (...) {
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.error) s.error = std::current_exception();
    s.stop = true;
    s.in_flight--;
    s.ready.notify_all();
    return;
  }
  size_t done = 0;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.in_flight--;
    if (b) s.queue.push_back(std::move(*b));
    if (finished) done = ++s.done;
    else if (!s.stop) s.idle.push_back(std::move(op));
    schedule(s);
    s.ready.notify_all();
  }
  if (finished && ctx_) ctx_->report_progress(done, selected_.size());
}

std::optional<Table> CatalogScan::next() {
  if (!shared_) start();
  Shared& s = *shared_;
  std::unique_lock<std::mutex> lock(s.mu);
  for (;;) {
    if (s.error) {
      s.stop = true;
      std::rethrow_exception(s.error);
    }
    if (!s.queue.empty()) {
      Table t = std::move(s.queue.front());
      s.queue.pop_front();
      schedule(s);
      return t;
    }
    if (s.in_flight == 0 && s.idle.empty() && s.next_part == selected_.size()) return std::nullopt;
    schedule(s);
    s.ready.wait_for(lock, std::chrono::milliseconds(50));
    if (ctx_) {
      try {
        ctx_->check();
      } catch (...) {
        s.stop = true;
        throw;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// ParallelAggregate

ParallelAggregate::ParallelAggregate(std::shared_ptr<const ScanSource> src, ScanOptions opts, Pipeline pipeline,
                                     std::vector<NamedExpr> keys, std::vector<AggSpec> aggs, QueryContext* ctx,
                                     ExprPtr filter)
    : src_(std::move(src)), opts_(std::move(opts)), pipeline_(std::move(pipeline)), keys_(std::move(keys)),
      aggs_(std::move(aggs)), ctx_(ctx), filter_(std::move(filter)) {
  scan_schema_ = projected_schema(src_->schema(), opts_.columns);
  predicate_columns(src_->schema(), opts_.predicates);
  pipe_schema_ = pipeline_schema(scan_schema_, pipeline_);
  if (filter_) {
    Field f = infer_type(*filter_, pipe_schema_);
    if (f.type != Type::Bool && f.name != "NULL")
      throw ExprError("filter " + filter_->to_string() + " must be boolean, got " + parquet::type_name(f.type));
  }
  schema_ = aggregate_schema(pipe_schema_, keys_, aggs_);
}

std::optional<Table> ParallelAggregate::next() {
  if (done_) return std::nullopt;
  done_ = true;
  std::vector<size_t> sel = select_partitions(*src_, opts_.partition_filter);
  HashAggregator total(pipe_schema_, keys_, aggs_, ctx_);
  std::mutex mu;
  size_t done = 0;
  {
    QueryContext* ctx = ctx_;
    base::TaskGroup group(opts_.threads, [ctx] {
      if (ctx) ctx->check();
    });
    for (size_t p : sel) {
      group.run([&, p] {
        OperatorPtr op = std::make_unique<PartitionScan>(src_->open(p), scan_schema_, opts_.columns,
                                                         opts_.predicates, src_->schema(), ctx_);
        if (pipeline_) op = pipeline_(std::move(op));
        HashAggregator part(pipe_schema_, keys_, aggs_, ctx_);
        Selection rows;
        while (auto b = op->next()) {
          if (!filter_) {
            part.consume(*b);
            continue;
          }
          select_rows(*filter_, *b, rows);
          part.consume(*b, rows);
        }
        size_t d;
        {
          std::lock_guard<std::mutex> lock(mu);
          total.merge(part);
          d = ++done;
        }
        if (ctx_) ctx_->report_progress(d, sel.size());
      });
    }
    group.wait();  // rethrows the first worker error; later tasks are skipped
  }
  if (ctx_) ctx_->check();
  return total.finish();
}

// ---------------------------------------------------------------------------------------
// In-memory source

namespace {

parquet::ColumnStats column_stats(const Column& c) {
  parquet::ColumnStats s;
  s.has_null_count = true;
  size_t n = c.rows();
  for (size_t i = 0; i < n; i++) s.null_count += c.is_null(i);
  if (c.field.list) return s;
  bool first = true;
  if (is_stringlike(c.field.type)) {
    for (size_t i = 0; i < n; i++) {
      if (c.is_null(i)) continue;
      std::string v(c.string_at(i));
      if (first || v < s.min_str) s.min_str = v;
      if (first || v > s.max_str) s.max_str = v;
      first = false;
    }
  } else {
    std::vector<double> d = column_f64(c);
    for (size_t i = 0; i < n; i++) {
      if (c.is_null(i) || std::isnan(d[i])) continue;
      if (first || d[i] < s.min) s.min = d[i];
      if (first || d[i] > s.max) s.max = d[i];
      first = false;
    }
  }
  s.has_min_max = !first;
  return s;
}

class MemoryReader : public PartitionReader {
 public:
  MemoryReader(const std::vector<Table>* rgs, const std::vector<parquet::RowGroupInfo>* info)
      : rgs_(rgs), info_(info) {}
  const std::vector<parquet::RowGroupInfo>& row_groups() const override { return *info_; }
  Table read(size_t rg, const std::vector<std::string>& columns) override {
    const Table& t = (*rgs_)[rg];
    if (columns.empty()) return t;
    Table out;
    for (const auto& c : columns) out.columns.push_back(t.col(c));
    return out;
  }

 private:
  const std::vector<Table>* rgs_;
  const std::vector<parquet::RowGroupInfo>* info_;
};

class MemorySource : public ScanSource {
 public:
  MemorySource(std::vector<catalog::Partition> parts, std::vector<std::vector<Table>> rgs)
      : parts_(std::move(parts)), rgs_(std::move(rgs)) {
    if (parts_.size() != rgs_.size()) throw std::invalid_argument("memory_source: partitions and row groups differ in count");
    for (const auto& p : rgs_)
      for (const auto& t : p)
        if (schema_.empty() && !t.columns.empty()) schema_ = schema_of(t);
    for (const auto& p : rgs_) {
      std::vector<parquet::RowGroupInfo> info;
      for (const auto& t : p) {
        parquet::RowGroupInfo rg;
        rg.rows = int64_t(t.rows());
        rg.bytes = int64_t(table_bytes(t));
        for (const auto& c : t.columns) rg.stats.push_back(column_stats(c));
        info.push_back(std::move(rg));
      }
      info_.push_back(std::move(info));
    }
  }
  const std::vector<Field>& schema() const override { return schema_; }
  const std::vector<catalog::Partition>& partitions() const override { return parts_; }
  std::unique_ptr<PartitionReader> open(size_t i) const override {
    return std::make_unique<MemoryReader>(&rgs_.at(i), &info_.at(i));
  }

 private:
  std::vector<catalog::Partition> parts_;
  std::vector<std::vector<Table>> rgs_;
  std::vector<std::vector<parquet::RowGroupInfo>> info_;
  std::vector<Field> schema_;
};

}  // namespace

std::shared_ptr<const ScanSource> memory_source(std::vector<catalog::Partition> parts,
                                                std::vector<std::vector<Table>> row_groups) {
  return std::make_shared<MemorySource>(std::move(parts), std::move(row_groups));
}

}  // namespace astrolake::engine
