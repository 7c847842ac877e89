// Light-curve functions (lc_*) and the dip detector (dip_*, is_dipper): hand-checked values,
// nulls and empty lists, expression nesting through the registry, bad input, and precision /
// recall against the synthetic ZTF truth.
#include "engine/lightcurve.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>

#include "catalog/synthetic.h"
#include "engine/column_ops.h"
#include "engine/expr.h"
#include "engine/functions.h"

namespace astrolake::engine {
namespace {

using parquet::Column;
using parquet::Field;
using parquet::Table;
using parquet::Type;
using Elems = std::optional<std::vector<std::optional<double>>>;  // nullopt = null list

Column dlist(const std::string& name, const std::vector<Elems>& rows) {
  Column c(Field{name, Type::Double, true, true, true});
  c.list_offsets.push_back(0);
  std::vector<uint8_t> lv;
  for (const auto& r : rows) {
    lv.push_back(r.has_value());
    if (r)
      for (const auto& e : *r) {
        if (e) c.push<double>(*e);
        else c.push_null();
      }
    c.list_offsets.push_back(int64_t(c.values()));
  }
  normalize_validity(lv);
  c.list_valid = lv;
  return c;
}

Column slist(const std::string& name, const std::vector<std::vector<std::string>>& rows) {
  Column c(Field{name, Type::String, true, true, false});
  c.list_offsets.push_back(0);
  c.offsets.push_back(0);
  for (const auto& r : rows) {
    for (const auto& s : r) c.push_string(s);
    c.list_offsets.push_back(int64_t(c.values()));
  }
  return c;
}

std::optional<double> at(const Column& c, size_t r) {
  if (c.is_null(r)) return std::nullopt;
  return c.as_double(r);
}

// Rows: [1 2 3 4], [5 null 7], [], null, [2 NaN]
Table small() {
  Table t;
  t.columns.push_back(dlist("x", {std::vector<std::optional<double>>{1, 2, 3, 4},
                                  std::vector<std::optional<double>>{5, std::nullopt, 7},
                                  std::vector<std::optional<double>>{}, std::nullopt,
                                  std::vector<std::optional<double>>{2, NAN}}));
  t.columns.push_back(dlist("e", {std::vector<std::optional<double>>{1, 2, 1, 0.5},
                                  std::vector<std::optional<double>>{1, 1, 0},
                                  std::vector<std::optional<double>>{}, std::nullopt,
                                  std::vector<std::optional<double>>{1, 1}}));
  t.columns.push_back(slist("band", {{"g", "r", "r", "i"}, {"r", "r", "g"}, {}, {}, {"r", "r"}}));
  return t;
}

Column run(const ExprPtr& e, const Table& t) { return evaluate(*e, t); }

TEST(LightCurve, Reductions) {
  Table t = small();
  auto f = [&](const char* fn) { return run(call(fn, {col("x")}), t); };
  Column n = f("lc_n"), mean = f("lc_mean"), med = f("lc_median"), sd = f("lc_std"), mn = f("lc_min"),
         mx = f("lc_max");
  EXPECT_EQ(n.field.type, Type::Int64);
  std::vector<int64_t> ns = {4, 2, 0, 0, 1};
  for (size_t r = 0; r < 5; r++) EXPECT_EQ(*at(n, r), ns[r]) << r;
  EXPECT_DOUBLE_EQ(*at(mean, 0), 2.5);
  EXPECT_DOUBLE_EQ(*at(mean, 1), 6.0);
  EXPECT_DOUBLE_EQ(*at(med, 0), 2.5);
  EXPECT_DOUBLE_EQ(*at(med, 1), 6.0);
  EXPECT_DOUBLE_EQ(*at(sd, 0), std::sqrt(5.0 / 3.0));
  EXPECT_DOUBLE_EQ(*at(sd, 1), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(*at(mn, 0), 1);
  EXPECT_DOUBLE_EQ(*at(mx, 1), 7);
  for (const Column* c : {&mean, &med, &sd, &mn, &mx}) {
    EXPECT_FALSE(at(*c, 2)) << "empty list";
    EXPECT_FALSE(at(*c, 3)) << "null list";
  }
  EXPECT_DOUBLE_EQ(*at(mean, 4), 2.0);  // NaN skipped
  EXPECT_FALSE(at(sd, 4));              // one value: no sample std
}

TEST(LightCurve, WeightedMeanAndChi2) {
  Table t = small();
  Column wm = run(call("lc_wmean", {col("x"), col("e")}), t);
  Column chi = run(call("lc_chi2", {col("x"), col("e")}), t);
  // Row 0: weights 1, 1/4, 1, 4.
  double w[4] = {1, 0.25, 1, 4}, x[4] = {1, 2, 3, 4}, sw = 0, swx = 0;
  for (int i = 0; i < 4; i++) sw += w[i], swx += w[i] * x[i];
  double m = swx / sw, c = 0;
  for (int i = 0; i < 4; i++) c += w[i] * (x[i] - m) * (x[i] - m);
  EXPECT_NEAR(*at(wm, 0), m, 1e-12);
  EXPECT_NEAR(*at(chi, 0), c, 1e-12);
  // Row 1: x null at 1, err 0 at 2 (skipped) -> only x=5 remains.
  EXPECT_DOUBLE_EQ(*at(wm, 1), 5.0);
  EXPECT_DOUBLE_EQ(*at(chi, 1), 0.0);
  EXPECT_FALSE(at(wm, 2));
  EXPECT_FALSE(at(wm, 3));
}

TEST(LightCurve, WhereAndFilterNest) {
  Table t = small();
  ExprPtr r_mag = call("lc_where", {col("x"), col("band"), lit_str("r")});
  Column sub = run(r_mag, t);
  ASSERT_TRUE(sub.field.list);
  EXPECT_EQ(sub.field.type, Type::Double);
  EXPECT_EQ(sub.list_offsets, (std::vector<int64_t>{0, 2, 4, 4, 4, 6}));
  EXPECT_TRUE(sub.is_null(3));
  EXPECT_FALSE(sub.is_null(2));
  Column mean_r = run(call("lc_mean", {r_mag}), t);
  EXPECT_DOUBLE_EQ(*at(mean_r, 0), 2.5);
  EXPECT_DOUBLE_EQ(*at(mean_r, 1), 5.0);  // [5, null]
  EXPECT_FALSE(at(mean_r, 2));
  Column n_g = run(call("lc_n", {call("lc_where", {col("x"), col("band"), lit_str("g")})}), t);
  EXPECT_EQ(*at(n_g, 0), 1);
  EXPECT_EQ(*at(n_g, 1), 1);
  // Usable in WHERE-style predicates: lc_mean(lc_where(x, band, 'r')) > 3.
  Column pred = run(binary(BinOp::Gt, call("lc_mean", {r_mag}), lit_double(3)), t);
  EXPECT_EQ(*at(pred, 0), 0);
  EXPECT_EQ(*at(pred, 1), 1);
  // Strings filter too (band by band).
  Column bands = run(call("lc_where", {col("band"), col("band"), lit_str("i")}), t);
  EXPECT_EQ(bands.list_offsets, (std::vector<int64_t>{0, 1, 1, 1, 1, 1}));
  EXPECT_EQ(bands.string_at(0), "i");

  // lc_filter with a boolean list.
  Column keep(Field{"keep", Type::Bool, true, true, true});
  keep.list_offsets = {0, 4, 7, 7, 7, 9};
  for (int v : {1, 0, 1, 1, 0, 1, 1, 1, 0}) keep.push<uint8_t>(uint8_t(v));
  keep.valid.assign(9, 1);
  keep.valid[6] = 0;  // null keep element drops
  t.columns.push_back(keep);
  Column filt = run(call("lc_filter", {col("x"), col("keep")}), t);
  EXPECT_EQ(filt.list_offsets, (std::vector<int64_t>{0, 3, 4, 4, 4, 5}));
  EXPECT_DOUBLE_EQ(*at(run(call("lc_mean", {call("lc_filter", {col("x"), col("keep")})}), t), 0), 8.0 / 3.0);
}

TEST(LightCurve, BadInput) {
  Table t = small();
  t.columns.push_back(dlist("short", {std::vector<std::optional<double>>{1}, std::vector<std::optional<double>>{1},
                                      std::vector<std::optional<double>>{}, std::nullopt,
                                      std::vector<std::optional<double>>{1, 2}}));
  Column scalar(Field{"s", Type::Double, false});
  for (int i = 0; i < 5; i++) scalar.push<double>(i);
  t.columns.push_back(scalar);
  EXPECT_THROW(run(call("lc_wmean", {col("x"), col("short")}), t), ExprError);
  try {
    run(call("lc_chi2", {col("x"), col("short")}), t);
  } catch (const ExprError& e) {
    EXPECT_NE(std::string(e.what()).find("row 0"), std::string::npos) << e.what();
  }
  EXPECT_THROW(run(call("lc_mean", {col("s")}), t), ExprError);
  EXPECT_THROW(run(call("lc_mean", {col("band")}), t), ExprError);
  EXPECT_THROW(run(call("lc_where", {col("x"), col("band"), lit_int(1)}), t), ExprError);
  EXPECT_THROW(run(call("lc_where", {col("x"), col("short"), lit_str("r")}), t), ExprError);
  EXPECT_THROW(run(call("dip_depth", {col("x"), col("x")}), t), ExprError);
  EXPECT_THROW(run(call("dip_depth", {col("x"), col("x"), col("short")}), t), ExprError);
  // Corrupt offsets must throw, not read out of bounds.
  Table bad = small();
  bad.columns[0].list_offsets[3] = 1000;
  EXPECT_THROW(run(call("lc_mean", {col("x")}), bad), ExprError);
  bad = small();
  bad.columns[0].list_offsets[2] = 1;  // goes backwards
  EXPECT_THROW(run(call("lc_median", {col("x")}), bad), ExprError);
  EXPECT_THROW(run(call("dip_npoints", {col("x"), col("x"), col("x")}), bad), ExprError);
  // The registry documents every function.
  for (const char* fn : {"lc_n", "lc_mean", "lc_median", "lc_std", "lc_min", "lc_max", "lc_wmean", "lc_chi2",
                         "lc_filter", "lc_where", "dip_depth", "dip_max_depth", "dip_duration", "dip_npoints",
                         "dip_start", "dip_score", "is_dipper"}) {
    const Function* f = FunctionRegistry::global().find(fn);
    ASSERT_NE(f, nullptr) << fn;
    EXPECT_FALSE(f->help.empty());
    EXPECT_NE(f->signature.find(fn), std::string::npos);
  }
}

// A flat light curve with small noise and an injected dip at known epochs.
struct Curve {
  std::vector<double> t, m, e;
  std::vector<std::string> b;
};

Curve flat_curve(uint32_t seed, int n, double dip_from, double dip_to, double depth) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 1);
  Curve c;
  for (int i = 0; i < n; i++) {
    double t = 58000 + i * 3.0;
    bool r = i % 2 == 0;
    double base = r ? 17.0 : 17.6;  // g is 0.6 mag fainter: per-band medians are needed
    double m = base + 0.02 * g(rng) + (t >= dip_from && t <= dip_to ? depth : 0.0);
    c.t.push_back(t), c.m.push_back(m), c.e.push_back(0.02), c.b.push_back(r ? "r" : "g");
  }
  return c;
}

Table curve_table(const std::vector<Curve>& cs) {
  std::vector<Elems> t, m, e;
  std::vector<std::vector<std::string>> b;
  for (const auto& c : cs) {
    auto conv = [](const std::vector<double>& v) {
      return Elems(std::vector<std::optional<double>>(v.begin(), v.end()));
    };
    t.push_back(conv(c.t)), m.push_back(conv(c.m)), e.push_back(conv(c.e)), b.push_back(c.b);
  }
  Table tb;
  tb.columns = {dlist("mjd", t), dlist("mag", m), dlist("magerr", e), slist("band", b)};
  return tb;
}

TEST(LightCurve, DipFoundWhereInjected) {
  Curve a = flat_curve(1, 200, 58300, 58315, 0.5);  // epochs 58300..58315: 6 points
  Curve flat = flat_curve(2, 200, 0, 0, 0);
  Curve shuffled = a;  // same points, out of time order: same answer
  std::mt19937 rng(3);
  for (size_t i = shuffled.t.size() - 1; i > 0; i--) {
    size_t j = rng() % (i + 1);
    std::swap(shuffled.t[i], shuffled.t[j]), std::swap(shuffled.m[i], shuffled.m[j]);
    std::swap(shuffled.e[i], shuffled.e[j]), std::swap(shuffled.b[i], shuffled.b[j]);
  }
  Table t = curve_table({a, flat, shuffled});
  auto args = [] { return std::vector<ExprPtr>{col("mjd"), col("mag"), col("magerr"), col("band")}; };
  Column np = run(call("dip_npoints", args()), t), depth = run(call("dip_depth", args()), t),
         start = run(call("dip_start", args()), t), dur = run(call("dip_duration", args()), t),
         isd = run(call("is_dipper", args()), t), mx = run(call("dip_max_depth", args()), t);
  EXPECT_EQ(*at(np, 0), 6);
  EXPECT_DOUBLE_EQ(*at(start, 0), 58300);
  EXPECT_DOUBLE_EQ(*at(dur, 0), 15);
  EXPECT_NEAR(*at(depth, 0), 0.5, 0.03);
  EXPECT_GE(*at(mx, 0), *at(depth, 0));
  EXPECT_EQ(*at(isd, 0), 1);
  EXPECT_EQ(*at(np, 1), 0);
  EXPECT_FALSE(at(depth, 1));
  EXPECT_EQ(*at(isd, 1), 0);
  EXPECT_EQ(*at(np, 2), 6);
  EXPECT_DOUBLE_EQ(*at(start, 2), 58300);
  EXPECT_DOUBLE_EQ(*at(depth, 2), *at(depth, 0));
  // Without the band list the g/r offset swamps the scatter and the dip is lost.
  Column nob = run(call("dip_npoints", {col("mjd"), col("mag"), col("magerr")}), t);
  EXPECT_EQ(*at(nob, 0), 0);
  // A higher min_points than the dip has rejects it; nsigma and min_points as arguments.
  auto with = [&](double ns, int k) {
    std::vector<ExprPtr> v = args();
    v.push_back(lit_double(ns));
    v.push_back(lit_int(k));
    return at(run(call("dip_npoints", v), t), 0);
  };
  EXPECT_EQ(*with(3, 6), 6);
  EXPECT_EQ(*with(3, 7), 0);
  EXPECT_EQ(*with(40, 2), 0);  // 0.5 mag is 25 sigma: not 40
  // min_significance: 6 points of ~25 sigma give sum/sqrt(6) ~ 61.
  std::vector<ExprPtr> v = args();
  for (double x : {3.0, 2.0, 80.0}) v.push_back(lit_double(x));
  EXPECT_EQ(*at(run(call("dip_npoints", v), t), 0), 0);
  v.back() = lit_double(40.0);
  EXPECT_EQ(*at(run(call("dip_npoints", v), t), 0), 6);
}

TEST(LightCurve, DipNullsAndEmpty) {
  Table t;
  t.columns = {dlist("mjd", {std::nullopt, std::vector<std::optional<double>>{}}),
               dlist("mag", {std::nullopt, std::vector<std::optional<double>>{}}),
               dlist("magerr", {std::nullopt, std::vector<std::optional<double>>{}})};
  Column np = run(call("dip_npoints", {col("mjd"), col("mag"), col("magerr")}), t);
  EXPECT_FALSE(at(np, 0));
  EXPECT_EQ(*at(np, 1), 0);
  Column isd = run(call("is_dipper", {col("mjd"), col("mag"), col("magerr"), lit_double(3), lit_int(2)}), t);
  EXPECT_FALSE(at(isd, 0));
  EXPECT_EQ(*at(isd, 1), 0);
}

// The science check: against the generator's injected dips. Most injected dips are too
// shallow for their star's photometry to see at all, so recall is also measured on the dips
// an ideal matched filter would see clearly: flat-bottom S/N = depth * sqrt(sum 1/err^2) over
// the points in the middle 80% of the dip >= 10. 40k objects hold ~200 dippers; the floors sit
// below what the defaults measure on 200k objects (docs/benchmarks.md, "Light curves").
TEST(LightCurve, PrecisionRecallOnSyntheticZtf) {
  Table t = catalog::ztf_rows(20240601, 0, 40000);
  std::vector<Dip> dips = find_dips(t.col("mjd"), t.col("mag"), t.col("magerr"), &t.col("band"), DipParams());
  const Column &truth = t.col("is_dipper"), &mjd = t.col("mjd"), &err = t.col("magerr");
  const Column &depth = t.col("dip_depth"), &start = t.col("dip_start_mjd"), &dur = t.col("dip_duration_days");
  int tp = 0, fp = 0, fn = 0, clear = 0, clear_found = 0;
  for (size_t r = 0; r < t.rows(); r++) {
    bool f = dips[r].npoints > 0, real = truth.values_as<uint8_t>()[r] != 0;
    tp += f && real, fp += f && !real, fn += !f && real;
    if (!real) continue;
    double s = start.as_double(r), d = dur.as_double(r), w = 0;
    for (int64_t j = mjd.list_offsets[r]; j < mjd.list_offsets[r + 1]; j++) {
      double tj = mjd.as_double(size_t(j)), ej = err.as_double(size_t(j));
      if (tj > s + 0.1 * d && tj < s + 0.9 * d) w += 1 / (ej * ej);
    }
    if (depth.as_double(r) * std::sqrt(w) >= 10) clear++, clear_found += f;
  }
  double precision = double(tp) / std::max(1, tp + fp), recall = double(tp) / std::max(1, tp + fn);
  double recall_clear = double(clear_found) / std::max(1, clear);
  std::printf("tp %d fp %d fn %d precision %.3f recall %.3f; clear dips %d recall %.3f\n", tp, fp, fn, precision,
              recall, clear, recall_clear);
  EXPECT_GE(tp + fn, 150);
  EXPECT_GE(clear, 30);
  EXPECT_GE(precision, 0.85);
  EXPECT_GE(recall_clear, 0.9);
  EXPECT_GE(recall, 0.2);  // bounded by the faint, shallow dips nobody can see
  // The function path gives the same answers as the direct call.
  Column isd = evaluate(*call("is_dipper", {col("mjd"), col("mag"), col("magerr"), col("band")}), t);
  for (size_t r = 0; r < t.rows(); r++) ASSERT_EQ(isd.values_as<uint8_t>()[r], dips[r].npoints > 0 ? 1 : 0) << r;
}

}  // namespace
}  // namespace astrolake::engine
