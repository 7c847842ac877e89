// Thin layer over healpix_cxx. Constructing a T_Healpix_Base is costly, so one base per order
// is built once and shared (the bases are immutable after construction, hence thread-safe).
#include "sky/healpix.h"

#include <healpix_base.h>

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sky/geometry.h"

namespace astrolake::sky {
namespace {

using Base = T_Healpix_Base<int64>;

const std::array<Base, kMaxOrder + 1>& bases() {
  static const std::array<Base, kMaxOrder + 1> all = [] {
    std::array<Base, kMaxOrder + 1> b;
    for (int o = 0; o <= kMaxOrder; ++o) b[o].Set(o, NEST);
    return b;
  }();
  return all;
}

const Base& base(int order) {
  if (order < 0 || order > kMaxOrder)
    throw std::invalid_argument("HEALPix order " + std::to_string(order) + " outside 0..29");
  return bases()[order];
}

void check_pixel(int order, int64_t pix) {
  if (pix < 0 || pix >= 12 * (int64_t(1) << (2 * order)))
    throw std::invalid_argument("HEALPix pixel " + std::to_string(pix) + " outside order " +
                                std::to_string(order));
}

[[noreturn]] void bad_coord(const char* what, double ra, double dec) {
  throw std::invalid_argument(std::string(what) + ": invalid coordinate ra=" + std::to_string(ra) +
                              " dec=" + std::to_string(dec));
}

pointing to_pointing(double ra_deg, double dec_deg) {
  double theta = (90.0 - dec_deg) * kDeg;
  if (theta < 0) theta = 0;
  if (theta > kPi) theta = kPi;
  return pointing(theta, wrap_ra(ra_deg) * kDeg);
}

std::vector<int64_t> expand(const rangeset<int64>& rs) {
  std::vector<int64_t> out;
  size_t n = 0;
  for (tsize i = 0; i < rs.nranges(); ++i) n += size_t(rs.ivend(i) - rs.ivbegin(i));
  out.reserve(n);
  for (tsize i = 0; i < rs.nranges(); ++i)
    for (int64 p = rs.ivbegin(i); p < rs.ivend(i); ++p) out.push_back(p);
  return out;
}

// Above this radius query_disc works through the antipodal disc (see there).
constexpr double kLargeDiscDeg = 90.0;

}  // namespace

int64_t ang2pix(int order, double ra_deg, double dec_deg) {
  // The order check is folded into one unsigned compare; the NaN-rejecting dec test is the
  // only other branch before the library call.
  if (unsigned(order) > unsigned(kMaxOrder)) base(order);
  if (!(dec_deg >= -90.0 && dec_deg <= 90.0) || !std::isfinite(ra_deg)) bad_coord("ang2pix", ra_deg, dec_deg);
  const Base& b = bases()[order];
  // Away from the poles z = sin(dec) is all loc2pix needs; within 0.01 rad of them it also
  // wants sin(theta) for accuracy, which the pointing overload supplies (same split as
  // healpix_cxx's own ang2pix).
  if (dec_deg > -89.4 && dec_deg < 89.4) {
    double phi = ra_deg * kDeg;  // loc2pix reduces phi modulo 2 pi itself
    return b.zphi2pix(std::sin(dec_deg * kDeg), phi);
  }
  return b.ang2pix(to_pointing(ra_deg, dec_deg));
}

void pix2ang(int order, int64_t pix, double& ra_deg, double& dec_deg) {
  const Base& b = base(order);
  check_pixel(order, pix);
  pointing p = b.pix2ang(pix);
  ra_deg = wrap_ra(p.phi / kDeg);
  dec_deg = 90.0 - p.theta / kDeg;
}

std::vector<int64_t> neighbours(int order, int64_t pix) {
  const Base& b = base(order);
  check_pixel(order, pix);
  fix_arr<int64, 8> nb;
  b.neighbors(pix, nb);
  std::vector<int64_t> out;
  for (tsize i = 0; i < nb.size(); ++i)
    if (nb[i] >= 0) out.push_back(nb[i]);
  return out;
}

std::vector<int64_t> query_disc(int order, double ra_deg, double dec_deg, double radius_deg) {
  const Base& b = base(order);
  if (!(dec_deg >= -90.0 && dec_deg <= 90.0) || !std::isfinite(ra_deg)) bad_coord("query_disc", ra_deg, dec_deg);
  if (!(radius_deg >= 0) || !std::isfinite(radius_deg))
    throw std::invalid_argument("query_disc: invalid radius " + std::to_string(radius_deg));
  if (radius_deg >= 180.0) {
    std::vector<int64_t> all(size_t(b.Npix()));
    for (int64_t p = 0; p < b.Npix(); ++p) all[size_t(p)] = p;
    return all;
  }
  if (radius_deg <= kLargeDiscDeg) {
    rangeset<int64> rs;
    b.query_disc_inclusive(to_pointing(ra_deg, dec_deg), radius_deg * kDeg, rs, 1);
    return expand(rs);
  }
  // healpix_cxx's inclusive query misses pixels near the antipode for radii above ~135
  // degrees. A large disc is the complement of the open antipodal disc of radius 180 - r, so
  // its pixels are all pixels except those lying wholly inside that small disc: a pixel is
  // dropped only when its centre is deeper inside than its bounding radius (with the same
  // 10% margin as the box descent), measured with our own exact separation.
  double small = 180.0 - radius_deg;
  double anti_ra = wrap_ra(ra_deg + 180.0), anti_dec = -dec_deg;
  double pixrad = b.max_pixrad() / kDeg * 1.1 + 1e-12;
  std::vector<int64_t> excluded;
  if (small > pixrad) {
    rangeset<int64> rs;
    b.query_disc(to_pointing(anti_ra, anti_dec), (small - pixrad) * kDeg, rs);
    Vec3 anti = to_vec(anti_ra, anti_dec);
    for (int64_t p : expand(rs)) {
      pointing c = b.pix2ang(p);
      if (separation_deg(anti, to_vec(c.phi / kDeg, 90.0 - c.theta / kDeg)) < small - pixrad) excluded.push_back(p);
    }
  }
  std::vector<int64_t> out;
  out.reserve(size_t(b.Npix()) - excluded.size());
  size_t k = 0;
  for (int64_t p = 0; p < b.Npix(); ++p) {
    if (k < excluded.size() && excluded[k] == p) {
      ++k;
      continue;
    }
    out.push_back(p);
  }
  return out;
}

std::vector<int64_t> query_polygon(int order, const std::vector<double>& ra, const std::vector<double>& dec) {
  const Base& b = base(order);
  if (ra.size() != dec.size())
    throw std::invalid_argument("query_polygon: " + std::to_string(ra.size()) + " RA values but " +
                                std::to_string(dec.size()) + " Dec values");
  if (ra.size() < 3) throw std::invalid_argument("query_polygon: need at least 3 vertices");
  std::vector<pointing> v;
  for (size_t i = 0; i < ra.size(); ++i) {
    if (!(dec[i] >= -90.0 && dec[i] <= 90.0) || !std::isfinite(ra[i])) bad_coord("query_polygon", ra[i], dec[i]);
    v.push_back(to_pointing(ra[i], dec[i]));
  }
  rangeset<int64> rs;
  try {
    b.query_polygon_inclusive(v, rs, 1);
  } catch (const PlanckError& e) {
    throw std::invalid_argument(std::string("query_polygon: ") + e.what() +
                                " (vertices must form a convex polygon)");
  }
  return expand(rs);
}

// --- Box coverage ------------------------------------------------------------------------
// A recursive descent from order 0. Each pixel is replaced by its bounding circle (centre,
// max_pixrad with a safety margin) and compared with the distance from the centre to the box
// boundary (two meridian arcs and two parallel arcs). If the circle cannot reach the boundary,
// the pixel is wholly inside or wholly outside depending on its centre; otherwise it is split,
// or kept at the target order. This is conservative at the poles and through RA = 0 without
// special cases.
namespace {

struct Box {
  double ra0, width;  // RA start in [0,360) and extent in degrees
  double dmin, dmax;  // degrees
  bool full_ra;       // no meridian edges at all
};

bool ra_in_box(const Box& box, double ra) { return box.full_ra || wrap_ra(ra - box.ra0) <= box.width; }

double sep_rad(const Vec3& p, double ra, double dec) { return separation_deg(p, to_vec(ra, dec)) * kDeg; }

// Distance, radians, from unit vector p at (ra, dec) to the boundary of the box.
double boundary_distance(const Box& box, const Vec3& p, double ra, double dec) {
  double d = 1e9;
  bool in_ra = ra_in_box(box, ra);
  // Parallels: along a parallel the distance grows with the RA difference, so the nearest
  // point is straight north/south when p's RA is within the arc, else an arc end.
  for (double par : {box.dmin, box.dmax}) {
    if (par <= -90.0 || par >= 90.0) continue;  // a pole is a point on the meridians
    if (in_ra) {
      d = std::min(d, std::abs(dec - par) * kDeg);
    } else {
      d = std::min(d, sep_rad(p, box.ra0, par));
      d = std::min(d, sep_rad(p, box.ra0 + box.width, par));
    }
  }
  if (box.full_ra) return d;
  // Meridians: the foot of p on the great circle is at latitude atan2(z, p.u); if it lies on
  // the arc the distance is asin|n.p|, else the nearer arc end.
  for (double a : {box.ra0, box.ra0 + box.width}) {
    double ca = std::cos(a * kDeg), sa = std::sin(a * kDeg);
    double foot = std::atan2(p.z, p.x * ca + p.y * sa) / kDeg;
    if (foot >= box.dmin && foot <= box.dmax) {
      d = std::min(d, std::asin(std::min(1.0, std::abs(-sa * p.x + ca * p.y))));
    } else {
      d = std::min(d, sep_rad(p, a, box.dmin));
      d = std::min(d, sep_rad(p, a, box.dmax));
    }
  }
  return d;
}

void descend(const Box& box, int order, int64_t pix, int target, const std::array<double, 30>& radius,
             std::vector<int64_t>& out) {
  double ra, dec;
  pointing c = bases()[order].pix2ang(pix);
  ra = c.phi / kDeg;
  dec = 90.0 - c.theta / kDeg;
  Vec3 p = to_vec(ra, dec);
  bool inside = dec >= box.dmin && dec <= box.dmax && ra_in_box(box, ra);
  double d = boundary_distance(box, p, ra, dec);
  if (d > radius[order]) {
    if (!inside) return;
    int shift = 2 * (target - order);
    int64_t first = pix << shift, last = (pix + 1) << shift;
    for (int64_t q = first; q < last; ++q) out.push_back(q);
    return;
  }
  if (order == target) {
    out.push_back(pix);
    return;
  }
  for (int k = 0; k < 4; ++k) descend(box, order + 1, pix * 4 + k, target, radius, out);
}

}  // namespace

std::vector<int64_t> query_box(int order, double ra_min, double ra_max, double dec_min, double dec_max) {
  base(order);
  if (!std::isfinite(ra_min) || !std::isfinite(ra_max) || !(dec_min >= -90.0 && dec_min <= 90.0) ||
      !(dec_max >= -90.0 && dec_max <= 90.0) || dec_min > dec_max)
    throw std::invalid_argument("query_box: invalid box ra=[" + std::to_string(ra_min) + "," +
                                std::to_string(ra_max) + "] dec=[" + std::to_string(dec_min) + "," +
                                std::to_string(dec_max) + "]");
  Box box;
  box.dmin = dec_min;
  box.dmax = dec_max;
  box.full_ra = ra_max - ra_min >= 360.0;
  box.ra0 = wrap_ra(ra_min);
  box.width = box.full_ra ? 360.0 : wrap_ra(ra_max) - box.ra0;
  if (box.width < 0) box.width += 360.0;
  std::array<double, 30> radius{};
  // 10% on top of the centre-to-corner maximum covers curved pixel edges and rounding.
  for (int o = 0; o <= order; ++o) radius[o] = bases()[o].max_pixrad() * 1.1 + 1e-15;
  std::vector<int64_t> out;
  for (int64_t p = 0; p < 12; ++p) descend(box, 0, p, order, radius, out);
  return out;
}

double max_pixrad_deg(int order) { return base(order).max_pixrad() / kDeg; }

double pixel_area_deg2(int order) {
  base(order);
  double sr = 4.0 * kPi / (12.0 * double(int64_t(1) << (2 * order)));
  return sr / (kDeg * kDeg);
}

}  // namespace astrolake::sky
