// A hash join whose keys match many rows each must not build its whole product at once: it
// emits bounded batches, charges them to the query's budget and checks the deadline between them.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "engine/join.h"
#include "engine/query_context.h"
#include "test_util.h"

using namespace astrolake::engine;
using namespace astrolake::engine::testing;
using astrolake::parquet::Type;

namespace {

// `rows` rows with id 0..rows-1 and the same key everywhere: every left row matches every right row.
Table one_key(size_t rows) {
  Table t;
  t.columns.emplace_back(field("id", Type::Int64));
  t.columns.emplace_back(field("k", Type::Int64));
  for (size_t i = 0; i < rows; i++) {
    t.columns[0].push<int64_t>(int64_t(i));
    t.columns[1].push<int64_t>(7);
  }
  return t;
}

JoinSpec on_k() {
  JoinSpec s;
  s.left_keys = {col("k")};
  s.right_keys = {col("k")};
  return s;
}

TEST(JoinLimits, ManyToManyJoinEmitsBoundedBatchesWithEveryPairOnce) {
  Table l = one_key(1000), r = one_key(300);
  // The whole left side in one batch: 300,000 output rows from a single probe batch.
  HashJoin join(std::make_unique<TableSource>(l, l.rows()), std::make_unique<TableSource>(r), on_k());
  std::set<int64_t> pairs;
  size_t batches = 0;
  while (auto b = join.next()) {
    batches++;
    ASSERT_LE(b->rows(), 65536u);
    for (size_t i = 0; i < b->rows(); i++)
      pairs.insert(*get_i(b->columns[0], i) * 1000 + *get_i(b->columns[2], i));
  }
  EXPECT_EQ(pairs.size(), 300000u);
  EXPECT_GE(batches, 5u);
}

TEST(JoinLimits, DeadlineIsCheckedBetweenBatchesOfOneProbe) {
  Table l = one_key(1000), r = one_key(300);
  QueryContext ctx;
  ctx.set_time_limit(0.05);
  HashJoin join(std::make_unique<TableSource>(l, l.rows()), std::make_unique<TableSource>(r), on_k(), &ctx);
  ASSERT_TRUE(join.next());
  std::this_thread::sleep_for(std::chrono::milliseconds(80));  // a slow consumer
  try {
    join.next();
    FAIL() << "no time limit error";
  } catch (const QueryError& e) {
    EXPECT_NE(std::string(e.what()).find("time limit"), std::string::npos) << e.what();
  }
}

TEST(JoinLimits, OutputBatchesAreChargedToTheBudget) {
  Table l = one_key(1000), r = one_key(300);
  QueryContext ctx;
  // Room for both inputs, not for a 65536-row output batch (~3 MiB).
  ctx.set_memory_budget(1 << 20);
  HashJoin join(std::make_unique<TableSource>(l, l.rows()), std::make_unique<TableSource>(r), on_k(), &ctx);
  try {
    join.next();
    FAIL() << "no budget error";
  } catch (const QueryError& e) {
    EXPECT_EQ(std::string(e.what()), "query exceeded memory budget of 1 MiB");
  }
  ctx.set_memory_budget(16 << 20);
  HashJoin roomy(std::make_unique<TableSource>(l, l.rows()), std::make_unique<TableSource>(r), on_k(), &ctx);
  size_t rows = 0;
  while (auto b = roomy.next()) rows += b->rows();
  EXPECT_EQ(rows, 300000u);
}

}  // namespace
