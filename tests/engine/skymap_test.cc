// Sky maps: counts equal the hats-written skymap.fits of the fixtures; aggregates equal a
// brute-force pass over the generated points; FITS and PNG files are well formed.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>

#include "catalog/skymap.h"
#include "engine/skymap.h"
#include "sky/healpix.h"
#include "spatial_test_util.h"

using namespace astrolake;
using namespace astrolake::engine;
using namespace spatial_test;

namespace {

TEST(Skymap, CountsEqualHatsSkymapFixtures) {
  for (std::string rel : {"small_sky", "small_sky_source", "small_sky_order1_source_collection/small_sky_order1_source"}) {
    catalog::Skymap want = catalog::read_skymap_fits(fixture(rel + "/skymap.fits"));
    auto c = catalog::Catalog::open(fixture(rel), {false, ""});
    SkymapOptions o;
    o.order = want.order;
    o.progress = 0;
    SkymapResult got = compute_skymap(c, o);
    ASSERT_EQ(got.counts.size(), want.counts.size()) << rel;
    EXPECT_EQ(got.counts, want.counts) << rel;
    EXPECT_EQ(got.rows, c.rows()) << rel;
  }
}

TEST(Skymap, AggregatesMatchBruteForce) {
  TempDir tmp;
  Points p = make_points(6000, 3);
  auto c = catalog::Catalog::open(make_catalog(tmp.path, "agg", p, 400));
  int order = 4;
  std::map<int64_t, std::vector<double>> by_pix;
  for (size_t i = 0; i < p.ra.size(); i++) by_pix[sky::ang2pix(order, p.ra[i], p.dec[i])].push_back(p.mag[i]);
  for (SkymapAgg a : {SkymapAgg::Count, SkymapAgg::Sum, SkymapAgg::Mean, SkymapAgg::Min, SkymapAgg::Max}) {
    SkymapOptions o;
    o.order = order;
    o.agg = a;
    o.column = a == SkymapAgg::Count ? "" : "mag";
    o.progress = 0;
    SkymapResult m = compute_skymap(c, o);
    for (size_t px = 0; px < m.values.size(); px++) {
      auto it = by_pix.find(int64_t(px));
      if (it == by_pix.end()) {
        double empty = (a == SkymapAgg::Count || a == SkymapAgg::Sum) ? 0.0 : kHealpixUnseen;
        ASSERT_EQ(m.values[px], empty) << skymap_agg_name(a) << " pixel " << px;
        continue;
      }
      const auto& v = it->second;
      double want = 0;
      if (a == SkymapAgg::Count) want = double(v.size());
      if (a == SkymapAgg::Sum || a == SkymapAgg::Mean) for (double x : v) want += x;
      if (a == SkymapAgg::Mean) want /= double(v.size());
      if (a == SkymapAgg::Min) want = *std::min_element(v.begin(), v.end());
      if (a == SkymapAgg::Max) want = *std::max_element(v.begin(), v.end());
      ASSERT_NEAR(m.values[px], want, 1e-9 * std::max(1.0, std::fabs(want))) << skymap_agg_name(a) << " pixel " << px;
    }
  }
}

// Counts come from the stored _healpix_29 (shifted), not from ra/dec: they must equal
// ang2pix on the original coordinates at every order, including the finest.
TEST(Skymap, CountsFromHealpixColumnEqualAng2pix) {
  TempDir tmp;
  Points p = make_points(8000, 17);
  auto c = catalog::Catalog::open(make_catalog(tmp.path, "cnt", p, 500));
  ASSERT_EQ(c.healpix_column(), "_healpix_29");
  for (int order : {0, 3, 7, kSkymapMaxOrder}) {
    std::vector<int64_t> want(size_t(12) << (2 * order), 0);
    for (size_t i = 0; i < p.ra.size(); i++) want[size_t(sky::ang2pix(order, p.ra[i], p.dec[i]))]++;
    SkymapOptions o;
    o.order = order;
    o.progress = 0;
    SkymapResult m = compute_skymap(c, o);
    EXPECT_EQ(m.counts, want) << "order " << order;
    EXPECT_EQ(m.rows, int64_t(p.ra.size())) << "order " << order;
  }
}

TEST(Skymap, FitsRoundTripAndPng) {
  TempDir tmp;
  auto c = catalog::Catalog::open(fixture("small_sky_source"), {false, ""});
  SkymapOptions o;
  o.order = 3;
  o.progress = 0;
  SkymapResult m = compute_skymap(c, o);
  std::string fits = tmp.path + "/m.fits", png = tmp.path + "/m.png";
  write_skymap_fits_double(fits, m.order, m.values, "COUNT");
  catalog::Skymap back = catalog::read_skymap_fits(fits);
  EXPECT_EQ(back.order, 3);
  EXPECT_EQ(back.ordering, "NESTED");
  EXPECT_EQ(back.counts, m.counts);
  write_mollweide_png(png, m, "small_sky_source: count per pixel", 400);
  std::ifstream f(png, std::ios::binary);
  char sig[8] = {0};
  f.read(sig, 8);
  EXPECT_EQ(std::string(sig + 1, 3), "PNG");
  EXPECT_FALSE(std::filesystem::exists(png + ".tmp-" + std::to_string(getpid())));
}

TEST(Skymap, BadInput) {
  auto c = catalog::Catalog::open(fixture("small_sky"), {false, ""});
  std::string col;
  EXPECT_EQ(parse_skymap_agg("mean:ra", col), SkymapAgg::Mean);
  EXPECT_EQ(col, "ra");
  EXPECT_THROW(parse_skymap_agg("median:ra", col), std::invalid_argument);
  EXPECT_THROW(parse_skymap_agg("sum", col), std::invalid_argument);
  SkymapOptions o;
  o.order = 30;
  EXPECT_THROW(compute_skymap(c, o), std::invalid_argument);
  o.order = 2;
  o.agg = SkymapAgg::Sum;
  o.column = "nope";
  EXPECT_THROW(compute_skymap(c, o), std::invalid_argument);
}

}  // namespace
