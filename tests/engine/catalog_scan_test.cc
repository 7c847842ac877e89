// CatalogScan over a real HATS fixture, checked against Catalog::read_partition.
#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "engine/scan.h"
#include "test_util.h"

using namespace astrolake::engine;
using namespace astrolake::engine::testing;

namespace {

std::shared_ptr<const astrolake::catalog::Catalog> small_sky_order1() {
  return std::make_shared<const astrolake::catalog::Catalog>(astrolake::catalog::Catalog::open(
      std::string(AL_TEST_DATA) + "/hats/small_sky_order1_collection/small_sky_order1"));
}

TEST(CatalogScan, FixtureFilterMatchesReadPartition) {
  auto cat = small_sky_order1();
  auto src = catalog_source(cat);
  auto pred = and_(binary(BinOp::Gt, col("dec"), lit_double(-40)), binary(BinOp::Le, col("ra"), lit_int(300)));
  ScanOptions opts;
  opts.columns = {"id", "ra", "dec"};
  opts.predicates = extract_predicates(*pred);
  Pipeline pipe = [pred](OperatorPtr s) -> OperatorPtr { return std::make_unique<Filter>(std::move(s), pred); };
  Table got = collect(*std::make_unique<CatalogScan>(src, opts, nullptr, pipe));
  // Brute force over every partition read whole.
  std::multiset<int64_t> want, have;
  int64_t total = 0;
  for (size_t p = 0; p < cat->partitions().size(); p++) {
    Table t = cat->read_partition(p, {"id", "ra", "dec"});
    total += int64_t(t.rows());
    for (size_t r = 0; r < t.rows(); r++)
      if (t.col("dec").as_double(r) > -40 && t.col("ra").as_double(r) <= 300) want.insert(*get_i(t.col("id"), r));
  }
  EXPECT_EQ(total, 131);
  for (size_t r = 0; r < got.rows(); r++) have.insert(*get_i(got.col("id"), r));
  EXPECT_EQ(have, want);
  EXPECT_GT(want.size(), 0u);

  ScanOptions all;
  ScanEstimate e = estimate_scan(*src, all);
  EXPECT_EQ(e.partitions, cat->partitions().size());
  EXPECT_EQ(e.rows, 131);
  EXPECT_GT(e.bytes, 0);
  // A predicate no row satisfies prunes every row group by statistics.
  ScanOptions none;
  none.predicates = {{"dec", BinOp::Gt, Value::Double(89.9)}};
  ScanEstimate n = estimate_scan(*src, none);
  EXPECT_EQ(n.row_groups, 0u);
  EXPECT_EQ(n.rows, 0);
  EXPECT_EQ(collect(*std::make_unique<CatalogScan>(src, none)).rows(), 0u);
}

TEST(CatalogScan, PartitionFilterPlugsIn) {
  auto cat = small_sky_order1();
  ScanOptions opts;
  opts.columns = {"id"};
  const auto& first = cat->partitions().front();
  opts.partition_filter = [&](const astrolake::catalog::Partition& p) { return p.pixel == first.pixel; };
  Table got = collect(*std::make_unique<CatalogScan>(catalog_source(cat), opts));
  EXPECT_EQ(got.rows(), cat->read_partition(0, {"id"}).rows());
}

}  // namespace
