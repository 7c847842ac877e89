// Angular geometry on the unit sphere, exact at tiny and large angles.
#pragma once
#include <cmath>

namespace astrolake::sky {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;

struct Vec3 { double x, y, z; };

inline Vec3 to_vec(double ra_deg, double dec_deg) {
  double ra = ra_deg * kDeg, dec = dec_deg * kDeg;
  double c = std::cos(dec);
  return {c * std::cos(ra), c * std::sin(ra), std::sin(dec)};
}

// Separation in degrees, atan2 of |a x b| and a.b: accurate from 0 to 180 degrees.
double separation_deg(double ra1, double dec1, double ra2, double dec2);
double separation_deg(const Vec3& a, const Vec3& b);
// Chord length between unit vectors for an angle (monotonic; used for fast radius tests).
inline double chord_for_deg(double deg) { return 2.0 * std::sin(deg * kDeg / 2.0); }
inline double deg_for_chord(double chord) { return 2.0 * std::asin(chord / 2.0) / kDeg; }

// RA wrapped into [0, 360).
double wrap_ra(double ra_deg);

}  // namespace astrolake::sky
