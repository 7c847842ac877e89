// Geometry values with their DALI xtypes, CONTAINS/INTERSECTS between regions, and the IVOA
// UDFs (ivo_healpix_index/center, ivo_nocasematch, ivo_hasword, ivo_hashlist_has,
// ivo_interval_overlaps, ivo_string_agg), on the small_sky fixture and on constants.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "adql/planner.h"
#include "engine/column_ops.h"
#include "sky/geometry.h"
#include "sky/healpix.h"

using namespace astrolake;

namespace {

adql::Plan make(const std::string& q) {
  adql::PlanOptions o;
  o.root = std::string(AL_TEST_DATA) + "/hats";
  o.threads = 2;
  return adql::plan(q, o);
}
parquet::Table run(const std::string& q) {
  adql::Plan p = make(q);
  return engine::collect(*p.root);
}
int64_t one(const std::string& q) {
  parquet::Table t = run(q);
  EXPECT_EQ(t.rows(), 1u) << q;
  return t.rows() && !t.columns[0].is_null(0) ? engine::value_at(t.columns[0], 0).i : -999;
}
int64_t count_where(const std::string& cond) { return one("SELECT COUNT(*) FROM small_sky WHERE " + cond); }

std::vector<double> list_at(const parquet::Column& c, size_t r) {
  std::vector<double> v;
  for (int64_t k = c.list_offsets[r]; k < c.list_offsets[r + 1]; k++) v.push_back(c.values_as<double>()[k]);
  return v;
}

}  // namespace

TEST(GeometryValues, OutputColumnsCarryXtypes) {
  adql::Plan p = make("SELECT TOP 3 id, POINT('ICRS', ra, dec) AS p, CIRCLE(ra, dec, 0.5) AS c, "
                      "POLYGON(10, 0, 20, 0, 15, 5) AS poly, ra FROM small_sky ORDER BY id");
  EXPECT_EQ(p.xtypes, (std::vector<std::string>{"", "point", "circle", "polygon", ""}));
  parquet::Table t = engine::collect(*p.root);
  parquet::Table plain = run("SELECT TOP 3 ra, dec FROM small_sky ORDER BY id");
  ASSERT_EQ(t.rows(), 3u);
  ASSERT_TRUE(t.col("p").field.list);
  for (size_t r = 0; r < 3; r++) {
    EXPECT_EQ(list_at(t.col("p"), r), (std::vector<double>{plain.columns[0].as_double(r), plain.columns[1].as_double(r)}));
    EXPECT_EQ(list_at(t.col("c"), r).size(), 3u);
    EXPECT_EQ(list_at(t.col("poly"), r), (std::vector<double>{10, 0, 20, 0, 15, 5}));
  }
  // Through a subquery and a UNION the xtype stays with the column.
  EXPECT_EQ(make("SELECT s.p FROM (SELECT POINT(ra, dec) AS p FROM small_sky) AS s").xtypes,
            (std::vector<std::string>{"point"}));
  EXPECT_EQ(make("SELECT POINT(ra, dec) FROM small_sky UNION ALL SELECT POINT(0, 0) FROM small_sky").xtypes,
            (std::vector<std::string>{"point"}));
  // Invalid coordinates give NULL, not a wrong value.
  parquet::Table bad = run("SELECT TOP 1 POINT(10, 95), CIRCLE(1, 2, -1) FROM small_sky");
  EXPECT_TRUE(bad.columns[0].is_null(0));
  EXPECT_TRUE(bad.columns[1].is_null(0));
  try {
    run("SELECT BOX(1, 2, 3, 4) FROM small_sky");
    ADD_FAILURE() << "BOX as a value should fail";
  } catch (const adql::PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("BOX is supported only as the region"), std::string::npos) << e.what();
  }
}

TEST(GeometryValues, RegionRelations) {
  // Per-row circles against a constant circle, checked against the separations.
  parquet::Table all = run("SELECT ra, dec FROM small_sky");
  int64_t inter = 0, inside = 0;
  for (size_t r = 0; r < all.rows(); r++) {
    double sep = sky::separation_deg(all.columns[0].as_double(r), all.columns[1].as_double(r), 300, -50);
    inter += sep <= 1 + 8;
    inside += sep + 1 <= 8;
  }
  EXPECT_GT(inter, inside);
  EXPECT_GT(inside, 0);
  EXPECT_EQ(count_where("1 = INTERSECTS(CIRCLE(ra, dec, 1), CIRCLE(300, -50, 8))"), inter);
  EXPECT_EQ(count_where("CONTAINS(CIRCLE(ra, dec, 1), CIRCLE(300, -50, 8)) = 1"), inside);
  // A circle of radius 0 meets a polygon exactly when its centre is inside.
  std::string poly = "POLYGON(280, -60, 320, -60, 320, -30, 280, -30)";
  EXPECT_EQ(count_where("1 = INTERSECTS(CIRCLE(ra, dec, 0), " + poly + ")"),
            count_where("1 = CONTAINS(POINT(ra, dec), " + poly + ")"));
  EXPECT_GT(count_where("1 = INTERSECTS(CIRCLE(ra, dec, 3), " + poly + ")"),
            count_where("1 = CONTAINS(POINT(ra, dec), " + poly + ")"));
  // Hand-computed cases. The square's lower edge lies on the equator: a circle centred 2
  // degrees below it reaches it only with a radius of at least 2.
  std::string sq = "POLYGON(0, 0, 10, 0, 10, 10, 0, 10)";
  auto rel = [&](const std::string& f, const std::string& a, const std::string& b) {
    return one("SELECT TOP 1 " + f + "(" + a + ", " + b + ") FROM small_sky");
  };
  EXPECT_EQ(rel("INTERSECTS", "CIRCLE(5, -2, 1.99)", sq), 0);
  EXPECT_EQ(rel("INTERSECTS", "CIRCLE(5, -2, 2.01)", sq), 1);
  EXPECT_EQ(rel("INTERSECTS", sq, "CIRCLE(5, -2, 2.01)"), 1);
  EXPECT_EQ(rel("CONTAINS", "CIRCLE(5, 5, 1)", sq), 1);
  EXPECT_EQ(rel("CONTAINS", "CIRCLE(5, 5, 6)", sq), 0);
  EXPECT_EQ(rel("CONTAINS", sq, "CIRCLE(5, 5, 8)"), 1);
  EXPECT_EQ(rel("CONTAINS", sq, "CIRCLE(5, 5, 6)"), 0);
  EXPECT_EQ(rel("INTERSECTS", sq, "POLYGON(5, 5, 15, 5, 15, 15, 5, 15)"), 1);
  EXPECT_EQ(rel("INTERSECTS", sq, "POLYGON(20, 0, 30, 0, 30, 10, 20, 10)"), 0);
  // A plus sign: no vertex of either inside the other, but the edges cross.
  EXPECT_EQ(rel("INTERSECTS", "POLYGON(4, -5, 6, -5, 6, 15, 4, 15)", "POLYGON(-5, 4, 15, 4, 15, 6, -5, 6)"), 1);
  EXPECT_EQ(rel("CONTAINS", "POLYGON(2, 2, 3, 2, 3, 3)", sq), 1);
  EXPECT_EQ(rel("CONTAINS", sq, "POLYGON(2, 2, 3, 2, 3, 3)"), 0);
  try {
    run("SELECT COUNT(*) FROM small_sky WHERE 1 = INTERSECTS(CIRCLE(ra, dec, 1), BOX(300, -50, 2, 2))");
    ADD_FAILURE() << "a BOX region relation should fail";
  } catch (const adql::PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("write it as a POLYGON"), std::string::npos) << e.what();
  }
}

TEST(IvoUdfs, HealpixIndexAndCenter) {
  parquet::Table t = run("SELECT ra, dec, ivo_healpix_index(5, ra, dec) AS ix, "
                         "ivo_healpix_center(5, ivo_healpix_index(5, ra, dec)) AS c FROM small_sky");
  ASSERT_GT(t.rows(), 100u);
  double max_sep = 0;
  for (size_t r = 0; r < t.rows(); r++) {
    double ra = t.columns[0].as_double(r), dec = t.columns[1].as_double(r);
    int64_t ix = engine::value_at(t.col("ix"), r).i;
    EXPECT_EQ(ix, sky::ang2pix(5, ra, dec));
    std::vector<double> c = list_at(t.col("c"), r);
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(sky::ang2pix(5, c[0], c[1]), ix);  // the centre lies in its own pixel
    max_sep = std::max(max_sep, sky::separation_deg(ra, dec, c[0], c[1]));
  }
  EXPECT_LT(max_sep, 2.0);  // order-5 pixels are ~1.8 degrees across
  EXPECT_EQ(make("SELECT ivo_healpix_center(3, 17) FROM small_sky").xtypes, (std::vector<std::string>{"point"}));
  EXPECT_EQ(one("SELECT TOP 1 ivo_healpix_index(0, 45, 0) FROM small_sky"), sky::ang2pix(0, 45, 0));
  parquet::Table bad = run("SELECT TOP 1 ivo_healpix_center(3, 12 * 64) FROM small_sky");
  EXPECT_TRUE(bad.columns[0].is_null(0));
}

TEST(IvoUdfs, StringPredicatesAndIntervals) {
  auto v = [](const std::string& expr) { return one("SELECT TOP 1 " + expr + " FROM small_sky"); };
  EXPECT_EQ(v("ivo_nocasematch('Gaia DR3', 'gaia%')"), 1);
  EXPECT_EQ(v("ivo_nocasematch('Gaia DR3', 'dr3')"), 0);
  EXPECT_EQ(v("ivo_hasword('The Quick brown fox', 'quick')"), 1);
  EXPECT_EQ(v("ivo_hasword('quickly', 'quick')"), 0);
  EXPECT_EQ(v("ivo_hasword('x-ray binaries', 'ray')"), 1);
  EXPECT_EQ(v("ivo_hashlist_has('ivo://a#IVO://B#c', 'ivo://b')"), 1);
  EXPECT_EQ(v("ivo_hashlist_has('ab#cd', 'b')"), 0);
  EXPECT_EQ(v("ivo_hashlist_has('ab#cd', 'cd')"), 1);
  EXPECT_EQ(v("ivo_interval_overlaps(1, 2, 2, 3)"), 1);
  EXPECT_EQ(v("ivo_interval_overlaps(1, 2, 2.5, 3)"), 0);
  EXPECT_EQ(v("ivo_interval_overlaps(0, 10, 2, 3)"), 1);
  EXPECT_EQ(v("ivo_nocasematch(NULL, 'a')"), -999);  // NULL in, NULL out
  EXPECT_EQ(count_where("ivo_interval_overlaps(dec, dec, -40, -30) = 1"), count_where("dec BETWEEN -40 AND -30"));
}

TEST(IvoUdfs, StringAgg) {
  parquet::Table t = run("SELECT ivo_string_agg(CAST(id AS VARCHAR), ',') FROM small_sky WHERE id < 705");
  ASSERT_EQ(t.rows(), 1u);
  std::set<std::string> got;
  std::stringstream ss{std::string(t.columns[0].string_at(0))};
  for (std::string part; std::getline(ss, part, ',');) got.insert(part);
  EXPECT_EQ(got, (std::set<std::string>{"700", "701", "702", "703", "704"}));
  // Grouped: each group's values, and NULL for a group with only NULLs.
  parquet::Table g = run("SELECT id / 10 AS k, ivo_string_agg(CAST(id AS VARCHAR), '|') AS s, COUNT(*) AS n "
                         "FROM small_sky GROUP BY id / 10 ORDER BY k");
  for (size_t r = 0; r < g.rows(); r++) {
    std::string s(g.col("s").string_at(r));
    EXPECT_EQ(int64_t(std::count(s.begin(), s.end(), '|')) + 1, engine::value_at(g.col("n"), r).i) << s;
  }
  EXPECT_TRUE(run("SELECT ivo_string_agg(CAST(NULL AS VARCHAR), ',') FROM small_sky").columns[0].is_null(0));
  try {
    run("SELECT ivo_string_agg(id, ra) FROM small_sky");
    ADD_FAILURE();
  } catch (const adql::PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("delimiter must be a constant string"), std::string::npos) << e.what();
  }
}

// ivo_epoch_prop_pos against astropy's SkyCoord.apply_space_motion (ERFA pmsafe) from .venv.
TEST(IvoUdfs, EpochPropPosAgreesWithAstropy) {
  struct Star { double ra, dec, plx, pmra, pmdec, rv, ep1, ep2, tol_arcsec; };
  // Typical stars (agreement to 0.1 mas) and Barnard's star over 84 years (877" of motion),
  // where ERFA's light-time term makes a difference below 1 mas.
  std::vector<Star> stars = {{10, 20, 5, 12, -7, 30, 2016, 2000, 1e-4},  {250, -60, 1, -3, 4, -50, 2016, 2116, 1e-4},
                             {359.9, 89, 20, 150, 80, 0, 2000, 2030, 1e-4}, {45, -10, 0.001, 1, 1, 10, 2000, 1900, 1e-4},
                             {269.4486, 4.6933, 548.31, -801.551, 10362.394, -110.47, 2016, 2100, 0.002}};
  std::string py = std::string(AL_SOURCE_DIR) + "/.venv/bin/python";
  std::string script =
      "import sys, warnings\n"
      "warnings.simplefilter('ignore')\n"
      "import astropy.units as u\n"
      "from astropy.coordinates import SkyCoord, Distance\n"
      "from astropy.time import Time\n"
      "for line in sys.stdin:\n"
      "    ra, dec, plx, pmra, pmdec, rv, e1, e2 = map(float, line.split())\n"
      "    c = SkyCoord(ra=ra*u.deg, dec=dec*u.deg, distance=Distance(parallax=plx*u.mas), pm_ra_cosdec=pmra*u.mas/u.yr,\n"
      "                 pm_dec=pmdec*u.mas/u.yr, radial_velocity=rv*u.km/u.s, obstime=Time(e1, format='jyear'))\n"
      "    n = c.apply_space_motion(new_obstime=Time(e2, format='jyear'))\n"
      "    print(repr(float(n.ra.deg)), repr(float(n.dec.deg)))\n";
  std::string dir = std::filesystem::temp_directory_path().string() + "/al_epoch_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  { std::ofstream(dir + "/p.py") << script; }
  {
    std::ofstream in(dir + "/in.txt");
    in.precision(17);
    for (const Star& s : stars) in << s.ra << " " << s.dec << " " << s.plx << " " << s.pmra << " " << s.pmdec << " " << s.rv << " " << s.ep1 << " " << s.ep2 << "\n";
  }
  std::string cmd = py + " " + dir + "/p.py < " + dir + "/in.txt > " + dir + "/out.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream out(dir + "/out.txt");
  for (const Star& s : stars) {
    double era = 0, edec = 0;
    ASSERT_TRUE(out >> era >> edec);
    char q[512];
    std::snprintf(q, sizeof q, "SELECT TOP 1 ivo_epoch_prop_pos(%.17g, %.17g, %.17g, %.17g, %.17g, %.17g, %.17g, %.17g) FROM small_sky",
                  s.ra, s.dec, s.plx, s.pmra, s.pmdec, s.rv, s.ep1, s.ep2);
    parquet::Table t = run(q);
    std::vector<double> p = list_at(t.columns[0], 0);
    ASSERT_EQ(p.size(), 2u);
    EXPECT_LT(sky::separation_deg(p[0], p[1], era, edec) * 3600, s.tol_arcsec) << q << " astropy " << era << " " << edec;
  }
  std::filesystem::remove_all(dir);
  // NULL motions count as zero: the position is unchanged; a NULL position gives NULL.
  std::vector<double> same = list_at(run("SELECT TOP 1 ivo_epoch_prop_pos(10, 20, NULL, NULL, NULL, NULL, 2000, 2100) FROM small_sky").columns[0], 0);
  EXPECT_NEAR(same[0], 10, 1e-12);
  EXPECT_NEAR(same[1], 20, 1e-12);
  EXPECT_TRUE(run("SELECT TOP 1 ivo_epoch_prop_pos(NULL, 20, 1, 1, 1, 1, 2000, 2100) FROM small_sky").columns[0].is_null(0));
  EXPECT_EQ(make("SELECT ivo_epoch_prop_pos(ra, dec, 1, 1, 1, 1, 2000, 2016) FROM small_sky").xtypes,
            (std::vector<std::string>{"point"}));
}
