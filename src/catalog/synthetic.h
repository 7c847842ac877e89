// Synthetic surveys for tests and benchmarks: a ZTF-like light-curve catalog and a Gaia-like
// astrometric catalog that overlap, with truth columns so cross-matches and dip searches can
// be checked.
//
// Every object is generated from its own random stream, seeded from (seed, survey, row).
// Output therefore depends only on the seed and row index, never on chunking or thread
// count, and Gaia can regenerate the position and brightness of ZTF object i without
// generating any light curves.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "parquet/table.h"

namespace astrolake::catalog {

// --- The random generator (fixed algorithms: identical output on every platform) ----------
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// xoshiro256** with splitmix64 seeding, plus the few distributions the generators need.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  Rng(uint64_t seed, uint64_t stream, uint64_t index);  // an independent stream per object
  uint64_t next();
  double uniform();                     // [0, 1)
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  double normal();                      // standard normal (Box-Muller, no cached spare)
  bool chance(double p) { return uniform() < p; }

 private:
  uint64_t s_[4];
};

// --- Sky and magnitude models -----------------------------------------------------------
// Galactic (l, b) <-> ICRS (ra, dec), degrees. Pole RA 192.859508 Dec 27.128336.
void galactic_to_icrs(double l, double b, double& ra, double& dec);
void icrs_to_galactic(double ra, double dec, double& l, double& b);
// A position drawn from the galaxy model: a thin disc with a Gaussian-ish latitude profile,
// a central bulge and a uniform halo.
void draw_sky_position(Rng& rng, double& ra, double& dec);
// Magnitude with number counts rising as 10^(slope*m) between lo and hi.
double draw_magnitude(Rng& rng, double lo, double hi, double slope);

// --- ZTF-like catalog ---------------------------------------------------------------------
struct ZtfTruth {      // what Gaia needs to regenerate a ZTF object
  int64_t object_id;
  double ra, dec;
  double mag_r;        // true mean r magnitude
  double g_minus_r;
};
ZtfTruth ztf_object(uint64_t seed, int64_t row);

constexpr double kZtfFirstMjd = 58194.0;   // 2018-03-17, start of the public survey
constexpr int kZtfNights = 5 * 365;
constexpr double kDipperFraction = 0.005;

std::vector<parquet::Field> ztf_schema();
// Rows [first_row, first_row + rows) of the ZTF catalog for `seed`.
parquet::Table ztf_rows(uint64_t seed, int64_t first_row, int64_t rows);

// --- Gaia-like catalog --------------------------------------------------------------------
struct GaiaOptions {
  uint64_t seed = 1;
  uint64_t ztf_seed = 1;          // the ZTF catalog to overlap (normally the same seed)
  int64_t match_ztf_rows = -1;    // ZTF rows eligible for a counterpart; -1 = this catalog's rows
  double match_fraction = 1.0;    // of the eligible ZTF objects bright enough for Gaia
  double offset_arcsec = 0.1;     // rms per-axis position offset of counterparts
  double mag_limit = 21.0;        // Gaia G limit: fainter ZTF objects get no counterpart
};
std::vector<parquet::Field> gaia_schema();
// Gaia row i < match_ztf_rows is the counterpart of ZTF object i when that object is bright
// enough and selected by match_fraction; every other row is a Gaia-only source.
parquet::Table gaia_rows(const GaiaOptions& opt, int64_t first_row, int64_t rows);

// --- Streaming writers ----------------------------------------------------------------------
struct GenerateOptions {
  int64_t rows = 0;
  int64_t chunk_rows = 0;         // 0: a survey-dependent default
  int threads = 0;                // most threads of the shared pool used; 0: all
  std::function<void(int64_t)> progress;  // called with rows written so far
};
// Generates chunks in parallel and writes them in order through parquet::FileWriter, so
// memory stays bounded by a few chunks whatever the row count. Atomic like every write.
void write_ztf(const std::string& path, uint64_t seed, const GenerateOptions& gen);
void write_gaia(const std::string& path, const GaiaOptions& opt, const GenerateOptions& gen);

}  // namespace astrolake::catalog
