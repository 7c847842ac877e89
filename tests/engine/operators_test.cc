#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "engine/aggregate.h"
#include "engine/join.h"
#include "engine/operator.h"
#include "engine/sort.h"
#include "test_util.h"

using namespace astrolake::engine;
using namespace astrolake::engine::testing;
using astrolake::parquet::Type;

namespace {

OperatorPtr source(const Table& t, size_t batch = 97) { return std::make_unique<TableSource>(t, batch); }

// One row as comparable text, for multiset comparisons.
std::string row_text(const Table& t, size_t r) {
  std::string s;
  for (const auto& c : t.columns) s += value_at(c, r).to_string() + "|";
  return s;
}
std::multiset<std::string> rows_of(const Table& t) {
  std::multiset<std::string> m;
  for (size_t r = 0; r < t.rows(); r++) m.insert(row_text(t, r));
  return m;
}

TEST(Operators, FilterProjectLimit) {
  Table t = random_table(1000, 11);
  auto pred = and_(binary(BinOp::Gt, col("x"), lit_int(0)), is_null(col("s"), true));
  auto op = std::make_unique<Project>(std::make_unique<Filter>(source(t), pred),
                                      std::vector<NamedExpr>{{col("i"), ""}, {binary(BinOp::Mul, col("x"), lit_int(2)), "x2"}});
  EXPECT_EQ(op->schema()[1].name, "x2");
  EXPECT_EQ(op->schema()[1].type, Type::Double);
  Table got = collect(*op);
  std::vector<size_t> want;
  for (size_t r = 0; r < t.rows(); r++) {
    auto x = get_d(t.col("x"), r);
    if (x && *x > 0 && !t.col("s").is_null(r)) want.push_back(r);
  }
  ASSERT_EQ(got.rows(), want.size());
  for (size_t k = 0; k < want.size(); k++) {
    EXPECT_EQ(get_i(got.columns[0], k), get_i(t.col("i"), want[k]));
    EXPECT_EQ(*get_d(got.columns[1], k), 2 * *get_d(t.col("x"), want[k]));
  }
  Table lim = collect(*std::make_unique<Limit>(source(t), 150, 130));
  ASSERT_EQ(lim.rows(), 150u);
  for (size_t k = 0; k < 150; k++) EXPECT_EQ(get_i(lim.col("j"), k), get_i(t.col("j"), 130 + k));
  EXPECT_EQ(collect(*std::make_unique<Limit>(source(t), -1, 990)).rows(), 10u);
  EXPECT_THROW(Filter(source(t), col("x")), ExprError);  // not boolean
}

TEST(Operators, Distinct) {
  Table t = random_table(2000, 12);
  auto p = std::make_unique<Project>(source(t), std::vector<NamedExpr>{{col("k"), ""}, {col("s"), ""}});
  Table got = collect(*std::make_unique<Distinct>(std::move(p)));
  std::set<std::string> want;
  for (size_t r = 0; r < t.rows(); r++)
    want.insert(value_at(t.col("k"), r).to_string() + "|" + value_at(t.col("s"), r).to_string() + "|");
  auto g = rows_of(got);
  EXPECT_EQ(std::set<std::string>(g.begin(), g.end()), want);
  EXPECT_EQ(g.size(), want.size());
}

// Brute force: stable sort by (k ASC NULLS LAST, x DESC NULLS LAST).
std::vector<size_t> brute_order(const Table& t) {
  std::vector<size_t> idx(t.rows());
  for (size_t i = 0; i < idx.size(); i++) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    auto ka = get_i(t.col("k"), a), kb = get_i(t.col("k"), b);
    if (ka != kb) {
      if (!ka) return false;
      if (!kb) return true;
      return *ka < *kb;
    }
    auto xa = get_d(t.col("x"), a), xb = get_d(t.col("x"), b);
    if (xa != xb) {
      if (!xa) return false;
      if (!xb) return true;
      return *xa > *xb;
    }
    return false;
  });
  return idx;
}

TEST(Operators, SortStableWithNullsLast) {
  Table t = random_table(3000, 13, 0.3);
  // Round x so there are ties in both keys; stability is then visible through j.
  Table r = collect(*std::make_unique<Project>(
      source(t), std::vector<NamedExpr>{{col("k"), ""}, {call("round", {binary(BinOp::Div, col("x"), lit_int(20))}), "x"},
                                        {col("j"), ""}}));
  std::vector<SortKey> keys = {{col("k"), false, {}}, {col("x"), true, {}}};
  Table got = collect(*std::make_unique<Sort>(source(r), keys, nullptr, 500));
  std::vector<size_t> want = brute_order(r);
  ASSERT_EQ(got.rows(), want.size());
  for (size_t i = 0; i < want.size(); i++) ASSERT_EQ(row_text(got, i), row_text(r, want[i])) << i;
  // DESC still puts NULLs last; nulls_first flips it.
  Table d = collect(*std::make_unique<Sort>(source(r), std::vector<SortKey>{{col("k"), true, {}}}));
  EXPECT_TRUE(d.col("k").is_null(d.rows() - 1));
  EXPECT_FALSE(d.col("k").is_null(0));
  Table nf = collect(*std::make_unique<Sort>(source(r), std::vector<SortKey>{{col("k"), false, true}}));
  EXPECT_TRUE(nf.col("k").is_null(0));
  // TopN == Sort + Limit, including tie order.
  for (int64_t lim : {0, 1, 7, 100, 5000}) {
    Table top = collect(*std::make_unique<TopN>(source(r, 211), keys, lim, 3));
    Table ref = collect(*std::make_unique<Limit>(std::make_unique<Sort>(source(r), keys), lim, 3));
    ASSERT_EQ(top.rows(), ref.rows()) << lim;
    for (size_t i = 0; i < top.rows(); i++) ASSERT_EQ(row_text(top, i), row_text(ref, i)) << lim << " " << i;
  }
  // Strings sort bytewise.
  Table s = collect(*std::make_unique<Sort>(source(t), std::vector<SortKey>{{col("s"), false, {}}}));
  for (size_t i = 1; i < s.rows(); i++) {
    if (s.col("s").is_null(i)) continue;
    ASSERT_FALSE(s.col("s").is_null(i - 1));
    ASSERT_LE(s.col("s").string_at(i - 1), s.col("s").string_at(i));
  }
}

struct Acc {
  int64_t rows = 0, cnt = 0, isum = 0;
  double sum = 0;
  std::vector<double> xs;
  std::optional<double> mn, mx;
  std::set<int64_t> distinct_i;
  std::optional<std::string> smin;
};

TEST(Operators, AggregateMatchesBruteForce) {
  Table t = random_table(5000, 14, 0.25);
  std::vector<AggSpec> aggs = {
      {AggFunc::CountStar, nullptr, false, ""},     {AggFunc::Count, col("x"), false, ""},
      {AggFunc::Sum, col("i"), false, ""},          {AggFunc::Avg, col("x"), false, ""},
      {AggFunc::Min, col("x"), false, ""},          {AggFunc::Max, col("x"), false, "xmax"},
      {AggFunc::StddevSamp, col("x"), false, ""},   {AggFunc::Count, col("i"), true, ""},
      {AggFunc::Min, col("s"), false, ""},
  };
  std::vector<NamedExpr> keys = {{col("k"), ""}, {col("b"), ""}};
  // Run the aggregation as two partial aggregators merged, like the parallel executor does.
  HashAggregator a1(schema_of(t), keys, aggs), a2(schema_of(t), keys, aggs);
  a1.consume(slice(t, 0, 1700));
  a2.consume(slice(t, 1700, 1000));
  a2.consume(slice(t, 2700, 5000));
  a1.merge(a2);
  Table got = a1.finish();
  Table single = collect(*std::make_unique<Aggregate>(source(t, 333), keys, aggs));
  EXPECT_EQ(rows_of(single).size(), got.rows());
  EXPECT_EQ(got.columns[3].field.name, "count(x)");
  EXPECT_EQ(got.columns[7].field.name, "xmax");
  EXPECT_EQ(got.columns[4].field.type, Type::Int64);  // sum of int32

  std::map<std::string, Acc> want;
  for (size_t r = 0; r < t.rows(); r++) {
    Acc& a = want[value_at(t.col("k"), r).to_string() + "|" + value_at(t.col("b"), r).to_string()];
    a.rows++;
    auto x = get_d(t.col("x"), r);
    auto i = get_i(t.col("i"), r);
    auto s = get_s(t.col("s"), r);
    if (x) {
      a.cnt++;
      a.sum += *x;
      a.xs.push_back(*x);
      a.mn = a.mn ? std::min(*a.mn, *x) : *x;
      a.mx = a.mx ? std::max(*a.mx, *x) : *x;
    }
    if (i) {
      a.isum += *i;
      a.distinct_i.insert(*i);
    }
    if (s) a.smin = a.smin ? std::min(*a.smin, *s) : *s;
  }
  ASSERT_EQ(got.rows(), want.size());
  for (size_t g = 0; g < got.rows(); g++) {
    std::string key = value_at(got.columns[0], g).to_string() + "|" + value_at(got.columns[1], g).to_string();
    ASSERT_TRUE(want.count(key)) << key;
    const Acc& a = want[key];
    EXPECT_EQ(get_i(got.columns[2], g), a.rows);
    EXPECT_EQ(get_i(got.columns[3], g), a.cnt);
    EXPECT_EQ(get_i(got.columns[4], g), a.distinct_i.empty() ? std::nullopt : std::optional<int64_t>(a.isum));
    if (a.cnt) EXPECT_NEAR(*get_d(got.columns[5], g), a.sum / a.cnt, 1e-9);
    else EXPECT_TRUE(got.columns[5].is_null(g));
    EXPECT_EQ(get_d(got.columns[6], g), a.mn);
    EXPECT_EQ(get_d(got.columns[7], g), a.mx);
    if (a.cnt > 1) {
      double m = a.sum / a.cnt, ss = 0;
      for (double x : a.xs) ss += (x - m) * (x - m);
      EXPECT_NEAR(*get_d(got.columns[8], g), std::sqrt(ss / (a.cnt - 1)), 1e-9);
    } else {
      EXPECT_TRUE(got.columns[8].is_null(g));
    }
    EXPECT_EQ(get_i(got.columns[9], g), int64_t(a.distinct_i.size()));
    EXPECT_EQ(get_s(got.columns[10], g), a.smin);
  }
}

TEST(Operators, AggregateEdgeCases) {
  Table t = random_table(100, 15);
  Table none = collect(*std::make_unique<Filter>(source(t), lit_bool(false)));
  // No GROUP BY over an empty input: one row, count 0, others NULL.
  std::vector<AggSpec> aggs = {{AggFunc::CountStar, nullptr, false, ""}, {AggFunc::Sum, col("x"), false, ""}};
  Table g = collect(*std::make_unique<Aggregate>(source(none), std::vector<NamedExpr>{}, aggs));
  ASSERT_EQ(g.rows(), 1u);
  EXPECT_EQ(get_i(g.columns[0], 0), 0);
  EXPECT_TRUE(g.columns[1].is_null(0));
  // With GROUP BY over an empty input: no rows.
  Table g2 = collect(*std::make_unique<Aggregate>(source(none), std::vector<NamedExpr>{{col("k"), ""}}, aggs));
  EXPECT_EQ(g2.rows(), 0u);
  // Group by a HEALPix-style pixel expression: nested index shifted to a lower order.
  Table h;
  h.columns.emplace_back(field("_healpix_29", Type::Int64));
  std::map<int64_t, int64_t> counts;
  for (int64_t i = 0; i < 1000; i++) {
    int64_t v = (i * 7919) << 40;
    h.columns[0].push<int64_t>(v);
    counts[v / (int64_t(1) << 50)]++;
  }
  auto pix = binary(BinOp::Div, col("_healpix_29"), lit_int(int64_t(1) << 50));
  Table hg = collect(*std::make_unique<Aggregate>(source(h), std::vector<NamedExpr>{{pix, "pix"}},
                                                  std::vector<AggSpec>{{AggFunc::CountStar, nullptr, false, "n"}}));
  ASSERT_EQ(hg.rows(), counts.size());
  for (size_t r = 0; r < hg.rows(); r++) EXPECT_EQ(*get_i(hg.col("n"), r), counts[*get_i(hg.col("pix"), r)]);
  EXPECT_THROW(Aggregate(source(t), {}, {{AggFunc::Sum, col("s"), false, ""}}), ExprError);
}

// Integer SUM accumulates in 128 bits: partial sums may leave BIGINT as long as the total is
// back inside; a total outside is an error, never a wrapped value. AVG of integers is exact.
TEST(Operators, IntegerSumNeverWraps) {
  Table t;
  t.columns.emplace_back(field("v", Type::Int64));
  for (int64_t v : {INT64_MAX, INT64_MAX, -INT64_MAX, -INT64_MAX + 5}) t.columns[0].push<int64_t>(v);
  std::vector<AggSpec> aggs = {{AggFunc::Sum, col("v"), false, "s"}, {AggFunc::Avg, col("v"), false, "a"}};
  for (size_t batch : {size_t(1), size_t(4)}) {
    Table g = collect(*std::make_unique<Aggregate>(source(t, batch), std::vector<NamedExpr>{}, aggs));
    EXPECT_EQ(get_i(g.col("s"), 0), 5);
    EXPECT_EQ(get_d(g.col("a"), 0), 1.25);
  }
  t.columns[0].push<int64_t>(INT64_MAX);
  try {
    collect(*std::make_unique<Aggregate>(source(t, 2), std::vector<NamedExpr>{}, aggs));
    ADD_FAILURE() << "no overflow error";
  } catch (const ExprError& e) {
    EXPECT_NE(std::string(e.what()).find("integer overflow: sum (s)"), std::string::npos) << e.what();
  }
}

TEST(Operators, HashJoinMatchesNestedLoops) {
  Table l = random_table(700, 16, 0.2);
  Table r = random_table(300, 17, 0.2);
  for (JoinType jt : {JoinType::Inner, JoinType::Left}) {
    JoinSpec spec;
    spec.type = jt;
    spec.left_keys = {col("k"), col("b")};
    spec.right_keys = {col("k"), col("b")};
    HashJoin join(source(l), source(r, 50), spec);
    EXPECT_EQ(join.schema().size(), 12u);
    EXPECT_EQ(join.schema()[6].name, "i_right");
    Table got = collect(join);
    Table want = empty_table(join.schema());
    for (size_t a = 0; a < l.rows(); a++) {
      bool matched = false;
      for (size_t b = 0; b < r.rows(); b++) {
        auto k1 = get_i(l.col("k"), a), k2 = get_i(r.col("k"), b);
        auto b1 = get_i(l.col("b"), a), b2 = get_i(r.col("b"), b);
        if (k1 && k2 && b1 && b2 && *k1 == *k2 && *b1 == *b2) {
          matched = true;
          Table row = take(l, {int64_t(a)});
          for (auto& c : take(r, {int64_t(b)}).columns) row.columns.push_back(c);
          append_table(want, row);
        }
      }
      if (!matched && jt == JoinType::Left) {
        Table row = take(l, {int64_t(a)});
        for (auto& c : take(r, {kNullRow}).columns) row.columns.push_back(c);
        append_table(want, row);
      }
    }
    EXPECT_EQ(rows_of(got), rows_of(want));
    EXPECT_GT(got.rows(), 0u);
  }
  // int key joined with a double key compares numerically.
  Table a, b;
  a.columns.emplace_back(field("id", Type::Int32));
  b.columns.emplace_back(field("id", Type::Double));
  for (int i = 0; i < 10; i++) a.columns[0].push<int32_t>(i);
  for (int i = 0; i < 10; i++) b.columns[0].push<double>(i * 0.5);
  JoinSpec s;
  s.left_keys = {col("id")};
  s.right_keys = {col("id")};
  s.left_prefix = "a.";
  s.right_prefix = "b.";
  HashJoin j(source(a), source(b), s);
  EXPECT_EQ(j.schema()[1].name, "b.id");
  EXPECT_EQ(collect(j).rows(), 5u);  // 0..4
}

TEST(Operators, EmptyInputsKeepSchema) {
  Table t = empty_table(schema_of(random_table(1, 18)));
  Table s = collect(*std::make_unique<Sort>(source(t), std::vector<SortKey>{{col("x"), false, {}}}));
  EXPECT_EQ(s.rows(), 0u);
  EXPECT_EQ(s.columns.size(), 6u);
}

}  // namespace
