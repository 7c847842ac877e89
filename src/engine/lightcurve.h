// Light curves: per-row functions over LIST columns (lc_mean(mag), lc_where(mag, band, 'r'),
// ...) and a dimming-event ("dipper") detector for Boyajian-star-like searches. Both work on
// whole batches: one pass over the list offsets, no allocation per row (scratch buffers are
// reused), so they can run inside WHERE over millions of light curves.
//
// Conventions shared by every lc_* function: null elements and NaN values are skipped; a null
// or empty list (or one with no usable element) gives a NULL result, except lc_n, which
// gives 0. Lists passed together (x and err, x and mask) must have the same length in every
// row; a mismatch throws ExprError naming the function and the row.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parquet/table.h"

namespace astrolake::engine {

class FunctionRegistry;

// Adds lc_n, lc_mean, lc_median, lc_std, lc_min, lc_max, lc_wmean, lc_chi2, lc_filter,
// lc_where and dip_depth, dip_max_depth, dip_duration, dip_npoints, dip_start, dip_score,
// is_dipper. FunctionRegistry::global() calls it, so every query sees them.
void register_lightcurve_functions(FunctionRegistry& r);

// --- Dip detector ------------------------------------------------------------------------
// A dip is a run of consecutive points (in time order, all bands interleaved) that are each
// fainter than their band's median by more than nsigma * sigma_i, where
// sigma_i = max(robust band scatter, magerr_i) and the robust scatter is 1.4826 * MAD of the
// band's magnitudes. Per-band medians matter because g, r and i differ by the star's colour;
// the MAD makes smooth variables (whose scatter is large) unlikely to trigger. A run counts
// when it has at least min_points points and a combined significance sum(z_i) / sqrt(n) of
// at least min_significance (z_i = (mag - median) / sigma_i): dips push faint stars towards
// the detection limit, where single points rarely reach 3 sigma but a run of 2-sigma points
// is still unmistakable. Of the runs that count, the one with the largest sum(z_i) is the dip.
// Defaults were tuned on `astrolake generate ztf` data (docs/benchmarks.md, "Light curves").
struct DipParams {
  double nsigma = 2.0;
  int min_points = 3;
  double min_significance = 6.0;
  int min_band_points = 5;  // bands with fewer usable points have no baseline; skipped
};

struct Dip {
  int npoints = 0;          // 0: no qualifying run (then every other field is 0)
  double depth = 0;         // mean of (mag - band median) over the run; positive = fainter
  double max_depth = 0;     // largest (mag - band median) in the run
  double start_mjd = 0;     // time of the run's first point
  double duration = 0;      // last minus first time of the run, days
  double score = 0;         // sum of z_i = (mag - median) / sigma_i over the run
};

// Per-thread scratch for DipFinder::find; reusing one across rows avoids allocation.
struct DipScratch {
  std::vector<double> t, m, e, dev, sig, tmp;
  std::vector<int> band, order;
  std::vector<std::string_view> band_names;
  std::vector<double> median, scatter;
  std::vector<int> band_count;
};

// A list<numeric> column seen as doubles: offsets, values, validity. bind() checks the list
// structure against `rows` and converts non-double elements once; a non-list argument (an
// untyped NULL literal) binds as all-null rows. Throws ExprError naming `context`.
struct NumericList {
  const int64_t* off = nullptr;
  const double* v = nullptr;
  const uint8_t* ev = nullptr;  // element validity, nullptr = all valid
  const uint8_t* rv = nullptr;  // row validity, nullptr = all valid
  bool all_null = false;
  std::vector<double> owned;

  void bind(const parquet::Column& c, size_t rows, const std::string& context);
  bool row_null(size_t r) const { return all_null || (rv && !rv[r]); }
  int64_t begin(size_t r) const { return off[r]; }
  int64_t end(size_t r) const { return off[r + 1]; }
  // Element j is present and not NaN.
  bool ok(int64_t j) const { return (!ev || ev[j]) && v[j] == v[j]; }
};

// Checks a list column's offsets and validity against `rows` (any element type).
void check_list(const parquet::Column& c, size_t rows, const std::string& context);

// The light-curve columns of one batch: list<numeric> mjd, mag, magerr and optionally
// list<string> band (nullptr: all points are one band). Construction checks that the lists
// line up row by row (throws ExprError naming `context`, the column and the row).
class DipFinder {
 public:
  DipFinder(const parquet::Column& mjd, const parquet::Column& mag, const parquet::Column& magerr,
            const parquet::Column* band, const std::string& context = "dip search");
  size_t rows() const { return rows_; }
  bool row_is_null(size_t row) const;  // any of the lists is null
  // The deepest dip of `row`; const, so threads may share a finder with their own scratch.
  Dip find(size_t row, const DipParams& p, DipScratch& s) const;

 private:
  NumericList mjd_, mag_, err_;
  const parquet::Column* band_ = nullptr;
  size_t rows_ = 0;
};

// Every row of a batch with the same parameters (a null row gives npoints = 0).
std::vector<Dip> find_dips(const parquet::Column& mjd, const parquet::Column& mag, const parquet::Column& magerr,
                           const parquet::Column* band, const DipParams& p);

}  // namespace astrolake::engine
