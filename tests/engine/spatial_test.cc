// Cone, box and polygon search: brute force on generated catalogs (RA wrap, poles, a base
// pixel corner, many partitions), the LSDB facts on the HATS fixtures, and input errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "engine/column_ops.h"
#include "engine/spatial_search.h"
#include "parquet/reader.h"
#include "spatial_test_util.h"

using namespace astrolake;
using namespace astrolake::engine;
using namespace spatial_test;

namespace {

std::set<int64_t> search_ids(const catalog::Catalog& c, const Region& r, const std::string& id_col = "id",
                             SearchStats* stats = nullptr) {
  SearchOptions o;
  o.columns = {id_col};
  o.progress = 0;
  o.threads = 2;
  std::set<int64_t> ids;
  size_t rows = 0;
  SearchStats st = spatial_search(c, r, o, [&](parquet::Table&& t) {
    EXPECT_EQ(t.columns.size(), 1u);
    std::vector<int64_t> v = column_i64(t.columns[0]);
    rows += v.size();
    ids.insert(v.begin(), v.end());
  });
  EXPECT_EQ(rows, ids.size()) << "duplicate rows";
  if (stats) *stats = st;
  return ids;
}

// Independent membership tests (not Region::contains).
bool in_cone(double ra, double dec, double ra0, double dec0, double r_deg) {
  return sky::separation_deg(ra, dec, ra0, dec0) <= r_deg;
}
bool in_box(double ra, double dec, double lo, double hi, double dlo, double dhi) {
  lo = sky::wrap_ra(lo);
  hi = sky::wrap_ra(hi);
  ra = sky::wrap_ra(ra);
  if (dec < dlo || dec > dhi) return false;
  if (lo == hi) return true;
  if (lo < hi) return ra >= lo && ra <= hi;
  return ra >= lo || ra <= hi;
}
// Inside a convex polygon iff on the same side of every edge plane as the vertex centroid.
bool in_polygon(double ra, double dec, const std::vector<double>& pra, const std::vector<double>& pdec) {
  size_t n = pra.size();
  sky::Vec3 c{0, 0, 0};
  std::vector<sky::Vec3> v;
  for (size_t i = 0; i < n; i++) {
    v.push_back(sky::to_vec(pra[i], pdec[i]));
    c = {c.x + v.back().x, c.y + v.back().y, c.z + v.back().z};
  }
  sky::Vec3 p = sky::to_vec(ra, dec);
  for (size_t i = 0; i < n; i++) {
    const sky::Vec3 &a = v[i], &b = v[(i + 1) % n];
    sky::Vec3 nrm{a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
    double sc = nrm.x * c.x + nrm.y * c.y + nrm.z * c.z;
    double sp = nrm.x * p.x + nrm.y * p.y + nrm.z * p.z;
    if (sp * sc < 0) return false;
  }
  return true;
}

class SpatialGenerated : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp = new TempDir;
    pts = new Points(make_points(20000, 42));
    dir = make_catalog(tmp->path, "gen", *pts, 600);
  }
  static void TearDownTestSuite() {
    delete tmp;
    delete pts;
  }
  template <class F>
  static std::set<int64_t> brute(F&& inside) {
    std::set<int64_t> s;
    for (size_t i = 0; i < pts->ra.size(); i++)
      if (inside(pts->ra[i], pts->dec[i])) s.insert(pts->id[i]);
    return s;
  }
  static TempDir* tmp;
  static Points* pts;
  static std::string dir;
};
TempDir* SpatialGenerated::tmp;
Points* SpatialGenerated::pts;
std::string SpatialGenerated::dir;

TEST_F(SpatialGenerated, CatalogHasManyPartitions) {
  auto c = catalog::Catalog::open(dir);
  EXPECT_GT(c.partitions().size(), 20u);
  EXPECT_EQ(c.rows(), 20000);
}

TEST_F(SpatialGenerated, ConesMatchBruteForce) {
  auto c = catalog::Catalog::open(dir);
  struct Q { double ra, dec, r; };
  std::vector<Q> qs = {{0, 10, 1.0},       {359.5, 10.5, 0.7}, {0.2, 9, 2.5},    {180, 90, 1.5},
                       {17, -90, 2.2},     {45, 41.81, 0.6},   {45, 41.81, 0.05}, {200, -89.5, 1.0},
                       {-0.5, 10, 1.0},    {720.3, 10, 0.4},   {100, 0, 30},     {0, 0, 100},
                       {0, 10, 0},         {300, 40, 179.9}};
  for (const Q& q : qs) {
    SearchStats st;
    auto got = search_ids(c, Region::cone(q.ra, q.dec, q.r), "id", &st);
    auto want = brute([&](double ra, double dec) { return in_cone(ra, dec, q.ra, q.dec, q.r); });
    EXPECT_EQ(got, want) << "cone " << q.ra << "," << q.dec << " r=" << q.r;
    if (q.r < 1) {
      EXPECT_LT(st.partitions_read, st.partitions) << "cone " << q.ra << "," << q.dec;
    }
  }
}

// Partitions of up to 200K rows (clusters of 40K) hold several 32Ki-row row groups, so the search narrows
// rows inside a group by the sorted _healpix_29 column and skips groups with no candidate.
// Small cones centred on catalog rows (and beside them) must still equal brute force.
TEST(SpatialRowGroups, SmallConesInLargePartitionsMatchBruteForce) {
  TempDir tmp;
  Points p = make_points(200000, 7);
  auto c = catalog::Catalog::open(make_catalog(tmp.path, "rg", p, 200000));
  int multi = 0;
  for (const auto& part : c.partitions())
    for (const std::string& f : part.files) multi += c.file_reader(f)->row_groups() > 1;
  ASSERT_GT(multi, 0) << "no partition has several row groups; the test would not exercise them";
  std::mt19937_64 rng(3);
  for (int k = 0; k < 200; k++) {
    size_t i = size_t(rng() % p.ra.size());
    double r = (k % 4 == 0) ? 1.0 / 3600 : (k % 4 == 1) ? 10.0 / 3600 : (k % 4 == 2) ? 0.05 : 0.5;
    double ra0 = p.ra[i] + (k % 3 == 0 ? r * 0.7 : 0.0);
    double dec0 = std::max(-90.0, std::min(90.0, p.dec[i] - (k % 5 == 0 ? r * 0.5 : 0.0)));
    SearchStats st;
    auto got = search_ids(c, Region::cone(ra0, dec0, r), "id", &st);
    std::set<int64_t> want;
    for (size_t j = 0; j < p.ra.size(); j++)
      if (in_cone(p.ra[j], p.dec[j], ra0, dec0, r)) want.insert(p.id[j]);
    ASSERT_EQ(got, want) << "cone " << ra0 << "," << dec0 << " r=" << r;
    if (r < 0.01) {
      EXPECT_LT(st.rows_scanned, 1000) << "cone " << ra0 << "," << dec0 << " r=" << r;
    }
  }
}

TEST_F(SpatialGenerated, ConeOnAPointIsInclusive) {
  auto c = catalog::Catalog::open(dir);
  auto got = search_ids(c, Region::cone(pts->ra[7], pts->dec[7], 0));
  EXPECT_TRUE(got.count(pts->id[7]));
}

TEST_F(SpatialGenerated, BoxesMatchBruteForce) {
  auto c = catalog::Catalog::open(dir);
  struct Q { double lo, hi, dlo, dhi; };
  std::vector<Q> qs = {{358, 2, 8, 12},   {-2, 2, 8, 12},    {358, 362, 8, 12}, {0, 0, 85, 90},
                       {0, 360, -90, -88}, {100, 100, -1, 1}, {10, 350, -90, 90}, {350, 10, -90, 90},
                       {44, 46, 41, 42.5}, {30, 60, 30, 50},  {359.9, 0.1, -90, 90}, {0, 1, 89, 90}};
  for (const Q& q : qs) {
    auto got = search_ids(c, Region::box(q.lo, q.hi, q.dlo, q.dhi));
    auto want = brute([&](double ra, double dec) { return in_box(ra, dec, q.lo, q.hi, q.dlo, q.dhi); });
    EXPECT_EQ(got, want) << "box " << q.lo << "," << q.hi << " dec " << q.dlo << "," << q.dhi;
    EXPECT_FALSE(want.empty() && q.dhi - q.dlo > 3) << "test box should hold rows";
  }
}

TEST_F(SpatialGenerated, PolygonsMatchBruteForce) {
  auto c = catalog::Catalog::open(dir);
  std::vector<std::pair<std::vector<double>, std::vector<double>>> qs = {
      {{358, 2, 2, 358}, {8, 8, 12, 12}},                 // across RA 0
      {{0, 90, 180, 270}, {87, 87, 87, 87}},              // around the north pole
      {{10, 130, 250}, {-88, -88, -88}},                  // around the south pole, 3 vertices
      {{358, 358, 2, 2}, {8, 12, 12, 8}},                 // clockwise winding
      {{44, 46.5, 45.5, 43.8}, {41, 41.2, 42.6, 42.4}},   // over a base-pixel corner
  };
  for (const auto& [ra, dec] : qs) {
    auto got = search_ids(c, Region::polygon(ra, dec));
    auto want = brute([&](double r, double d) { return in_polygon(r, d, ra, dec); });
    EXPECT_EQ(got, want) << "polygon starting " << ra[0] << "," << dec[0];
    EXPECT_FALSE(want.empty());
  }
}

TEST_F(SpatialGenerated, ColumnsAreProjectedInOrder) {
  auto c = catalog::Catalog::open(dir);
  SearchOptions o;
  o.columns = {"mag", "id"};
  o.progress = 0;
  size_t rows = 0;
  spatial_search(c, Region::cone(0, 10, 1), o, [&](parquet::Table&& t) {
    ASSERT_EQ(t.columns.size(), 2u);
    EXPECT_EQ(t.columns[0].field.name, "mag");
    EXPECT_EQ(t.columns[1].field.name, "id");
    rows += t.rows();
  });
  EXPECT_GT(rows, 0u);
  o.columns = {"nope"};
  EXPECT_THROW(spatial_search(c, Region::cone(0, 10, 1), o, [](parquet::Table&&) {}), std::invalid_argument);
}

// --- Fixtures: facts from EXPECTED.md sections 3-5 ---------------------------------------
std::string order1() { return fixture("small_sky_order1_collection/small_sky_order1"); }

TEST(SpatialFixtures, BoxCounts) {
  auto c = catalog::Catalog::open(order1(), {false, ""});
  EXPECT_EQ(search_ids(c, Region::box(280, 300, -90, 90)).size(), 34u);
  EXPECT_EQ(search_ids(c, Region::box(300, 280, -90, 90)).size(), 97u);
  EXPECT_EQ(search_ids(c, Region::box(0, 360, -80, -30)).size(), 120u);
  EXPECT_EQ(search_ids(c, Region::box(280, 300, -80, -30)).size(), 33u);
  EXPECT_EQ(search_ids(c, Region::box(280, 300, -40, -30)).size(), 8u);
  auto a = search_ids(c, Region::box(330, 30, -90, 90));
  EXPECT_EQ(a.size(), 31u);
  EXPECT_EQ(search_ids(c, Region::box(-30, 30, -90, 90)), a);
  EXPECT_EQ(search_ids(c, Region::box(330, 390, -90, 90)), a);
  EXPECT_EQ(search_ids(c, Region::box(330, -330, -90, 90)), a);
  EXPECT_EQ(search_ids(c, Region::box(0, 0, -90, 90)).size(), 131u);
  EXPECT_EQ(search_ids(c, Region::box(0, 360, -90, 90)).size(), 131u);
  EXPECT_EQ(search_ids(c, Region::box(360, 0, -90, 90)).size(), 131u);
  EXPECT_EQ(search_ids(c, Region::box(300, 320, -40, -10)).size(), 25u);
}

TEST(SpatialFixtures, ConeCounts) {
  auto c = catalog::Catalog::open(order1(), {false, ""});
  EXPECT_EQ(search_ids(c, Region::cone(0, -80, 20)).size(), 16u);
  EXPECT_EQ(search_ids(c, Region::cone(0, -80, 0.2)).size(), 0u);
  EXPECT_EQ(search_ids(c, Region::cone(20, 80, 20)).size(), 0u);
}

TEST(SpatialFixtures, ConeOnSourceMatchesLsdbFile) {
  auto c = catalog::Catalog::open(fixture("small_sky_order1_source_collection/small_sky_order1_source"), {false, ""});
  auto got = search_ids(c, Region::cone(-35, -55, 2), "source_id");
  std::ifstream f(fixture("raw/cone_search_expected/catalog.csv"));
  std::string line;
  std::getline(f, line);
  std::set<int64_t> want;
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::string h, id;
    std::getline(ss, h, ',');
    std::getline(ss, id, ',');
    want.insert(std::stoll(id));
  }
  EXPECT_EQ(want.size(), 152u);
  EXPECT_EQ(got, want);
}

TEST(SpatialFixtures, PolygonIds) {
  auto c = catalog::Catalog::open(order1(), {false, ""});
  auto got = search_ids(c, Region::polygon({300, 300, 272, 272}, {-50, -55, -55, -50}));
  EXPECT_EQ(got, (std::set<int64_t>{749, 774, 805}));
}

TEST(SpatialErrors, BadInputIsRejectedClearly) {
  auto msg = [](auto&& f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg([] { Region::cone(0, 91, 1); }).find("dec"), std::string::npos);
  EXPECT_NE(msg([] { Region::cone(0, -90.5, 1); }).find("dec"), std::string::npos);
  EXPECT_NE(msg([] { Region::cone(0, 0, -1); }).find("radius"), std::string::npos);
  EXPECT_NE(msg([] { Region::box(0, 10, 20, 10); }).find("dec"), std::string::npos);
  EXPECT_NE(msg([] { Region::polygon({0, 1}, {0, 1}); }).find("3 vertices"), std::string::npos);
  EXPECT_NE(msg([] { Region::polygon({0, 1, 1, 0}, {0, 0, 0, 1}); }).find("same point"), std::string::npos);
  EXPECT_NE(msg([] { Region::polygon({0, 10, 20}, {0, 0, 0}); }).find("great circle"), std::string::npos);
  EXPECT_NE(msg([] { Region::polygon({0, 10, 5, 10, 0}, {0, 0, 5, 10, 10}); }).find("convex"), std::string::npos);
  // RA outside [0, 360) is wrapped, not rejected.
  EXPECT_EQ(msg([] { Region::cone(-725, 0, 1); }), "no error");
}

TEST(SpatialRanges, PixelRangesMergeAndIntersect) {
  auto r = pixel_ranges(1, {44, 45, 47});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].lo, 44LL << 56);
  EXPECT_EQ(r[0].hi, 46LL << 56);
  EXPECT_TRUE(ranges_intersect(r, 45LL << 56, (45LL << 56) + 1));
  EXPECT_FALSE(ranges_intersect(r, 46LL << 56, 47LL << 56));
  EXPECT_TRUE(ranges_intersect(r, 0, 1LL << 62));
}

}  // namespace
