// TAP_UPLOAD tables in the planner and the set operations' errors. Uploads are real VOTables
// (hand-written, and written by astropy) read with votable::read_votable; the positional
// upload x catalog join is checked against brute force and against the general (filter) plan.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "../engine/spatial_test_util.h"
#include "adql/planner.h"
#include "engine/column_ops.h"
#include "engine/query_context.h"
#include "sky/geometry.h"
#include "votable/reader.h"

using namespace astrolake;

namespace {

std::string source_root() { return spatial_test::fixture("small_sky_order1_source_collection"); }

parquet::Table run(const std::string& q, const std::map<std::string, std::shared_ptr<const parquet::Table>>& uploads,
                   std::string* explain = nullptr) {
  adql::PlanOptions o;
  o.root = source_root();
  o.threads = 2;
  o.uploads = uploads;
  adql::Plan p = adql::plan(q, o);
  if (explain) *explain = p.explain_text();
  return engine::collect(*p.root);
}

std::string plan_error(const std::string& q, const std::map<std::string, std::shared_ptr<const parquet::Table>>& uploads = {}) {
  try {
    run(q, uploads);
  } catch (const adql::PlanError& e) {
    return e.what();
  }
  return "no error";
}

// Targets: a few positions near sources of small_sky_order1_source, as a TABLEDATA VOTable.
std::string targets_votable() {
  return R"(<?xml version="1.0"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE><TABLE name="mine">
<FIELD name="target" datatype="char" arraysize="*"/>
<FIELD name="RA" datatype="double" unit="deg" ucd="pos.eq.ra;meta.main"/>
<FIELD name="Dec" datatype="double" unit="deg" ucd="pos.eq.dec;meta.main"/>
<FIELD name="obj" datatype="long"/>
<FIELD name="rad" datatype="float" unit="deg"/>
<DATA><TABLEDATA>
<TR><TD>a</TD><TD>282.5</TD><TD>-58.5</TD><TD>700</TD><TD>0.25</TD></TR>
<TR><TD>b</TD><TD>299.5</TD><TD>-48.5</TD><TD>701</TD><TD>1.5</TD></TR>
<TR><TD>c</TD><TD>310.5</TD><TD>-27.5</TD><TD>702</TD><TD></TD></TR>
<TR><TD>nowhere</TD><TD>10</TD><TD>10</TD><TD>1</TD><TD>1</TD></TR>
<TR><TD>null</TD><TD></TD><TD>-30</TD><TD></TD><TD>1</TD></TR>
</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>
)";
}

using Pairs = std::multiset<std::pair<std::string, int64_t>>;

Pairs pairs(const parquet::Table& t) {
  Pairs out;
  for (size_t r = 0; r < t.rows(); r++)
    out.insert({std::string(t.columns[0].string_at(r)), engine::value_at(t.columns[1], r).i});
  return out;
}

}  // namespace

TEST(Upload, PositionalJoinWithCatalogMatchesBruteForce) {
  auto up = std::make_shared<const parquet::Table>(votable::read_votable(targets_votable()).table);
  std::map<std::string, std::shared_ptr<const parquet::Table>> uploads{{"mine", up}};
  const double r = 0.5;  // degrees
  std::string q = "SELECT m.target, s.source_id FROM TAP_UPLOAD.mine AS m JOIN small_sky_order1_source AS s "
                  "ON 1 = CONTAINS(POINT('ICRS', s.source_ra, s.source_dec), CIRCLE('ICRS', m.ra, m.dec, 0.5))";
  std::string explain;
  adql::PlanOptions eo;
  eo.root = source_root();
  eo.uploads = uploads;
  explain = adql::plan("EXPLAIN " + q, eo).explain_text();
  EXPECT_NE(explain.find("UploadConeJoin m x s"), std::string::npos) << explain;
  Pairs fast = pairs(run(q, uploads));

  // Brute force over every source.
  parquet::Table all = run("SELECT source_id, source_ra, source_dec FROM small_sky_order1_source", {});
  Pairs brute;
  const auto& t = up->col("target");
  for (size_t i = 0; i < up->rows(); i++) {
    if (up->col("RA").is_null(i)) continue;
    double ra = up->col("RA").values_as<double>()[i], dec = up->col("Dec").values_as<double>()[i];
    for (size_t k = 0; k < all.rows(); k++)
      if (sky::separation_deg(ra, dec, all.columns[1].as_double(k), all.columns[2].as_double(k)) <= r)
        brute.insert({std::string(t.string_at(i)), engine::value_at(all.columns[0], k).i});
  }
  EXPECT_GT(brute.size(), 10u);
  EXPECT_EQ(fast, brute);

  // The general plan (the same condition inside an OR, so no cone join) agrees; so do the
  // DISTANCE form and the swapped operand order.
  std::string slow_q = "SELECT m.target, s.source_id FROM TAP_UPLOAD.mine AS m JOIN small_sky_order1_source AS s "
                       "ON (1 = CONTAINS(POINT(s.source_ra, s.source_dec), CIRCLE(m.ra, m.dec, 0.5)) OR 1 = 0)";
  EXPECT_EQ(pairs(run(slow_q, uploads)), brute);
  EXPECT_EQ(pairs(run("SELECT m.target, s.source_id FROM small_sky_order1_source AS s, TAP_UPLOAD.MINE m "
                      "WHERE DISTANCE(POINT(m.ra, m.dec), POINT(s.source_ra, s.source_dec)) <= 0.5",
                      uploads)),
            brute);
  // Extra conditions on either side still apply.
  Pairs filtered;
  for (const auto& p : brute)
    if (p.first == "a") filtered.insert(p);
  EXPECT_EQ(pairs(run(q + " WHERE m.target = 'a'", uploads)), filtered);

  // A per-target radius from the upload (NULL radius: no match), against brute force.
  Pairs per_row;
  const auto& rad = up->col("rad");
  for (size_t i = 0; i < up->rows(); i++) {
    if (up->col("RA").is_null(i) || rad.is_null(i)) continue;
    double ra = up->col("RA").values_as<double>()[i], dec = up->col("Dec").values_as<double>()[i];
    for (size_t k = 0; k < all.rows(); k++)
      if (sky::separation_deg(ra, dec, all.columns[1].as_double(k), all.columns[2].as_double(k)) <= rad.values_as<float>()[i])
        per_row.insert({std::string(t.string_at(i)), engine::value_at(all.columns[0], k).i});
  }
  std::string rq = "SELECT m.target, s.source_id FROM TAP_UPLOAD.mine AS m JOIN small_sky_order1_source AS s "
                   "ON 1 = CONTAINS(POINT(s.source_ra, s.source_dec), CIRCLE(m.ra, m.dec, m.rad))";
  EXPECT_NE(adql::plan("EXPLAIN " + rq, eo).explain_text().find("UploadConeJoin"), std::string::npos);
  EXPECT_GT(per_row.size(), brute.size() / 4);
  EXPECT_NE(per_row, brute);
  EXPECT_EQ(pairs(run(rq, uploads)), per_row);

  // LEFT JOIN keeps every target: unmatched ones (and the one without a position) once, with
  // NULL catalog columns; a condition on the catalog side in ON decides what matches.
  auto left_pairs = [&](const std::string& extra) {
    parquet::Table lt = run("SELECT m.target, s.source_id FROM TAP_UPLOAD.mine AS m LEFT JOIN small_sky_order1_source AS s "
                            "ON DISTANCE(POINT(m.ra, m.dec), POINT(s.source_ra, s.source_dec)) < 0.5" + extra,
                            uploads);
    Pairs out;
    for (size_t r = 0; r < lt.rows(); r++)
      out.insert({std::string(lt.columns[0].string_at(r)), lt.columns[1].is_null(r) ? -1 : engine::value_at(lt.columns[1], r).i});
    return out;
  };
  Pairs want = brute;
  for (const char* name : {"nowhere", "null"}) want.insert({name, -1});
  EXPECT_EQ(left_pairs(""), want);
  Pairs want_band;
  parquet::Table band = run("SELECT source_id FROM small_sky_order1_source WHERE band = 'r'", {});
  std::set<int64_t> r_ids;
  for (size_t k = 0; k < band.rows(); k++) r_ids.insert(engine::value_at(band.columns[0], k).i);
  std::set<std::string> seen;
  for (const auto& p : brute)
    if (r_ids.count(p.second)) {
      want_band.insert(p);
      seen.insert(p.first);
    }
  for (const char* name : {"a", "b", "c", "nowhere", "null"})
    if (!seen.count(name)) want_band.insert({name, -1});
  EXPECT_EQ(left_pairs(" AND s.band = 'r'"), want_band);
}

TEST(Upload, KeyJoinAggregatesAndErrors) {
  auto up = std::make_shared<const parquet::Table>(votable::read_votable(targets_votable()).table);
  std::map<std::string, std::shared_ptr<const parquet::Table>> uploads{{"mine", up}};
  parquet::Table t = run("SELECT m.target, COUNT(*) AS n FROM TAP_UPLOAD.mine m JOIN small_sky_order1_source s "
                         "ON m.obj = s.object_id GROUP BY m.target ORDER BY m.target",
                         uploads);
  parquet::Table want = run("SELECT object_id, COUNT(*) FROM small_sky_order1_source WHERE object_id IN (700, 701, 702) "
                            "GROUP BY object_id ORDER BY object_id",
                            {});
  ASSERT_EQ(t.rows(), want.rows());
  ASSERT_GT(t.rows(), 0u);
  for (size_t i = 0; i < t.rows(); i++) EXPECT_EQ(engine::value_at(t.columns[1], i).i, engine::value_at(want.columns[1], i).i);
  // The key join builds its hash table on the upload and streams the catalog.
  adql::PlanOptions eo;
  eo.root = source_root();
  eo.uploads = uploads;
  std::string ex = adql::plan("EXPLAIN SELECT m.target FROM TAP_UPLOAD.mine m JOIN small_sky_order1_source s ON m.obj = s.object_id", eo)
                       .explain_text();
  EXPECT_LT(ex.find("Scan s"), ex.find("Upload TAP_UPLOAD.mine")) << ex;
  // The upload alone, with a filter and a UNION against itself.
  EXPECT_EQ(run("SELECT target FROM TAP_UPLOAD.mine WHERE obj > 700", uploads).rows(), 2u);
  EXPECT_EQ(run("SELECT obj FROM TAP_UPLOAD.mine UNION SELECT obj FROM TAP_UPLOAD.mine", uploads).rows(), 5u);
  EXPECT_EQ(run("SELECT obj FROM TAP_UPLOAD.mine UNION ALL SELECT obj FROM TAP_UPLOAD.mine", uploads).rows(), 10u);

  // An upload's geometry column keeps the xtype its VOTable FIELD declared.
  votable::VoTable pv = votable::read_votable(
      "<VOTABLE><RESOURCE><TABLE><FIELD name=\"id\" datatype=\"int\"/>"
      "<FIELD name=\"pos\" datatype=\"double\" arraysize=\"2\" xtype=\"point\"/><DATA><TABLEDATA>"
      "<TR><TD>1</TD><TD>10 20</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>");
  adql::PlanOptions xo;
  xo.root = source_root();
  xo.uploads["pts"] = std::make_shared<const parquet::Table>(pv.table);
  for (const auto& f : pv.fields) xo.upload_xtypes["pts"].push_back(f.xtype);
  EXPECT_EQ(adql::plan("SELECT pos, id FROM TAP_UPLOAD.pts", xo).xtypes, (std::vector<std::string>{"point", ""}));
  EXPECT_EQ(adql::plan("SELECT * FROM TAP_UPLOAD.pts", xo).xtypes, (std::vector<std::string>{"", "point"}));

  std::string e = plan_error("SELECT * FROM TAP_UPLOAD.mien", uploads);
  EXPECT_NE(e.find("no upload table TAP_UPLOAD.mien (uploaded: mine) (did you mean 'mine'?)"), std::string::npos) << e;
  e = plan_error("SELECT * FROM TAP_UPLOAD.x");
  EXPECT_NE(e.find("this query has no uploads"), std::string::npos) << e;
}

TEST(SetOperations, ClearErrors) {
  std::string e = plan_error("SELECT source_id, source_ra FROM small_sky_order1_source UNION SELECT source_id FROM small_sky_order1_source");
  EXPECT_NE(e.find("UNION: the left query has 2 columns and the right one 1"), std::string::npos) << e;
  e = plan_error("SELECT source_id FROM small_sky_order1_source EXCEPT ALL SELECT band FROM small_sky_order1_source");
  EXPECT_NE(e.find("EXCEPT ALL: column 1 (source_id) is int64 on the left but string on the right"), std::string::npos) << e;
  e = plan_error("SELECT source_id FROM small_sky_order1_source INTERSECT SELECT source_id FROM small_sky_order1_source ORDER BY nope");
  EXPECT_NE(e.find("must name a result column"), std::string::npos) << e;
}

// An upload written by astropy (BINARY2) cross-matched with the catalog.
TEST(Upload, AstropyBinary2Upload) {
  std::string py = std::string(AL_SOURCE_DIR) + "/.venv/bin/python";
  ASSERT_TRUE(std::filesystem::exists(py)) << "run scripts/install-deps.sh to create " << py;
  std::string path = (std::filesystem::temp_directory_path() / ("al_up_" + std::to_string(getpid()) + ".xml")).string();
  std::string cmd = py + " -c \"import sys; from astropy.table import Table; from astropy.io.votable import from_table; "
                         "t = Table({'ra': [282.5, 299.5], 'dec': [-58.5, -48.5], 'name': ['a', 'b']}); "
                         "v = from_table(t); v.get_first_table().format = 'binary2'; v.to_xml(sys.argv[1])\" " + path;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto up = std::make_shared<const parquet::Table>(votable::read_votable_file(path).table);
  std::filesystem::remove(path);
  std::map<std::string, std::shared_ptr<const parquet::Table>> uploads{{"t", up}};
  parquet::Table fast = run("SELECT u.name, s.source_id FROM TAP_UPLOAD.t u JOIN small_sky_order1_source s "
                            "ON DISTANCE(POINT(u.ra, u.dec), POINT(s.source_ra, s.source_dec)) < 1/3.",
                            uploads);
  parquet::Table slow = run("SELECT u.name, s.source_id FROM TAP_UPLOAD.t u JOIN small_sky_order1_source s "
                            "ON (DISTANCE(POINT(u.ra, u.dec), POINT(s.source_ra, s.source_dec)) < 1/3. OR 1 = 0)",
                            uploads);
  EXPECT_GT(fast.rows(), 0u);
  EXPECT_EQ(pairs(fast), pairs(slow));
}

// A cancelled query with an upload cone join stops with QueryError (the job also polls the
// context between targets, so a long upload with no matches does not run to its end).
TEST(Upload, ConeJoinStopsOnCancel) {
  std::string doc = "<VOTABLE><RESOURCE><TABLE><FIELD name=\"ra\" datatype=\"double\"/><FIELD name=\"dec\" datatype=\"double\"/>"
                    "<DATA><TABLEDATA>";
  for (int i = 0; i < 2000; i++) doc += "<TR><TD>" + std::to_string(i % 90) + "</TD><TD>45</TD></TR>";
  doc += "</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>";
  engine::QueryContext ctx;
  adql::PlanOptions o;
  o.root = source_root();
  o.ctx = &ctx;
  o.uploads["far"] = std::make_shared<const parquet::Table>(votable::read_votable(doc).table);
  std::string q = "SELECT s.source_id FROM TAP_UPLOAD.far u JOIN small_sky_order1_source s "
                  "ON 1 = CONTAINS(POINT(s.source_ra, s.source_dec), CIRCLE(u.ra, u.dec, 0.01))";
  EXPECT_EQ(engine::collect(*adql::plan(q, o).root).rows(), 0u);  // nothing there
  adql::Plan p = adql::plan(q, o);
  ctx.cancel();
  EXPECT_THROW(engine::collect(*p.root), engine::QueryError);
}
