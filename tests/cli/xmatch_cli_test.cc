// `astrolake xmatch` on the HATS fixtures against LSDB's expected pair files
// (raw/xmatch_expected, EXPECTED.md section 8), in every output format, with LSDB's column
// naming; values are checked bit for bit against both input catalogs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <set>

#include "cli_harness.h"

using namespace al_cli_test;

namespace {

using Pair = std::pair<int64_t, int64_t>;

// LSDB's expected CSV: an unnamed index, ss_id, xmatch_id (written as a float) and dist in
// degrees.
std::map<Pair, double> expected_pairs(const std::string& file) {
  auto recs = parse_csv(slurp(data("raw/xmatch_expected/" + file)));
  EXPECT_EQ(recs.at(0), (std::vector<std::string>{"", "ss_id", "xmatch_id", "dist"}));
  std::map<Pair, double> out;
  for (size_t r = 1; r < recs.size(); r++)
    out[{std::stoll(recs[r][1]), int64_t(std::stod(recs[r][2]))}] = std::stod(recs[r][3]);
  return out;
}

struct Sides {
  Result left, right;  // every row of each catalog
  std::map<std::string, Type> types;
};

Sides load_sides(const std::string& left_dir, const std::string& right_dir) {
  Sides s{canon_catalog(data(left_dir)), canon_catalog(data(right_dir)), {}};
  auto l = astrolake::catalog::Catalog::open(data(left_dir), {false, ""});
  auto r = astrolake::catalog::Catalog::open(data(right_dir), {false, ""});
  s.types = types_of(l.schema(), "_" + l.name());
  for (auto& [k, v] : types_of(r.schema(), "_" + r.name())) s.types[k] = v;
  s.types["_dist_arcsec"] = Type::Double;
  return s;
}

// Row `r` of `got`, restricted to the columns of `side` renamed with `suffix`, equals the
// row of `side` whose id is `id` (bit for bit).
void expect_side_row(const Result& got, size_t r, const Result& side, const std::string& suffix, const std::string& id) {
  const auto& ids = side.col("id");
  size_t row = size_t(std::find(ids.begin(), ids.end(), id) - ids.begin());
  ASSERT_LT(row, ids.size()) << "id " << id << " is not in the catalog";
  for (size_t c = 0; c < side.names.size(); c++)
    ASSERT_EQ(got.col(side.names[c] + suffix)[r], side.cols[c][row]) << side.names[c] + suffix << " of id " << id;
}

Result read_result(const std::string& fmt, const std::string& path, const std::map<std::string, Type>& types) {
  if (fmt == "csv") return canon_csv(path, types);
  if (fmt == "parquet") return canon_parquet(path);
  return canon_catalog(path);
}

double dist_of(const std::string& canon) {
  EXPECT_EQ(canon.rfind("d:", 0), 0u) << canon;
  uint64_t b = std::stoull(canon.substr(2), nullptr, 16);
  double v;
  std::memcpy(&v, &b, 8);
  return v;
}

// Checks a result holds exactly `want` (pairs and distances) and every row's values.
void expect_pairs(const Result& got, const Sides& s, const std::map<Pair, double>& want) {
  std::map<Pair, double> seen;
  for (size_t r = 0; r < got.rows(); r++) {
    const std::string &l = got.col("id_small_sky")[r], &rt = got.col("id_small_sky_xmatch")[r];
    Pair p{std::stoll(l), std::stoll(rt)};
    EXPECT_TRUE(seen.emplace(p, dist_of(got.col("_dist_arcsec")[r])).second) << "pair twice: " << l << "," << rt;
    expect_side_row(got, r, s.left, "_small_sky", l);
    expect_side_row(got, r, s.right, "_small_sky_xmatch", rt);
  }
  EXPECT_EQ(seen.size(), want.size());
  for (auto& [p, deg] : want) {
    auto it = seen.find(p);
    if (it == seen.end()) {
      ADD_FAILURE() << "missing pair " << p.first << "," << p.second;
      continue;
    }
    EXPECT_NEAR(it->second, deg * 3600, 1e-6) << p.first << "," << p.second;
  }
}

TEST(CliXmatch, SmallSkyAt36ArcsecGivesLsdbPairsInEveryFormat) {
  Sides s = load_sides("small_sky", "small_sky_xmatch");
  auto want = expected_pairs("xmatch_correct.csv");
  ASSERT_EQ(want.size(), 103u);
  TempDir d("xmatch");
  for (std::string fmt : {"csv", "parquet", "hats"}) {
    SCOPED_TRACE(fmt);
    std::string out = fmt == "hats" ? d / "xm" : d / ("xm." + fmt);
    std::vector<std::string> args = {"xmatch", data("small_sky"), data("small_sky_xmatch"), "--radius-arcsec", "36",
                                     "-o", out, "-q"};
    if (fmt == "hats") args.insert(args.end(), {"--format", "hats"});
    RunResult r = run_cli(args);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    Result got = read_result(fmt, out, s.types);
    ASSERT_EQ(got.rows(), 103u);
    // LSDB naming: every left column with _small_sky, every right one with _small_sky_xmatch,
    // then _dist_arcsec.
    std::vector<std::string> names;
    for (auto& n : s.left.names) names.push_back(n + "_small_sky");
    for (auto& n : s.right.names) names.push_back(n + "_small_sky_xmatch");
    names.push_back("_dist_arcsec");
    if (fmt != "hats") {
      EXPECT_EQ(got.names, names);
    }
    expect_pairs(got, s, want);
    if (fmt == "hats") {
      auto cat = astrolake::catalog::Catalog::open(out);
      EXPECT_EQ(cat.rows(), 103);
      EXPECT_EQ(cat.ra_column(), "ra_small_sky");
      EXPECT_EQ(cat.dec_column(), "dec_small_sky");
      // Usable as input: a cone on it keeps the rows brute force says it should.
      std::string c = d / "cone.csv";
      r = run_cli({"cone", out, "--ra", "300", "--dec", "-60", "--radius-arcsec", "10800", "--columns",
                   "id_small_sky,ra_small_sky,dec_small_sky", "-o", c, "-q"});
      ASSERT_EQ(r.status, 0) << r.err;
      size_t want_n = 0;
      for (size_t i = 0; i < got.rows(); i++) {
        double ra = dist_of(got.col("ra_small_sky")[i]), dec = dist_of(got.col("dec_small_sky")[i]);
        const double k = M_PI / 180;
        double a = std::pow(std::sin((dec + 60) * k / 2), 2) +
                   std::cos(-60 * k) * std::cos(dec * k) * std::pow(std::sin((ra - 300) * k / 2), 2);
        want_n += a <= std::pow(std::sin(3 * k / 2), 2);
      }
      EXPECT_GT(want_n, 0u);
      EXPECT_LT(want_n, 103u);
      EXPECT_EQ(parse_csv(slurp(c)).size(), want_n + 1);
    }
  }
}

TEST(CliXmatch, ThreeNeighboursWithMarginAndLeftJoin) {
  Sides s = load_sides("small_sky", "small_sky_xmatch");
  TempDir d("xmatch");
  // k = 3 at 2 degrees with the right margin: LSDB's 190 rows.
  auto want3 = expected_pairs("xmatch_correct_3n_2t.csv");
  ASSERT_EQ(want3.size(), 190u);
  std::string out = d / "k3.parquet";
  RunResult r = run_cli({"xmatch", data("small_sky"), data("small_sky_xmatch"), "--radius-arcsec", "7200", "--k", "3",
                         "--right-margin", data("small_sky_xmatch_margin"), "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("190 rows"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("right margin used"), std::string::npos) << r.out;
  expect_pairs(canon_parquet(out), s, want3);
  // Without the margin, neighbouring right partitions are read instead: still the complete
  // answer (LSDB itself loses 5 of these pairs, xmatch_correct_3n_2t_no_margin.csv).
  out = d / "k3_nomargin.parquet";
  r = run_cli({"xmatch", data("small_sky"), data("small_sky_xmatch"), "--radius-arcsec", "7200", "--k", "3",
               "--no-margin", "-o", out, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  expect_pairs(canon_parquet(out), s, want3);

  // --how left keeps all 131 left rows; the 28 without a match have null right columns.
  auto want1 = expected_pairs("xmatch_correct.csv");
  out = d / "left.csv";
  r = run_cli({"xmatch", data("small_sky"), data("small_sky_xmatch"), "--radius-arcsec", "36", "--how", "left", "-o",
               out, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  Result got = canon_csv(out, s.types);
  ASSERT_EQ(got.rows(), 131u);
  std::set<std::string> left_ids;
  Result matched;
  matched.names = got.names;
  matched.cols.resize(got.names.size());
  for (size_t i = 0; i < got.rows(); i++) {
    const std::string& l = got.col("id_small_sky")[i];
    EXPECT_TRUE(left_ids.insert(l).second) << l;
    expect_side_row(got, i, s.left, "_small_sky", l);
    if (got.col("id_small_sky_xmatch")[i] == "<null>") {
      for (auto& n : s.right.names) EXPECT_EQ(got.col(n + "_small_sky_xmatch")[i], "<null>") << n;
      continue;
    }
    for (size_t c = 0; c < got.names.size(); c++) matched.cols[c].push_back(got.cols[c][i]);
  }
  EXPECT_EQ(left_ids, std::set<std::string>(s.left.col("id").begin(), s.left.col("id").end()));
  expect_pairs(matched, s, want1);
}

// Unmatched rows of a left join carry a null `_dist_arcsec`, including those in the first piece
// of a left partition (regression: an empty validity vector was taken for "no nulls").
TEST(CliXmatch, LeftJoinUnmatchedDistanceIsNull) {
  TempDir d("xmatch");
  std::string out = d / "left.csv";
  RunResult r = run_cli({"xmatch", data("small_sky"), data("small_sky_xmatch"), "--radius-arcsec", "36", "--how",
                         "left", "--left-columns", "id", "--right-columns", "id", "-o", out, "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto recs = parse_csv(slurp(out));
  ASSERT_EQ(recs.size(), 132u);
  int unmatched = 0;
  for (size_t i = 1; i < recs.size(); i++)
    if (recs[i][1].empty()) {
      ++unmatched;
      EXPECT_EQ(recs[i][2], "") << "left id " << recs[i][0] << ": distance of an unmatched row";
    }
  EXPECT_EQ(unmatched, 28);
}

TEST(CliXmatch, BadInputFailsWithOneLineAndWritesNothing) {
  TempDir d("xmatch_err");
  const std::string l = data("small_sky"), r = data("small_sky_xmatch"), out = d / "x.csv";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::ofstream(d / "exists.csv") << "keep";
  const std::vector<Case> cases = {
      {{"xmatch", l, d / "no_such_right", "--radius-arcsec", "36", "-o", out}, "no_such_right"},
      {{"xmatch", l, r, "--radius-arcsec", "-1", "-o", out}, "radius"},
      {{"xmatch", l, r, "--radius-arcsec", "36", "--k", "0", "-o", out}, "--k"},
      {{"xmatch", l, r, "--radius-arcsec", "36", "--how", "outer", "-o", out}, "'outer'"},
      {{"xmatch", l, r, "--radius-arcsec", "36", "--left-columns", "id,nope", "-o", out}, "no column 'nope'"},
      {{"xmatch", l, r, "--radius-arcsec", "36", "--right-margin", d / "no_margin_here", "-o", out},
       "no_margin_here"},
      {{"xmatch", l, r, "--radius-arcsec", "36", "-o", d / "exists.csv"}, "already exists"},
      {{"xmatch", l, r, "--radius-arcsec", "36", "-o", d / "exists.csv/x.csv"}, "cannot create"},
      {{"xmatch", l, r, "--radius-arcsec", "36", "-o", d / "nodir/x", "--format", "hats"}, "cannot create"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args[3] + " " + c.args.back());
    RunResult res = run_cli(c.args);
    EXPECT_NE(res.status, 0);
    EXPECT_NE(res.status, -1);
    EXPECT_EQ(res.err_lines(), 1) << res.err;
    EXPECT_NE(res.err.find(c.message), std::string::npos) << res.err;
    EXPECT_EQ(d.entries(), std::vector<std::string>{"exists.csv"});
  }
  EXPECT_EQ(slurp(d / "exists.csv"), "keep");
}

}  // namespace

namespace {

// Ctrl-C on a long command: it stops within 3 s, exits non-zero with a message, and leaves
// no output and no temp file. Runs on a generated 2M-row catalog (the fixtures are too small
// to interrupt); the commands would each take tens of seconds to finish.
TEST(CliCancel, SigintStopsConeAndXmatchPromptlyAndWritesNothing) {
  TempDir d("cancel");
  RunResult r = run_cli({"generate", "gaia", "--rows", "2000000", "--seed", "5", "-q", "-o", d / "g.parquet"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cli({"import", d / "g.parquet", "-o", d / "g", "--max-rows", "100000", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  fs::remove(d / "g.parquet");
  auto cat = astrolake::catalog::Catalog::open(d / "g");
  ASSERT_EQ(cat.rows(), 2000000);
  ASSERT_GT(cat.partitions().size(), 20u);

  struct Job {
    std::string output;
    std::vector<std::string> args;
  };
  const std::vector<Job> jobs = {
      {"all.csv", {"cone", d / "g", "--ra", "0", "--dec", "0", "--radius-arcsec", "648000", "-o", d / "all.csv"}},
      {"xm.parquet", {"xmatch", d / "g", d / "g", "--radius-arcsec", "300", "--k", "all", "-o", d / "xm.parquet"}},
      {"xm", {"xmatch", d / "g", d / "g", "--radius-arcsec", "300", "--k", "all", "-o", d / "xm", "--format", "hats"}},
  };
  using Clock = std::chrono::steady_clock;
  for (const Job& job : jobs) {
    SCOPED_TRACE(job.output);
    std::string io = (fs::temp_directory_path() / ("al_cancel_" + std::to_string(::getpid()))).string();
    pid_t pid = spawn_cli(job.args, io + ".out", io + ".err");
    ASSERT_GT(pid, 0);
    // Wait until it is writing (its temp file exists), then let it work a moment more.
    auto started = Clock::now();
    bool writing = false;
    while (!writing && Clock::now() - started < std::chrono::seconds(20)) {
      for (auto& e : d.entries()) writing |= e.rfind(job.output + ".tmp", 0) == 0;
      if (!writing) ::usleep(20000);
    }
    EXPECT_TRUE(writing) << "no temp file appeared";
    ::usleep(500000);
    int ws = 0;
    ASSERT_EQ(::waitpid(pid, &ws, WNOHANG), 0) << "finished before it could be interrupted";
    auto sent = Clock::now();
    ::kill(pid, SIGINT);
    RunResult res = wait_cli(pid, io + ".out", io + ".err");
    double secs = std::chrono::duration<double>(Clock::now() - sent).count();
    EXPECT_LT(secs, 3.0);
    EXPECT_NE(res.status, 0);
    EXPECT_NE(res.status, -1) << "died from the signal instead of cleaning up";
    EXPECT_NE(res.err.find("cancelled"), std::string::npos) << res.err;
    EXPECT_EQ(res.err_lines(), 1) << res.err;
    for (auto& e : d.entries())
      EXPECT_TRUE(e == "g" || e.rfind("g/", 0) == 0) << "left behind: " << e;
  }
}

}  // namespace
