#include "catalog/margin.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

#include "sky/geometry.h"
#include "sky/healpix.h"

namespace astrolake::catalog {

namespace {

// Base-face layout of the HEALPix sphere (Gorski et al. 2005): the ring index, in units of
// the base resolution, of each face's southern corner, and that corner's longitude index.
constexpr int kJrll[12] = {2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4};
constexpr int kJpll[12] = {1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7};

int64_t compact_bits(int64_t v) {
  // Keeps the even bits of v, packed.
  uint64_t x = uint64_t(v) & 0x5555555555555555ull;
  x = (x | (x >> 1)) & 0x3333333333333333ull;
  x = (x | (x >> 2)) & 0x0f0f0f0f0f0f0f0full;
  x = (x | (x >> 4)) & 0x00ff00ff00ff00ffull;
  x = (x | (x >> 8)) & 0x0000ffff0000ffffull;
  x = (x | (x >> 16)) & 0x00000000ffffffffull;
  return int64_t(x);
}

double angle(const double a[3], const double b[3]) {
  double cx = a[1] * b[2] - a[2] * b[1];
  double cy = a[2] * b[0] - a[0] * b[2];
  double cz = a[0] * b[1] - a[1] * b[0];
  double dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  return std::atan2(std::sqrt(cx * cx + cy * cy + cz * cz), dot);
}

struct Edge {
  int face;
  double x0, y0, x1, y1;
  void at(double t, double v[3]) const { face_xy_to_vec(face, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, v); }
};

// Is some point of the edge between parameters t0 and t1 within r of p?
bool segment_within(const Edge& e, const double p[3], double r, double t0, const double v0[3], double d0, double t1,
                    const double v1[3], double d1) {
  if (d0 <= r || d1 <= r) return true;
  double chord = angle(v0, v1);
  // Curve length <= 1.5 x the angle between its ends for these short, gently curved pieces;
  // a point at arc length s from v0 is at least max(d0 - s, d1 - (len - s)) away.
  double len = 1.5 * chord;
  if ((d0 + d1 - len) / 2 > r) return false;
  if (chord < 1e-11) return true;  // undecidable at double precision: keep the row
  double tm = 0.5 * (t0 + t1), vm[3];
  e.at(tm, vm);
  double dm = angle(p, vm);
  return segment_within(e, p, r, t0, v0, d0, tm, vm, dm) || segment_within(e, p, r, tm, vm, dm, t1, v1, d1);
}

}  // namespace

void face_xy_to_vec(int face, double x, double y, double v[3]) {
  double jr = kJrll[face] - x - y;
  double nr, z, sth;
  if (jr < 1) {
    nr = jr;
    double tmp = nr * nr / 3.0;
    z = 1 - tmp;
    sth = std::sqrt(std::max(0.0, tmp * (2.0 - tmp)));
  } else if (jr > 3) {
    nr = 4 - jr;
    double tmp = nr * nr / 3.0;
    z = tmp - 1;
    sth = std::sqrt(std::max(0.0, tmp * (2.0 - tmp)));
  } else {
    nr = 1;
    z = (2 - jr) * 2.0 / 3.0;
    sth = std::sqrt(std::max(0.0, (1 - z) * (1 + z)));
  }
  double tmp = kJpll[face] * nr + x - y;
  if (tmp < 0) tmp += 8;
  if (tmp >= 8) tmp -= 8;
  double phi = nr < 1e-15 ? 0 : (sky::kPi / 4) * tmp / nr;
  v[0] = sth * std::cos(phi);
  v[1] = sth * std::sin(phi);
  v[2] = z;
}

bool pixel_within(int order, int64_t pix, double ra_deg, double dec_deg, double radius_rad) {
  if (sky::ang2pix(order, ra_deg, dec_deg) == pix) return true;
  int64_t per_face = int64_t(1) << (2 * order);
  int face = int(pix / per_face);
  int64_t ipf = pix % per_face;
  double n = double(int64_t(1) << order);
  double x0 = double(compact_bits(ipf)) / n, y0 = double(compact_bits(ipf >> 1)) / n, d = 1.0 / n;
  sky::Vec3 pv = sky::to_vec(ra_deg, dec_deg);
  double p[3] = {pv.x, pv.y, pv.z};
  const Edge edges[4] = {{face, x0, y0, x0 + d, y0},
                         {face, x0 + d, y0, x0 + d, y0 + d},
                         {face, x0 + d, y0 + d, x0, y0 + d},
                         {face, x0, y0 + d, x0, y0}};
  constexpr int kSamples = 16;
  for (const Edge& e : edges) {
    double prev[3], cur[3];
    e.at(0, prev);
    double dprev = angle(p, prev);
    for (int i = 1; i <= kSamples; ++i) {
      double t = double(i) / kSamples;
      e.at(t, cur);
      double dcur = angle(p, cur);
      if (segment_within(e, p, radius_rad, double(i - 1) / kSamples, prev, dprev, t, cur, dcur)) return true;
      std::copy(cur, cur + 3, prev);
      dprev = dcur;
    }
  }
  return false;
}

std::vector<PixelId> complement_pixels(const std::vector<PixelId>& partitions) {
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (const auto& p : partitions) {
    int shift = 2 * (sky::kMaxOrder - p.order);
    ranges.push_back({p.pixel << shift, (p.pixel + 1) << shift});
  }
  std::sort(ranges.begin(), ranges.end());
  std::vector<PixelId> out;
  std::function<void(int, int64_t)> visit = [&](int order, int64_t pix) {
    int shift = 2 * (sky::kMaxOrder - order);
    int64_t lo = pix << shift, hi = (pix + 1) << shift;
    // First range ending after lo.
    auto it = std::lower_bound(ranges.begin(), ranges.end(), lo,
                               [](const std::pair<int64_t, int64_t>& r, int64_t v) { return r.second <= v; });
    if (it == ranges.end() || it->first >= hi) {
      out.push_back({order, pix});  // nothing of the catalog inside
      return;
    }
    if (it->first <= lo && it->second >= hi) return;  // a partition covers it
    for (int c = 0; c < 4; ++c) visit(order + 1, pix * 4 + c);
  };
  for (int64_t p = 0; p < 12; ++p) visit(0, p);
  return out;
}

MarginAssigner::MarginAssigner(const std::vector<PixelId>& partitions, double threshold_arcsec) {
  if (!(threshold_arcsec > 0) || !std::isfinite(threshold_arcsec))
    throw std::invalid_argument("margin threshold must be a positive number of arcsec");
  pixels_ = partitions;
  for (const auto& p : complement_pixels(partitions)) pixels_.push_back(p);
  std::vector<std::pair<int64_t, int>> order;
  int max_order = 0;
  for (size_t i = 0; i < pixels_.size(); ++i) {
    order.push_back({healpix_to_spatial_index(pixels_[i].order, pixels_[i].pixel), int(i)});
    max_order = std::max(max_order, pixels_[i].order);
  }
  std::sort(order.begin(), order.end());
  for (auto& [lo, i] : order) {
    lo_.push_back(lo);
    hi_.push_back(healpix_to_spatial_index(pixels_[size_t(i)].order, pixels_[size_t(i)].pixel + 1));
    idx_.push_back(i);
  }
  radius_deg_ = threshold_arcsec / 3600.0;
  radius_rad_ = radius_deg_ * sky::kDeg;
  // Candidate pixels come from an inclusive disc query at an order whose pixels are about
  // the threshold's size or larger (so a disc touches a handful of them), and no finer than
  // the partitioning needs.
  query_order_ = 0;
  while (query_order_ < max_order && 58.6 / double(int64_t(1) << (query_order_ + 1)) >= radius_deg_) ++query_order_;
}

int MarginAssigner::find(int64_t h) const {
  auto it = std::upper_bound(lo_.begin(), lo_.end(), h);
  if (it == lo_.begin()) return -1;
  size_t k = size_t(it - lo_.begin()) - 1;
  return h < hi_[k] ? int(k) : -1;
}

void MarginAssigner::assign(double ra_deg, double dec_deg, std::vector<int>& out) const {
  int own = find(sky::healpix29(ra_deg, dec_deg));
  std::vector<int64_t> disc = sky::query_disc(query_order_, ra_deg, dec_deg, radius_deg_);
  int shift = 2 * (sky::kMaxOrder - query_order_);
  // Ranges (sorted positions k into lo_/hi_) overlapping any queried pixel.
  std::vector<int> cand;
  for (int64_t q : disc) {
    int64_t lo = q << shift, hi = (q + 1) << shift;
    auto it = std::upper_bound(lo_.begin(), lo_.end(), lo);
    size_t k = it == lo_.begin() ? 0 : size_t(it - lo_.begin()) - 1;
    for (; k < lo_.size() && lo_[k] < hi; ++k)
      if (hi_[k] > lo && int(k) != own) cand.push_back(int(k));
  }
  if (cand.empty()) return;
  std::sort(cand.begin(), cand.end());
  cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
  for (int k : cand) {
    const PixelId& px = pixels_[size_t(idx_[size_t(k)])];
    if (pixel_within(px.order, px.pixel, ra_deg, dec_deg, radius_rad_)) out.push_back(idx_[size_t(k)]);
  }
}

}  // namespace astrolake::catalog
