// Cross-match: exactly the pairs of a brute-force comparison on generated catalogs with
// different partitionings, with and without margins, across RA 0 and the poles; LSDB's
// expected files on the fixtures; the point matcher on its own; output schema.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "engine/column_ops.h"
#include "engine/xmatch.h"
#include "parquet/reader.h"
#include "parquet/writer.h"
#include "spatial_test_util.h"

using namespace astrolake;
using namespace astrolake::engine;
using namespace spatial_test;

namespace {

using Pair = std::pair<int64_t, int64_t>;
using PairMap = std::map<Pair, double>;  // (left id, right id) -> arcsec

PairMap brute(const Points& l, const Points& r, double radius_arcsec, int k, bool skip_same_id = false) {
  PairMap out;
  double R = radius_arcsec / 3600;
  for (size_t i = 0; i < l.ra.size(); i++) {
    std::vector<std::pair<double, size_t>> c;
    for (size_t j = 0; j < r.ra.size(); j++) {
      if (skip_same_id && l.id[i] == r.id[j]) continue;
      double s = sky::separation_deg(l.ra[i], l.dec[i], r.ra[j], r.dec[j]);
      if (s <= R) c.push_back({s, j});
    }
    std::sort(c.begin(), c.end());
    size_t n = k <= 0 ? c.size() : std::min(c.size(), size_t(k));
    for (size_t t = 0; t < n; t++) out[{l.id[i], r.id[c[t].second]}] = c[t].first * 3600;
  }
  return out;
}

PairMap run(const catalog::Catalog& l, const catalog::Catalog& r, XmatchOptions o, XmatchStats* st = nullptr,
            int64_t* unmatched = nullptr, const std::string& lid = "id", const std::string& rid = "id") {
  o.progress = 0;
  o.threads = 2;
  o.left_columns = {lid};
  o.right_columns = {rid};
  PairMap out;
  if (unmatched) *unmatched = 0;
  XmatchStats s = crossmatch(l, r, o, [&](parquet::Table&& t) {
    EXPECT_EQ(t.columns.size(), 3u);
    std::vector<int64_t> a = column_i64(t.columns[0]);
    std::vector<int64_t> b = column_i64(t.columns[1]);
    std::vector<double> d = column_f64(t.columns[2]);
    for (size_t i = 0; i < t.rows(); i++) {
      if (t.columns[1].is_null(i)) {
        EXPECT_TRUE(t.columns[2].is_null(i));
        if (unmatched) ++*unmatched;
        continue;
      }
      bool fresh = out.emplace(Pair{a[i], b[i]}, d[i]).second;
      EXPECT_TRUE(fresh) << "pair " << a[i] << "," << b[i] << " twice";
    }
  });
  if (st) *st = s;
  return out;
}

// The k nearest of each left row from an all-pairs map (ties broken by right id).
PairMap limit_k(const PairMap& all, int k) {
  if (k <= 0) return all;
  std::map<int64_t, std::vector<std::pair<double, int64_t>>> by_left;
  for (auto& [p, d] : all) by_left[p.first].push_back({d, p.second});
  PairMap out;
  for (auto& [l, v] : by_left) {
    std::sort(v.begin(), v.end());
    for (size_t t = 0; t < v.size() && t < size_t(k); t++) out[{l, v[t].second}] = v[t].first;
  }
  return out;
}

void expect_same(const PairMap& got, const PairMap& want, const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what;
  size_t shown = 0;
  for (const auto& [p, d] : want) {
    auto it = got.find(p);
    if (it == got.end()) {
      if (shown++ < 5) ADD_FAILURE() << what << ": missing pair " << p.first << "," << p.second << " at " << d << "\"";
      continue;
    }
    EXPECT_NEAR(it->second, d, 1e-9) << what;
  }
  for (const auto& [p, d] : got)
    if (!want.count(p) && shown++ < 10) ADD_FAILURE() << what << ": extra pair " << p.first << "," << p.second;
}

// Right points: a counterpart near most left points (within ~radius) plus a background.
Points counterparts(const Points& l, double spread_arcsec, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  Points r = make_points(l.ra.size() / 2, seed + 1, 1000000);
  for (size_t i = 0; i < l.ra.size(); i++) {
    if (i % 4 == 3) continue;
    double dd = g(rng) * spread_arcsec / 3600;
    double cd = std::max(1e-3, std::cos(l.dec[i] * sky::kDeg));
    double dr = g(rng) * spread_arcsec / 3600 / cd;
    r.id.push_back(2000000 + int64_t(i));
    r.ra.push_back(sky::wrap_ra(l.ra[i] + dr));
    r.dec.push_back(std::max(-90.0, std::min(90.0, l.dec[i] + dd)));
    r.mag.push_back(18);
  }
  return r;
}

class XmatchGenerated : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp = new TempDir;
    L = new Points(make_points(3000, 7));
    R = new Points(counterparts(*L, 40, 9));
    left_dir = make_catalog(tmp->path, "left", *L, 300);
    right_dir = make_catalog(tmp->path, "right", *R, 700);                   // coarser, no margin
    right_m_dir = make_catalog(tmp->path, "rightm", *R, 120, 300);           // finer, 300" margin
  }
  static void TearDownTestSuite() {
    delete tmp;
    delete L;
    delete R;
  }
  static TempDir* tmp;
  static Points *L, *R;
  static std::string left_dir, right_dir, right_m_dir;
};
TempDir* XmatchGenerated::tmp;
Points *XmatchGenerated::L, *XmatchGenerated::R;
std::string XmatchGenerated::left_dir, XmatchGenerated::right_dir, XmatchGenerated::right_m_dir;

TEST_F(XmatchGenerated, NoMarginMatchesBruteForce) {
  auto l = catalog::Catalog::open(left_dir);
  auto r = catalog::Catalog::open(right_dir);
  ASSERT_EQ(r.margin(), nullptr);
  for (double rad : {36.0, 120.0, 900.0}) {
    PairMap all = brute(*L, *R, rad, 0);
    for (int k : {1, 3, 0}) {
      XmatchOptions o;
      o.radius_arcsec = rad;
      o.k = k;
      XmatchStats st;
      PairMap got = run(l, r, o, &st);
      EXPECT_FALSE(st.used_margin);
      expect_same(got, limit_k(all, k), "no margin r=" + std::to_string(rad) + " k=" + std::to_string(k));
    }
  }
}

TEST_F(XmatchGenerated, WithMarginMatchesBruteForce) {
  auto l = catalog::Catalog::open(left_dir);
  auto r = catalog::Catalog::open(right_m_dir);
  ASSERT_NE(r.margin(), nullptr);
  for (double rad : {36.0, 300.0, 1000.0}) {  // the last exceeds the margin: neighbour path
    XmatchOptions o;
    o.radius_arcsec = rad;
    o.k = 2;
    XmatchStats st;
    PairMap got = run(l, r, o, &st);
    EXPECT_EQ(st.used_margin, rad <= 300.0);
    expect_same(got, brute(*L, *R, rad, 2), "margin r=" + std::to_string(rad));
  }
}

TEST_F(XmatchGenerated, RightFinerOrCoarserGiveTheSamePairs) {
  // Swap sides: left is now the coarse/fine one.
  auto a = catalog::Catalog::open(right_m_dir);
  auto b = catalog::Catalog::open(left_dir);
  XmatchOptions o;
  o.radius_arcsec = 60;
  o.k = 0;
  expect_same(run(a, b, o), brute(*R, *L, 60, 0), "swapped");
}

TEST_F(XmatchGenerated, LeftJoinKeepsEveryLeftRow) {
  auto l = catalog::Catalog::open(left_dir);
  auto r = catalog::Catalog::open(right_dir);
  XmatchOptions o;
  o.radius_arcsec = 20;
  o.left_join = true;
  int64_t unmatched = 0;
  PairMap got = run(l, r, o, nullptr, &unmatched);
  PairMap want = brute(*L, *R, 20, 1);
  expect_same(got, want, "left join");
  std::set<int64_t> matched_left;
  for (auto& [p, d] : want) matched_left.insert(p.first);
  EXPECT_EQ(unmatched + int64_t(matched_left.size()), int64_t(L->ra.size()));
  EXPECT_GT(unmatched, 0);
}

TEST_F(XmatchGenerated, SelfMatchExcludesTheRowItself) {
  auto l = catalog::Catalog::open(left_dir);
  XmatchOptions o;
  o.radius_arcsec = 600;
  o.k = 1;
  expect_same(run(l, l, o), brute(*L, *L, 600, 1, true), "self");
  o.exclude_self = false;
  PairMap all = run(l, l, o);
  EXPECT_EQ(all.size(), L->ra.size());
  for (auto& [p, d] : all) EXPECT_EQ(d, 0.0);
}

// crossmatch_pixel, one left partition at a time with the left rows given by the caller,
// finds what crossmatch() finds: through the right margin, through neighbours, and with a
// filter on the right rows (applied before matching, so the nearest kept row wins).
TEST_F(XmatchGenerated, PixelByPixelMatchesBruteForce) {
  auto l = catalog::Catalog::open(left_dir);
  auto by_pixel = [&](const catalog::Catalog& r, double rad, int k, bool even_only) {
    XmatchOptions o;
    o.radius_arcsec = rad;
    o.k = k;
    o.right_columns = {"id"};
    std::function<parquet::Table(parquet::Table&&)> keep_even;
    if (even_only)
      keep_even = [](parquet::Table&& t) {
        std::vector<int64_t> id = column_i64(t.col("id"));
        std::vector<uint8_t> keep(id.size());
        for (size_t i = 0; i < id.size(); i++) keep[i] = id[i] % 2 == 0;
        return filter(t, keep);
      };
    PairMap out;
    for (size_t i = 0; i < l.partitions().size(); i++) {
      parquet::Table lt = l.read_partition(i, {"id", "ra", "dec"});
      std::vector<int64_t> lid = column_i64(lt.columns[0]);
      const auto& p = l.partitions()[i];
      PixelMatches pm = crossmatch_pixel(r, o, p.order, p.pixel, column_f64(lt.columns[1]), column_f64(lt.columns[2]),
                                         keep_even);
      EXPECT_EQ(pm.right.rows(), pm.m.left.size());
      EXPECT_TRUE(std::is_sorted(pm.m.left.begin(), pm.m.left.end()));
      std::vector<int64_t> rid = column_i64(pm.right.col("id"));
      for (size_t t = 0; t < pm.m.left.size(); t++) {
        EXPECT_EQ(pm.m.right[t], int64_t(t));
        bool fresh = out.emplace(Pair{lid[size_t(pm.m.left[t])], rid[t]}, pm.m.dist_arcsec[t]).second;
        EXPECT_TRUE(fresh);
      }
    }
    return out;
  };
  Points even = *R;
  even.id.clear(), even.ra.clear(), even.dec.clear();
  for (size_t j = 0; j < R->id.size(); j++)
    if (R->id[j] % 2 == 0) {
      even.id.push_back(R->id[j]);
      even.ra.push_back(R->ra[j]);
      even.dec.push_back(R->dec[j]);
    }
  auto rm = catalog::Catalog::open(right_m_dir);
  auto r0 = catalog::Catalog::open(right_dir);
  for (double rad : {36.0, 1000.0}) {  // within the margin; beyond it (neighbours)
    expect_same(by_pixel(rm, rad, 2, false), brute(*L, *R, rad, 2), "pixel margin r=" + std::to_string(rad));
    expect_same(by_pixel(r0, rad, 1, false), brute(*L, *R, rad, 1), "pixel no margin r=" + std::to_string(rad));
    expect_same(by_pixel(rm, rad, 1, true), brute(*L, even, rad, 1), "pixel filtered r=" + std::to_string(rad));
  }
}

TEST(PointMatcher, WrapPolesAndTies) {
  // Left at RA 359.9999, right at RA 0.0001 on the equator: 0.72" apart across RA 0.
  std::vector<double> lra = {359.9999, 10, 0, 123}, ldec = {0, 89.99999, -90, 45};
  std::vector<double> rra = {0.0001, 190, 77, 0, NAN}, rdec = {0, 89.99999, -90, 1, 0};
  PointMatches m = match_points(lra, ldec, rra, rdec, 1.0, 0, true);
  ASSERT_EQ(m.left.size(), 4u);
  EXPECT_EQ(m.left[0], 0);
  EXPECT_EQ(m.right[0], 0);
  EXPECT_NEAR(m.dist_arcsec[0], 0.72, 1e-6);
  EXPECT_EQ(m.right[1], 1);  // across the north pole: 0.072" apart
  EXPECT_NEAR(m.dist_arcsec[1], 0.072, 1e-6);
  EXPECT_EQ(m.right[2], 2);  // both at the south pole, any RA
  EXPECT_NEAR(m.dist_arcsec[2], 0.0, 1e-9);
  EXPECT_EQ(m.left[3], 3);   // unmatched row of the left join
  EXPECT_EQ(m.right[3], -1);
  EXPECT_TRUE(std::isnan(m.dist_arcsec[3]));
  // Inclusive radius: a pair exactly at the radius matches.
  double sep = sky::separation_deg(10, 20, 10.001, 20) * 3600;
  PointMatches e = match_points({10}, {20}, {10.001}, {20}, sep, 1, false);
  EXPECT_EQ(e.left.size(), 1u);
  EXPECT_THROW(match_points({1}, {1}, {1}, {1}, -1, 1, false), std::invalid_argument);
}

// --- Fixtures: EXPECTED.md section 8 --------------------------------------------------------
Points all_points(const catalog::Catalog& c) {
  Points p;
  for (size_t i = 0; i < c.partitions().size(); i++) {
    parquet::Table t = c.read_partition(i, {"id", "ra", "dec"});
    auto id = column_i64(t.columns[0]);
    auto ra = column_f64(t.columns[1]);
    auto dec = column_f64(t.columns[2]);
    p.id.insert(p.id.end(), id.begin(), id.end());
    p.ra.insert(p.ra.end(), ra.begin(), ra.end());
    p.dec.insert(p.dec.end(), dec.begin(), dec.end());
  }
  return p;
}

PairMap read_expected(const std::string& file) {
  std::ifstream f(fixture("raw/xmatch_expected/" + file));
  std::string line;
  std::getline(f, line);
  PairMap out;
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::string idx, a, b, d;
    std::getline(ss, idx, ',');
    std::getline(ss, a, ',');
    std::getline(ss, b, ',');
    std::getline(ss, d, ',');
    out[{std::stoll(a), int64_t(std::stod(b))}] = std::stod(d) * 3600;
  }
  return out;
}

void expect_subset(const PairMap& small, const PairMap& big, const std::string& what) {
  for (auto& [p, d] : small) {
    auto it = big.find(p);
    if (it == big.end()) {
      ADD_FAILURE() << what << ": LSDB pair " << p.first << "," << p.second << " not in ours";
    } else {
      EXPECT_NEAR(it->second, d, 1e-6) << what;
    }
  }
}

TEST(XmatchFixtures, SmallSkyAt36ArcsecGives103Pairs) {
  auto l = catalog::Catalog::open(fixture("small_sky"), {false, ""});
  auto r = catalog::Catalog::open(fixture("small_sky_xmatch"), {false, ""});
  XmatchOptions o;
  o.radius_arcsec = 36;
  PairMap got = run(l, r, o);
  PairMap want = read_expected("xmatch_correct.csv");
  EXPECT_EQ(want.size(), 103u);
  expect_same(got, want, "xmatch_correct");
  expect_same(got, brute(all_points(l), all_points(r), 36, 1), "brute 36");
  o.radius_arcsec = 18;
  expect_same(run(l, r, o), read_expected("xmatch_correct_0_005.csv"), "xmatch_correct_0_005");
}

TEST(XmatchFixtures, ThreeNeighboursAtTwoDegrees) {
  auto l = catalog::Catalog::open(fixture("small_sky"), {false, ""});
  auto r = catalog::Catalog::open(fixture("small_sky_xmatch"), {true, fixture("small_sky_xmatch_margin")});
  ASSERT_NE(r.margin(), nullptr);
  XmatchOptions o;
  o.radius_arcsec = 7200;
  o.k = 3;
  XmatchStats st;
  PairMap with_margin = run(l, r, o, &st);
  EXPECT_TRUE(st.used_margin);
  PairMap want = read_expected("xmatch_correct_3n_2t.csv");
  EXPECT_EQ(want.size(), 190u);
  expect_same(with_margin, want, "3n_2t");
  // Without the margin we still find every pair (LSDB's no-margin file is a subset).
  auto r0 = catalog::Catalog::open(fixture("small_sky_xmatch"), {false, ""});
  PairMap no_margin = run(l, r0, o, &st);
  EXPECT_FALSE(st.used_margin);
  expect_same(no_margin, brute(all_points(l), all_points(r0), 7200, 3), "brute 3n");
  // LSDB's no-margin result picks its 3 nearest among fewer candidates, so its pairs are a
  // subset of all pairs within the radius (not of our 3 nearest).
  PairMap lsdb_nm = read_expected("xmatch_correct_3n_2t_no_margin.csv");
  EXPECT_EQ(lsdb_nm.size(), 185u);
  o.k = 0;
  expect_subset(lsdb_nm, run(l, r0, o), "no margin subset");
}

TEST(XmatchFixtures, NegativeMarginLeftPixel) {
  auto l = catalog::Catalog::open(fixture("small_sky_left_xmatch"), {false, ""});
  auto r = catalog::Catalog::open(fixture("small_sky_xmatch"), {true, fixture("small_sky_xmatch_margin")});
  XmatchOptions o;
  o.radius_arcsec = 7200;
  o.k = 3;
  PairMap got = run(l, r, o);
  PairMap want = read_expected("xmatch_correct_3n_2t_negative.csv");
  EXPECT_EQ(want.size(), 191u);
  expect_same(got, want, "negative");
  EXPECT_TRUE(got.count({699, 779}));
}

TEST(XmatchFixtures, SchemaSuffixesFollowLsdb) {
  auto l = catalog::Catalog::open(fixture("small_sky"), {false, ""});
  auto r = catalog::Catalog::open(fixture("small_sky_xmatch"), {false, ""});
  XmatchOptions o;
  auto s = xmatch_schema(l, r, o);
  std::vector<std::string> names;
  for (auto& f : s) names.push_back(f.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "id_small_sky"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "ra_small_sky_xmatch"), names.end());
  EXPECT_EQ(names.back(), "_dist_arcsec");
  // Whole-row output: every column, typed as the schema says.
  o.radius_arcsec = 36;
  o.progress = 0;
  size_t rows = 0;
  crossmatch(l, r, o, [&](parquet::Table&& t) {
    ASSERT_EQ(t.columns.size(), s.size());
    for (size_t c = 0; c < s.size(); c++) {
      EXPECT_EQ(t.columns[c].field.name, s[c].name);
      EXPECT_EQ(t.columns[c].field.type, s[c].type);
    }
    rows += t.rows();
  });
  EXPECT_EQ(rows, 103u);
}

}  // namespace

TEST_F(XmatchGenerated, EncodedOutputHoldsTheRowsOfTheTableSink) {
  // Every column of both sides, a left join, k = 2: the file written from row groups encoded
  // on the workers holds the same rows, bit for bit, as the file written from the tables sunk
  // on the calling thread.
  auto l = catalog::Catalog::open(left_dir);
  auto r = catalog::Catalog::open(right_m_dir);
  XmatchOptions o;
  o.radius_arcsec = 300;
  o.k = 2;
  o.left_join = true;
  o.progress = 0;
  o.threads = 2;
  std::vector<parquet::Field> schema = xmatch_schema(l, r, o);
  parquet::WriteOptions w;
  w.row_group_rows = 500;  // several row groups per partition
  std::string a = tmp->path + "/sunk.parquet", b = tmp->path + "/encoded.parquet";
  parquet::FileWriter fa(a, schema, w), fb(b, schema, w);
  XmatchStats sa = crossmatch(l, r, o, [&](parquet::Table&& t) { fa.write(t); });
  XmatchStats sb = crossmatch_encoded(l, r, o, w, [&](parquet::EncodedRowGroups&& e) { fb.append(std::move(e)); });
  fa.close();
  fb.close();
  EXPECT_EQ(sa.pairs, sb.pairs);
  EXPECT_EQ(sa.left_rows, sb.left_rows);
  parquet::Table ta = parquet::FileReader::open(a)->read(), tb = parquet::FileReader::open(b)->read();
  ASSERT_EQ(ta.rows(), size_t(sa.pairs));
  ASSERT_GT(ta.rows(), L->ra.size());
  ASSERT_EQ(ta.columns.size(), tb.columns.size());
  for (size_t i = 0; i < ta.columns.size(); i++) {
    SCOPED_TRACE(ta.columns[i].field.name);
    EXPECT_EQ(ta.columns[i].field.name, tb.columns[i].field.name);
    EXPECT_EQ(ta.columns[i].valid, tb.columns[i].valid);
    EXPECT_EQ(ta.columns[i].offsets, tb.columns[i].offsets);
    ASSERT_EQ(ta.columns[i].data.size(), tb.columns[i].data.size());
    EXPECT_EQ(std::memcmp(ta.columns[i].data.data(), tb.columns[i].data.data(), ta.columns[i].data.size()), 0);
  }
}
