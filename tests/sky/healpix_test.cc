// HEALPix wrapper checks: pinned values, fixtures written by hats (cdshealpix), round trips,
// and region coverage against brute force with random points (poles and RA = 0 included).
#include "sky/healpix.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "sky/geometry.h"

using namespace astrolake::sky;

namespace {

// Uniform in [0,1) from the standardised mt19937_64 stream (no std distributions).
struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  double uniform() { return double(g() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  // A uniformly distributed point on the sphere.
  void sphere(double& ra, double& dec) {
    ra = uniform(0, 360);
    dec = std::asin(uniform(-1, 1)) / kDeg;
  }
};

// Point at angular distance `dist` (deg) from (ra, dec) along `bearing` (deg, east of north).
void destination(double ra, double dec, double bearing, double dist, double& ra2, double& dec2) {
  double p1 = dec * kDeg, l1 = ra * kDeg, t = bearing * kDeg, d = dist * kDeg;
  double sp2 = std::sin(p1) * std::cos(d) + std::cos(p1) * std::sin(d) * std::cos(t);
  sp2 = std::clamp(sp2, -1.0, 1.0);
  double p2 = std::asin(sp2);
  double l2 = l1 + std::atan2(std::sin(t) * std::sin(d) * std::cos(p1), std::cos(d) - std::sin(p1) * sp2);
  ra2 = wrap_ra(l2 / kDeg);
  dec2 = p2 / kDeg;
}

bool contains(const std::vector<int64_t>& sorted, int64_t p) {
  return std::binary_search(sorted.begin(), sorted.end(), p);
}

void expect_sorted_unique(const std::vector<int64_t>& v) {
  for (size_t i = 1; i < v.size(); ++i) ASSERT_LT(v[i - 1], v[i]);
}

}  // namespace

TEST(Healpix, PinnedValue) { EXPECT_EQ(healpix29(5, 5), 1370628467894962607LL); }

TEST(Healpix, MatchesHatsFixtures) {
  int checked = 0;
  for (const char* file : {"cone_search_expected_catalog.csv", "cone_search_expected_margin.csv"}) {
    std::ifstream in(std::string(AL_TEST_DATA) + "/sky/" + file);
    ASSERT_TRUE(in) << file;
    std::string line;
    std::getline(in, line);
    ASSERT_EQ(line.rfind("_healpix_29,source_id,source_ra,source_dec", 0), 0u) << line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      std::stringstream ss(line);
      std::string hp, id, ra, dec;
      std::getline(ss, hp, ',');
      std::getline(ss, id, ',');
      std::getline(ss, ra, ',');
      std::getline(ss, dec, ',');
      EXPECT_EQ(healpix29(std::stod(ra), std::stod(dec)), std::stoll(hp)) << file << ": " << line;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 257);  // EXPECTED.md: all 257 values in raw/cone_search_expected/*.csv
}

TEST(Healpix, OrdersNestConsistently) {
  Rng r(1);
  for (int i = 0; i < 20000; ++i) {
    double ra, dec;
    r.sphere(ra, dec);
    int64_t p29 = healpix29(ra, dec);
    for (int o : {0, 1, 5, 12, 20, 28}) ASSERT_EQ(ang2pix(o, ra, dec), to_lower_order(p29, 29, o)) << ra << " " << dec;
  }
  EXPECT_EQ(first_child(3, 0, 2), 48);
  EXPECT_EQ(to_lower_order(50, 2, 0), 3);
}

TEST(Healpix, WrapsAndPoles) {
  EXPECT_EQ(ang2pix(10, 360.0, 12.5), ang2pix(10, 0.0, 12.5));
  EXPECT_EQ(ang2pix(10, -0.5, 12.5), ang2pix(10, 359.5, 12.5));
  EXPECT_EQ(ang2pix(10, 725.0, -3.0), ang2pix(10, 5.0, -3.0));
  // Poles: the north pole lies in base pixels 0..3, the south in 8..11.
  int64_t n = ang2pix(0, 0, 90), s = ang2pix(0, 0, -90);
  EXPECT_TRUE(n >= 0 && n <= 3);
  EXPECT_TRUE(s >= 8 && s <= 11);
  EXPECT_GE(healpix29(123.0, -90.0), 0);
  EXPECT_THROW(ang2pix(5, 0, 90.0001), std::invalid_argument);
  EXPECT_THROW(ang2pix(5, 0, NAN), std::invalid_argument);
  EXPECT_THROW(ang2pix(5, INFINITY, 0), std::invalid_argument);
  EXPECT_THROW(ang2pix(30, 0, 0), std::invalid_argument);
  EXPECT_THROW(ang2pix(-1, 0, 0), std::invalid_argument);
}

TEST(Healpix, CentreRoundTrip) {
  Rng r(2);
  for (int o = 0; o <= 29; ++o) {
    int64_t npix = 12 * (int64_t(1) << (2 * o));
    for (int i = 0; i < 300; ++i) {
      int64_t p = int64_t(r.uniform() * double(npix));
      if (p >= npix) p = npix - 1;
      double ra, dec;
      pix2ang(o, p, ra, dec);
      ASSERT_TRUE(ra >= 0 && ra < 360 && dec >= -90 && dec <= 90);
      ASSERT_EQ(ang2pix(o, ra, dec), p) << "order " << o;
    }
  }
  double a, b;
  EXPECT_THROW(pix2ang(3, 12 * 64, a, b), std::invalid_argument);
}

TEST(Healpix, Neighbours) {
    for (int64_t p = 0; p < 12; ++p) {
    auto nb = neighbours(0, p);
    EXPECT_GE(nb.size(), 6u);  // at order 0 the base pixels meet 3 or 4 at a corner
    EXPECT_LE(nb.size(), 8u);
  }
  Rng r(3);
  for (int o : {2, 8, 16, 29}) {
    double size_deg = std::sqrt(pixel_area_deg2(o));
    for (int i = 0; i < 500; ++i) {
      double ra, dec;
      r.sphere(ra, dec);
      int64_t p = ang2pix(o, ra, dec);
      auto nb = neighbours(o, p);
      ASSERT_GE(nb.size(), 7u);
      double cra, cdec;
      pix2ang(o, p, cra, cdec);
      for (int64_t q : nb) {
        ASSERT_NE(q, p);
        double nra, ndec;
        pix2ang(o, q, nra, ndec);
        // Adjacent centres are about one pixel apart (up to ~2.2 in the distorted corners).
        ASSERT_LT(separation_deg(cra, cdec, nra, ndec), 2.5 * size_deg);
        auto back = neighbours(o, q);
        ASSERT_NE(std::find(back.begin(), back.end(), p), back.end()) << "not symmetric";
      }
    }
  }
}

TEST(Healpix, PixelArea) {
  EXPECT_NEAR(pixel_area_deg2(0) * 12, 41252.96124941927, 1e-6);
  EXPECT_NEAR(pixel_area_deg2(1), 41252.96124941927 / 48, 1e-9);
}

TEST(Healpix, DiscCoversEveryInsidePoint) {
  Rng r(4);
  for (int trial = 0; trial < 300; ++trial) {
    double ra, dec;
    r.sphere(ra, dec);
    if (trial % 10 == 0) dec = trial % 20 == 0 ? 90.0 : -90.0;     // centred on a pole
    if (trial % 10 == 1) ra = r.uniform() < 0.5 ? 0.0 : 359.999;    // on the RA seam
    if (trial % 10 == 2) dec = r.uniform(85, 90) * (r.uniform() < 0.5 ? 1 : -1);
    int order = int(r.uniform() * 12);
    double radius = std::exp(r.uniform(std::log(0.01), std::log(40.0)));
    auto pix = query_disc(order, ra, dec, radius);
    expect_sorted_unique(pix);
    for (int i = 0; i < 400; ++i) {
      double pra, pdec;
      // Half the samples hug the rim, where a non-inclusive query would fail.
      double d = i % 2 ? radius * std::sqrt(r.uniform()) : radius * (1 - 1e-9);
      destination(ra, dec, r.uniform(0, 360), d, pra, pdec);
      ASSERT_TRUE(contains(pix, ang2pix(order, pra, pdec)))
          << "disc (" << ra << "," << dec << ") r=" << radius << " order " << order << " point " << pra << "," << pdec;
    }
    // Not wildly over-inclusive: every pixel centre is within radius + 2 pixel sizes.
    double slack = 2.0 * std::sqrt(pixel_area_deg2(order)) * 1.5;
    for (int64_t p : pix) {
      double cra, cdec;
      pix2ang(order, p, cra, cdec);
      ASSERT_LT(separation_deg(ra, dec, cra, cdec), radius + slack);
    }
  }
  EXPECT_EQ(query_disc(1, 10, 10, 180).size(), 48u);
  EXPECT_THROW(query_disc(3, 0, 0, -1), std::invalid_argument);
  // Order 29: a 1 arcsec disc still covers its points.
  auto tiny = query_disc(29, 359.9999, -45, 1.0 / 3600);
  for (int i = 0; i < 200; ++i) {
    double pra, pdec;
    destination(359.9999, -45, r.uniform(0, 360), r.uniform() / 3600, pra, pdec);
    ASSERT_TRUE(contains(tiny, healpix29(pra, pdec)));
  }
}

TEST(Healpix, BoxCoversEveryInsidePoint) {
  Rng r(5);
  for (int trial = 0; trial < 400; ++trial) {
    double ra_min = r.uniform(0, 360);
    double width = trial % 5 == 0 ? r.uniform(0, 360) : std::exp(r.uniform(std::log(0.01), std::log(60.0)));
    double ra_max = ra_min + width;  // may exceed 360: wraps through 0
    if (trial % 7 == 0) ra_max = wrap_ra(ra_max);  // wrapping given as ra_min > ra_max
    if (trial % 11 == 0) { ra_min = 0; ra_max = 360; }
    double d0 = r.uniform(-90, 90), d1 = r.uniform(-90, 90);
    if (trial % 3 == 0) d1 = d0 + std::exp(r.uniform(std::log(0.01), std::log(20.0)));
    if (trial % 13 == 0) d1 = 90;
    if (trial % 17 == 0) d0 = -90;
    double dmin = std::clamp(std::min(d0, d1), -90.0, 90.0), dmax = std::clamp(std::max(d0, d1), -90.0, 90.0);
    int order = int(r.uniform() * 11);
    auto pix = query_box(order, ra_min, ra_max, dmin, dmax);
    expect_sorted_unique(pix);
    double w = (ra_max - ra_min >= 360) ? 360 : wrap_ra(ra_max) - wrap_ra(ra_min);
    if (w < 0) w += 360;
    for (int i = 0; i < 600; ++i) {
      double pra, pdec;
      double u = r.uniform();
      pra = wrap_ra(ra_min + w * u);
      pdec = std::asin(r.uniform(std::sin(dmin * kDeg), std::sin(dmax * kDeg))) / kDeg;
      pdec = std::clamp(pdec, dmin, dmax);
      if (i % 4 == 1) pra = wrap_ra(ra_min);          // edges and corners
      if (i % 4 == 2) pdec = i % 8 == 2 ? dmin : dmax;
      if (i % 8 == 3) { pra = wrap_ra(ra_min + w); pdec = dmax; }
      ASSERT_TRUE(contains(pix, ang2pix(order, pra, pdec)))
          << "box ra[" << ra_min << "," << ra_max << "] dec[" << dmin << "," << dmax << "] order " << order
          << " point " << pra << "," << pdec;
    }
    // Tightness: covered area is at most the box area plus a band of ~3 pixels around it.
    double box_area = (w * kDeg) * (std::sin(dmax * kDeg) - std::sin(dmin * kDeg)) / (kDeg * kDeg);
    double px = std::sqrt(pixel_area_deg2(order));
    double perimeter = 2 * (dmax - dmin) + w * (std::cos(dmin * kDeg) + std::cos(dmax * kDeg));
    double bound = box_area + 6 * px * (perimeter + 4 * px) + 64 * pixel_area_deg2(order);
    EXPECT_LE(pix.size() * pixel_area_deg2(order), bound) << "order " << order << " box area " << box_area;
  }
}

TEST(Healpix, BoxAtPoleAndSeamExamples) {
  // A polar cap is the whole band.
  auto cap = query_box(3, 0, 360, 80, 90);
  for (int i = 0; i < 360; ++i) EXPECT_TRUE(contains(cap, ang2pix(3, i, 89.999)));
  // A box straddling RA 0 from both spellings gives the same pixels.
  EXPECT_EQ(query_box(6, 350, 10, -5, 5), query_box(6, 350, 370, -5, 5));
  auto seam = query_box(6, 350, 10, -5, 5);
  EXPECT_TRUE(contains(seam, ang2pix(6, 0, 0)));
  EXPECT_FALSE(contains(seam, ang2pix(6, 180, 0)));
  EXPECT_THROW(query_box(3, 0, 10, 5, -5), std::invalid_argument);
  EXPECT_THROW(query_box(3, 0, 10, -95, 5), std::invalid_argument);
}

namespace {
// Side of the great circle through a->b on which p lies (sign of (a x b) . p).
double side(const Vec3& a, const Vec3& b, const Vec3& p) {
  Vec3 n{a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
  return n.x * p.x + n.y * p.y + n.z * p.z;
}
}  // namespace

TEST(Healpix, PolygonCoversEveryInsidePoint) {
  Rng r(6);
  for (int trial = 0; trial < 200; ++trial) {
    double ra, dec;
    r.sphere(ra, dec);
    if (trial % 10 == 0) dec = trial % 20 == 0 ? 89.9 : -89.9;
    if (trial % 10 == 1) ra = 0.001;
    double radius = std::exp(r.uniform(std::log(0.05), std::log(30.0)));
    int n = 3 + int(r.uniform() * 6);
    // Vertices on a circle at sorted bearings make a convex polygon; gaps stay below 180 deg.
    std::vector<double> bearings;
    for (int k = 0; k < n; ++k) bearings.push_back((360.0 / n) * (k + 0.8 * r.uniform()));
    bool ccw = trial % 2 == 0;
    if (!ccw) std::reverse(bearings.begin(), bearings.end());
    std::vector<double> vra, vdec;
    std::vector<Vec3> vv;
    for (double b : bearings) {
      double a, d;
      destination(ra, dec, b, radius, a, d);
      vra.push_back(a);
      vdec.push_back(d);
      vv.push_back(to_vec(a, d));
    }
    int order = int(r.uniform() * 11);
    auto pix = query_polygon(order, vra, vdec);
    expect_sorted_unique(pix);
    double orient = side(vv[0], vv[1], to_vec(ra, dec)) > 0 ? 1 : -1;
    int inside = 0;
    for (int i = 0; i < 800; ++i) {
      double pra, pdec;
      if (i % 5 == 0) {  // on an edge: a point between two vertices
        int k = int(r.uniform() * n);
        const Vec3 &a = vv[k], &b = vv[(k + 1) % n];
        double t = r.uniform();
        Vec3 m{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y), a.z + t * (b.z - a.z)};
        double len = std::sqrt(m.x * m.x + m.y * m.y + m.z * m.z);
        pra = wrap_ra(std::atan2(m.y, m.x) / kDeg);
        pdec = std::asin(std::clamp(m.z / len, -1.0, 1.0)) / kDeg;
      } else {
        destination(ra, dec, r.uniform(0, 360), radius * std::sqrt(r.uniform()), pra, pdec);
        Vec3 p = to_vec(pra, pdec);
        bool in = true;
        for (int k = 0; k < n; ++k) in = in && side(vv[k], vv[(k + 1) % n], p) * orient >= 0;
        if (!in) continue;
      }
      ++inside;
      ASSERT_TRUE(contains(pix, ang2pix(order, pra, pdec)))
          << "polygon around " << ra << "," << dec << " r=" << radius << " order " << order << " point " << pra << ","
          << pdec;
    }
    EXPECT_GT(inside, 100);
  }
  EXPECT_THROW(query_polygon(3, {0, 1}, {0, 1}), std::invalid_argument);
  EXPECT_THROW(query_polygon(3, {0, 1, 2}, {0, 1}), std::invalid_argument);
}
