// The ADQL planner on the HATS fixtures and generated catalogs: counts from the LSDB test
// suite (EXPECTED.md), every spatial ADQL form against the engine's own cone/box/xmatch
// functions and brute force, EXPLAIN, error messages, and a parse+plan timing figure.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "../engine/spatial_test_util.h"
#include "adql/parser.h"
#include "adql/planner.h"
#include "engine/column_ops.h"
#include "engine/spatial_search.h"
#include "engine/xmatch.h"
#include "sky/geometry.h"

using namespace astrolake;
using spatial_test::fixture;

namespace {

std::string root() { return std::string(AL_TEST_DATA) + "/hats"; }

parquet::Table run(const std::string& q, const std::string& r = root()) {
  adql::PlanOptions o;
  o.root = r;
  o.threads = 2;
  adql::Plan p = adql::plan(q, o);
  return engine::collect(*p.root);
}

int64_t count(const std::string& q, const std::string& r = root()) {
  parquet::Table t = run(q, r);
  EXPECT_EQ(t.rows(), 1u) << q;
  return t.rows() ? engine::value_at(t.columns[0], 0).i : -1;
}

std::multiset<int64_t> ids(const parquet::Table& t, size_t col = 0) {
  std::multiset<int64_t> s;
  for (size_t i = 0; i < t.rows(); i++) s.insert(engine::value_at(t.columns[col], i).i);
  return s;
}

std::string error_of(const std::string& q, const std::string& r = root()) {
  try {
    run(q, r);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// Every row of a catalog (id, ra, dec columns given).
struct Rows {
  std::vector<int64_t> id;
  std::vector<double> ra, dec;
};
Rows read_all(const std::string& dir, const std::string& id, const std::string& ra, const std::string& dec) {
  catalog::Catalog c = catalog::Catalog::open(dir, {false, ""});
  Rows r;
  for (size_t p = 0; p < c.partitions().size(); p++) {
    parquet::Table t = c.read_partition(p, {id, ra, dec});
    for (size_t i = 0; i < t.rows(); i++) {
      r.id.push_back(engine::value_at(t.columns[0], i).i);
      r.ra.push_back(t.columns[1].as_double(i));
      r.dec.push_back(t.columns[2].as_double(i));
    }
  }
  return r;
}

const char* kO1 = "small_sky_order1_collection";  // root holding small_sky_order1

}  // namespace

TEST(Planner, CountsAndSimpleQueries) {
  EXPECT_EQ(count("SELECT COUNT(*) FROM small_sky"), 131);
  EXPECT_EQ(count("select count(*) from SMALL_SKY"), 131);  // names are case-insensitive
  EXPECT_EQ(count("SELECT COUNT(*) FROM dbo.small_sky"), 131);  // schema-qualified: last part
  EXPECT_EQ(count("SELECT COUNT(*) FROM \"" + fixture("small_sky") + "\""), 131);  // a quoted path
  EXPECT_EQ(count("SELECT COUNT(*) FROM small_sky_order1 WHERE id > 750", fixture(kO1)), 80);
  parquet::Table t = run("SELECT TOP 3 id, ra FROM small_sky ORDER BY id DESC");
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(engine::value_at(t.columns[0], 0).i, 830);
  EXPECT_EQ(t.columns[0].field.name, "id");
  t = run("SELECT * FROM small_sky");
  EXPECT_EQ(t.rows(), 131u);
  EXPECT_EQ(t.columns.size(), catalog::Catalog::open(fixture("small_sky")).schema().size());
}

TEST(Planner, ConeOnSourceCatalogIs152Rows) {
  std::string q = "SELECT source_id FROM small_sky_order1_source_collection WHERE "
                  "1 = CONTAINS(POINT(source_ra, source_dec), CIRCLE(-35, -55, 2))";
  parquet::Table t = run(q);
  EXPECT_EQ(t.rows(), 152u);
  // Same rows as the engine's cone search ...
  catalog::Catalog cat = catalog::Catalog::open(fixture("small_sky_order1_source_collection"), {false, ""});
  std::multiset<int64_t> eng;
  engine::SearchOptions so;
  so.columns = {"source_id"};
  so.progress = 0;
  engine::spatial_search(cat, engine::Region::cone(-35, -55, 2), so, [&](parquet::Table&& x) {
    for (size_t i = 0; i < x.rows(); i++) eng.insert(engine::value_at(x.columns[0], i).i);
  });
  EXPECT_EQ(ids(t), eng);
  // ... and as brute force over every row.
  Rows all = read_all(cat.dir(), "source_id", "source_ra", "source_dec");
  std::multiset<int64_t> brute;
  for (size_t i = 0; i < all.id.size(); i++)
    if (sky::separation_deg(all.ra[i], all.dec[i], 325, -55) <= 2) brute.insert(all.id[i]);
  EXPECT_EQ(ids(t), brute);
}

TEST(Planner, EverySpatialFormGivesTheSameRows) {
  Rows all = read_all(fixture("small_sky_order1_collection/small_sky_order1"), "id", "ra", "dec");
  std::multiset<int64_t> brute;
  for (size_t i = 0; i < all.id.size(); i++)
    if (sky::separation_deg(all.ra[i], all.dec[i], 0, -80) <= 20) brute.insert(all.id[i]);
  EXPECT_EQ(brute.size(), 16u);  // EXPECTED.md [D]
  const char* forms[] = {
      "1 = CONTAINS(POINT(ra, dec), CIRCLE(0, -80, 20))",
      "CONTAINS(POINT(ra, dec), CIRCLE(0, -80, 20)) = 1",
      "1=CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 360, -80, 10 * 2))",
      "DISTANCE(POINT(ra, dec), POINT(0, -80)) <= 20",
      "DISTANCE(POINT(0, -80), POINT(ra, dec)) <= 20",
      "DISTANCE(ra, dec, 0, -80) <= 20",
      "20 >= DISTANCE(POINT(ra, dec), POINT(0, -80))",
      "1 = INTERSECTS(CIRCLE(0, -80, 20), POINT(ra, dec))",
      "s.id > -1 AND 1 = CONTAINS(POINT(s.ra, s.dec), CIRCLE(0, -80, 20))",
      // Not recognised as a search (inside OR): the same rows through the function fallback.
      "(1 = CONTAINS(POINT(ra, dec), CIRCLE(0, -80, 20)) OR id < -5)",
  };
  for (const char* f : forms) {
    std::string q = std::string("SELECT id FROM small_sky_order1 AS s WHERE ") + f;
    EXPECT_EQ(ids(run(q, fixture(kO1))), brute) << q;
  }
  // Strict < keeps only rows strictly inside (none sit exactly on the edge here).
  EXPECT_EQ(ids(run("SELECT id FROM small_sky_order1 WHERE DISTANCE(POINT(ra, dec), POINT(0, -80)) < 20", fixture(kO1))),
            brute);
  EXPECT_EQ(count("SELECT COUNT(*) FROM small_sky_order1 WHERE 1=CONTAINS(POINT(ra, dec), CIRCLE(0, -80, 0.2))",
                  fixture(kO1)),
            0);
  // DISTANCE in the select list is in degrees.
  parquet::Table t = run("SELECT id, DISTANCE(POINT(ra, dec), POINT(0, -80)) AS d FROM small_sky_order1 "
                         "WHERE DISTANCE(POINT(ra, dec), POINT(0, -80)) <= 20 ORDER BY d",
                         fixture(kO1));
  ASSERT_EQ(t.rows(), 16u);
  for (size_t i = 0; i < t.rows(); i++) {
    int64_t id = engine::value_at(t.columns[0], i).i;
    size_t k = size_t(std::find(all.id.begin(), all.id.end(), id) - all.id.begin());
    EXPECT_NEAR(t.columns[1].as_double(i), sky::separation_deg(all.ra[k], all.dec[k], 0, -80), 1e-9);
    if (i) EXPECT_LE(t.columns[1].as_double(i - 1), t.columns[1].as_double(i));
  }
}

TEST(Planner, BoxCountsFromLsdbTests) {
  std::string r = fixture(kO1);
  auto box = [&](const std::string& shape, const std::string& extra = "") {
    return count("SELECT COUNT(*) FROM small_sky_order1 WHERE 1 = CONTAINS(POINT(ra, dec), " + shape + ")" + extra, r);
  };
  EXPECT_EQ(box("BOX(290, 0, 20, 180)"), 34);         // ra (280, 300)
  EXPECT_EQ(box("BOX(110, 0, 340, 180)"), 97);        // ra (300, 280): wraps through 0
  EXPECT_EQ(box("BOX(180, -55, 360, 50)"), 120);      // dec (-80, -30), every RA
  EXPECT_EQ(box("BOX(290, -55, 20, 50)"), 33);        // both
  EXPECT_EQ(box("BOX(180, -55, 360, 50)", " AND id > 750"), 71);
  EXPECT_EQ(box("BOX(290, -55, 20, 50)", " AND id > 750"), 19);
  // A polygon equals the engine's polygon search.
  catalog::Catalog cat = catalog::Catalog::open(fixture("small_sky_order1_collection/small_sky_order1"), {false, ""});
  engine::SearchOptions so;
  so.columns = {"id"};
  so.progress = 0;
  std::multiset<int64_t> eng;
  engine::spatial_search(cat, engine::Region::polygon({280, 300, 300, 280}, {-70, -70, -40, -40}), so,
                         [&](parquet::Table&& x) {
                           for (size_t i = 0; i < x.rows(); i++) eng.insert(engine::value_at(x.columns[0], i).i);
                         });
  EXPECT_GT(eng.size(), 0u);
  EXPECT_EQ(ids(run("SELECT id FROM small_sky_order1 WHERE 1 = CONTAINS(POINT(ra, dec), "
                    "POLYGON(280, -70, 300, -70, 300, -40, 280, -40))",
                    r)),
            eng);
}

TEST(Planner, PositionalJoinIsTheEngineCrossMatch) {
  spatial_test::TempDir dir;
  spatial_test::Points lp = spatial_test::make_points(3000, 7), rp = spatial_test::make_points(4000, 8, 100000);
  spatial_test::make_catalog(dir.path, "lcat", lp, 400);
  spatial_test::make_catalog(dir.path, "rcat", rp, 500, 60);
  const double radius_deg = 30.0 / 3600;
  std::multiset<std::pair<int64_t, int64_t>> brute;
  for (size_t i = 0; i < lp.id.size(); i++)
    for (size_t j = 0; j < rp.id.size(); j++)
      if (sky::separation_deg(lp.ra[i], lp.dec[i], rp.ra[j], rp.dec[j]) <= radius_deg) brute.insert({lp.id[i], rp.id[j]});
  ASSERT_GT(brute.size(), 50u);

  auto pairs = [](const parquet::Table& t) {
    std::multiset<std::pair<int64_t, int64_t>> s;
    for (size_t i = 0; i < t.rows(); i++) s.insert({engine::value_at(t.columns[0], i).i, engine::value_at(t.columns[1], i).i});
    return s;
  };
  std::string r = dir.path;
  std::string on[] = {
      "DISTANCE(POINT(a.ra, a.dec), POINT(b.ra, b.dec)) <= 30.0 / 3600",
      "1 = CONTAINS(POINT(a.ra, a.dec), CIRCLE(b.ra, b.dec, 30.0 / 3600))",
      "1 = CONTAINS(POINT(b.ra, b.dec), CIRCLE(a.ra, a.dec, 30.0 / 3600))",
  };
  for (const std::string& cond : on) {
    std::string q = "SELECT a.id, b.id FROM lcat AS a JOIN rcat AS b ON " + cond;
    adql::PlanOptions o;
    o.root = r;
    adql::Plan p = adql::plan(q, o);
    EXPECT_NE(p.explain_text().find("CrossMatch"), std::string::npos) << p.explain_text();
    EXPECT_EQ(pairs(engine::collect(*p.root)), brute) << q;
  }
  // The comma form with WHERE, and extra conditions as filters.
  EXPECT_EQ(pairs(run("SELECT a.id, b.id FROM lcat a, rcat b WHERE "
                      "1 = CONTAINS(POINT(a.ra, a.dec), CIRCLE(b.ra, b.dec, 30.0 / 3600))",
                      r)),
            brute);
  std::multiset<std::pair<int64_t, int64_t>> odd;
  for (auto& pr : brute)
    if (pr.first % 2) odd.insert(pr);
  EXPECT_EQ(pairs(run("SELECT a.id, b.id FROM lcat a JOIN rcat b ON DISTANCE(POINT(a.ra, a.dec), POINT(b.ra, b.dec)) "
                      "< 30.0 / 3600 WHERE MOD(a.id, 2) = 1",
                      r)),
            odd);
  // The engine's own cross-match (k = all) gives the same pairs.
  catalog::Catalog lc = catalog::Catalog::open(r + "/lcat", {false, ""});
  catalog::Catalog rc = catalog::Catalog::open(r + "/rcat");
  engine::XmatchOptions xo;
  xo.radius_arcsec = 30;
  xo.k = 0;
  xo.left_columns = {"id"};
  xo.right_columns = {"id"};
  xo.progress = 0;
  std::multiset<std::pair<int64_t, int64_t>> eng;
  engine::crossmatch(lc, rc, xo, [&](parquet::Table&& t) {
    for (size_t i = 0; i < t.rows(); i++) eng.insert({engine::value_at(t.columns[0], i).i, engine::value_at(t.columns[1], i).i});
  });
  EXPECT_EQ(eng, brute);
  // LEFT JOIN keeps unmatched left rows once, with NULL right ids.
  parquet::Table lj = run("SELECT a.id, b.id FROM lcat a LEFT JOIN rcat b ON "
                          "DISTANCE(POINT(a.ra, a.dec), POINT(b.ra, b.dec)) <= 30.0 / 3600",
                          r);
  std::set<int64_t> matched;
  for (auto& pr : brute) matched.insert(pr.first);
  EXPECT_EQ(lj.rows(), brute.size() + (lp.id.size() - matched.size()));
  // Aggregating over the match.
  EXPECT_EQ(count("SELECT COUNT(*) FROM lcat a JOIN rcat b ON DISTANCE(POINT(a.ra, a.dec), POINT(b.ra, b.dec)) <= "
                  "30.0 / 3600",
                  r),
            int64_t(brute.size()));
}

TEST(Planner, KeyJoinsSubqueriesAndAggregates) {
  std::string r = fixture(kO1);
  // Self join on the key.
  EXPECT_EQ(count("SELECT COUNT(*) FROM small_sky_order1 a JOIN small_sky_order1 b ON a.id = b.id", r), 131);
  EXPECT_EQ(count("SELECT COUNT(*) FROM small_sky_order1 a, small_sky_order1 b WHERE a.id = b.id AND b.id > 750", r),
            80);
  // IN (subquery), EXISTS, scalar subquery, FROM subquery.
  EXPECT_EQ(count("SELECT COUNT(*) FROM small_sky_order1 WHERE id IN (SELECT id FROM small_sky_order1 WHERE id > 750)", r),
            80);
  EXPECT_EQ(count("SELECT COUNT(*) FROM small_sky_order1 WHERE id NOT IN (SELECT id FROM small_sky_order1 WHERE id > 750)",
                  r),
            51);
  EXPECT_EQ(count("SELECT COUNT(*) FROM (SELECT id, ra FROM small_sky_order1 WHERE id > 750) AS s WHERE s.ra > -1", r), 80);
  EXPECT_EQ(count("SELECT COUNT(*) FROM small_sky_order1 WHERE id = (SELECT MAX(id) FROM small_sky_order1)", r), 1);
  // GROUP BY with HAVING, ORDER BY an aggregate.
  parquet::Table t = run("SELECT healpix(1, ra, dec) AS pix, COUNT(*) AS n FROM small_sky_order1 GROUP BY pix "
                         "HAVING COUNT(*) > 0 ORDER BY n DESC",
                         r);
  int64_t total = 0;
  catalog::Catalog cat = catalog::Catalog::open(r + "/small_sky_order1", {false, ""});
  std::map<int64_t, int64_t> per_pixel;
  for (const auto& part : cat.counted_partitions()) per_pixel[part.pixel] = part.rows;
  for (size_t i = 0; i < t.rows(); i++) {
    int64_t pix = engine::value_at(t.columns[0], i).i, n = engine::value_at(t.columns[1], i).i;
    EXPECT_EQ(per_pixel[pix], n) << pix;  // every partition of small_sky_order1 is at order 1
    total += n;
    if (i) EXPECT_GE(engine::value_at(t.columns[1], i - 1).i, n);
  }
  EXPECT_EQ(total, 131);
  EXPECT_EQ(t.rows(), per_pixel.size());
}

TEST(Planner, ExplainShowsPlanAndPrunedEstimate) {
  adql::PlanOptions o;
  o.root = root();
  adql::Plan full = adql::plan("EXPLAIN SELECT source_id FROM small_sky_order1_source_collection", o);
  adql::Plan cone = adql::plan("EXPLAIN SELECT source_id FROM small_sky_order1_source_collection WHERE "
                               "1 = CONTAINS(POINT(source_ra, source_dec), CIRCLE(-35, -55, 2))",
                               o);
  EXPECT_TRUE(cone.explain);
  std::string text = cone.explain_text();
  EXPECT_NE(text.find("SpatialSearch"), std::string::npos) << text;
  EXPECT_NE(text.find("Estimate: partitions"), std::string::npos) << text;
  EXPECT_LT(cone.estimate.partitions, full.estimate.partitions);
  EXPECT_EQ(full.estimate.partitions, full.estimate.partitions_total);
  EXPECT_EQ(full.estimate.rows, 17161);  // small_sky_order1_source total_rows
  // Row-group pruning from a plain predicate shows in the estimate and the plan.
  adql::Plan pruned = adql::plan("EXPLAIN SELECT id FROM small_sky_order1 WHERE id > 100000", {fixture(kO1)});
  EXPECT_EQ(pruned.estimate.row_groups, 0u) << pruned.explain_text();
  EXPECT_NE(pruned.explain_text().find("prune [id > 100000]"), std::string::npos) << pruned.explain_text();
}

// A shape whose size makes no sense is an error at its position, whether the condition is
// pushed into a spatial search or evaluated per row (inside OR): never an empty result, the
// complement of the shape, or a message from the HEALPix library.
TEST(Planner, BadRegionSizesFailAtTheirPosition) {
  struct Case {
    std::string shape, message;
  };
  const Case cases[] = {
      {"CIRCLE(10, 20, -1)", "CIRCLE radius -1 must be between 0 and 180"},
      {"CIRCLE(10, 20, CAST('nan' AS DOUBLE))", "CIRCLE radius nan must be between 0 and 180"},
      {"BOX(10, 20, CAST('inf' AS DOUBLE), 4)", "BOX width inf must be a finite number"},
      {"CIRCLE(10, 20, 181)", "CIRCLE radius 181 must be between 0 and 180"},
      {"BOX(10, 20, -5, 4)", "BOX width -5 must be a finite number >= 0"},
      {"BOX(10, 20, 5, -4)", "BOX height -4 must be a finite number >= 0"},
      {"BOX(10, 80, 5, 30)", "reaches past a pole"},
      {"POLYGON(0, 0, 180, 0, 90, 45)", "antipodal"},
      {"POLYGON(10, 10, 10, 10, 20, 20)", "same point"},
      {"POLYGON(0, 0, 10, 0, 20, 0)", "one great circle"},
  };
  for (const Case& c : cases) {
    for (const std::string& where : {"1 = CONTAINS(POINT(ra, dec), " + c.shape + ")",
                                     "id < 0 OR 1 = CONTAINS(POINT(ra, dec), " + c.shape + ")"}) {
      std::string q = "SELECT id FROM small_sky WHERE " + where;
      std::string err = error_of(q);
      EXPECT_NE(err.find(c.message), std::string::npos) << q << " -> " << err;
      // The position is the shape's own.
      std::string pos = "line 1, column " + std::to_string(q.find(c.shape.substr(0, c.shape.find('('))) + 1) + ":";
      EXPECT_EQ(err.rfind(pos, 0), 0u) << q << " -> " << err;
    }
  }
  // Sizes at the limits are fine.
  EXPECT_EQ(run("SELECT id FROM small_sky WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(0, 0, 180))").rows(), 131u);
  EXPECT_EQ(run("SELECT id FROM small_sky WHERE 1 = CONTAINS(POINT(ra, dec), BOX(0, 0, 360, 180))").rows(), 131u);
  EXPECT_EQ(run("SELECT id FROM small_sky WHERE id < 0 OR 1 = CONTAINS(POINT(ra, dec), BOX(0, 0, 0, 0))").rows(), 0u);
  // DISTANCE compared with a bound outside [0, 180] is an ordinary, exact comparison.
  EXPECT_EQ(run("SELECT id FROM small_sky WHERE DISTANCE(POINT(ra, dec), POINT(0, 0)) < -1").rows(), 0u);
  EXPECT_EQ(run("SELECT id FROM small_sky WHERE DISTANCE(POINT(ra, dec), POINT(0, 0)) <= 200").rows(), 131u);
}

TEST(Planner, ErrorsNameThePlaceAndSuggest) {
  EXPECT_EQ(error_of("SELECT rra FROM small_sky"), "line 1, column 8: no column 'rra' in catalog small_sky (did you mean 'ra'?)");
  EXPECT_EQ(error_of("SELECT ra FROM small_skyy"),
            "line 1, column 16: no catalog 'small_skyy' under " + root() + " (did you mean 'small_sky'?)");
  EXPECT_NE(error_of("SELECT \"RA\" FROM small_sky").find("no column 'RA'"), std::string::npos);  // quoted: exact case
  EXPECT_NE(error_of("SELECT ra + 'x' FROM small_sky").find("must be numeric"), std::string::npos);
  EXPECT_NE(error_of("SELECT id FROM small_sky a, small_sky b").find("ambiguous"), std::string::npos);
  EXPECT_NE(error_of("SELECT id FROM small_sky a, small_sky a").find("appears twice"), std::string::npos);
  EXPECT_NE(error_of("SELECT x.id FROM small_sky a").find("no table 'x'"), std::string::npos);
  EXPECT_NE(error_of("SELECT id FROM small_sky WHERE COUNT(*) > 1").find("HAVING"), std::string::npos);
  EXPECT_NE(error_of("SELECT ra, COUNT(*) FROM small_sky").find("GROUP BY"), std::string::npos);
  EXPECT_NE(error_of("SELECT sqrtt(ra) FROM small_sky").find("did you mean 'sqrt'"), std::string::npos);
  EXPECT_NE(error_of("SELECT id FROM small_sky WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(0, 95, 1))").find("dec"),
            std::string::npos);
  EXPECT_NE(error_of("SELECT id FROM small_sky ORDER BY 3").find("ORDER BY position 3"), std::string::npos);
  // POINT/CIRCLE/POLYGON are output values now (udf_test.cc); BOX is a region only.
  EXPECT_NE(error_of("SELECT BOX(ra, dec, 1, 1) FROM small_sky").find("only as the region"), std::string::npos);
  EXPECT_NE(error_of("SELECT id FROM small_sky WHERE id IN (SELECT id, ra FROM small_sky)").find("one column"),
            std::string::npos);
  // Hostile input never crashes: every prefix of a long query fails cleanly or runs.
  std::string q = "SELECT TOP 5 a.id, COUNT(*) AS n FROM small_sky a JOIN small_sky b ON a.id = b.id WHERE "
                  "1=CONTAINS(POINT(a.ra, a.dec), CIRCLE(0, -80, 20)) GROUP BY a.id HAVING COUNT(*) > 0 ORDER BY n";
  for (size_t n = 0; n <= q.size(); n++) {
    try {
      run(q.substr(0, n));
    } catch (const std::exception&) {
    }
  }
}

TEST(Planner, ParsePlanTiming) {
  std::string q = "SELECT TOP 10 source_id, source_ra, source_dec, mag FROM small_sky_order1_source_collection "
                  "WHERE 1 = CONTAINS(POINT(source_ra, source_dec), CIRCLE(-35, -55, 2)) AND mag BETWEEN 10 AND 20 "
                  "ORDER BY mag";
  adql::PlanOptions o;
  o.root = root();
  adql::plan(q, o);  // warm up (opens, caches)
  int n = 50;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; i++) adql::parse(q);
  auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; i++) adql::plan(adql::parse(q), o);
  auto t2 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; i++) catalog::Catalog::open(fixture("small_sky_order1_source_collection"));
  auto t3 = std::chrono::steady_clock::now();
  double parse_ms = std::chrono::duration<double, std::milli>(t1 - t0).count() / n;
  double plan_ms = std::chrono::duration<double, std::milli>(t2 - t1).count() / n;
  double open_ms = std::chrono::duration<double, std::milli>(t3 - t2).count() / n;
  std::printf("[timing] ADQL parse %.4f ms; parse+plan %.3f ms, of which opening the catalog (properties, "
              "partition list, _metadata footer, margin) %.3f ms\n",
              parse_ms, plan_ms, open_ms);
}
