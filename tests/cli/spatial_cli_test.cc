// `astrolake cone|box|polygon` on the HATS fixtures, through every output format (.csv,
// .parquet, --format hats). Selections are checked against brute force on the raw CSVs and
// the LSDB facts in EXPECTED.md; values against the catalog read through the catalog API,
// bit for bit. Bad input must fail with one line and leave nothing behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "cli_harness.h"
#include "sky/geometry.h"

using namespace al_cli_test;

namespace {

const std::string kSource = "small_sky_order1_source_collection";
const std::string kObject = "small_sky_order1_collection";

struct RawPoint {
  int64_t id;
  double ra, dec;
};

// (id, ra, dec) of a raw fixture CSV, parsed with strtod like any reader would.
std::vector<RawPoint> raw_points(const std::string& rel, const std::string& id, const std::string& ra,
                                 const std::string& dec) {
  auto recs = parse_csv(slurp(data(rel)));
  auto col = [&](const std::string& n) {
    return size_t(std::find(recs[0].begin(), recs[0].end(), n) - recs[0].begin());
  };
  size_t ci = col(id), cr = col(ra), cd = col(dec);
  std::vector<RawPoint> out;
  for (size_t r = 1; r < recs.size(); r++)
    out.push_back({std::stoll(recs[r][ci]), std::strtod(recs[r][cr].c_str(), nullptr),
                   std::strtod(recs[r][cd].c_str(), nullptr)});
  return out;
}

// hats' cone_filter: haversine, inclusive boundary.
std::set<int64_t> brute_cone(const std::vector<RawPoint>& pts, double ra0, double dec0, double radius_arcsec) {
  const double d = M_PI / 180;
  double lim = std::pow(std::sin(radius_arcsec / 3600 * d / 2), 2);
  std::set<int64_t> out;
  for (auto& p : pts) {
    double a = std::pow(std::sin((p.dec - dec0) * d / 2), 2) +
               std::cos(dec0 * d) * std::cos(p.dec * d) * std::pow(std::sin((p.ra - ra0) * d / 2), 2);
    if (a <= lim) out.insert(p.id);
  }
  return out;
}

double wrap(double ra) {
  ra = std::fmod(ra, 360.0);
  return ra < 0 ? ra + 360 : ra;
}

// hats' box_filter.
std::set<int64_t> brute_box(const std::vector<RawPoint>& pts, double lo, double hi, double dlo, double dhi) {
  lo = wrap(lo), hi = wrap(hi);
  std::set<int64_t> out;
  for (auto& p : pts) {
    bool ra_ok = lo == hi || (lo < hi ? (p.ra >= lo && p.ra <= hi) : (p.ra >= lo || p.ra <= hi));
    if (ra_ok && p.dec >= dlo && p.dec <= dhi) out.insert(p.id);
  }
  return out;
}

std::string fmt_num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

std::string out_path(const TempDir& d, const std::string& fmt, const std::string& stem) {
  return fmt == "hats" ? d / stem : d / (stem + "." + fmt);
}

std::vector<std::string> with_output(std::vector<std::string> args, const std::string& fmt, const std::string& path) {
  args.insert(args.end(), {"-o", path, "-q"});
  if (fmt == "hats") args.insert(args.end(), {"--format", "hats"});
  return args;
}

// Reads a result back the way a user of that format would.
Result read_result(const std::string& fmt, const std::string& path, const std::map<std::string, Type>& types) {
  if (fmt == "csv") return canon_csv(path, types);
  if (fmt == "parquet") return canon_parquet(path);
  return canon_catalog(path);
}

// Every row of `got` equals the row of `truth` with the same key, in every column of truth
// (bit for bit for doubles); keys are unique. Returns the keys seen.
std::set<int64_t> check_rows(const Result& got, const Result& truth, const std::string& key) {
  std::map<std::string, size_t> row_of;
  const auto& tk = truth.col(key);
  for (size_t r = 0; r < tk.size(); r++) row_of[tk[r]] = r;
  std::set<int64_t> keys;
  const auto& gk = got.col(key);
  for (size_t r = 0; r < got.rows(); r++) {
    auto it = row_of.find(gk[r]);
    if (it == row_of.end()) {
      ADD_FAILURE() << "result row " << r << " has " << key << " " << gk[r] << ", not in the catalog";
      continue;
    }
    EXPECT_TRUE(keys.insert(std::stoll(gk[r])).second) << "duplicate " << key << " " << gk[r];
    for (size_t c = 0; c < truth.names.size(); c++) {
      int gc = got.find(truth.names[c]);
      if (gc < 0) {
        ADD_FAILURE() << "no column " << truth.names[c];
        return keys;
      }
      if (got.cols[size_t(gc)][r] != truth.cols[c][it->second]) {
        ADD_FAILURE() << truth.names[c] << " of " << key << " " << gk[r] << ": got " << got.cols[size_t(gc)][r]
                      << ", catalog has " << truth.cols[c][it->second];
        return keys;
      }
    }
  }
  return keys;
}

class CliSpatial : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_truth_ = new Result(canon_catalog(data(kSource)));
    object_truth_ = new Result(canon_catalog(data(kObject)));
    auto src = astrolake::catalog::Catalog::open(data(kSource), {false, ""});
    source_types_ = new std::map<std::string, Type>(types_of(src.schema()));
    auto obj = astrolake::catalog::Catalog::open(data(kObject), {false, ""});
    object_types_ = new std::map<std::string, Type>(types_of(obj.schema()));
    object_names_ = new std::vector<std::string>(object_truth_->names);
    source_names_ = new std::vector<std::string>(source_truth_->names);
  }
  static void TearDownTestSuite() {
    delete source_truth_;
    delete object_truth_;
    delete source_types_;
    delete object_types_;
    delete object_names_;
    delete source_names_;
  }
  static Result* source_truth_;
  static Result* object_truth_;
  static std::map<std::string, Type>* source_types_;
  static std::map<std::string, Type>* object_types_;
  static std::vector<std::string>* object_names_;
  static std::vector<std::string>* source_names_;
};
Result* CliSpatial::source_truth_ = nullptr;
Result* CliSpatial::object_truth_ = nullptr;
std::map<std::string, Type>* CliSpatial::source_types_ = nullptr;
std::map<std::string, Type>* CliSpatial::object_types_ = nullptr;
std::vector<std::string>* CliSpatial::object_names_ = nullptr;
std::vector<std::string>* CliSpatial::source_names_ = nullptr;

const char* kFormats[] = {"csv", "parquet", "hats"};

TEST_F(CliSpatial, ConeOnSourceCollectionMatchesBruteForceInEveryFormat) {
  auto raw = raw_points("raw/small_sky_source/small_sky_source.csv", "source_id", "source_ra", "source_dec");
  ASSERT_EQ(raw.size(), 17161u);
  std::set<int64_t> want = brute_cone(raw, -35, -55, 7200);
  ASSERT_EQ(want.size(), 152u);  // EXPECTED.md section 3
  TempDir d("spatial");
  for (const char* fmt : kFormats) {
    SCOPED_TRACE(fmt);
    std::string out = out_path(d, fmt, "cone");
    RunResult r = run_cli(with_output({"cone", data(kSource), "--ra", "-35", "--dec", "-55", "--radius-arcsec", "7200"},
                                      fmt, out));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    Result got = read_result(fmt, out, *source_types_);
    if (std::string(fmt) != "hats") {
      EXPECT_EQ(got.names, *source_names_);  // header row / schema, in order
    }
    EXPECT_EQ(got.rows(), 152u);
    EXPECT_EQ(check_rows(got, *source_truth_, "source_id"), want);
  }
  // Nothing but the outputs (no temp files).
  auto e = d.entries();
  EXPECT_TRUE(std::find(e.begin(), e.end(), "cone.csv") != e.end());
  for (auto& name : e) EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;

  // The HATS result is a catalog like any other: it opens and feeds further commands.
  std::string hats = d / "cone";
  auto cat = astrolake::catalog::Catalog::open(hats);
  EXPECT_EQ(cat.rows(), 152);
  EXPECT_EQ(cat.ra_column(), "source_ra");
  EXPECT_EQ(cat.dec_column(), "source_dec");
  std::string inner = d / "inner.csv";
  RunResult r = run_cli({"cone", hats, "--ra", "325", "--dec", "-55", "--radius-arcsec", "6600", "-o", inner, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  Result got = canon_csv(inner, *source_types_);
  std::set<int64_t> want_inner = brute_cone(raw, 325, -55, 6600);
  EXPECT_GT(want_inner.size(), 10u);
  EXPECT_LT(want_inner.size(), 152u);
  EXPECT_EQ(check_rows(got, *source_truth_, "source_id"), want_inner);

  // ... and a cross-match input: each source's nearest small_sky object within 1800",
  // against brute force over the raw object CSV.
  auto objects = raw_points("raw/small_sky/small_sky.csv", "id", "ra", "dec");
  std::string xm = d / "xm.csv";
  r = run_cli({"xmatch", hats, data("small_sky"), "--radius-arcsec", "1800", "--left-columns", "source_id",
               "--right-columns", "id", "-o", xm, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto recs = parse_csv(slurp(xm));
  ASSERT_FALSE(recs.empty());
  EXPECT_EQ(recs[0], (std::vector<std::string>{"source_id_cone", "id_small_sky", "_dist_arcsec"}));
  std::map<int64_t, int64_t> got_pairs;
  for (size_t i = 1; i < recs.size(); i++) got_pairs[std::stoll(recs[i][0])] = std::stoll(recs[i][1]);
  std::map<int64_t, int64_t> want_pairs;
  for (auto& s : raw)
    if (want.count(s.id)) {
      double best = 1e300;
      int64_t best_id = -1;
      for (auto& o : objects) {
        double sep = astrolake::sky::separation_deg(s.ra, s.dec, o.ra, o.dec) * 3600;
        if (sep <= 1800 && sep < best) best = sep, best_id = o.id;
      }
      if (best_id >= 0) want_pairs[s.id] = best_id;
    }
  EXPECT_GT(want_pairs.size(), 100u);
  EXPECT_EQ(got_pairs, want_pairs);
}

TEST_F(CliSpatial, BoxCountsAndRowsInEveryFormat) {
  auto raw = raw_points("raw/small_sky/small_sky.csv", "id", "ra", "dec");
  ASSERT_EQ(raw.size(), 131u);
  struct Box {
    double lo, hi, dlo, dhi;
    size_t rows;
  };
  // EXPECTED.md section 4; the last four are one wrapped box written four ways.
  const Box boxes[] = {{280, 300, -90, 90, 34}, {300, 280, -90, 90, 97}, {0, 360, -80, -30, 120},
                       {280, 300, -40, -30, 8}, {300, 320, -40, -10, 25}, {330, 30, -90, 90, 31},
                       {-30, 30, -90, 90, 31},  {330, 390, -90, 90, 31},  {330, -330, -90, 90, 31}};
  TempDir d("spatial");
  int n = 0;
  for (const Box& b : boxes) {
    std::set<int64_t> want = brute_box(raw, b.lo, b.hi, b.dlo, b.dhi);
    ASSERT_EQ(want.size(), b.rows) << "brute force disagrees with EXPECTED.md for ra " << b.lo << ".." << b.hi;
    for (const char* fmt : kFormats) {
      SCOPED_TRACE(std::string(fmt) + " ra " + fmt_num(b.lo) + ".." + fmt_num(b.hi) + " dec " + fmt_num(b.dlo) +
                   ".." + fmt_num(b.dhi));
      std::string out = out_path(d, fmt, "box" + std::to_string(n++));
      RunResult r = run_cli(with_output({"box", data(kObject), "--ra-min", fmt_num(b.lo), "--ra-max", fmt_num(b.hi),
                                         "--dec-min", fmt_num(b.dlo), "--dec-max", fmt_num(b.dhi)},
                                        fmt, out));
      ASSERT_EQ(r.status, 0) << r.err;
      Result got = read_result(fmt, out, *object_types_);
      if (std::string(fmt) != "hats") {
        EXPECT_EQ(got.names, *object_names_);
      }
      EXPECT_EQ(got.rows(), b.rows);
      EXPECT_EQ(check_rows(got, *object_truth_, "id"), want);
    }
  }
}

TEST_F(CliSpatial, PolygonIdsInEveryFormat) {
  TempDir d("spatial");
  for (const char* fmt : kFormats) {
    SCOPED_TRACE(fmt);
    std::string out = out_path(d, fmt, "poly");
    // Either winding is the same polygon.
    for (const char* v : {"300,-50,300,-55,272,-55,272,-50", "272,-50,272,-55,300,-55,300,-50"}) {
      RunResult r = run_cli(with_output({"polygon", data(kObject), "--vertices", v, "--overwrite"}, fmt, out));
      ASSERT_EQ(r.status, 0) << r.err;
      Result got = read_result(fmt, out, *object_types_);
      EXPECT_EQ(check_rows(got, *object_truth_, "id"), (std::set<int64_t>{749, 774, 805}));  // EXPECTED.md 5
    }
  }
}

TEST_F(CliSpatial, ColumnsOptionSelectsAndOrders) {
  TempDir d("spatial");
  std::string out = d / "c.csv";
  RunResult r = run_cli({"box", data(kObject), "--ra-min", "280", "--ra-max", "300", "--dec-min", "-40", "--dec-max",
                         "-30", "--columns", "dec, id", "-o", out, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  Result got = canon_csv(out, *object_types_);
  EXPECT_EQ(got.names, (std::vector<std::string>{"dec", "id"}));
  EXPECT_EQ(got.rows(), 8u);
  check_rows(got, Result{{"dec", "id"}, {object_truth_->col("dec"), object_truth_->col("id")}}, "id");
  // Without -q a one-line summary goes to stdout.
  r = run_cli({"box", data(kObject), "--ra-min", "280", "--ra-max", "300", "--dec-min", "-40", "--dec-max", "-30",
               "-o", d / "s.parquet"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("8 rows in ", 0), 0u) << r.out;
}

// Each bad command: non-zero exit, exactly one stderr line naming the problem, nothing on
// stdout, and no file created (`keep` lists files that were there before and must survive).
struct BadCase {
  std::vector<std::string> args;
  std::string message;
};

void expect_clean_failure(const TempDir& d, const BadCase& c, const std::set<std::string>& keep = {}) {
  std::string line;
  for (auto& a : c.args) line += a + " ";
  SCOPED_TRACE(line);
  RunResult r = run_cli(c.args);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.status, -1) << "killed by a signal";
  EXPECT_EQ(r.err_lines(), 1) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  std::set<std::string> left;
  for (auto& e : d.entries()) left.insert(e);
  EXPECT_EQ(left, keep);
}

TEST(CliSpatialErrors, BadInputFailsWithOneLineAndWritesNothing) {
  TempDir d("spatial_err");
  const std::string cat = data(kObject), out = d / "out.csv";
  const std::vector<BadCase> cases = {
      {{"cone", "no_such_catalog", "--root", d.path.string(), "--ra", "0", "--dec", "0", "--radius-arcsec", "1", "-o",
        out},
       "no_such_catalog"},
      {{"cone", cat, "--ra", "10", "--dec", "95", "--radius-arcsec", "10", "-o", out}, "dec 95"},
      {{"cone", cat, "--ra", "10", "--dec", "-60", "--radius-arcsec", "-5", "-o", out}, "radius -5"},
      {{"polygon", cat, "--vertices", "300,-50,300,-55", "-o", out}, "at least 3 vertices"},
      {{"polygon", cat, "--vertices", "300,-50,300,-55,272,-55,290,-53,272,-50", "-o", out}, "convex"},
      {{"polygon", cat, "--vertices", "300,-50,300,x,272,-55", "-o", out}, "'x' is not a number"},
      {{"box", cat, "--ra-min", "0", "--ra-max", "10", "--dec-min", "10", "--dec-max", "-10", "-o", out}, "dec"},
      {{"cone", cat, "--ra", "300", "--dec", "-60", "--radius-arcsec", "3600", "--columns", "id,no_such_col", "-o", out},
       "no column 'no_such_col'"},
      {{"cone", cat, "--ra", "300", "--dec", "-60", "--radius-arcsec", "3600", "-o", d / "out.txt"}, "'.txt'"},
      {{"cone", cat, "--ra", "300", "--dec", "-60", "--radius-arcsec", "3600", "-o", out, "--format", "fits"},
       "unknown output format 'fits'"},
  };
  for (const BadCase& c : cases) expect_clean_failure(d, c);

  // Unwritable output paths, for every format: under a missing directory and under a file.
  std::ofstream(d / "plain_file") << "keep";
  for (const std::string& parent : {d / "no_such_dir", d / "plain_file"})
    for (const char* fmt : kFormats) {
      std::string o = std::string(fmt) == "hats" ? parent + "/r" : parent + "/r." + fmt;
      std::vector<std::string> args = {"cone", cat, "--ra", "300", "--dec", "-60", "--radius-arcsec", "3600", "-o", o};
      if (std::string(fmt) == "hats") args.insert(args.end(), {"--format", "hats"});
      expect_clean_failure(d, {args, o + ": cannot create"}, {"plain_file"});
    }
  EXPECT_EQ(slurp(d / "plain_file"), "keep");
}

TEST(CliSpatialErrors, ExistingOutputNeedsOverwrite) {
  TempDir d("spatial_err");
  const std::string cat = data(kObject);
  std::vector<std::string> cone = {"cone", cat, "--ra", "300", "--dec", "-60", "--radius-arcsec", "3600", "-q"};
  for (const char* fmt : kFormats) {
    SCOPED_TRACE(fmt);
    std::string o = out_path(d, fmt, "exists");
    if (std::string(fmt) == "hats") {
      fs::create_directories(o);
      std::ofstream(o + "/mine.txt") << "keep";
    } else {
      std::ofstream(o) << "keep";
    }
    std::set<std::string> all_before;
    for (auto& e : d.entries()) all_before.insert(e);
    expect_clean_failure(d, {with_output(cone, fmt, o), "already exists (use --overwrite"}, all_before);
    if (std::string(fmt) == "hats") EXPECT_EQ(slurp(o + "/mine.txt"), "keep");
    else EXPECT_EQ(slurp(o), "keep");
    // With --overwrite it is replaced by the result.
    std::vector<std::string> args = with_output(cone, fmt, o);
    args.push_back("--overwrite");
    RunResult r = run_cli(args);
    ASSERT_EQ(r.status, 0) << r.err;
    Result got = read_result(fmt, o, types_of(astrolake::catalog::Catalog::open(cat, {false, ""}).schema()));
    EXPECT_GT(got.rows(), 0u);
  }
}

}  // namespace
