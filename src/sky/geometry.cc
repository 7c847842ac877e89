#include "sky/geometry.h"

#include <cmath>

namespace astrolake::sky {

// Vincenty's form of the great-circle distance. The second numerator term is rewritten as
// sin(d2-d1) + sin(d1)cos(d2)*2sin^2(dra/2) so that tiny separations are not lost to the
// cancellation in cos(d1)sin(d2) - sin(d1)cos(d2)cos(dra); atan2 keeps 180 degrees exact.
double separation_deg(double ra1, double dec1, double ra2, double dec2) {
  double d1 = dec1 * kDeg, d2 = dec2 * kDeg;
  double dra = (ra2 - ra1) * kDeg;
  double sd1 = std::sin(d1), cd1 = std::cos(d1);
  double sd2 = std::sin(d2), cd2 = std::cos(d2);
  double s_half = std::sin(dra / 2.0);
  double x = cd2 * std::sin(dra);
  // dec2 - dec1 is exact in degrees for close values; converting each first would not be.
  double y = std::sin((dec2 - dec1) * kDeg) + 2.0 * sd1 * cd2 * s_half * s_half;
  double num = std::sqrt(x * x + y * y);
  double den = sd1 * sd2 + cd1 * cd2 * std::cos(dra);
  return std::atan2(num, den) / kDeg;
}

double separation_deg(const Vec3& a, const Vec3& b) {
  double cx = a.y * b.z - a.z * b.y;
  double cy = a.z * b.x - a.x * b.z;
  double cz = a.x * b.y - a.y * b.x;
  double num = std::sqrt(cx * cx + cy * cy + cz * cz);
  double den = a.x * b.x + a.y * b.y + a.z * b.z;
  return std::atan2(num, den) / kDeg;
}

double wrap_ra(double ra_deg) {
  double r = std::fmod(ra_deg, 360.0);
  if (r < 0) r += 360.0;
  if (r >= 360.0) r = 0.0;  // -tiny + 360 can round up to exactly 360
  return r;
}

}  // namespace astrolake::sky
