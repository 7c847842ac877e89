#include "engine/scan.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "engine/functions.h"
#include "engine/sort.h"
#include "test_util.h"

using namespace astrolake::engine;
using namespace astrolake::engine::testing;
using astrolake::catalog::Partition;
using astrolake::parquet::Type;

namespace {

// `parts` partitions of `rgs` row groups of `rows` rows; x increases with the row group so
// statistics can prune.
struct Data {
  std::shared_ptr<const ScanSource> src;
  Table all;
};
Data make_data(size_t parts, size_t rgs, size_t rows, uint32_t seed = 21) {
  std::vector<Partition> ps;
  std::vector<std::vector<Table>> groups;
  Data d;
  for (size_t p = 0; p < parts; p++) {
    Partition part;
    part.order = 3;
    part.pixel = int64_t(p * 5);
    ps.push_back(part);
    std::vector<Table> g;
    for (size_t r = 0; r < rgs; r++) {
      Table t = random_table(rows, uint32_t(seed + p * 100 + r));
      // x in [rg*10, rg*10+10) (or NULL): stats separate the row groups.
      Column& x = t.columns[2];
      std::vector<double> v = column_f64(x);
      for (size_t i = 0; i < v.size(); i++) v[i] = double(r) * 10 + (v[i] + 100) / 20;
      std::memcpy(x.data.data(), v.data(), v.size() * 8);
      append_table(d.all, t);
      g.push_back(std::move(t));
    }
    groups.push_back(std::move(g));
  }
  d.src = memory_source(std::move(ps), std::move(groups));
  return d;
}

std::multiset<std::string> rows_of(const Table& t) {
  std::multiset<std::string> m;
  for (size_t r = 0; r < t.rows(); r++) {
    std::string s;
    for (const auto& c : t.columns) s += value_at(c, r).to_string() + "|";
    m.insert(s);
  }
  return m;
}

Pipeline filter_project(ExprPtr pred) {
  return [pred](OperatorPtr scan) -> OperatorPtr {
    auto f = std::make_unique<Filter>(std::move(scan), pred);
    return std::make_unique<Project>(std::move(f), std::vector<NamedExpr>{{col("j"), ""}, {col("x"), ""}, {col("s"), ""}});
  };
}

TEST(Scan, ParallelPipelineMatchesSerial) {
  Data d = make_data(12, 4, 300);
  auto pred = and_(binary(BinOp::Ge, col("x"), lit_double(22.5)), binary(BinOp::Lt, col("i"), lit_int(50)));
  ScanOptions opts;
  opts.predicates = extract_predicates(*pred);
  ASSERT_EQ(opts.predicates.size(), 2u);
  opts.threads = 3;
  opts.max_queued_batches = 2;
  CatalogScan scan(d.src, opts, nullptr, filter_project(pred));
  EXPECT_EQ(scan.schema().size(), 3u);
  Table got = collect(scan);
  Table want = collect(*filter_project(pred)(std::make_unique<TableSource>(d.all)));
  EXPECT_GT(want.rows(), 100u);
  EXPECT_EQ(rows_of(got), rows_of(want));
  // Pruning: x >= 22.5 excludes row groups 0 and 1 of every partition.
  ScanEstimate e = estimate_scan(*d.src, opts);
  EXPECT_EQ(e.partitions, 12u);
  EXPECT_EQ(e.row_groups_total, 48u);
  EXPECT_EQ(e.row_groups, 24u);
  EXPECT_EQ(e.rows, 24 * 300);
  EXPECT_NE(e.to_string().find("row groups 24/48"), std::string::npos);
}

TEST(Scan, PartitionFilterAndProjection) {
  Data d = make_data(10, 2, 100);
  ScanOptions opts;
  opts.columns = {"s", "j"};
  opts.partition_filter = [](const Partition& p) { return p.pixel % 10 == 0; };  // pixels 0,10,20,30,40
  CatalogScan scan(d.src, opts);
  EXPECT_EQ(scan.partitions(), 5u);
  ASSERT_EQ(scan.schema()[0].name, "s");
  Table got = collect(scan);
  EXPECT_EQ(got.rows(), 5u * 2 * 100);
  EXPECT_EQ(got.columns[1].field.name, "j");
  ScanEstimate e = estimate_scan(*d.src, opts);
  EXPECT_EQ(e.partitions_total, 10u);
  EXPECT_EQ(e.partitions, 5u);
  opts.columns = {"nope"};
  try {
    CatalogScan bad(d.src, opts);
    FAIL();
  } catch (const ExprError& err) {
    EXPECT_NE(std::string(err.what()).find("no column 'nope'"), std::string::npos);
  }
}

TEST(Scan, ParallelAggregateMatchesSerialAndReportsProgress) {
  Data d = make_data(9, 3, 200);
  auto pred = binary(BinOp::Ne, col("s"), lit_str("beta"));
  Pipeline pipe = [pred](OperatorPtr scan) -> OperatorPtr { return std::make_unique<Filter>(std::move(scan), pred); };
  std::vector<NamedExpr> keys = {{col("k"), ""}};
  std::vector<AggSpec> aggs = {{AggFunc::CountStar, nullptr, false, "n"},
                               {AggFunc::Avg, col("x"), false, ""},
                               {AggFunc::StddevSamp, col("i"), false, ""},
                               {AggFunc::Count, col("s"), true, ""}};
  QueryContext ctx;
  size_t last_done = 0, last_total = 0, calls = 0;
  ctx.set_progress([&](size_t done, size_t total) {
    calls++;
    EXPECT_GT(done, last_done);
    last_done = done;
    last_total = total;
  });
  ScanOptions opts;
  opts.threads = 4;
  Table got = collect(*std::make_unique<ParallelAggregate>(d.src, opts, pipe, keys, aggs, &ctx));
  Table want = collect(*std::make_unique<Aggregate>(pipe(std::make_unique<TableSource>(d.all)), keys, aggs));
  ASSERT_EQ(got.rows(), want.rows());
  // Compare group by group (floating sums may differ in the last bits).
  std::map<std::string, size_t> wi;
  for (size_t r = 0; r < want.rows(); r++) wi[value_at(want.columns[0], r).to_string()] = r;
  for (size_t r = 0; r < got.rows(); r++) {
    size_t w = wi.at(value_at(got.columns[0], r).to_string());
    EXPECT_EQ(get_i(got.col("n"), r), get_i(want.col("n"), w));
    EXPECT_NEAR(*get_d(got.columns[2], r), *get_d(want.columns[2], w), 1e-9);
    EXPECT_NEAR(*get_d(got.columns[3], r), *get_d(want.columns[3], w), 1e-9);
    EXPECT_EQ(get_i(got.columns[4], r), get_i(want.columns[4], w));
  }
  EXPECT_EQ(calls, 9u);
  EXPECT_EQ(last_done, 9u);
  EXPECT_EQ(last_total, 9u);
}

TEST(Scan, BigIntegerStatisticsPruneConservatively) {
  // _healpix_29 values above 2^53: double statistics round; pruning must not drop a row
  // group that holds the boundary value.
  astrolake::parquet::ColumnStats s;
  s.has_min_max = true;
  int64_t lo = 3458764513820540928LL + 1, hi = lo + 1000;
  s.min = double(lo);
  s.max = double(hi);
  EXPECT_FALSE(stats_exclude(s, Type::Int64, {"h", BinOp::Ge, Value::Int(hi)}));
  EXPECT_FALSE(stats_exclude(s, Type::Int64, {"h", BinOp::Le, Value::Int(lo)}));
  EXPECT_FALSE(stats_exclude(s, Type::Int64, {"h", BinOp::Eq, Value::Int(lo + 1)}));
  EXPECT_TRUE(stats_exclude(s, Type::Int64, {"h", BinOp::Ge, Value::Int(hi + (int64_t(1) << 20))}));
  EXPECT_TRUE(stats_exclude(s, Type::Int64, {"h", BinOp::Lt, Value::Int(lo - (int64_t(1) << 20))}));
  astrolake::parquet::ColumnStats t;
  t.has_min_max = true;
  t.min_str = "beta";
  t.max_str = "delta";
  EXPECT_TRUE(stats_exclude(t, Type::String, {"s", BinOp::Eq, Value::String("alpha")}));
  EXPECT_FALSE(stats_exclude(t, Type::String, {"s", BinOp::Eq, Value::String("charlie")}));
  EXPECT_TRUE(stats_exclude(t, Type::String, {"s", BinOp::Gt, Value::String("delta")}));
  astrolake::parquet::ColumnStats none;  // no statistics: never prune
  EXPECT_FALSE(stats_exclude(none, Type::Double, {"x", BinOp::Eq, Value::Double(1)}));
}

// A function that sleeps, to make partitions slow.
void register_sleep() {
  Function f;
  f.name = "test_sleep_ms";
  f.min_args = f.max_args = 1;
  f.signature = "test_sleep_ms(ms INTEGER) -> BIGINT";
  f.help = "sleeps, for tests";
  f.infer = [](const std::vector<Field>&) { return field("", Type::Int64); };
  f.eval = [](const std::vector<Column>& a, size_t n) {
    if (n) std::this_thread::sleep_for(std::chrono::milliseconds(value_at(a[0], 0).i));
    return make_i64(field("", Type::Int64), std::vector<int64_t>(n, 0));
  };
  FunctionRegistry::global().add(f);
}

Pipeline slow_pipeline() {
  return [](OperatorPtr scan) -> OperatorPtr {
    return std::make_unique<Project>(std::move(scan),
                                     std::vector<NamedExpr>{{col("j"), ""}, {call("test_sleep_ms", {lit_int(20)}), "z"}});
  };
}

TEST(Scan, CancellationStopsALongQuery) {
  register_sleep();
  Data d = make_data(200, 2, 10);  // 400 batches x 20 ms = 8 s of work if not stopped
  QueryContext ctx;
  ctx.set_progress([&](size_t done, size_t) {
    if (done >= 3) ctx.cancel();
  });
  ScanOptions opts;
  opts.threads = 2;
  auto t0 = std::chrono::steady_clock::now();
  CatalogScan scan(d.src, opts, &ctx, slow_pipeline());
  try {
    collect(scan);
    FAIL() << "not cancelled";
  } catch (const QueryError& e) {
    EXPECT_STREQ(e.what(), "query cancelled");
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, 2.0);
}

TEST(Scan, TimeLimitStopsALongQuery) {
  register_sleep();
  Data d = make_data(200, 2, 10);
  QueryContext ctx;
  ctx.set_time_limit(0.25);
  ScanOptions opts;
  opts.threads = 2;
  auto t0 = std::chrono::steady_clock::now();
  try {
    collect(*std::make_unique<ParallelAggregate>(d.src, opts, slow_pipeline(), std::vector<NamedExpr>{},
                                                 std::vector<AggSpec>{{AggFunc::Sum, col("z"), false, ""}}, &ctx));
    FAIL() << "no time limit";
  } catch (const QueryError& e) {
    EXPECT_STREQ(e.what(), "query exceeded time limit of 0.25 s");
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, 2.0);
}

TEST(Scan, MemoryBudgetStopsASort) {
  Data d = make_data(20, 2, 5000);  // 200k rows, several MiB
  QueryContext ctx;
  ctx.set_memory_budget(1 << 20);
  ScanOptions opts;
  opts.threads = 2;
  auto scan = std::make_unique<CatalogScan>(d.src, opts, &ctx);
  Sort sort(std::move(scan), {{col("x"), false, {}}}, &ctx);
  try {
    collect(sort);
    FAIL() << "no memory limit";
  } catch (const QueryError& e) {
    EXPECT_STREQ(e.what(), "query exceeded memory budget of 1 MiB");
  }
  EXPECT_EQ(format_bytes(uint64_t(1) << 30), "1 GiB");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
}

TEST(Scan, EarlyStopReleasesWorkers) {
  // A LIMIT that is satisfied early must not wait for the whole scan.
  register_sleep();
  Data d = make_data(200, 2, 10);
  ScanOptions opts;
  opts.threads = 2;
  auto t0 = std::chrono::steady_clock::now();
  {
    Limit lim(std::make_unique<CatalogScan>(d.src, opts, nullptr, slow_pipeline()), 15);
    EXPECT_EQ(collect(lim).rows(), 15u);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, 2.0);
}

}  // namespace

namespace {
// Row indices where Filter would keep the row.
Selection filter_rows(const ExprPtr& pred, const Table& t) {
  Column m = evaluate(*pred, t);
  std::vector<int64_t> v = column_i64(m);
  Selection s;
  for (size_t i = 0; i < v.size(); i++)
    if (v[i] != 0 && !m.value_is_null(i)) s.push_back(uint32_t(i));
  return s;
}

std::vector<ExprPtr> fused_predicates() {
  double nan = std::nan("");
  return {binary(BinOp::Gt, col("x"), lit_double(5)),
          binary(BinOp::Le, col("i"), lit_int(3)),
          binary(BinOp::Lt, lit_int(2), col("j")),               // literal on the left
          binary(BinOp::Ge, col("i"), lit_double(-2.5)),         // int column, double literal
          binary(BinOp::Ne, col("x"), lit_double(nan)),          // NaN literal
          binary(BinOp::Eq, col("x"), lit_double(nan)),
          binary(BinOp::Gt, col("x"), lit_double(nan)),
          and_(and_(binary(BinOp::Gt, col("x"), lit_int(1)), binary(BinOp::Ne, col("s"), lit_str("beta"))),
               binary(BinOp::Ne, col("i"), lit_int(0))),         // mixed simple and generic conjuncts
          binary(BinOp::Eq, col("s"), lit_str("gamma"))};        // generic only
}

// random_table with some NaNs in x (NaN sorts above every number and equals NaN).
Table table_with_nans(size_t rows, uint32_t seed) {
  Table t = random_table(rows, seed);
  double* x = t.columns[2].values_as<double>();
  for (size_t i = 0; i < rows; i += 7) x[i] = std::nan("");
  return t;
}
}  // namespace

TEST(Scan, SelectRowsMatchesFilter) {
  for (uint32_t seed = 1; seed <= 5; seed++) {
    Table t = table_with_nans(3000, seed);
    for (const auto& p : fused_predicates()) {
      Selection got;
      select_rows(*p, t, got);
      EXPECT_EQ(got, filter_rows(p, t)) << p->to_string() << " seed " << seed;
    }
  }
}

TEST(Scan, FusedFilterAggregateGivesFilterThenAggregateBitForBit) {
  // One partition of several row groups: both plans fold the same rows in the same order,
  // so even the floating sums must be identical.
  std::vector<Table> rgs;
  Table all;
  for (uint32_t r = 0; r < 4; r++) {
    rgs.push_back(table_with_nans(2500, 40 + r));
    append_table(all, rgs.back());
  }
  Partition part;
  part.order = 3;
  part.pixel = 7;
  auto src = memory_source({part}, {rgs});
  std::vector<AggSpec> aggs = {{AggFunc::CountStar, nullptr, false, "n"}, {AggFunc::Count, col("i"), false, ""},
                               {AggFunc::Sum, col("i"), false, ""},       {AggFunc::Avg, col("x"), false, ""},
                               {AggFunc::Sum, col("j"), false, ""},       {AggFunc::Min, col("x"), false, ""}};
  for (const auto& p : fused_predicates()) {
    Pipeline filt = [p](OperatorPtr o) -> OperatorPtr { return std::make_unique<Filter>(std::move(o), p); };
    for (bool grouped : {false, true}) {
      std::vector<NamedExpr> keys;
      if (grouped) keys.push_back({col("k"), ""});
      Table got = collect(*std::make_unique<ParallelAggregate>(src, ScanOptions{}, nullptr, keys, aggs, nullptr, p));
      Table want = collect(*std::make_unique<ParallelAggregate>(src, ScanOptions{}, filt, keys, aggs));
      ASSERT_EQ(got.rows(), want.rows()) << p->to_string();
      for (size_t c = 0; c < got.columns.size(); c++)
        for (size_t r = 0; r < got.rows(); r++)
          EXPECT_EQ(value_at(got.columns[c], r).to_string(), value_at(want.columns[c], r).to_string())
              << p->to_string() << " column " << got.columns[c].field.name;
      if (!grouped) {
        // Bit for bit, not just as printed.
        std::optional<double> a = get_d(got.col("avg(x)"), 0), b = get_d(want.col("avg(x)"), 0);
        ASSERT_EQ(a.has_value(), b.has_value()) << p->to_string();
        if (a) EXPECT_EQ(std::memcmp(&*a, &*b, sizeof(double)), 0) << p->to_string();
      }
    }
  }
  // A non-boolean filter is refused when the plan is built, as Filter refuses it.
  EXPECT_THROW(ParallelAggregate(src, ScanOptions{}, nullptr, {}, aggs, nullptr, col("x")), ExprError);
}

TEST(Scan, UngroupedSumsAddValuesInRowOrder) {
  // The in-place fold must make the same additions in the same order as a plain loop.
  Table t = random_table(5000, 77);
  std::vector<AggSpec> aggs = {{AggFunc::Sum, col("x"), false, ""}, {AggFunc::Avg, col("x"), false, ""},
                               {AggFunc::Sum, col("i"), false, ""}, {AggFunc::Count, col("i"), false, ""}};
  HashAggregator agg(schema_of(t), {}, aggs);
  agg.consume(slice(t, 0, 2000));
  agg.consume(slice(t, 2000, 3000));
  Table got = agg.finish();
  double sum = 0;
  int64_t n = 0, isum = 0, icount = 0;
  const Column& x = t.col("x");
  const Column& i = t.col("i");
  for (size_t r = 0; r < t.rows(); r++) {
    if (!x.is_null(r)) sum += x.values_as<double>()[r], n++;
    if (!i.is_null(r)) isum += i.values_as<int32_t>()[r], icount++;
  }
  double gs = *get_d(got.columns[0], 0), ga = *get_d(got.columns[1], 0), avg = sum / double(n);
  EXPECT_EQ(std::memcmp(&gs, &sum, sizeof sum), 0);
  EXPECT_EQ(std::memcmp(&ga, &avg, sizeof avg), 0);
  EXPECT_EQ(get_i(got.columns[2], 0), isum);
  EXPECT_EQ(get_i(got.columns[3], 0), icount);
}

TEST(Scan, GroupByOneFixedWidthKeyMatchesEncodedKeys) {
  // A single int, double or bool key takes the raw-bytes lookup; a two-column key with the
  // same first column takes the encoded-key path; the groups must agree, NULL key included.
  // x also holds 0.0, -0.0 and NaNs with different bits, which are one group each.
  Table t = random_table(4000, 91);
  double* x = t.columns[2].values_as<double>();
  const double zeros[] = {0.0, -0.0}, nans[] = {std::nan(""), -std::nan(""), std::nan("7")};
  for (size_t r = 0; r < 4000; r += 5) x[r] = r % 2 ? zeros[r % 4 / 2] : nans[r % 3];
  for (const char* k : {"k", "x", "b", "i"}) {
    std::vector<AggSpec> aggs = {{AggFunc::CountStar, nullptr, false, "n"}, {AggFunc::Sum, col("j"), false, ""}};
    HashAggregator one(schema_of(t), {{col(k), ""}}, aggs), other(schema_of(t), {{col(k), ""}}, aggs);
    HashAggregator two(schema_of(t), {{col(k), ""}, {lit_int(0), "z"}}, aggs);
    one.consume(slice(t, 0, 1500));
    one.consume(slice(t, 1500, 1000));
    other.consume(slice(t, 2500, 1500));
    one.merge(other);
    two.consume(t);
    Table a = one.finish(), b = two.finish();
    ASSERT_EQ(a.rows(), b.rows()) << k;
    for (size_t r = 0; r < a.rows(); r++) {
      EXPECT_EQ(value_at(a.columns[0], r).to_string(), value_at(b.columns[0], r).to_string()) << k;
      EXPECT_EQ(get_i(a.col("n"), r), get_i(b.col("n"), r)) << k;
      EXPECT_EQ(get_i(a.col("sum(j)"), r), get_i(b.col("sum(j)"), r)) << k;
    }
  }
}
