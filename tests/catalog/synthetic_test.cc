// Synthetic surveys: determinism, the sky and magnitude models, light curves, injected dips
// and the Gaia overlap, each checked against an independent computation from the table.
#include "catalog/synthetic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "sky/geometry.h"
#include "sky/healpix.h"

using namespace astrolake;
using namespace astrolake::catalog;
using parquet::Column;
using parquet::Table;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void expect_tables_equal(const Table& a, const Table& b) {
  ASSERT_EQ(a.columns.size(), b.columns.size());
  ASSERT_EQ(a.rows(), b.rows());
  for (size_t c = 0; c < a.columns.size(); ++c) {
    const Column &x = a.columns[c], &y = b.columns[c];
    SCOPED_TRACE(x.field.name);
    ASSERT_EQ(x.data.size(), y.data.size());
    EXPECT_EQ(0, std::memcmp(x.data.data(), y.data.data(), x.data.size()));
    EXPECT_EQ(x.offsets, y.offsets);
    EXPECT_EQ(x.valid, y.valid);
    EXPECT_EQ(x.list_offsets, y.list_offsets);
  }
}

// Concatenates tables of one schema (the chunks a writer would see).
Table concat(const Table& a, const Table& b) {
  Table t = a;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    Column& x = t.columns[c];
    const Column& y = b.columns[c];
    size_t xv = x.values(), xr = x.rows();
    int64_t base = x.offsets.empty() ? 0 : x.offsets.back();
    x.data.append(y.data.data(), y.data.size());
    if (!y.offsets.empty()) {
      if (x.offsets.empty()) x.offsets.push_back(0);
      for (size_t i = 1; i < y.offsets.size(); ++i) x.offsets.push_back(base + y.offsets[i]);
    }
    if (!x.field.list && (!x.valid.empty() || !y.valid.empty())) {
      if (x.valid.empty()) x.valid.assign(xv, 1);
      if (y.valid.empty())
        x.valid.insert(x.valid.end(), y.values(), 1);
      else
        x.valid.insert(x.valid.end(), y.valid.begin(), y.valid.end());
    }
    if (x.field.list) {
      int64_t lb = x.list_offsets.back();
      for (size_t i = 1; i < y.list_offsets.size(); ++i) x.list_offsets.push_back(lb + y.list_offsets[i]);
    }
    (void)xr;
  }
  return t;
}

double col_double(const Table& t, const char* name, size_t row) { return t.col(name).values_as<double>()[row]; }

}  // namespace

TEST(Synthetic, RngMatchesReferenceXoshiro) {
  // Reference values from an independent Python implementation of splitmix64 seeding and
  // xoshiro256** (seed 42): the stream must never change between builds or platforms.
  Rng r(42);
  const uint64_t want[5] = {1546998764402558742ULL, 6990951692964543102ULL, 12544586762248559009ULL,
                            17057574109182124193ULL, 18295552978065317476ULL};
  for (uint64_t w : want) EXPECT_EQ(r.next(), w);
  Rng u(7);
  double sum = 0, sum2 = 0;
  for (int i = 0; i < 100000; ++i) {
    double x = u.normal();
    sum += x;
    sum2 += x * x;
  }
  EXPECT_NEAR(sum / 1e5, 0.0, 0.02);
  EXPECT_NEAR(sum2 / 1e5, 1.0, 0.02);
}

TEST(Synthetic, GalacticFrameMatchesAstropy) {
  // astropy 5.2 ICRS -> Galactic.
  struct { double ra, dec, l, b; } cases[] = {
      {0, 0, 96.33728336969006, -60.188551946914465},
      {100, -20, 229.71298642155404, -11.401123545037017},
      {300, 70, 102.60538089006211, 19.80224692521704},
  };
  for (auto c : cases) {
    double l, b, ra, dec;
    icrs_to_galactic(c.ra, c.dec, l, b);
    EXPECT_NEAR(l, c.l, 2e-3);
    EXPECT_NEAR(b, c.b, 2e-3);
    galactic_to_icrs(l, b, ra, dec);
    EXPECT_LT(sky::separation_deg(ra, dec, c.ra, c.dec), 1e-9);
  }
}

TEST(Synthetic, ZtfIsDeterministicAndChunkIndependent) {
  Table whole = ztf_rows(11, 0, 600);
  expect_tables_equal(whole, ztf_rows(11, 0, 600));
  expect_tables_equal(whole, concat(ztf_rows(11, 0, 250), ztf_rows(11, 250, 350)));
  Table other = ztf_rows(12, 0, 600);
  EXPECT_NE(col_double(whole, "ra", 0), col_double(other, "ra", 0));
  // ztf_object regenerates exactly what the table holds.
  for (int64_t i : {0, 17, 599}) {
    ZtfTruth z = ztf_object(11, i);
    EXPECT_EQ(whole.col("object_id").values_as<int64_t>()[i], z.object_id);
    EXPECT_EQ(col_double(whole, "ra", i), z.ra);
    EXPECT_EQ(col_double(whole, "dec", i), z.dec);
  }
}

TEST(Synthetic, SkyIsSkewedTowardsTheGalacticPlane) {
  const int n = 20000;
  Table t = ztf_rows(3, 0, n);
  int in_plane = 0, uniform_in_plane = 0, uniform_n = 0;
  for (int i = 0; i < n; ++i) {
    double l, b, ra = col_double(t, "ra", i), dec = col_double(t, "dec", i);
    ASSERT_TRUE(ra >= 0 && ra < 360 && dec >= -30 && dec <= 90);
    icrs_to_galactic(ra, dec, l, b);
    in_plane += std::abs(b) < 10;
  }
  // The share a uniform sky would give over the same footprint (dec > -30).
  Rng u(99);
  while (uniform_n < 200000) {
    double ra = u.uniform(0, 360), dec = std::asin(u.uniform(-1, 1)) / sky::kDeg, l, b;
    if (dec < -30) continue;
    ++uniform_n;
    icrs_to_galactic(ra, dec, l, b);
    uniform_in_plane += std::abs(b) < 10;
  }
  double share = double(in_plane) / n, uniform_share = double(uniform_in_plane) / uniform_n;
  EXPECT_GT(share, 2.5 * uniform_share) << share << " vs uniform " << uniform_share;
  EXPECT_LT(share, 0.9);  // a halo exists
}

TEST(Synthetic, MagnitudesAndLightCurves) {
  const int n = 3000;
  Table t = ztf_rows(5, 0, n);
  const Column &mjd = t.col("mjd"), &mag = t.col("mag"), &err = t.col("magerr"), &band = t.col("band");
  const auto* nobs = t.col("n_obs").values_as<int32_t>();
  std::vector<double> counts_per_bin(8, 0);  // true r in 14..21.5, 1-mag bins from 14
  std::vector<double> nobs_all, pulls, err_bright, err_faint;
  for (int i = 0; i < n; ++i) {
    ZtfTruth z = ztf_object(5, i);
    ASSERT_TRUE(z.mag_r >= 14 && z.mag_r <= 21.5);
    counts_per_bin[std::min(7, int(z.mag_r - 14))] += 1;
    int64_t a = mjd.list_offsets[i], b = mjd.list_offsets[i + 1];
    ASSERT_EQ(b - a, nobs[i]);
    ASSERT_EQ(mag.list_offsets[i + 1] - mag.list_offsets[i], nobs[i]);
    ASSERT_EQ(band.list_offsets[i + 1] - band.list_offsets[i], nobs[i]);
    nobs_all.push_back(nobs[i]);
    const double* m = mag.values_as<double>();
    const double* e = err.values_as<double>();
    const double* tt = mjd.values_as<double>();
    bool dipper = t.col("is_dipper").data.data()[i] != 0;
    for (int64_t k = a; k < b; ++k) {
      if (k > a) {
        ASSERT_GE(tt[k], tt[k - 1]) << "mjd not sorted";
      }
      ASSERT_TRUE(tt[k] >= kZtfFirstMjd && tt[k] < kZtfFirstMjd + kZtfNights + 1);
      std::string_view bs = band.string_at(size_t(k));
      ASSERT_TRUE(bs == "g" || bs == "r" || bs == "i") << bs;
      ASSERT_GT(e[k], 0.0);
      (m[k] < 17 ? err_bright : err_faint).push_back(e[k]);
      if (bs == "r" && !dipper) pulls.push_back((m[k] - z.mag_r) / e[k]);
    }
  }
  // Number counts rise with magnitude (each full bin up to 21 holds more than the last).
  for (int k = 1; k < 7; ++k) EXPECT_GT(counts_per_bin[k], counts_per_bin[k - 1]) << "bin " << k;
  // Tens to hundreds of epochs.
  double med = median(nobs_all);
  EXPECT_GT(med, 20);
  EXPECT_LT(med, 300);
  EXPECT_GT(*std::max_element(nobs_all.begin(), nobs_all.end()), 100);
  // Errors grow toward the faint limit.
  EXPECT_LT(median(err_bright) * 3, median(err_faint));
  EXPECT_LT(median(err_bright), 0.03);
  // Scatter matches the quoted errors: robust sigma of the pulls about 1 (variables are few).
  // Faint points are biased bright (only detections survive), so use the median absolute pull.
  for (double& p : pulls) p = std::abs(p);
  EXPECT_NEAR(1.4826 * median(pulls), 1.0, 0.15);
}

TEST(Synthetic, DippersAreRareAndReallyDip) {
  const int n = 60000;
  Table t = ztf_rows(8, 0, n);
  const Column &mjd = t.col("mjd"), &mag = t.col("mag"), &band = t.col("band");
  const Column &depth = t.col("dip_depth"), &start = t.col("dip_start_mjd"), &dur = t.col("dip_duration_days");
  int dippers = 0, checked = 0;
  for (int i = 0; i < n; ++i) {
    bool dipper = t.col("is_dipper").data.data()[i] != 0;
    EXPECT_EQ(depth.is_null(i), !dipper);
    EXPECT_EQ(start.is_null(i), !dipper);
    EXPECT_EQ(dur.is_null(i), !dipper);
    if (!dipper) continue;
    ++dippers;
    double d = depth.values_as<double>()[i], s = start.values_as<double>()[i], w = dur.values_as<double>()[i];
    EXPECT_TRUE(d >= 0.1 && d <= 0.8);
    EXPECT_GT(w, 1.0);
    if (ztf_object(8, i).mag_r > 19.0) continue;  // bright enough to measure the depth
    // Baseline per band from points outside the dip; depth from points in its flat bottom.
    std::map<std::string, std::vector<double>> outside;
    std::vector<std::pair<std::string, double>> inside;
    for (int64_t k = mjd.list_offsets[i]; k < mjd.list_offsets[i + 1]; ++k) {
      double tk = mjd.values_as<double>()[k], mk = mag.values_as<double>()[k];
      std::string b(band.string_at(size_t(k)));
      if (tk > s + 0.1 * w && tk < s + 0.9 * w)
        inside.push_back({b, mk});
      else if (tk < s || tk > s + w)
        outside[b].push_back(mk);
    }
    ASSERT_GE(inside.size(), 3u) << "dipper row " << i << " has too few points in its dip";
    std::vector<double> excess;
    for (auto& [b, m] : inside)
      if (outside[b].size() >= 3) excess.push_back(m - median(outside[b]));
    if (excess.size() < 3) continue;
    EXPECT_NEAR(median(excess), d, 0.12) << "row " << i;
    ++checked;
  }
  // 0.5% of 60000 = 300, binomial sigma ~17.
  EXPECT_GT(dippers, 230);
  EXPECT_LT(dippers, 370);
  EXPECT_GT(checked, 20);
}

TEST(Synthetic, GaiaOverlapsZtf) {
  const int64_t n_ztf = 5000, n_gaia = 8000;
  GaiaOptions o;
  o.seed = 21;
  o.ztf_seed = 21;
  o.match_ztf_rows = n_ztf;
  Table g = gaia_rows(o, 0, n_gaia);
  Table z = ztf_rows(21, 0, n_ztf);
  const Column& zid = g.col("ztf_object_id");
  const auto* sid = g.col("source_id").values_as<int64_t>();
  std::set<int64_t> ids;
  int matched = 0;
  double sum2 = 0;
  double max_sep = 0;
  for (int64_t i = 0; i < n_gaia; ++i) {
    double ra = col_double(g, "ra", i), dec = col_double(g, "dec", i), gm = col_double(g, "phot_g_mean_mag", i);
    ASSERT_TRUE(ids.insert(sid[i]).second) << "duplicate source_id";
    EXPECT_EQ(sid[i] >> 35, sky::ang2pix(12, ra, dec));
    EXPECT_TRUE(gm >= 7 && gm <= 21.0);
    if (i >= n_ztf) {
      EXPECT_TRUE(zid.is_null(i));
      continue;
    }
    if (zid.is_null(i)) {
      EXPECT_GT(ztf_object(21, i).mag_r, 20.3);  // only faint objects lack a counterpart
      continue;
    }
    ++matched;
    int64_t id = zid.values_as<int64_t>()[i];
    EXPECT_EQ(id, z.col("object_id").values_as<int64_t>()[i]);
    double sep = sky::separation_deg(ra, dec, col_double(z, "ra", i), col_double(z, "dec", i)) * 3600;
    sum2 += sep * sep;
    max_sep = std::max(max_sep, sep);
  }
  EXPECT_GT(matched, n_ztf / 2);
  EXPECT_LT(matched, n_ztf);
  double rms = std::sqrt(sum2 / matched);
  EXPECT_NEAR(rms, 0.1 * std::sqrt(2.0), 0.02);  // 0.1 arcsec per axis
  EXPECT_LT(max_sep, 1.0);
  // Half the fraction, about half the matches; the Gaia-only rows stay the same.
  o.match_fraction = 0.5;
  Table h = gaia_rows(o, 0, n_gaia);
  int half = 0;
  for (int64_t i = 0; i < n_ztf; ++i) half += !h.col("ztf_object_id").is_null(i);
  EXPECT_NEAR(half, matched / 2.0, 0.06 * matched);
  for (int64_t i = n_ztf; i < n_gaia; ++i) ASSERT_EQ(col_double(h, "ra", i), col_double(g, "ra", i));
}
