// The GROUP BY fast path (key evaluated into a reused buffer, groups found through a direct
// array or a hash map by value) against the generic path (the key evaluated as a fresh column,
// groups found by encoded key): the same groups in the same order, the same sums bit for bit.
#include "engine/group_key.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "engine/aggregate.h"
#include "test_util.h"

using namespace astrolake::engine;
using namespace astrolake::engine::testing;
using astrolake::parquet::Column;
using astrolake::parquet::Table;
using astrolake::parquet::Type;

namespace {
uint64_t bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

// Consumes t in uneven slices into two aggregators and merges them, as the parallel executor
// does per partition.
Table run(const Table& t, std::vector<NamedExpr> keys) {
  std::vector<AggSpec> aggs = {{AggFunc::CountStar, nullptr, false, "n"},
                               {AggFunc::Sum, col("x"), false, "sx"},
                               {AggFunc::Avg, col("x"), false, "ax"},
                               {AggFunc::Sum, col("i"), false, "si"}};
  HashAggregator one(schema_of(t), keys, aggs), other(schema_of(t), keys, aggs);
  size_t n = t.rows(), cut = n / 3;
  for (size_t at = 0, step = 1; at < cut; at += step, step = step * 2 + 7) one.consume(slice(t, at, std::min(step, cut - at)));
  for (size_t at = cut; at < n; at += 999) other.consume(slice(t, at, std::min<size_t>(999, n - at)));
  one.merge(other);
  return one.finish();
}
}  // namespace

TEST(GroupKey, FastKeysGiveTheGenericGroupsBitForBit) {
  Table t = random_table(12000, 23);
  double* x = t.columns[2].values_as<double>();
  // Keys of floor(x): integers in a small range, and also -0.0, NaNs of several bit patterns,
  // infinities and integers beyond 2^53 (which the direct array does not serve).
  const double odd[] = {-0.0, 0.0, std::nan(""), -std::nan(""), std::nan("3"), INFINITY, -INFINITY, 1e17, -3e300, -0.5};
  for (size_t r = 0; r < 12000; r += 7) x[r] = odd[r % 10];
  int64_t* j = t.columns[1].values_as<int64_t>();
  j[11999] = INT64_MIN;  // far from every other key: stays in the hash map
  j[5] = INT64_MAX;
  // j / 100: a range too wide for the array at first (hash map), then wide enough once there
  // are more groups (the hash entries move into the array); j / 1: mostly the hash map.
  const std::vector<ExprPtr> keys = {
      call("FLOOR", {col("x")}), call("floor", {col("x")}), binary(BinOp::Div, col("j"), lit_int(100)),
      binary(BinOp::Div, col("j"), lit_int(100000)), binary(BinOp::Div, col("j"), lit_int(1)),
      binary(BinOp::Div, col("i"), lit_int(-7)), col("k"), col("i"), col("j"), col("x"), col("b")};
  for (const ExprPtr& k : keys) {
    SCOPED_TRACE(k->to_string());
    Table a = run(t, {{k, "key"}});
    // The generic path: a second, constant key makes the aggregator encode keys.
    Table b = run(t, {{k, "key"}, {lit_int(0), "z"}});
    ASSERT_EQ(a.rows(), b.rows());
    ASSERT_GE(a.rows(), 3u);
    const Column &ka = a.columns[0], &kb = b.columns[0];
    EXPECT_EQ(ka.field.type, kb.field.type);
    for (size_t r = 0; r < a.rows(); r++) {
      ASSERT_EQ(ka.is_null(r), kb.is_null(r)) << r;
      if (!ka.is_null(r)) {
        if (astrolake::parquet::is_floating(ka.field.type)) EXPECT_EQ(bits(ka.as_double(r)), bits(kb.as_double(r))) << r;
        else EXPECT_EQ(value_at(ka, r).i, value_at(kb, r).i) << r;
      }
      EXPECT_EQ(get_i(a.col("n"), r), get_i(b.col("n"), r)) << r;
      EXPECT_EQ(get_i(a.col("si"), r), get_i(b.col("si"), r)) << r;
      ASSERT_EQ(a.col("sx").is_null(r), b.col("sx").is_null(r)) << r;
      if (!a.col("sx").is_null(r)) {
        EXPECT_EQ(bits(a.col("sx").as_double(r)), bits(b.col("sx").as_double(r))) << r;
        EXPECT_EQ(bits(a.col("ax").as_double(r)), bits(b.col("ax").as_double(r))) << r;
      }
    }
  }
}

TEST(GroupKey, EvaluateKeyFastEqualsEvaluate) {
  Table t = random_table(3000, 5);
  Column buf;
  for (const ExprPtr& k : {call("floor", {col("x")}), binary(BinOp::Div, col("j"), lit_int(37)),
                           binary(BinOp::Div, col("i"), lit_int(-3)), col("k")}) {
    SCOPED_TRACE(k->to_string());
    for (size_t at : {0, 1000}) {  // twice into the same buffer
      Table s = slice(t, at, 2000 - at);
      const Column* fast = evaluate_key_fast(*k, s, buf);
      ASSERT_NE(fast, nullptr);
      Column slow = evaluate(*k, s);
      ASSERT_EQ(fast->field.type, slow.field.type);
      ASSERT_EQ(fast->rows(), slow.rows());
      for (size_t r = 0; r < slow.rows(); r++) {
        ASSERT_EQ(fast->is_null(r), slow.is_null(r)) << r;
        if (!slow.is_null(r)) {
          EXPECT_EQ(std::memcmp(fast->data.data() + 8 * r, slow.data.data() + 8 * r, 8), 0) << r;
        }
      }
    }
  }
  // Shapes it does not serve go the usual way.
  EXPECT_EQ(evaluate_key_fast(*binary(BinOp::Div, col("j"), lit_int(-1)), t, buf), nullptr);
  EXPECT_EQ(evaluate_key_fast(*binary(BinOp::Div, col("j"), lit_int(0)), t, buf), nullptr);
  EXPECT_EQ(evaluate_key_fast(*binary(BinOp::Div, col("x"), lit_int(2)), t, buf), nullptr);
  EXPECT_EQ(evaluate_key_fast(*call("floor", {col("j")}), t, buf), nullptr);
  EXPECT_EQ(evaluate_key_fast(*col("nope"), t, buf), nullptr);
}

TEST(GroupKey, KeysMoveFromTheHashMapIntoTheDirectArray) {
  // First batches: keys 100000 apart (too wide for the array: hash map); later batches bring
  // enough groups for the array to cover them, and the keys in its range move into it. A key
  // keeps its group throughout.
  FixedKeyIndex index(Type::Int64, 8);
  std::vector<int64_t> groups_of_key(100001, -1);
  size_t groups = 0;
  std::vector<size_t> gid;
  auto feed = [&](std::vector<int64_t> keys) {
    Column c(field("k", Type::Int64));
    for (int64_t k : keys) c.push<int64_t>(k);
    index.assign(c, keys.size(), groups, gid, [&](size_t) { return groups++; },
                 [](size_t) -> size_t { throw std::logic_error("no NULLs here"); });
    for (size_t r = 0; r < keys.size(); r++) {
      int64_t& g = groups_of_key[size_t(keys[r])];
      if (g < 0) g = int64_t(gid[r]);
      ASSERT_EQ(size_t(g), gid[r]) << keys[r];
    }
  };
  feed({0, 100000, 0});
  EXPECT_EQ(index.bytes(), 2u * 48);  // both in the hash map
  for (int64_t at = 0; at < 100000; at += 5000) {
    std::vector<int64_t> keys;
    for (int64_t k = at; k < at + 5000; k += 7) keys.push_back(k);
    keys.push_back(100000);
    feed(keys);
  }
  // The array covers the range of the batch that widened it (up to 100000); keys below stay
  // in the hash map until a batch reaches down to them.
  EXPECT_LT(index.bytes(), groups * 48);
  feed({0, 100000, 7, 99995});
  EXPECT_EQ(index.bytes(), 100001u * 4);  // all in the array, the hash map empty
  size_t distinct = 0;
  for (int64_t g : groups_of_key) distinct += g >= 0;
  EXPECT_EQ(groups, distinct);
}
