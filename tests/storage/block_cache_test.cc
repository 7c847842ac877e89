#include "storage/block_cache.h"

#include <gtest/gtest.h>

using namespace astrolake::storage;

namespace {
Bytes bytes(size_t n, char c) { return std::make_shared<const std::string>(n, c); }
}  // namespace

TEST(BlockCache, FindsARangeInsideABlockOfTheSameObject) {
  BlockCache c(1000);
  c.insert("a", 100, bytes(50, 'x'));
  uint64_t at = 0;
  ASSERT_NE(c.find("a", 120, 30, at), nullptr);
  EXPECT_EQ(at, 100u);
  EXPECT_EQ(c.find("a", 120, 31, at), nullptr);  // runs past the block
  EXPECT_EQ(c.find("a", 99, 2, at), nullptr);    // starts before it
  EXPECT_EQ(c.find("b", 120, 10, at), nullptr);  // another object
  EXPECT_EQ(c.hits(), 1u);
  EXPECT_EQ(c.misses(), 3u);
}

TEST(BlockCache, DropsTheLeastRecentlyUsedBeyondItsBudget) {
  BlockCache c(300);
  c.insert("a", 0, bytes(100, 'a'));
  c.insert("b", 0, bytes(100, 'b'));
  c.insert("c", 0, bytes(100, 'c'));
  uint64_t at = 0;
  ASSERT_NE(c.find("a", 0, 1, at), nullptr);  // a is now the most recently used
  c.insert("d", 0, bytes(100, 'd'));          // pushes out b
  EXPECT_EQ(c.size(), 300u);
  EXPECT_EQ(c.find("b", 0, 1, at), nullptr);
  EXPECT_NE(c.find("a", 0, 1, at), nullptr);
  EXPECT_NE(c.find("d", 0, 1, at), nullptr);
  c.insert("e", 0, bytes(301, 'e'));  // larger than the whole budget: not kept
  EXPECT_EQ(c.find("e", 0, 1, at), nullptr);
  EXPECT_EQ(c.size(), 300u);
}

TEST(BlockCache, ZeroBudgetKeepsNothing) {
  BlockCache c(0);
  c.insert("a", 0, bytes(1, 'a'));
  uint64_t at = 0;
  EXPECT_EQ(c.find("a", 0, 1, at), nullptr);
  EXPECT_EQ(c.size(), 0u);
}
