// Regions of any size, end to end: a whole-sky catalog is imported (partitions down to order
// 2-3), then `cone` and ADQL CONTAINS/DISTANCE with radii up to 180 degrees, wide boxes and a
// large polygon must return exactly the rows brute force finds in the input.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include "cli_harness.h"
#include "sky/geometry.h"

using namespace al_cli_test;
using astrolake::sky::separation_deg;

namespace {

struct Pt {
  int64_t id;
  double ra, dec;
};

// Uniform points over the whole sky, written as CSV with 17 significant digits.
std::vector<Pt> write_sky(const std::string& path, int n) {
  std::mt19937_64 g(7);
  auto u = [&] { return double(g() >> 11) * 0x1.0p-53; };
  std::vector<Pt> pts;
  std::ofstream out(path);
  out << "id,ra,dec\n";
  char line[96];
  for (int i = 0; i < n; ++i) {
    double ra = 360 * u(), dec = std::asin(2 * u() - 1) * 180 / M_PI;
    std::snprintf(line, sizeof line, "%d,%.17g,%.17g\n", i, ra, dec);
    out << line;
    // Read back what was written, so the brute force sees the same doubles as the import.
    Pt p{i, 0, 0};
    std::sscanf(line, "%*d,%lf,%lf", &p.ra, &p.dec);
    pts.push_back(p);
  }
  return pts;
}

std::set<int64_t> ids_of_csv(const std::string& path) {
  auto recs = parse_csv(slurp(path));
  std::set<int64_t> out;
  for (size_t r = 1; r < recs.size(); ++r) out.insert(std::stoll(recs[r][0]));
  return out;
}

class LargeRegion : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("al_large_region_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    std::string csv = at("sky.csv");
    pts_ = new std::vector<Pt>(write_sky(csv, 20000));
    RunResult r = run_cli({"import", csv, "--ra", "ra", "--dec", "dec", "-o", at("sky"), "--max-rows", "600", "-q"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    delete pts_;
  }
  static std::set<int64_t> brute_cone(double ra, double dec, double radius) {
    std::set<int64_t> out;
    for (auto& p : *pts_)
      if (separation_deg(ra, dec, p.ra, p.dec) <= radius) out.insert(p.id);
    return out;
  }
  static std::string at(const std::string& name) { return (*dir_ / name).string(); }
  static fs::path* dir_;
  static std::vector<Pt>* pts_;
};
fs::path* LargeRegion::dir_ = nullptr;
std::vector<Pt>* LargeRegion::pts_ = nullptr;

TEST_F(LargeRegion, ConeOfAnyRadiusReturnsTheBruteForceRows) {
  struct Cone {
    double ra, dec, radius;
  };
  const Cone cones[] = {{0, 0, 170}, {0, 0, 179.9}, {123, -40, 150}, {300, 80, 136}, {45, 10, 95}, {200, -89, 178}};
  int n = 0;
  for (const Cone& c : cones) {
    SCOPED_TRACE("cone " + std::to_string(c.ra) + "," + std::to_string(c.dec) + " r=" + std::to_string(c.radius));
    std::set<int64_t> want = brute_cone(c.ra, c.dec, c.radius);
    std::string out = at("cone" + std::to_string(n++) + ".csv");
    RunResult r = run_cli({"cone", at("sky"), "--ra", std::to_string(c.ra), "--dec", std::to_string(c.dec),
                           "--radius-arcsec", std::to_string(c.radius * 3600), "--columns", "id", "-o", out, "-q"});
    ASSERT_EQ(r.status, 0) << r.err;
    std::set<int64_t> got = ids_of_csv(out);
    EXPECT_EQ(got.size(), want.size());
    EXPECT_EQ(got, want);
  }
}

TEST_F(LargeRegion, AdqlContainsAndDistanceAtLargeRadii) {
  std::set<int64_t> want = brute_cone(0, 0, 170);
  ASSERT_GT(want.size(), 19000u);
  for (const std::string& where :
       {std::string("1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 0, 0, 170))"),
        std::string("DISTANCE(POINT('ICRS', ra, dec), POINT('ICRS', 0, 0)) <= 170")}) {
    SCOPED_TRACE(where);
    std::string out = at("adql.csv");
    RunResult r = run_cli({"query", "SELECT id FROM sky WHERE " + where, "--root", dir_->string(), "-o", out,
                           "--overwrite"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(ids_of_csv(out), want);
  }
}

TEST_F(LargeRegion, WideBoxAndLargePolygon) {
  // A box of 350 degrees of RA across the seam, and a polygon close to a hemisphere.
  std::set<int64_t> want_box;
  for (auto& p : *pts_) {
    double d = std::fmod(p.ra - 5 + 360, 360);
    if (d <= 350 && p.dec >= -85 && p.dec <= 85) want_box.insert(p.id);
  }
  std::string out = at("box.csv");
  RunResult r = run_cli({"box", at("sky"), "--ra-min", "5", "--ra-max", "355", "--dec-min", "-85", "--dec-max",
                         "85", "--columns", "id", "-o", out, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(ids_of_csv(out), want_box);

  // Square with vertices at dec +-1 around RA 0 and 180 going through the poles side: a
  // quadrilateral (10,-80) (170,-80) (170, 80) (10, 80) is convex on the sphere.
  std::vector<std::array<double, 2>> v = {{10, -80}, {170, -80}, {170, 80}, {10, 80}};
  std::string verts;
  for (auto& x : v) verts += (verts.empty() ? "" : ",") + std::to_string(x[0]) + "," + std::to_string(x[1]);
  out = at("poly.csv");
  r = run_cli({"polygon", at("sky"), "--vertices", verts, "--columns", "id", "-o", out, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  // Brute force: inside all four great-circle edges (same orientation as the third vertex).
  auto vec = [](double ra, double dec) { return astrolake::sky::to_vec(ra, dec); };
  auto side = [&](size_t k, const astrolake::sky::Vec3& p) {
    auto a = vec(v[k][0], v[k][1]), b = vec(v[(k + 1) % 4][0], v[(k + 1) % 4][1]);
    double nx = a.y * b.z - a.z * b.y, ny = a.z * b.x - a.x * b.z, nz = a.x * b.y - a.y * b.x;
    return nx * p.x + ny * p.y + nz * p.z;
  };
  double orient = side(0, vec(v[2][0], v[2][1])) > 0 ? 1 : -1;
  std::set<int64_t> want_poly;
  for (auto& p : *pts_) {
    auto q = vec(p.ra, p.dec);
    bool in = true;
    for (size_t k = 0; k < 4; ++k) in = in && side(k, q) * orient >= 0;
    if (in) want_poly.insert(p.id);
  }
  EXPECT_GT(want_poly.size(), 3000u);
  EXPECT_EQ(ids_of_csv(out), want_poly);
}

}  // namespace
