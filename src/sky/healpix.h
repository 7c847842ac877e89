// HEALPix in the NESTED scheme, through Debian's healpix_cxx (not re-implemented here).
// Orders 0..29; pixel indices are int64. Order conversion is a bit shift (nested scheme).
// Bad input (order outside 0..29, |dec| > 90, NaN, pixel out of range, a non-convex polygon)
// throws std::invalid_argument naming the value.
#pragma once
#include <cstdint>
#include <vector>

namespace astrolake::sky {

constexpr int kMaxOrder = 29;

// Nested pixel of (ra, dec) in degrees at `order`. RA is wrapped into [0,360).
int64_t ang2pix(int order, double ra_deg, double dec_deg);
// `_healpix_29`: the HATS spatial index (nested pixel at order 29).
inline int64_t healpix29(double ra_deg, double dec_deg) { return ang2pix(kMaxOrder, ra_deg, dec_deg); }
// Centre of a pixel, degrees.
void pix2ang(int order, int64_t pix, double& ra_deg, double& dec_deg);

// Order conversion of nested indices.
inline int64_t to_lower_order(int64_t pix, int from, int to) { return pix >> (2 * (from - to)); }
inline int64_t first_child(int64_t pix, int from, int to) { return pix << (2 * (to - from)); }

// The (up to 8) neighbours of a pixel; missing ones (at the 8 corners of base pixels) omitted.
std::vector<int64_t> neighbours(int order, int64_t pix);

// Pixels at `order` that touch (overlap, inclusive) the region. Sorted, unique. They may
// include a few pixels that only come near the edge, never miss one that overlaps, at any
// size (discs up to 180 degrees, boxes up to the whole sky).
// Boxes: RA from ra_min eastwards to ra_max (ra_min > ra_max wraps through 0; a span of
// >= 360 is the full circle), Dec inclusive.
std::vector<int64_t> query_disc(int order, double ra_deg, double dec_deg, double radius_deg);
std::vector<int64_t> query_box(int order, double ra_min, double ra_max, double dec_min, double dec_max);
// Convex polygon with great-circle edges; vertices in degrees (ra, dec pairs).
std::vector<int64_t> query_polygon(int order, const std::vector<double>& ra, const std::vector<double>& dec);

// Largest distance from a pixel centre to its corners at order, degrees.
double max_pixrad_deg(int order);

// Area of one pixel at order, in square degrees.
double pixel_area_deg2(int order);

}  // namespace astrolake::sky
