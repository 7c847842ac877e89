#include "engine/lightcurve.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "engine/column_ops.h"
#include "engine/expr.h"
#include "engine/functions.h"

namespace astrolake::engine {

namespace {

using Fields = std::vector<Field>;
using Columns = std::vector<Column>;

bool untyped(const Field& f) { return f.name == "NULL" && !f.list; }

std::string arg_name(const std::string& fn, size_t i) { return "function " + fn + ": argument " + std::to_string(i + 1); }

std::string describe(const Field& f) {
  return std::string(f.list ? "list<" : "") + parquet::type_name(f.type) + (f.list ? ">" : "");
}

void need_list(const std::string& fn, const Fields& a, size_t i, bool numeric) {
  if (untyped(a[i])) return;
  bool ok = a[i].list && (numeric ? is_numeric(a[i].type) : true);
  if (!ok)
    throw ExprError(arg_name(fn, i) + " (" + a[i].name + ") must be a list" + (numeric ? " of numbers" : "") +
                    ", got " + describe(a[i]));
}

void need_scalar_numeric(const std::string& fn, const Fields& a, size_t i) {
  if (untyped(a[i])) return;
  if (a[i].list || !is_numeric(a[i].type))
    throw ExprError(arg_name(fn, i) + " (" + a[i].name + ") must be a number, got " + describe(a[i]));
}

Field typed(Type t) {
  Field f;
  f.type = t;
  return f;
}

// Median of v[0..n) (reordered); the mean of the two middle values when n is even, as numpy.
double median_inplace(double* v, size_t n) {
  size_t h = n / 2;
  std::nth_element(v, v + h, v + n);
  double hi = v[h];
  if (n % 2) return hi;
  double lo = *std::max_element(v, v + h);
  return 0.5 * (lo + hi);
}

// Two lists passed together must have the same length wherever both are present.
void check_aligned(const NumericList& a, const NumericList& b, size_t rows, const std::string& fn, const char* what) {
  if (a.all_null || b.all_null) return;
  for (size_t r = 0; r < rows; r++) {
    if (a.row_null(r) || b.row_null(r)) continue;
    if (a.end(r) - a.begin(r) != b.end(r) - b.begin(r))
      throw ExprError(fn + ": row " + std::to_string(r) + ": " + what + " has " +
                      std::to_string(b.end(r) - b.begin(r)) + " elements but the first list has " +
                      std::to_string(a.end(r) - a.begin(r)));
  }
}

}  // namespace

void check_list(const Column& c, size_t rows, const std::string& context) {
  auto bad = [&](const std::string& what) { throw ExprError(context + " (" + c.field.name + "): " + what); };
  if (!c.field.list) bad("not a list column");
  if (c.list_offsets.size() != rows + 1)
    bad("has " + std::to_string(c.list_offsets.size()) + " list offsets for " + std::to_string(rows) + " rows");
  size_t nv = c.values();
  if (is_stringlike(c.field.type) && !c.offsets.empty() && size_t(c.offsets.back()) > c.data.size())
    bad("string offsets run past the data");
  if (c.list_offsets[0] < 0) bad("negative list offset");
  for (size_t r = 0; r < rows; r++)
    if (c.list_offsets[r + 1] < c.list_offsets[r])
      bad("row " + std::to_string(r) + ": list offsets go backwards");
  if (size_t(c.list_offsets[rows]) > nv)
    bad("list offsets reach element " + std::to_string(c.list_offsets[rows]) + " of " + std::to_string(nv));
  if (!c.valid.empty() && c.valid.size() < nv) bad("element validity is shorter than the elements");
  if (!c.list_valid.empty() && c.list_valid.size() != rows) bad("row validity does not match the rows");
}

void NumericList::bind(const Column& c, size_t rows, const std::string& context) {
  if (!c.field.list) {  // an untyped NULL literal: every row is null
    all_null = true;
    return;
  }
  if (!is_numeric(c.field.type))
    throw ExprError(context + " (" + c.field.name + "): must be a list of numbers, got list<" +
                    parquet::type_name(c.field.type) + ">");
  check_list(c, rows, context);
  off = c.list_offsets.data();
  ev = c.valid.empty() ? nullptr : c.valid.data();
  rv = c.list_valid.empty() ? nullptr : c.list_valid.data();
  if (c.field.type == Type::Double) {
    v = c.values_as<double>();
  } else {
    owned = column_f64(c);  // one conversion per batch; element arrays convert like scalars
    v = owned.data();
  }
}

// --- Dip detector ----------------------------------------------------------------------------

DipFinder::DipFinder(const Column& mjd, const Column& mag, const Column& magerr, const Column* band,
                     const std::string& context)
    : band_(band) {
  rows_ = mjd.rows();
  mjd_.bind(mjd, rows_, context + ": mjd");
  mag_.bind(mag, rows_, context + ": mag");
  err_.bind(magerr, rows_, context + ": magerr");
  check_aligned(mjd_, mag_, rows_, context, "mag");
  check_aligned(mjd_, err_, rows_, context, "magerr");
  if (band_ && !band_->field.list) band_ = nullptr;  // untyped NULL: treat as one band
  if (band_) {
    if (!is_stringlike(band_->field.type))
      throw ExprError(context + ": band (" + band_->field.name + ") must be a list of strings, got list<" +
                      parquet::type_name(band_->field.type) + ">");
    check_list(*band_, rows_, context + ": band");
    if (band_->offsets.size() < band_->values() + 1 && band_->values() > 0)
      throw ExprError(context + ": band (" + band_->field.name + "): string offsets are missing");
    for (size_t r = 0; r < rows_; r++) {
      if (row_is_null(r)) continue;
      int64_t nb = band_->list_offsets[r + 1] - band_->list_offsets[r];
      if (!mjd_.all_null && nb != mjd_.end(r) - mjd_.begin(r))
        throw ExprError(context + ": row " + std::to_string(r) + ": band has " + std::to_string(nb) +
                        " elements but mjd has " + std::to_string(mjd_.end(r) - mjd_.begin(r)));
    }
  }
}

bool DipFinder::row_is_null(size_t r) const {
  return mjd_.row_null(r) || mag_.row_null(r) || err_.row_null(r) || (band_ && band_->is_null(r));
}

Dip DipFinder::find(size_t row, const DipParams& p, DipScratch& s) const {
  Dip best;
  if (row_is_null(row)) return best;
  s.t.clear(), s.m.clear(), s.e.clear(), s.band.clear(), s.band_names.clear();
  // Gather the usable points. The lists are aligned, so one index walks all of them.
  int64_t a = mjd_.begin(row), b = mjd_.end(row);
  int64_t d_mag = mag_.begin(row) - a, d_err = err_.begin(row) - a;
  int64_t d_band = band_ ? band_->list_offsets[row] - a : 0;
  for (int64_t j = a; j < b; j++) {
    if (!mjd_.ok(j) || !mag_.ok(j + d_mag) || !err_.ok(j + d_err)) continue;
    double e = err_.v[j + d_err];
    if (!(e >= 0) || std::isinf(e)) continue;
    int id = 0;
    if (band_) {
      int64_t k = j + d_band;
      if (band_->value_is_null(size_t(k))) continue;
      std::string_view name = band_->string_at(size_t(k));
      int nb = int(s.band_names.size());
      for (id = 0; id < nb && s.band_names[size_t(id)] != name; id++) {
      }
      if (id == nb) s.band_names.push_back(name);
    }
    s.t.push_back(mjd_.v[j]);
    s.m.push_back(mag_.v[j + d_mag]);
    s.e.push_back(e);
    s.band.push_back(id);
  }
  size_t n = s.t.size();
  int min_points = std::max(1, p.min_points);
  if (n < size_t(min_points)) return best;

  // Time order: surveys usually store it already, so only sort when needed.
  bool sorted = true;
  for (size_t i = 1; i < n && sorted; i++) sorted = s.t[i] >= s.t[i - 1];
  if (!sorted) {
    s.order.resize(n);
    std::iota(s.order.begin(), s.order.end(), 0);
    std::stable_sort(s.order.begin(), s.order.end(), [&](int x, int y) { return s.t[size_t(x)] < s.t[size_t(y)]; });
    auto permute = [&](auto& v) {
      auto copy = v;  // rare path (unsorted input); the common path allocates nothing
      for (size_t i = 0; i < n; i++) v[i] = copy[size_t(s.order[i])];
    };
    permute(s.t), permute(s.m), permute(s.e), permute(s.band);
  }

  // Per-band median and robust scatter: bucket the magnitudes by band (counting sort).
  size_t nb = std::max<size_t>(1, s.band_names.size());
  s.band_count.assign(nb + 1, 0);
  for (size_t i = 0; i < n; i++) s.band_count[size_t(s.band[i]) + 1]++;
  for (size_t k = 0; k < nb; k++) s.band_count[k + 1] += s.band_count[k];
  s.tmp.resize(n);
  s.order.assign(s.band_count.begin(), s.band_count.end() - 1);  // fill cursors
  for (size_t i = 0; i < n; i++) s.tmp[size_t(s.order[size_t(s.band[i])]++)] = s.m[i];
  s.median.assign(nb, NAN);
  s.scatter.assign(nb, NAN);
  for (size_t k = 0; k < nb; k++) {
    double* v = s.tmp.data() + s.band_count[k];
    size_t c = size_t(s.band_count[k + 1] - s.band_count[k]);
    if (c < size_t(std::max(1, p.min_band_points))) continue;
    double med = median_inplace(v, c);
    for (size_t i = 0; i < c; i++) v[i] = std::fabs(v[i] - med);
    s.median[k] = med;
    s.scatter[k] = 1.4826 * median_inplace(v, c);
  }

  // Scan runs of faint points; points of bands without a baseline neither extend nor break.
  Dip run;
  double run_sum = 0, run_last = 0;
  auto close = [&] {
    bool counts = run.npoints >= min_points && run.score >= p.min_significance * std::sqrt(double(run.npoints));
    if (counts && run.score > best.score) {
      best = run;
      best.depth = run_sum / run.npoints;
      best.duration = run_last - run.start_mjd;
    }
    run = Dip();
    run_sum = 0;
  };
  for (size_t i = 0; i < n; i++) {
    size_t k = size_t(s.band[i]);
    if (std::isnan(s.median[k])) continue;
    double dev = s.m[i] - s.median[k];
    double sig = std::max(s.scatter[k], s.e[i]);
    if (!(dev > p.nsigma * sig)) {
      if (run.npoints) close();
      continue;
    }
    if (run.npoints == 0) run.start_mjd = s.t[i], run.max_depth = dev;
    run.npoints++;
    run_sum += dev;
    run.max_depth = std::max(run.max_depth, dev);
    run.score += sig > 0 ? dev / sig : 1e300;
    run_last = s.t[i];
  }
  if (run.npoints) close();
  return best;
}

std::vector<Dip> find_dips(const Column& mjd, const Column& mag, const Column& magerr, const Column* band,
                           const DipParams& p) {
  DipFinder f(mjd, mag, magerr, band);
  DipScratch s;
  std::vector<Dip> out(f.rows());
  for (size_t r = 0; r < f.rows(); r++) out[r] = f.find(r, p, s);
  return out;
}

// --- Registered functions ------------------------------------------------------------------

namespace {

// lc_n / lc_mean / ...: one reduction over each row's usable elements. `kernel` sees the
// row's values gathered into a reused buffer and returns false for a NULL result.
template <class Kernel>
Column reduce_rows(const std::string& fn, const Columns& a, size_t n, bool weighted, Kernel kernel) {
  NumericList x, w;
  x.bind(a[0], n, "function " + fn + ": argument 1");
  if (weighted) {
    w.bind(a[1], n, "function " + fn + ": argument 2");
    check_aligned(x, w, n, "function " + fn, "argument 2");
  }
  std::vector<double> out(n, 0.0), vals, errs;
  std::vector<uint8_t> valid(n, 0);
  for (size_t r = 0; r < n; r++) {
    vals.clear(), errs.clear();
    if (!x.row_null(r) && !(weighted && w.row_null(r))) {
      int64_t b = x.begin(r), e = x.end(r), d = weighted ? w.begin(r) - b : 0;
      for (int64_t j = b; j < e; j++) {
        if (!x.ok(j)) continue;
        if (weighted) {
          if (!w.ok(j + d)) continue;
          double s = w.v[j + d];
          if (!(s > 0) || std::isinf(s)) continue;  // weight 1/err^2 needs a positive, finite error
          errs.push_back(s);
        }
        vals.push_back(x.v[j]);
      }
    }
    double res = 0;
    if (kernel(vals, errs, res)) out[r] = res, valid[r] = 1;
  }
  normalize_validity(valid);
  return make_f64(typed(Type::Double), std::move(out), std::move(valid));
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / double(v.size());
}

double wmean_of(const std::vector<double>& v, const std::vector<double>& e) {
  double sw = 0, swx = 0;
  for (size_t i = 0; i < v.size(); i++) {
    double w = 1.0 / (e[i] * e[i]);
    sw += w, swx += w * v[i];
  }
  return swx / sw;
}

using KernelFn = bool (*)(std::vector<double>&, const std::vector<double>&, double&);

void add_reduction(FunctionRegistry& r, const std::string& name, bool weighted, const std::string& help,
                   KernelFn kernel) {
  Function f;
  f.name = name;
  f.min_args = f.max_args = weighted ? 2 : 1;
  f.signature = name + (weighted ? "(x LIST<DOUBLE>, err LIST<DOUBLE>) -> DOUBLE" : "(x LIST<DOUBLE>) -> DOUBLE");
  f.help = help;
  f.infer = [name, weighted](const Fields& a) {
    need_list(name, a, 0, true);
    if (weighted) need_list(name, a, 1, true);
    return typed(Type::Double);
  };
  f.eval = [name, weighted, kernel](const Columns& a, size_t n) { return reduce_rows(name, a, n, weighted, kernel); };
  r.add(std::move(f));
}

// Builds the sub-list of x's elements where keep(row, element) holds; keeps x's type and
// element validity. A null x row (or a row keep_row rejects) gives a null list.
template <class KeepRow, class Keep>
Column select_elements(const Column& x, size_t n, KeepRow keep_row, Keep keep) {
  Column out(x.field);
  out.field.name.clear();
  out.field.nullable = true;
  out.list_offsets.reserve(n + 1);
  out.list_offsets.push_back(0);
  std::vector<uint8_t> list_valid(n, 1);
  bool str = is_stringlike(x.field.type);
  size_t w = parquet::type_width(x.field.type);
  if (str) out.offsets.push_back(0);
  bool ev = !x.valid.empty();
  for (size_t r = 0; r < n; r++) {
    if (x.is_null(r) || !keep_row(r)) {
      list_valid[r] = 0;
      out.list_offsets.push_back(int64_t(out.values()));
      continue;
    }
    int64_t b = x.list_offsets[r], e = x.list_offsets[r + 1];
    for (int64_t j = b; j < e; j++) {
      if (!keep(r, j - b)) continue;
      if (str) {
        std::string_view s = x.string_at(size_t(j));
        out.data.append(s.data(), s.size());
        out.offsets.push_back(int64_t(out.data.size()));
      } else {
        out.data.append(x.data.data() + size_t(j) * w, w);
      }
      if (ev) out.valid.push_back(x.valid[size_t(j)]);
    }
    out.list_offsets.push_back(int64_t(out.values()));
  }
  normalize_validity(list_valid);
  out.list_valid = std::move(list_valid);
  return out;
}

Column null_list(const Field& like, size_t n) {
  Column out(like);
  out.field.name.clear();
  out.field.nullable = true;
  out.list_offsets.assign(n + 1, 0);
  out.list_valid.assign(n, 0);
  if (is_stringlike(like.type)) out.offsets.push_back(0);
  return out;
}

void check_same_lengths(const Column& x, const Column& y, size_t n, const std::string& fn, const char* what) {
  for (size_t r = 0; r < n; r++) {
    if (x.is_null(r) || y.is_null(r)) continue;
    int64_t lx = x.list_offsets[r + 1] - x.list_offsets[r], ly = y.list_offsets[r + 1] - y.list_offsets[r];
    if (lx != ly)
      throw ExprError("function " + fn + ": row " + std::to_string(r) + ": " + what + " has " + std::to_string(ly) +
                      " elements but x has " + std::to_string(lx));
  }
}

Field list_result(const Field& x) {
  Field f = x;
  f.nullable = true;
  f.list = true;
  return f;
}

void add_filters(FunctionRegistry& r) {
  Function f;
  f.name = "lc_filter";
  f.min_args = f.max_args = 2;
  f.signature = "lc_filter(x LIST<T>, keep LIST<BOOLEAN>) -> LIST<T>";
  f.help = "The elements of x whose keep element is true (same-length lists; null keep drops)";
  f.infer = [](const Fields& a) {
    if (!a[0].list) throw ExprError(arg_name("lc_filter", 0) + " (" + a[0].name + ") must be a list, got " + describe(a[0]));
    if (!untyped(a[1]) && !(a[1].list && (a[1].type == Type::Bool || is_intlike(a[1].type))))
      throw ExprError(arg_name("lc_filter", 1) + " (" + a[1].name + ") must be a list of booleans, got " +
                      describe(a[1]));
    return list_result(a[0]);
  };
  f.eval = [](const Columns& a, size_t n) {
    const Column& x = a[0];
    check_list(x, n, "function lc_filter: argument 1");
    if (!a[1].field.list) return null_list(x.field, n);
    const Column& m = a[1];
    check_list(m, n, "function lc_filter: argument 2");
    check_same_lengths(x, m, n, "lc_filter", "keep");
    std::vector<int64_t> mv = column_i64(m);
    return select_elements(
        x, n, [&](size_t row) { return !m.is_null(row); },
        [&](size_t row, int64_t k) {
          size_t j = size_t(m.list_offsets[row] + k);
          return !m.value_is_null(j) && mv[j] != 0;
        });
  };
  r.add(f);

  Function w;
  w.name = "lc_where";
  w.min_args = w.max_args = 3;
  w.signature = "lc_where(x LIST<T>, key LIST<K>, value K) -> LIST<T>";
  w.help = "The elements of x whose key element equals value, e.g. lc_where(mag, band, 'r')";
  w.infer = [](const Fields& a) {
    if (!a[0].list) throw ExprError(arg_name("lc_where", 0) + " (" + a[0].name + ") must be a list, got " + describe(a[0]));
    if (!untyped(a[1]) && !a[1].list)
      throw ExprError(arg_name("lc_where", 1) + " (" + a[1].name + ") must be a list, got " + describe(a[1]));
    if (a[2].list) throw ExprError(arg_name("lc_where", 2) + " (" + a[2].name + ") must be a scalar, got a list");
    if (!untyped(a[1]) && !untyped(a[2]) && is_stringlike(a[1].type) != is_stringlike(a[2].type))
      throw ExprError("function lc_where: cannot compare " + describe(a[1]) + " elements (" + a[1].name + ") with " +
                      describe(a[2]) + " (" + a[2].name + ")");
    return list_result(a[0]);
  };
  w.eval = [](const Columns& a, size_t n) {
    const Column& x = a[0];
    check_list(x, n, "function lc_where: argument 1");
    const Column& key = a[1];
    const Column& val = a[2];
    if (!key.field.list) return null_list(x.field, n);
    check_list(key, n, "function lc_where: argument 2");
    check_same_lengths(x, key, n, "lc_where", "key");
    auto row_ok = [&](size_t row) { return !key.is_null(row) && !val.value_is_null(row); };
    if (is_stringlike(key.field.type)) {
      if (!is_stringlike(val.field.type)) return null_list(x.field, n);  // untyped NULL value
      return select_elements(x, n, row_ok, [&](size_t row, int64_t k) {
        size_t j = size_t(key.list_offsets[row] + k);
        return !key.value_is_null(j) && key.string_at(j) == val.string_at(row);
      });
    }
    std::vector<double> kv = column_f64(key), vv = column_f64(val);
    return select_elements(x, n, row_ok, [&](size_t row, int64_t k) {
      size_t j = size_t(key.list_offsets[row] + k);
      return !key.value_is_null(j) && kv[j] == vv[row];
    });
  };
  r.add(w);
}

// dip_*(mjd, mag, magerr [, band] [, nsigma [, min_points [, min_significance]]]): a 4th
// argument that is a list
// is the band list (per-band baselines); the numbers after it default to DipParams.
struct DipArgs {
  int band = -1, nsigma = -1, min_points = -1, min_sig = -1;
};

DipArgs dip_args(size_t count, bool fourth_is_list) {
  DipArgs d;
  size_t i = 3;
  if (count > 3 && fourth_is_list) d.band = int(i++);
  if (count > i) d.nsigma = int(i++);
  if (count > i) d.min_points = int(i++);
  if (count > i) d.min_sig = int(i++);
  return d;
}

enum class DipOut { Depth, MaxDepth, Duration, NPoints, Start, Score, IsDipper };

void add_dip_function(FunctionRegistry& r, const std::string& name, DipOut what, const std::string& help) {
  Function f;
  f.name = name;
  f.min_args = 3;
  f.max_args = 7;
  Type type = what == DipOut::NPoints ? Type::Int64 : what == DipOut::IsDipper ? Type::Bool : Type::Double;
  f.signature = name + "(mjd LIST<DOUBLE>, mag LIST<DOUBLE>, magerr LIST<DOUBLE> [, band LIST<STRING>] [, nsigma DOUBLE = 2 [, min_points INT = 3 [, min_significance DOUBLE = 6]]]) -> " +
                (type == Type::Int64 ? "BIGINT" : type == Type::Bool ? "BOOLEAN" : "DOUBLE");
  f.help = help;
  f.infer = [name, type](const Fields& a) {
    for (size_t i = 0; i < 3; i++) need_list(name, a, i, true);
    DipArgs d = dip_args(a.size(), a.size() > 3 && a[3].list);
    if (d.band >= 0 && !is_stringlike(a[size_t(d.band)].type))
      throw ExprError(arg_name(name, size_t(d.band)) + " (" + a[size_t(d.band)].name +
                      ") must be a list of band names (strings), got " + describe(a[size_t(d.band)]));
    if (d.nsigma >= 0) need_scalar_numeric(name, a, size_t(d.nsigma));
    if (d.min_points >= 0) need_scalar_numeric(name, a, size_t(d.min_points));
    if (d.min_sig >= 0) need_scalar_numeric(name, a, size_t(d.min_sig));
    if (d.band < 0 && a.size() == 7) throw ExprError("function " + name + ": 7 arguments need a band list as the 4th");
    return typed(type);
  };
  f.eval = [name, what, type](const Columns& a, size_t n) {
    DipArgs d = dip_args(a.size(), a.size() > 3 && a[3].field.list);
    DipFinder finder(a[0], a[1], a[2], d.band >= 0 ? &a[size_t(d.band)] : nullptr, "function " + name);
    std::vector<double> ns, mp;
    if (d.nsigma >= 0) ns = column_f64(a[size_t(d.nsigma)]);
    if (d.min_points >= 0) mp = column_f64(a[size_t(d.min_points)]);
    std::vector<double> ms;
    if (d.min_sig >= 0) ms = column_f64(a[size_t(d.min_sig)]);
    std::vector<double> outd(n, 0.0);
    std::vector<int64_t> outi(n, 0);
    std::vector<uint8_t> valid(n, 1);
    DipScratch s;
    DipParams p;
    for (size_t r = 0; r < n; r++) {
      if (finder.row_is_null(r) || (d.nsigma >= 0 && a[size_t(d.nsigma)].value_is_null(r)) ||
          (d.min_points >= 0 && a[size_t(d.min_points)].value_is_null(r)) ||
          (d.min_sig >= 0 && a[size_t(d.min_sig)].value_is_null(r))) {
        valid[r] = 0;
        continue;
      }
      if (d.nsigma >= 0) p.nsigma = ns[r];
      if (d.min_points >= 0) p.min_points = int(std::clamp(mp[r], 1.0, 1e9));
      if (d.min_sig >= 0) p.min_significance = ms[r];
      Dip dip = finder.find(r, p, s);
      bool found = dip.npoints > 0;
      switch (what) {
        case DipOut::Depth: outd[r] = dip.depth; break;
        case DipOut::MaxDepth: outd[r] = dip.max_depth; break;
        case DipOut::Duration: outd[r] = dip.duration; break;
        case DipOut::Start: outd[r] = dip.start_mjd; break;
        case DipOut::Score: outd[r] = dip.score; break;
        case DipOut::NPoints: outi[r] = dip.npoints; break;
        case DipOut::IsDipper: outi[r] = found; break;
      }
      // No dip: the measurements are NULL; the count is 0 and is_dipper false.
      if (!found && type == Type::Double) valid[r] = 0;
    }
    normalize_validity(valid);
    if (type == Type::Double) return make_f64(typed(type), std::move(outd), std::move(valid));
    if (type == Type::Int64) return make_i64(typed(type), std::move(outi), std::move(valid));
    std::vector<uint8_t> b(n);
    for (size_t r = 0; r < n; r++) b[r] = uint8_t(outi[r]);
    return make_bool(typed(type), std::move(b), std::move(valid));
  };
  r.add(std::move(f));
}

}  // namespace

void register_lightcurve_functions(FunctionRegistry& r) {
  Function n;
  n.name = "lc_n";
  n.min_args = n.max_args = 1;
  n.signature = "lc_n(x LIST<T>) -> BIGINT";
  n.help = "Number of non-null (and non-NaN) elements of a list; 0 for a null list";
  n.infer = [](const Fields& a) {
    if (!a[0].list && !untyped(a[0]))
      throw ExprError(arg_name("lc_n", 0) + " (" + a[0].name + ") must be a list, got " + describe(a[0]));
    return typed(Type::Int64);
  };
  n.eval = [](const Columns& a, size_t rows) {
    std::vector<int64_t> out(rows, 0);
    const Column& x = a[0];
    if (!x.field.list) return make_i64(typed(Type::Int64), std::move(out));
    check_list(x, rows, "function lc_n: argument 1");
    bool flt = x.field.type == Type::Double || x.field.type == Type::Float;
    std::vector<double> v;
    if (flt) v = column_f64(x);
    for (size_t r = 0; r < rows; r++) {
      if (x.is_null(r)) continue;
      int64_t c = 0;
      for (int64_t j = x.list_offsets[r]; j < x.list_offsets[r + 1]; j++)
        c += !x.value_is_null(size_t(j)) && !(flt && std::isnan(v[size_t(j)]));
      out[r] = c;
    }
    return make_i64(typed(Type::Int64), std::move(out));
  };
  r.add(std::move(n));

  add_reduction(r, "lc_mean", false, "Mean of a list's elements",
                [](std::vector<double>& v, const std::vector<double>&, double& out) {
                  if (v.empty()) return false;
                  out = mean_of(v);
                  return true;
                });
  add_reduction(r, "lc_median", false, "Median of a list's elements (mean of the middle two for an even count)",
                [](std::vector<double>& v, const std::vector<double>&, double& out) {
                  if (v.empty()) return false;
                  out = median_inplace(v.data(), v.size());
                  return true;
                });
  add_reduction(r, "lc_std", false, "Sample standard deviation (n - 1) of a list's elements; NULL below 2",
                [](std::vector<double>& v, const std::vector<double>&, double& out) {
                  if (v.size() < 2) return false;
                  double m = mean_of(v), ss = 0;
                  for (double x : v) ss += (x - m) * (x - m);
                  out = std::sqrt(ss / double(v.size() - 1));
                  return true;
                });
  add_reduction(r, "lc_min", false, "Smallest element of a list",
                [](std::vector<double>& v, const std::vector<double>&, double& out) {
                  if (v.empty()) return false;
                  out = *std::min_element(v.begin(), v.end());
                  return true;
                });
  add_reduction(r, "lc_max", false, "Largest element of a list",
                [](std::vector<double>& v, const std::vector<double>&, double& out) {
                  if (v.empty()) return false;
                  out = *std::max_element(v.begin(), v.end());
                  return true;
                });
  add_reduction(r, "lc_wmean", true, "Inverse-variance weighted mean (weights 1/err^2; elements with err <= 0 skipped)",
                [](std::vector<double>& v, const std::vector<double>& e, double& out) {
                  if (v.empty()) return false;
                  out = wmean_of(v, e);
                  return true;
                });
  add_reduction(r, "lc_chi2", true, "Chi-square of the list against its weighted mean: sum(((x - wmean)/err)^2)",
                [](std::vector<double>& v, const std::vector<double>& e, double& out) {
                  if (v.empty()) return false;
                  double m = wmean_of(v, e), c = 0;
                  for (size_t i = 0; i < v.size(); i++) c += (v[i] - m) * (v[i] - m) / (e[i] * e[i]);
                  out = c;
                  return true;
                });
  add_filters(r);

  add_dip_function(r, "dip_depth", DipOut::Depth,
                   "Mean magnitudes below the band median over the deepest dip (NULL if none)");
  add_dip_function(r, "dip_max_depth", DipOut::MaxDepth, "Largest magnitude drop within the deepest dip (NULL if none)");
  add_dip_function(r, "dip_duration", DipOut::Duration, "Days from the first to the last point of the deepest dip");
  add_dip_function(r, "dip_npoints", DipOut::NPoints, "Number of points in the deepest dip (0 if none)");
  add_dip_function(r, "dip_start", DipOut::Start, "MJD of the first point of the deepest dip");
  add_dip_function(r, "dip_score", DipOut::Score, "Summed significance (mag - median)/sigma of the deepest dip");
  add_dip_function(r, "is_dipper", DipOut::IsDipper,
                   "True if a run of >= min_points consecutive points, each nsigma fainter than its band median, "
                   "has combined significance >= min_significance");
}

}  // namespace astrolake::engine
