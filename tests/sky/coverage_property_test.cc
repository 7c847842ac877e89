// Property test of region coverage at every size: for many centres and radii from 0 to 180
// degrees (discs), boxes up to the whole sky and convex polygons up to nearly a hemisphere,
// every pixel that holds a random point inside the region (decided by brute force with exact
// geometry) must be in the coverage. Large discs are where healpix_cxx's own inclusive query
// misses pixels around the antipode.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <vector>

#include "sky/geometry.h"
#include "sky/healpix.h"

using namespace astrolake::sky;

namespace {

struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  double uniform() { return double(g() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  void sphere(double& ra, double& dec) {
    ra = uniform(0, 360);
    dec = std::asin(uniform(-1, 1)) / kDeg;
  }
};

void destination(double ra, double dec, double bearing, double dist, double& ra2, double& dec2) {
  double p1 = dec * kDeg, l1 = ra * kDeg, t = bearing * kDeg, d = dist * kDeg;
  double sp2 = std::clamp(std::sin(p1) * std::cos(d) + std::cos(p1) * std::sin(d) * std::cos(t), -1.0, 1.0);
  double l2 = l1 + std::atan2(std::sin(t) * std::sin(d) * std::cos(p1), std::cos(d) - std::sin(p1) * sp2);
  ra2 = wrap_ra(l2 / kDeg);
  dec2 = std::asin(sp2) / kDeg;
}

bool contains(const std::vector<int64_t>& sorted, int64_t p) {
  return std::binary_search(sorted.begin(), sorted.end(), p);
}

// Random points: uniform over the sphere, plus some on the region's rim via `rim`.
template <class Inside, class Rim>
int check_points(Rng& r, int order, const std::vector<int64_t>& pix, Inside inside, Rim rim, const std::string& what) {
  int hits = 0;
  for (int i = 0; i < 3000; ++i) {
    double ra, dec;
    if (i % 3 == 0) rim(ra, dec);
    else r.sphere(ra, dec);
    if (!inside(ra, dec)) continue;
    ++hits;
    if (!contains(pix, ang2pix(order, ra, dec))) {
      ADD_FAILURE() << what << " order " << order << ": point (" << ra << "," << dec << ") inside but pixel "
                    << ang2pix(order, ra, dec) << " not covered";
      return hits;
    }
  }
  return hits;
}

}  // namespace

TEST(CoverageProperty, DiscsOfEveryRadius) {
  Rng r(101);
  for (int trial = 0; trial < 400; ++trial) {
    double ra, dec;
    r.sphere(ra, dec);
    if (trial % 9 == 0) ra = 0, dec = 0;
    if (trial % 9 == 1) dec = trial % 2 ? 90 : -90;
    // Radii over the whole range, with extra weight above 90 degrees where it used to fail.
    double radius = trial % 4 == 0 ? r.uniform(0, 180) : r.uniform(90, 180);
    if (trial % 17 == 0) radius = 180 - r.uniform(0, 1e-3);
    if (trial % 19 == 0) radius = 170;
    int order = int(r.uniform() * 7);
    auto pix = query_disc(order, ra, dec, radius);
    ASSERT_TRUE(std::is_sorted(pix.begin(), pix.end()));
    ASSERT_TRUE(std::adjacent_find(pix.begin(), pix.end()) == pix.end());
    Vec3 c = to_vec(ra, dec);
    std::ostringstream what;
    what << "disc (" << ra << "," << dec << ") r=" << radius;
    check_points(
        r, order, pix, [&](double a, double d) { return separation_deg(c, to_vec(a, d)) <= radius; },
        [&](double& a, double& d) { destination(ra, dec, r.uniform(0, 360), radius * (1 - 1e-12), a, d); },
        what.str());
    if (HasFailure()) return;
    // Not grossly over-inclusive: pixels whose centre is far outside must be absent.
    double slack = 2.5 * max_pixrad_deg(order);
    for (int64_t p : pix) {
      double pra, pdec;
      pix2ang(order, p, pra, pdec);
      ASSERT_LE(separation_deg(ra, dec, pra, pdec), radius + slack) << what.str() << " order " << order;
    }
  }
}

TEST(CoverageProperty, Cone170AtOrigin) {
  // The reported case: at order 0..8 every pixel touching the 170 degree disc is present.
  for (int order = 0; order <= 8; ++order) {
    auto pix = query_disc(order, 0, 0, 170);
    int64_t npix = 12 * (int64_t(1) << (2 * order));
    for (int64_t p = 0; p < npix; ++p) {
      double pra, pdec;
      pix2ang(order, p, pra, pdec);
      if (separation_deg(0, 0, pra, pdec) <= 170) {
        ASSERT_TRUE(contains(pix, p)) << "order " << order << " pixel " << p;
      }
    }
  }
}

TEST(CoverageProperty, BoxesOfEverySize) {
  Rng r(102);
  for (int trial = 0; trial < 300; ++trial) {
    double ra_min = r.uniform(0, 360), width = r.uniform(0, 360);
    if (trial % 7 == 0) width = 360;
    double d0 = r.uniform(-90, 90), d1 = r.uniform(-90, 90);
    if (trial % 5 == 0) d0 = -90, d1 = 90;
    double dmin = std::min(d0, d1), dmax = std::max(d0, d1);
    int order = int(r.uniform() * 7);
    auto pix = query_box(order, ra_min, ra_min + width, dmin, dmax);
    std::ostringstream what;
    what << "box ra[" << ra_min << "+" << width << "] dec[" << dmin << "," << dmax << "]";
    check_points(
        r, order, pix,
        [&](double a, double d) { return d >= dmin && d <= dmax && (width >= 360 || wrap_ra(a - ra_min) <= width); },
        [&](double& a, double& d) {
          a = wrap_ra(ra_min + (r.uniform() < 0.5 ? 0 : width));
          d = r.uniform(dmin, dmax);
        },
        what.str());
    if (HasFailure()) return;
  }
}

TEST(CoverageProperty, PolygonsUpToAHemisphere) {
  Rng r(103);
  for (int trial = 0; trial < 300; ++trial) {
    double ra, dec;
    r.sphere(ra, dec);
    double radius = r.uniform(1, 89);  // circumradius; a convex polygon stays within a hemisphere
    int n = 3 + int(r.uniform() * 6);
    std::vector<double> vra, vdec;
    std::vector<Vec3> vv;
    for (int k = 0; k < n; ++k) {
      double a, d;
      destination(ra, dec, (360.0 / n) * (k + 0.8 * r.uniform()), radius, a, d);
      vra.push_back(a);
      vdec.push_back(d);
      vv.push_back(to_vec(a, d));
    }
    int order = int(r.uniform() * 7);
    auto pix = query_polygon(order, vra, vdec);
    auto side = [&](int k, const Vec3& p) {
      const Vec3 &a = vv[size_t(k)], &b = vv[size_t((k + 1) % n)];
      Vec3 nrm{a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
      return nrm.x * p.x + nrm.y * p.y + nrm.z * p.z;
    };
    // Vertices on a small circle at sorted bearings form a convex polygon (the centre need not
    // be inside it when a gap exceeds 180 degrees); every vertex lies on the inner side.
    double orient = side(0, vv[2]) > 0 ? 1 : -1;
    std::ostringstream what;
    what << "polygon around (" << ra << "," << dec << ") r=" << radius << " n=" << n;
    int hits = check_points(
        r, order, pix,
        [&](double a, double d) {
          Vec3 p = to_vec(a, d);
          for (int k = 0; k < n; ++k)
            if (side(k, p) * orient < 0) return false;
          return true;
        },
        [&](double& a, double& d) { destination(ra, dec, r.uniform(0, 360), radius * r.uniform(), a, d); },
        what.str());
    if (HasFailure()) return;
    EXPECT_GT(hits, 0);
  }
}
