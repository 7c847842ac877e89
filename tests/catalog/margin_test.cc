// Margins: the exact point-to-pixel distance test against dense sampling of pixel edges by
// healpix_cxx, and whole margin catalogs against a brute-force computation.
#include <gtest/gtest.h>
#include <healpix_base.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "catalog/import.h"
#include "catalog/margin.h"
#include "catalog/partition.h"
#include "catalog/properties.h"
#include "parquet/reader.h"
#include "sky/geometry.h"
#include "sky/healpix.h"

namespace fs = std::filesystem;
using namespace astrolake;
using namespace astrolake::catalog;

namespace {

const T_Healpix_Base<int64>& base(int order) {
  static std::map<int, T_Healpix_Base<int64>> bases;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  auto it = bases.find(order);
  if (it == bases.end()) it = bases.emplace(order, T_Healpix_Base<int64>(order, NEST)).first;
  return it->second;
}

double ang(const vec3& a, const vec3& b) { return std::atan2(crossprod(a, b).Length(), dotprod(a, b)); }

vec3 vec_of(double ra, double dec) {
  sky::Vec3 v = sky::to_vec(ra, dec);
  return vec3(v.x, v.y, v.z);
}

// Minimum distance (rad) from p to samples of the pixel boundary, and the sample spacing.
double sampled_distance(int order, int64_t pix, const vec3& p, double& spacing) {
  double edge = std::sqrt(base(order).max_pixrad() * base(order).max_pixrad() * 2);
  size_t step = size_t(std::clamp(edge / 1e-5, 64.0, 4000.0));
  std::vector<vec3> pts;
  base(order).boundaries(pix, step, pts);
  double best = 10;
  spacing = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    best = std::min(best, ang(p, pts[i]));
    spacing = std::max(spacing, ang(pts[i], pts[(i + 1) % pts.size()]));
  }
  return best;
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/al_margin_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST(Margin, FaceCoordinatesMatchHealpixCorners) {
  std::mt19937_64 rng(1);
  for (int order : {0, 1, 3, 8, 15}) {
    for (int k = 0; k < 50; ++k) {
      int64_t pix = int64_t(rng() % uint64_t(12ll << (2 * order)));
      std::vector<vec3> corners;
      base(order).boundaries(pix, 1, corners);  // N, W, S, E corners
      int64_t per_face = int64_t(1) << (2 * order);
      int face = int(pix / per_face);
      int ix, iy, f;
      base(order).pix2xyf(pix, ix, iy, f);
      ASSERT_EQ(f, face);
      double n = double(int64_t(1) << order);
      double xy[4][2] = {{ix + 1, iy + 1}, {ix, iy + 1}, {ix, iy}, {ix + 1, iy}};
      for (int c = 0; c < 4; ++c) {
        double v[3];
        face_xy_to_vec(face, xy[c][0] / n, xy[c][1] / n, v);
        EXPECT_LT(ang(vec3(v[0], v[1], v[2]), corners[size_t(c)]), 1e-12) << order << "/" << pix << " corner " << c;
      }
    }
  }
}

TEST(Margin, PixelWithinAgreesWithDenseSampling) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(0, 1);
  int decided = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    int order = int(rng() % 8);
    int64_t pix = int64_t(rng() % uint64_t(12ll << (2 * order)));
    double ra0, dec0;
    sky::pix2ang(order, pix, ra0, dec0);
    // Points around the pixel, some near its edges, some at the poles.
    double size = std::sqrt(sky::pixel_area_deg2(order));
    double ra = ra0 + (u(rng) - 0.5) * 3 * size / std::max(0.05, std::cos(dec0 * sky::kDeg));
    double dec = std::clamp(dec0 + (u(rng) - 0.5) * 3 * size, -90.0, 90.0);
    if (trial % 50 == 0) dec = trial % 100 == 0 ? 90.0 : -89.99;
    double radius = size * (0.01 + 0.5 * u(rng)) * sky::kDeg;
    double spacing;
    double d = sampled_distance(order, pix, vec_of(ra, dec), spacing);
    bool inside = sky::ang2pix(order, ra, dec) == pix;
    bool got = pixel_within(order, pix, ra, dec, radius);
    if (inside || d <= radius) {
      EXPECT_TRUE(got) << order << "/" << pix << " ra " << ra << " dec " << dec;
      ++decided;
    } else if (d > radius + spacing) {
      EXPECT_FALSE(got) << order << "/" << pix << " ra " << ra << " dec " << dec << " d " << d << " r " << radius;
      ++decided;
    }
  }
  EXPECT_GT(decided, 2900);
}

TEST(Margin, ComplementCoversTheRestOfTheSky) {
  std::vector<PixelId> parts = {{1, 44}, {1, 45}, {2, 184}, {3, 744}};
  auto comp = complement_pixels(parts);
  double area = 0;
  for (auto& p : parts) area += 1.0 / (12.0 * std::pow(4.0, p.order));
  for (auto& p : comp) area += 1.0 / (12.0 * std::pow(4.0, p.order));
  EXPECT_NEAR(area, 1.0, 1e-12);
  // Disjoint: every order-5 pixel lies in exactly one.
  for (int64_t q = 0; q < 12 * 1024; ++q) {
    int n = 0;
    for (auto* set : {&parts, &comp})
      for (auto& p : *set)
        if ((q >> (2 * (5 - p.order))) == p.pixel) ++n;
    ASSERT_EQ(n, 1) << q;
  }
  // The order-0 neighbours of 0/11 without data (like the fixture's 0/4, 0/7, 0/8).
  std::set<std::pair<int, int64_t>> s;
  for (auto& p : comp) s.insert({p.order, p.pixel});
  EXPECT_TRUE(s.count({0, 4}) && s.count({0, 7}) && s.count({0, 8}));
}

// Random skewed data (dense clusters, both poles, RA wrap): every margin partition holds
// exactly the rows of other partitions within the threshold of its pixel, by brute force.
TEST(Margin, ImportedMarginEqualsBruteForce) {
  TempDir tmp;
  std::string csv = tmp.path + "/pts.csv";
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> g(0, 1);
  struct P { double ra, dec; };
  std::vector<P> pts;
  auto add = [&](double ra, double dec) { pts.push_back({sky::wrap_ra(ra), std::clamp(dec, -90.0, 90.0)}); };
  for (int i = 0; i < 600; ++i) add(360 * u(rng), std::asin(2 * u(rng) - 1) / sky::kDeg);       // all sky
  for (int i = 0; i < 700; ++i) add(0.3 * g(rng), 0.3 * g(rng));                                 // RA wrap
  for (int i = 0; i < 300; ++i) add(360 * u(rng), 90 - std::abs(1.5 * g(rng)));                   // north pole
  for (int i = 0; i < 300; ++i) add(360 * u(rng), -90 + std::abs(1.5 * g(rng)));                  // south pole
  for (int i = 0; i < 700; ++i) add(120 + 0.4 * g(rng), 41.8 + 0.4 * g(rng));                   // dense knot
  add(0, 90);
  add(45, -90);
  add(359.9999999, 0);
  {
    std::ofstream f(csv);
    f.precision(17);
    f << "id,ra,dec\n";
    for (size_t i = 0; i < pts.size(); ++i) f << i << "," << pts[i].ra << "," << pts[i].dec << "\n";
  }
  const double arcsec = 1800;
  ImportOptions o;
  o.inputs = {csv};
  o.output = tmp.path + "/coll";
  o.max_rows = 100;
  o.margin_arcsec = arcsec;
  o.progress = 0;
  o.threads = 2;
  ImportResult r = import_catalog(o);
  ASSERT_EQ(r.rows, int64_t(pts.size()));
  ASSERT_GT(r.partitions.size(), 20u);
  // The collection layout.
  Properties col = Properties::read(o.output + "/collection.properties");
  EXPECT_EQ(col.get("hats_primary_table_url"), "coll");
  EXPECT_EQ(col.get("default_margin"), "coll_1800arcs");
  EXPECT_EQ(r.margin_dir, o.output + "/coll_1800arcs");
  Properties mp = Properties::read(r.margin_dir + "/hats.properties");
  EXPECT_EQ(mp.get("dataproduct_type"), "margin");
  EXPECT_EQ(mp.get("hats_margin_threshold"), "1800");
  EXPECT_EQ(mp.get("hats_primary_table_url"), "coll");
  EXPECT_EQ(mp.get_int("hats_nrows", -1), r.margin_rows);

  // Own partition of each point (the partitions cover every point).
  std::vector<PixelId> pixels = r.partitions;
  for (auto& p : complement_pixels(r.partitions)) pixels.push_back(p);
  double radius = arcsec / 3600 * sky::kDeg;
  std::map<std::pair<int, int64_t>, std::set<int64_t>> expected, ambiguous;
  for (size_t i = 0; i < pts.size(); ++i) {
    vec3 v = vec_of(pts[i].ra, pts[i].dec);
    for (const auto& px : pixels) {
      if (sky::ang2pix(px.order, pts[i].ra, pts[i].dec) == px.pixel) continue;  // own pixel
      double cra, cdec;
      sky::pix2ang(px.order, px.pixel, cra, cdec);
      if (ang(v, vec_of(cra, cdec)) > base(px.order).max_pixrad() + radius + 1e-9) continue;
      double spacing;
      double d = sampled_distance(px.order, px.pixel, v, spacing);
      if (d <= radius) expected[{px.order, px.pixel}].insert(int64_t(i));
      else if (d <= radius + spacing) ambiguous[{px.order, px.pixel}].insert(int64_t(i));
    }
  }
  std::map<std::pair<int, int64_t>, std::set<int64_t>> got;
  int64_t total = 0;
  for (const auto& px : r.margin_partitions) {
    auto f = parquet::FileReader::open(pixel_path(r.margin_dir + "/dataset", px.order, px.pixel));
    parquet::Table t = f->read({"_healpix_29", "id"});
    for (size_t i = 0; i < t.rows(); ++i) {
      if (i > 0) EXPECT_LE(t.columns[0].values_as<int64_t>()[i - 1], t.columns[0].values_as<int64_t>()[i]);
      got[{px.order, px.pixel}].insert(t.columns[1].values_as<int64_t>()[i]);
    }
    total += int64_t(t.rows());
  }
  EXPECT_EQ(total, r.margin_rows);
  int64_t expected_total = 0;
  for (auto& [k, ids] : expected) {
    expected_total += int64_t(ids.size());
    for (int64_t id : ids) EXPECT_TRUE(got[k].count(id)) << "missing row " << id << " in margin " << k.first << "/" << k.second;
  }
  for (auto& [k, ids] : got)
    for (int64_t id : ids)
      EXPECT_TRUE(expected[k].count(id) || ambiguous[k].count(id))
          << "extra row " << id << " in margin " << k.first << "/" << k.second;
  EXPECT_GT(expected_total, 200);
}

// small_sky at order 1 with a 1 degree margin, against the hats-import fixture.
TEST(Margin, SmallSkyOneDegreeLikeFixture) {
  TempDir tmp;
  ImportOptions o;
  o.inputs = {std::string(AL_TEST_DATA) + "/hats/raw/small_sky/small_sky.csv"};
  o.output = tmp.path + "/small_sky_order1_collection";
  o.name = "small_sky_order1";
  o.max_rows = 50;
  o.margin_arcsec = 3600;
  o.progress = 0;
  ImportResult r = import_catalog(o);
  std::string fx = std::string(AL_TEST_DATA) + "/hats/small_sky_order1_collection/small_sky_order1_margin_1deg";
  auto want = read_partition_info(fx + "/partition_info.csv");
  std::set<std::pair<int, int64_t>> a, b;
  for (auto& p : want) a.insert({p.order, p.pixel});
  for (auto& p : r.margin_partitions) b.insert({p.order, p.pixel});
  EXPECT_EQ(a, b);
  // hats-import's margin is conservative (a superset): every row of ours is in it, and each
  // row it has beyond ours lies more than 1 degree from the pixel by dense sampling.
  std::map<int64_t, std::pair<double, double>> coords;
  {
    auto all = parquet::FileReader::open(fx + "/dataset/_metadata");
    (void)all;
    std::ifstream f(o.inputs[0]);
    std::string line;
    std::getline(f, line);
    while (std::getline(f, line)) {
      int64_t id;
      double ra, dec;
      std::sscanf(line.c_str(), "%ld,%lf,%lf", &id, &ra, &dec);
      coords[id] = {ra, dec};
    }
  }
  int64_t extra = 0;
  for (auto& p : want) {
    auto mine = parquet::FileReader::open(pixel_path(r.margin_dir + "/dataset", p.order, p.pixel))->read({"id"});
    auto theirs = parquet::FileReader::open(pixel_path(fx + "/dataset", p.order, p.pixel))->read({"id"});
    std::set<int64_t> x, y;
    for (size_t i = 0; i < mine.rows(); ++i) x.insert(mine.columns[0].values_as<int64_t>()[i]);
    for (size_t i = 0; i < theirs.rows(); ++i) y.insert(theirs.columns[0].values_as<int64_t>()[i]);
    for (int64_t id : x) EXPECT_TRUE(y.count(id)) << id << " in " << p.order << "/" << p.pixel;
    for (int64_t id : y) {
      if (x.count(id)) continue;
      ++extra;
      double spacing;
      double d = sampled_distance(p.order, p.pixel, vec_of(coords[id].first, coords[id].second), spacing);
      EXPECT_GT(d, 1.0 * sky::kDeg) << id << " in " << p.order << "/" << p.pixel;
    }
  }
  EXPECT_EQ(r.margin_rows + extra, 23);
  EXPECT_EQ(r.margin_rows, 13);  // by the exact distance
}
