#include "sky/geometry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace astrolake::sky;

TEST(Geometry, TinySeparationsAreExact) {
  // 1e-10 arcsec steps in Dec and RA: the result must equal the (exactly representable)
  // coordinate difference, not be lost to cancellation.
  for (double dec : {-89.0, -45.0, 0.0, 12.345, 60.0}) {
    double dec2 = dec + 1e-10 / 3600;
    double want = (dec2 - dec) * 3600;  // the difference of the doubles actually passed
    EXPECT_NEAR(separation_deg(10.0, dec, 10.0, dec2) * 3600, want, want * 1e-6) << dec;
    double ra2 = 10.0 + 1e-10 / 3600;
    double want_ra = (ra2 - 10.0) * 3600 * std::cos(dec * kDeg);
    EXPECT_NEAR(separation_deg(10.0, dec, ra2, dec) * 3600, want_ra, want_ra * 1e-6) << dec;
  }
  EXPECT_EQ(separation_deg(123.0, 45.0, 123.0, 45.0), 0.0);
}

TEST(Geometry, LargeSeparations) {
  EXPECT_NEAR(separation_deg(0, 0, 180, 0), 180.0, 1e-12);
  EXPECT_NEAR(separation_deg(0, 90, 0, -90), 180.0, 1e-12);
  // Just short of antipodal: 180 - 1e-6 deg must not collapse to 180.
  double s = separation_deg(0, 0, 180 - 1e-6, 0);
  EXPECT_NEAR(180 - s, 1e-6, 1e-13);
  EXPECT_NEAR(separation_deg(10, 20, 190, -20 + 1e-7), 180 - 1e-7, 1e-12);
}

TEST(Geometry, AgreesWithHaversineAndVectors) {
  std::mt19937_64 g(9);
  auto u = [&] { return double(g() >> 11) * 0x1.0p-53; };
  for (int i = 0; i < 10000; ++i) {
    double ra1 = 360 * u(), dec1 = std::asin(2 * u() - 1) / kDeg;
    double ra2 = 360 * u(), dec2 = std::asin(2 * u() - 1) / kDeg;
    double s = separation_deg(ra1, dec1, ra2, dec2);
    double h = std::sin((dec2 - dec1) * kDeg / 2), k = std::sin((ra2 - ra1) * kDeg / 2);
    double hav = 2 * std::asin(std::sqrt(h * h + std::cos(dec1 * kDeg) * std::cos(dec2 * kDeg) * k * k)) / kDeg;
    if (s < 170) {
      ASSERT_NEAR(s, hav, 1e-9);
    }
    ASSERT_NEAR(s, separation_deg(to_vec(ra1, dec1), to_vec(ra2, dec2)), 1e-9);
    // Symmetric and invariant under RA wrap.
    ASSERT_NEAR(s, separation_deg(ra2, dec2, ra1, dec1), 1e-12);
    ASSERT_NEAR(s, separation_deg(ra1 + 360, dec1, ra2 - 360, dec2), 1e-9);
  }
}

TEST(Geometry, ChordAndWrap) {
  for (double d : {1e-9, 0.001, 1.0, 45.0, 179.0}) EXPECT_NEAR(deg_for_chord(chord_for_deg(d)), d, d * 1e-9);
  EXPECT_EQ(wrap_ra(360.0), 0.0);
  EXPECT_EQ(wrap_ra(-90.0), 270.0);
  EXPECT_EQ(wrap_ra(725.0), 5.0);
  double w = wrap_ra(-1e-20);
  EXPECT_TRUE(w >= 0 && w < 360);
}
