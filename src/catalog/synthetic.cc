#include "catalog/synthetic.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <map>
#include <mutex>
#include <stdexcept>

#include "base/scheduler.h"
#include "catalog/progress.h"
#include "parquet/writer.h"
#include "sky/geometry.h"
#include "sky/healpix.h"

namespace astrolake::catalog {

using parquet::Column;
using parquet::Field;
using parquet::Table;
using parquet::Type;
using sky::kDeg;
using sky::kPi;

// --- Rng ------------------------------------------------------------------------------------
namespace {
uint64_t mix(uint64_t x) {
  uint64_t s = x;
  return splitmix64(s);
}
inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Stream ids keep the surveys' random numbers independent for the same seed and row.
constexpr uint64_t kStreamZtf = 1, kStreamGaia = 2, kStreamGaiaMatch = 3, kStreamNight = 4;
}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t st = seed;
  for (auto& s : s_) s = splitmix64(st);
}

Rng::Rng(uint64_t seed, uint64_t stream, uint64_t index) : Rng(mix(seed ^ mix(stream ^ mix(index)))) {}

uint64_t Rng::next() {
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return double(next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
  double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

// --- Sky model ----------------------------------------------------------------------------
namespace {

struct GalacticFrame {
  sky::Vec3 x, y, z;  // galactic axes in ICRS: towards the centre, l = 90, the north pole
};

const GalacticFrame& frame() {
  static const GalacticFrame f = [] {
    GalacticFrame g;
    g.z = sky::to_vec(192.859508, 27.128336);
    sky::Vec3 c = sky::to_vec(266.404988, -28.936175);  // galactic centre (Sgr A* direction)
    double d = c.x * g.z.x + c.y * g.z.y + c.z * g.z.z;
    sky::Vec3 x{c.x - d * g.z.x, c.y - d * g.z.y, c.z - d * g.z.z};
    double n = std::sqrt(x.x * x.x + x.y * x.y + x.z * x.z);
    g.x = {x.x / n, x.y / n, x.z / n};
    g.y = {g.z.y * g.x.z - g.z.z * g.x.y, g.z.z * g.x.x - g.z.x * g.x.z, g.z.x * g.x.y - g.z.y * g.x.x};
    return g;
  }();
  return f;
}

void vec_to_radec(const sky::Vec3& v, double& ra, double& dec) {
  double n = std::sqrt(v.x * v.x + v.y * v.y + v.z * v.z);
  ra = sky::wrap_ra(std::atan2(v.y, v.x) / kDeg);
  dec = std::asin(std::clamp(v.z / n, -1.0, 1.0)) / kDeg;
}

}  // namespace

void galactic_to_icrs(double l, double b, double& ra, double& dec) {
  const GalacticFrame& f = frame();
  double cb = std::cos(b * kDeg), sb = std::sin(b * kDeg);
  double cl = std::cos(l * kDeg), sl = std::sin(l * kDeg);
  sky::Vec3 v{cb * cl * f.x.x + cb * sl * f.y.x + sb * f.z.x, cb * cl * f.x.y + cb * sl * f.y.y + sb * f.z.y,
              cb * cl * f.x.z + cb * sl * f.y.z + sb * f.z.z};
  vec_to_radec(v, ra, dec);
}

void icrs_to_galactic(double ra, double dec, double& l, double& b) {
  const GalacticFrame& f = frame();
  sky::Vec3 v = sky::to_vec(ra, dec);
  auto dot = [&](const sky::Vec3& a) { return a.x * v.x + a.y * v.y + a.z * v.z; };
  l = sky::wrap_ra(std::atan2(dot(f.y), dot(f.x)) / kDeg);
  b = std::asin(std::clamp(dot(f.z), -1.0, 1.0)) / kDeg;
}

void draw_sky_position(Rng& rng, double& ra, double& dec) {
  // Mixture: 35% thin disc (sigma_b 3 deg), 25% thick disc (9 deg), 10% bulge around the
  // centre, 30% uniform halo. About two thirds of objects land within |b| < 10 deg.
  double pick = rng.uniform();
  double l, b;
  if (pick < 0.30) {
    ra = rng.uniform(0, 360);
    dec = std::asin(rng.uniform(-1, 1)) / kDeg;
    return;
  }
  do {
    if (pick < 0.65) {
      l = rng.uniform(0, 360);
      b = 3.0 * rng.normal();
    } else if (pick < 0.90) {
      l = rng.uniform(0, 360);
      b = 9.0 * rng.normal();
    } else {
      l = 7.0 * rng.normal();
      b = 6.0 * rng.normal();
    }
  } while (std::abs(b) > 90.0);
  galactic_to_icrs(sky::wrap_ra(l), b, ra, dec);
}

double draw_magnitude(Rng& rng, double lo, double hi, double slope) {
  // Inverse CDF of p(m) ~ 10^(slope m) on [lo, hi].
  double span = std::pow(10.0, slope * (hi - lo)) - 1.0;
  return lo + std::log10(1.0 + rng.uniform() * span) / slope;
}

// --- ZTF ----------------------------------------------------------------------------------
namespace {

ZtfTruth ztf_core(Rng& rng, int64_t row) {
  ZtfTruth t;
  t.object_id = 1'000'000'000'000LL + row;  // unique, stable, and recoverable from the row
  do draw_sky_position(rng, t.ra, t.dec);
  while (t.dec < -30.0);                     // Palomar: no coverage south of -30
  t.mag_r = draw_magnitude(rng, 14.0, 21.5, 0.32);
  t.g_minus_r = std::clamp(0.65 + 0.3 * rng.normal(), -0.3, 2.0);
  return t;
}

// What every object of one seed shares on a given night: the weather, the depth, the Sun.
struct Nights {
  std::vector<uint8_t> clear;
  std::vector<float> depth;       // offset of the 5-sigma limit that night, magnitudes
  std::vector<sky::Vec3> sun;
};

Nights make_nights(uint64_t seed) {
  Nights n;
  n.clear.resize(kZtfNights);
  n.depth.resize(kZtfNights);
  n.sun.resize(kZtfNights);
  const double eps = 23.439 * kDeg;
  for (int i = 0; i < kZtfNights; ++i) {
    Rng r(seed, kStreamNight, uint64_t(i));
    n.clear[i] = r.chance(0.72);  // Palomar weather, roughly
    n.depth[i] = float(0.25 * r.normal());
    // Mean solar longitude is good to a degree or two, plenty for a season boundary.
    double lam = 2.0 * kPi * (kZtfFirstMjd + i + 0.5 - 58197.68) / 365.2422;
    n.sun[i] = {std::cos(lam), std::sin(lam) * std::cos(eps), std::sin(lam) * std::sin(eps)};
  }
  return n;
}

struct Exposure {
  double mjd;
  double limit;  // 5-sigma limiting magnitude
  char band;
};

constexpr double kLimit[3] = {21.2, 21.0, 20.5};  // g, r, i median single-visit depths

int band_index(char b) { return b == 'g' ? 0 : b == 'r' ? 1 : 2; }

void append_list_row(Column& c) { c.list_offsets.push_back(int64_t(c.values())); }

Table empty_ztf_table() {
  Table t;
  for (const Field& f : ztf_schema()) {
    Column c(f);
    if (f.list) c.list_offsets.push_back(0);
    if (f.type == Type::String) c.offsets.push_back(0);
    t.columns.push_back(std::move(c));
  }
  return t;
}

}  // namespace

ZtfTruth ztf_object(uint64_t seed, int64_t row) {
  Rng rng(seed, kStreamZtf, uint64_t(row));
  return ztf_core(rng, row);
}

std::vector<Field> ztf_schema() {
  return {
      {"object_id", Type::Int64, false},
      {"ra", Type::Double, false},
      {"dec", Type::Double, false},
      {"mean_mag_r", Type::Double, true},
      {"n_obs", Type::Int32, false},
      {"mjd", Type::Double, false, true, false},
      {"mag", Type::Double, false, true, false},
      {"magerr", Type::Double, false, true, false},
      {"band", Type::String, false, true, false},
      {"is_dipper", Type::Bool, false},
      {"dip_depth", Type::Double, true},
      {"dip_start_mjd", Type::Double, true},
      {"dip_duration_days", Type::Double, true},
  };
}

Table ztf_rows(uint64_t seed, int64_t first_row, int64_t rows) {
  static std::mutex nights_mu;
  static std::map<uint64_t, std::shared_ptr<const Nights>> nights_cache;
  std::shared_ptr<const Nights> nights;
  {
    std::lock_guard<std::mutex> lock(nights_mu);
    auto& slot = nights_cache[seed];
    if (!slot) slot = std::make_shared<Nights>(make_nights(seed));
    nights = slot;
  }

  Table t = empty_ztf_table();
  Column &c_id = t.columns[0], &c_ra = t.columns[1], &c_dec = t.columns[2], &c_mean = t.columns[3],
         &c_nobs = t.columns[4], &c_mjd = t.columns[5], &c_mag = t.columns[6], &c_err = t.columns[7],
         &c_band = t.columns[8], &c_dipper = t.columns[9], &c_depth = t.columns[10], &c_start = t.columns[11],
         &c_dur = t.columns[12];
  std::vector<Exposure> exps;
  for (int64_t row = first_row; row < first_row + rows; ++row) {
    Rng rng(seed, kStreamZtf, uint64_t(row));
    ZtfTruth obj = ztf_core(rng, row);
    sky::Vec3 pos = sky::to_vec(obj.ra, obj.dec);
    double mean_band[3] = {obj.mag_r + obj.g_minus_r, obj.mag_r, obj.mag_r - 0.45 * obj.g_minus_r};

    // Cadence: fields overlap unevenly, so objects differ a lot in how often they are seen.
    double u = rng.uniform();
    double p_visit = 0.02 + 0.2 * u * u;
    bool variable = rng.chance(0.08);
    double amp = rng.uniform(0.05, 0.5), period = std::exp(rng.uniform(std::log(0.2), std::log(200.0)));
    double phase = rng.uniform(0, 2 * kPi);
    bool dipper = rng.chance(kDipperFraction);
    if (dipper) variable = false;

    // Visits: a night counts when the object is >70 deg from the Sun (its season), the sky
    // is clear, and the scheduler picks this object's field.
    exps.clear();
    const double min_elong_cos = std::cos(70.0 * kDeg);
    for (int n = 0; n < kZtfNights; ++n) {
      const sky::Vec3& s = nights->sun[n];
      if (s.x * pos.x + s.y * pos.y + s.z * pos.z > min_elong_cos) continue;
      if (!nights->clear[n] || !rng.chance(p_visit)) continue;
      double night = kZtfFirstMjd + n;
      double t0 = night + rng.uniform(0.18, 0.45);  // 4h..11h UT: a Palomar night
      double pb = rng.uniform();
      char first = pb < 0.45 ? 'r' : pb < 0.85 ? 'g' : 'i';
      exps.push_back({t0, kLimit[band_index(first)] + nights->depth[n] + 0.1 * rng.normal(), first});
      if (first != 'i' && rng.chance(0.35)) {  // a same-night pair in the other band
        char second = first == 'r' ? 'g' : 'r';
        exps.push_back({t0 + rng.uniform(0.02, 0.05), kLimit[band_index(second)] + nights->depth[n] + 0.1 * rng.normal(),
                        second});
      }
    }

    // A Boyajian-like dip: grey, trapezoidal, placed on observed epochs so that several
    // points fall inside it.
    double dip_depth = 0, dip_start = 0, dip_dur = 0;
    if (dipper) {
      dip_depth = rng.uniform(0.1, 0.8);
      dip_dur = rng.uniform(3.0, 25.0);
      if (exps.size() >= 6) {
        // Four consecutive epochs in the flat bottom; prefer a run inside one season so the
        // dip lasts days, not months.
        size_t best = 0;
        double best_span = 1e9;
        for (int tries = 0; tries < 20 && best_span > 25.0; ++tries) {
          size_t k = size_t(rng.uniform() * double(exps.size() - 3));
          double span = exps[k + 3].mjd - exps[k].mjd;
          if (span < best_span) best = k, best_span = span;
        }
        dip_dur = std::max(dip_dur, (best_span + 0.5) / 0.8);
        dip_start = exps[best].mjd - 0.1 * dip_dur - rng.uniform(0.05, 0.5);
      } else {
        dip_start = kZtfFirstMjd + rng.uniform(0, kZtfNights - 30);
      }
    }
    auto dip_at = [&](double t) {
      if (!dipper || t <= dip_start || t >= dip_start + dip_dur) return 0.0;
      double edge = 0.1 * dip_dur;  // 10% ingress, 80% flat, 10% egress
      double f = std::min({1.0, (t - dip_start) / edge, (dip_start + dip_dur - t) / edge});
      return dip_depth * f;
    };

    int32_t nobs = 0;
    double sum_r = 0;
    int n_r = 0;
    for (const Exposure& e : exps) {
      int b = band_index(e.band);
      double m = mean_band[b] + dip_at(e.mjd);
      if (variable) m += amp * std::sin(2 * kPi * (e.mjd - kZtfFirstMjd) / period + phase);
      // Sky-limited photometry: the flux error is fixed, so the magnitude error grows by
      // 10^(0.4 dm) towards the limit, where it is 1.0857/5.
      double sigma_phot = 0.2171 * std::pow(10.0, 0.4 * (m - e.limit));
      double noise = rng.normal();
      if (sigma_phot > 0.362) continue;  // below 3 sigma: no detection, no point
      double err = std::sqrt(0.012 * 0.012 + sigma_phot * sigma_phot);
      double mag = m + err * noise;
      c_mjd.push<double>(e.mjd);
      c_mag.push<double>(mag);
      c_err.push<double>(err);
      char bs[1] = {e.band};
      c_band.push_string(std::string_view(bs, 1));
      if (e.band == 'r') {
        sum_r += mag;
        ++n_r;
      }
      ++nobs;
    }
    append_list_row(c_mjd);
    append_list_row(c_mag);
    append_list_row(c_err);
    append_list_row(c_band);

    c_id.push<int64_t>(obj.object_id);
    c_ra.push<double>(obj.ra);
    c_dec.push<double>(obj.dec);
    if (n_r > 0)
      c_mean.push<double>(sum_r / n_r);
    else
      c_mean.push_null();
    c_nobs.push<int32_t>(nobs);
    c_dipper.push<uint8_t>(dipper ? 1 : 0);
    if (dipper) {
      c_depth.push<double>(dip_depth);
      c_start.push<double>(dip_start);
      c_dur.push<double>(dip_dur);
    } else {
      c_depth.push_null();
      c_start.push_null();
      c_dur.push_null();
    }
  }
  return t;
}

// --- Gaia ---------------------------------------------------------------------------------
std::vector<Field> gaia_schema() {
  return {
      {"source_id", Type::Int64, false},
      {"ra", Type::Double, false},
      {"dec", Type::Double, false},
      {"parallax", Type::Double, false},
      {"pmra", Type::Double, false},
      {"pmdec", Type::Double, false},
      {"phot_g_mean_mag", Type::Double, false},
      {"ztf_object_id", Type::Int64, true},
  };
}

namespace {

// Moves (ra, dec) by (east, north) arcsec on the tangent plane; fine at the poles too.
void offset_position(double& ra, double& dec, double east_arcsec, double north_arcsec) {
  double a = ra * kDeg, d = dec * kDeg;
  sky::Vec3 p = sky::to_vec(ra, dec);
  sky::Vec3 e{-std::sin(a), std::cos(a), 0.0};
  sky::Vec3 n{-std::sin(d) * std::cos(a), -std::sin(d) * std::sin(a), std::cos(d)};
  double x = east_arcsec / 3600.0 * kDeg, y = north_arcsec / 3600.0 * kDeg;
  sky::Vec3 q{p.x + x * e.x + y * n.x, p.y + x * e.y + y * n.y, p.z + x * e.z + y * n.z};
  vec_to_radec(q, ra, dec);
}

}  // namespace

Table gaia_rows(const GaiaOptions& opt, int64_t first_row, int64_t rows) {
  Table t;
  for (const Field& f : gaia_schema()) t.columns.emplace_back(f);
  for (int64_t row = first_row; row < first_row + rows; ++row) {
    double ra, dec, g;
    int64_t ztf_id = -1;
    Rng rng(opt.seed, kStreamGaia, uint64_t(row));
    if (opt.match_ztf_rows < 0 || row < opt.match_ztf_rows) {
      ZtfTruth z = ztf_object(opt.ztf_seed, row);
      Rng m(opt.seed, kStreamGaiaMatch, uint64_t(row));
      // Gaia's broad G band sits a little brighter than r for most stars.
      double gz = z.mag_r - 0.1 - 0.2 * z.g_minus_r + 0.05 * m.normal();
      if (gz <= opt.mag_limit && m.uniform() < opt.match_fraction) {
        ra = z.ra;
        dec = z.dec;
        offset_position(ra, dec, opt.offset_arcsec * m.normal(), opt.offset_arcsec * m.normal());
        g = gz;
        ztf_id = z.object_id;
      }
    }
    if (ztf_id < 0) {
      draw_sky_position(rng, ra, dec);
      g = draw_magnitude(rng, 8.0, opt.mag_limit, 0.33);
    }
    // Astrometry: a distance from an absolute magnitude, Gaia-DR3-like errors growing
    // towards the faint end, and ~35 km/s tangential velocities.
    double abs_mag = std::clamp(4.5 + 2.5 * rng.normal(), -5.0, 15.0);
    double dist_pc = std::clamp(std::pow(10.0, (g - abs_mag + 5.0) / 5.0), 5.0, 50000.0);
    double plx_true = 1000.0 / dist_pc;
    double plx_err = 0.02 + 0.48 * std::pow(10.0, 0.42 * (g - 20.0));
    double vra = 35.0 * rng.normal(), vdec = 35.0 * rng.normal();
    double pmra = vra * plx_true / 4.74 + 1.1 * plx_err * rng.normal();
    double pmdec = vdec * plx_true / 4.74 + 1.1 * plx_err * rng.normal();
    double plx = plx_true + plx_err * rng.normal();
    // Gaia-style id: the level-12 nested HEALPix index in the top bits.
    int64_t source_id = sky::ang2pix(12, ra, dec) * (int64_t(1) << 35) + (row & ((int64_t(1) << 35) - 1));

    t.columns[0].push<int64_t>(source_id);
    t.columns[1].push<double>(ra);
    t.columns[2].push<double>(dec);
    t.columns[3].push<double>(plx);
    t.columns[4].push<double>(pmra);
    t.columns[5].push<double>(pmdec);
    t.columns[6].push<double>(g);
    if (ztf_id >= 0)
      t.columns[7].push<int64_t>(ztf_id);
    else
      t.columns[7].push_null();
  }
  return t;
}

// --- Streaming, parallel writer -----------------------------------------------------------
namespace {

// Workers generate chunks out of order; the calling thread writes them strictly in order.
// At most `ahead` chunks wait in memory, so a slow disk throttles the generators.
void write_chunks(const std::string& path, std::vector<Field> schema, parquet::WriteOptions wopt, int64_t total,
                  int64_t chunk_rows, int threads, const std::function<Table(int64_t, int64_t)>& make,
                  const std::function<void(int64_t)>& progress) {
  if (total < 0) throw std::invalid_argument("generate: row count must be >= 0, got " + std::to_string(total));
  int64_t nchunks = (total + chunk_rows - 1) / chunk_rows;
  base::TaskGroup group(threads, check_cancelled);
  std::vector<Table> ready(static_cast<size_t>(nchunks));
  parquet::FileWriter writer(path, std::move(schema), wopt);  // drops its temp file unless closed
  int64_t written = 0;
  group.ordered_for(
      size_t(nchunks), 0,
      [&](size_t k) {
        int64_t first = int64_t(k) * chunk_rows;
        ready[k] = make(first, std::min(chunk_rows, total - first));
      },
      [&](size_t k) {
        check_cancelled();  // Ctrl-C: stop at a chunk boundary
        Table t = std::move(ready[k]);
        writer.write(t);
        written += int64_t(t.rows());
        if (progress) progress(written);
      });
  writer.close();
}

}  // namespace

void write_ztf(const std::string& path, uint64_t seed, const GenerateOptions& gen) {
  // Light curves make ZTF rows ~3 KB each, so chunks and row groups stay small.
  int64_t chunk = gen.chunk_rows > 0 ? gen.chunk_rows : 16384;
  parquet::WriteOptions w;
  w.row_group_rows = std::max<int64_t>(chunk, 16384);
  w.key_value.push_back({"astrolake.synthetic", "ztf seed=" + std::to_string(seed)});
  write_chunks(path, ztf_schema(), w, gen.rows, chunk, gen.threads,
               [seed](int64_t first, int64_t n) { return ztf_rows(seed, first, n); }, gen.progress);
}

void write_gaia(const std::string& path, const GaiaOptions& opt, const GenerateOptions& gen) {
  int64_t chunk = gen.chunk_rows > 0 ? gen.chunk_rows : (1 << 20);
  GaiaOptions o = opt;
  if (o.match_ztf_rows < 0) o.match_ztf_rows = gen.rows;
  if (o.match_fraction < 0 || o.match_fraction > 1)
    throw std::invalid_argument("generate gaia: match fraction must be in [0,1], got " + std::to_string(o.match_fraction));
  parquet::WriteOptions w;
  w.key_value.push_back({"astrolake.synthetic", "gaia seed=" + std::to_string(o.seed) + " ztf_seed=" +
                                                    std::to_string(o.ztf_seed) +
                                                    " match_ztf_rows=" + std::to_string(o.match_ztf_rows)});
  write_chunks(path, gaia_schema(), w, gen.rows, chunk, gen.threads,
               [o](int64_t first, int64_t n) { return gaia_rows(o, first, n); }, gen.progress);
}

}  // namespace astrolake::catalog
