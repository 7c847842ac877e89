// Margin catalogs: for every pixel P of a catalog's partitioning (plus the pixels covering
// the rest of the sky, as hats-import does), the rows of other pixels that lie within the
// margin threshold of P's boundary. Cross-matching a partition then only needs that
// partition plus its margin.
//
// HEALPix pixel edges are not great circles, so "within A of P" is decided exactly: the
// distance from a point to each edge curve is bounded on sub-segments of the edge (a
// segment whose endpoints are far cannot hold a close point, by the triangle inequality)
// and segments are bisected until the answer is certain. Ambiguity below ~1e-11 rad
// (2 micro-arcsec) resolves to "inside", so no row within A is ever dropped.
#pragma once
#include <cstdint>
#include <vector>

#include "catalog/partition.h"

namespace astrolake::catalog {

// Unit vector of the point at fractional face coordinates (x, y) in [0,1]^2 of base face
// `face` (the HEALPix projection's inverse; x runs along the nested ix axis).
void face_xy_to_vec(int face, double x, double y, double v[3]);
// The angular distance (radians) from (ra, dec) to pixel (order, pix) is <= radius_rad
// (always true if the point lies inside the pixel).
bool pixel_within(int order, int64_t pix, double ra_deg, double dec_deg, double radius_rad);

// The pixels covering the sky outside `partitions` (which must not overlap): the fewest
// pixels of order >= 0, each disjoint from every partition. Sorted by spatial index.
std::vector<PixelId> complement_pixels(const std::vector<PixelId>& partitions);

// Assigns points to the margin pixels they belong to.
class MarginAssigner {
 public:
  MarginAssigner(const std::vector<PixelId>& partitions, double threshold_arcsec);
  // partitions first (in the given order), then complement_pixels().
  const std::vector<PixelId>& pixels() const { return pixels_; }
  // Appends the indices (into pixels()) of every pixel other than the point's own that lies
  // within the threshold of (ra, dec). Thread-safe.
  void assign(double ra_deg, double dec_deg, std::vector<int>& out) const;

 private:
  // Index of the pixel containing order-29 index h, or -1.
  int find(int64_t h) const;
  std::vector<PixelId> pixels_;
  std::vector<int64_t> lo_, hi_;  // order-29 ranges, sorted by lo_
  std::vector<int> idx_;          // pixels_ index of each range
  double radius_rad_ = 0, radius_deg_ = 0;
  int query_order_ = 0;
};

}  // namespace astrolake::catalog
