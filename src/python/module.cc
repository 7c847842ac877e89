// astrolake._core: the engine, ADQL and catalog layers seen from Python. Every call that reads
// or computes releases the GIL; results cross as Arrow C Data Interface capsules (zero-copy).
// Catalogs are opened by path and kept in a per-process cache, so Dask tasks carry only
// strings and numbers. C++ exceptions become astrolake's Python exceptions (astrolake/errors.py).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "adql/lexer.h"
#include "adql/planner.h"
#include "catalog/catalog.h"
#include "catalog/import.h"
#include "catalog/progress.h"
#include "engine/column_ops.h"
#include "engine/expr.h"
#include "engine/scan.h"
#include "engine/spatial_search.h"
#include "engine/xmatch.h"
#include "python/arrow_c.h"

namespace py = pybind11;
using namespace astrolake;
using catalog::Catalog;

namespace {

// ---- errors -------------------------------------------------------------------------------
void translate_errors(std::exception_ptr p) {
  auto raise = [](const char* cls, const char* msg) {
    py::object t = py::module_::import("astrolake.errors").attr(cls);
    PyErr_SetString(t.ptr(), msg);
  };
  try {
    std::rethrow_exception(p);
  } catch (const adql::SyntaxError& e) {
    raise("QueryError", e.what());
  } catch (const adql::PlanError& e) {
    raise("QueryError", e.what());
  } catch (const engine::ExprError& e) {
    raise("QueryError", e.what());
  } catch (const engine::QueryError& e) {
    raise("QueryError", e.what());
  } catch (const catalog::Cancelled& e) {
    raise("Cancelled", e.what());
  } catch (const std::invalid_argument& e) {
    raise("ArgumentError", e.what());
  } catch (const std::out_of_range& e) {
    raise("ArgumentError", e.what());
  } catch (const std::runtime_error& e) {
    raise("CatalogError", e.what());
  }
}

// ---- the per-process catalog cache ----------------------------------------------------------
// Opened catalogs are kept per process (a Dask worker opens each catalog once), keyed by path
// and margin choice. The path's inode and modification time are checked on every use, so a
// catalog replaced on disk (write_catalog(overwrite=True) renames a new directory into
// place) is opened again instead of being read through stale metadata.
std::string stat_signature(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

// Catalogs opened by this process, keyed by path, margin and with_margin, with the signature
// of the path when they were opened.
std::mutex g_cache_mu;
std::map<std::string, std::pair<std::string, std::shared_ptr<const Catalog>>> g_cache;

// `any_margin`: the caller reads the catalog's own rows only, so an open of `path` with any
// margin will do (a worker that cross-matches and joins against one catalog opens it once).
std::shared_ptr<const Catalog> open_cached(const std::string& path, const std::string& margin, bool with_margin,
                                           bool any_margin = false) {
  std::string key = path + '\n' + margin + '\n' + (with_margin ? "1" : "0");
  std::string sig = stat_signature(path);
  {
    std::lock_guard<std::mutex> lock(g_cache_mu);
    auto it = g_cache.find(key);
    if (it != g_cache.end() && it->second.first == sig) return it->second.second;
    const std::string prefix = path + '\n';
    for (it = g_cache.lower_bound(prefix); any_margin && it != g_cache.end() && it->first.starts_with(prefix); ++it)
      if (it->second.first == sig) return it->second.second;
  }
  catalog::OpenOptions opts;
  opts.with_margin = with_margin;
  opts.margin = margin;
  auto cat = std::make_shared<const Catalog>(Catalog::open(path, opts));
  std::lock_guard<std::mutex> lock(g_cache_mu);
  g_cache[key] = {sig, cat};
  return cat;
}

// ---- Arrow capsules -------------------------------------------------------------------------
py::tuple to_capsules(parquet::Table&& t) {
  auto* schema = new ArrowSchema;
  auto* array = new ArrowArray;
  python::export_table(std::move(t), schema, array);
  py::capsule s(schema, "arrow_schema", [](PyObject* o) {
    auto* p = static_cast<ArrowSchema*>(PyCapsule_GetPointer(o, "arrow_schema"));
    if (p->release) p->release(p);
    delete p;
  });
  py::capsule a(array, "arrow_array", [](PyObject* o) {
    auto* p = static_cast<ArrowArray*>(PyCapsule_GetPointer(o, "arrow_array"));
    if (p->release) p->release(p);
    delete p;
  });
  return py::make_tuple(s, a);
}

parquet::Table from_capsules(py::capsule schema, py::capsule array) {
  auto* s = static_cast<ArrowSchema*>(PyCapsule_GetPointer(schema.ptr(), "arrow_schema"));
  auto* a = static_cast<ArrowArray*>(PyCapsule_GetPointer(array.ptr(), "arrow_array"));
  if (!s || !a) throw py::error_already_set();
  return python::import_table(s, a);  // moves out and releases the producer's data
}

// ---- regions --------------------------------------------------------------------------------
engine::Region make_region(const py::tuple& spec) {
  std::string kind = spec[0].cast<std::string>();
  if (kind == "cone")
    return engine::Region::cone(spec[1].cast<double>(), spec[2].cast<double>(), spec[3].cast<double>());
  if (kind == "box")
    return engine::Region::box(spec[1].cast<double>(), spec[2].cast<double>(), spec[3].cast<double>(),
                               spec[4].cast<double>());
  if (kind == "polygon")
    return engine::Region::polygon(spec[1].cast<std::vector<double>>(), spec[2].cast<std::vector<double>>());
  throw std::invalid_argument("unknown region kind '" + kind + "'");
}

std::vector<engine::Region> make_regions(const py::list& specs) {
  std::vector<engine::Region> out;
  for (const auto& s : specs) out.push_back(make_region(s.cast<py::tuple>()));
  return out;
}

// A coverage order fine enough to prune partitions and row groups, coarse enough that the
// coverage stays a short list (at most ~4096 pixels; order 12 at most). Coverage at any order
// is a superset of the region, so it prunes partitions of every order correctly.
int coverage_order(const engine::Region& r) {
  int order = 12;
  while (order > 0 && r.area_deg2() / (41252.96 / (12.0 * std::pow(4.0, order))) > 4096) order--;
  return order;
}

// ---- scans ----------------------------------------------------------------------------------
void collect_columns(const engine::Expr& e, std::set<std::string>& out) {
  if (e.kind == engine::ExprKind::Column) out.insert(e.name);
  for (const auto& a : e.args)
    if (a) collect_columns(*a, out);
}

struct ScanSpec {
  std::vector<std::string> columns;                          // output columns (when no exprs)
  std::vector<std::string> wheres;                           // ANDed conditions
  std::vector<engine::Region> regions;                       // ANDed regions (on ra/dec)
  std::vector<std::pair<std::string, std::string>> exprs;    // (expression, name): computed output
};

// Keeps the rows where every condition is TRUE (NULL and FALSE drop the row), and, when
// `regions` is not empty, that lie in every region.
parquet::Table filter_rows(parquet::Table t, const std::vector<engine::ExprPtr>& wheres,
                           const std::vector<engine::Region>& regions, const std::string& ra, const std::string& dec) {
  if (wheres.empty() && regions.empty()) return t;
  size_t n = t.rows();
  std::vector<uint8_t> keep(n, 1);
  if (!regions.empty()) {
    std::vector<double> ras = engine::column_f64(t.col(ra)), decs = engine::column_f64(t.col(dec));
    for (const auto& r : regions)
      for (size_t i = 0; i < n; i++) keep[i] = keep[i] && r.contains(ras[i], decs[i]);
  }
  for (const auto& w : wheres) {
    parquet::Column c = engine::evaluate(*w, t);
    if (c.field.type != parquet::Type::Bool || c.field.list)
      throw engine::ExprError("filter '" + w->to_string() + "' is not a condition (it gives " +
                              parquet::type_name(c.field.type) + ")");
    const uint8_t* v = c.data.data();
    for (size_t i = 0; i < n; i++) keep[i] = keep[i] && !c.is_null(i) && v[i];
  }
  return engine::filter(t, keep);
}

// The output: computed expressions when given, else the named columns.
parquet::Table output_columns(parquet::Table t, const std::vector<std::pair<std::string, std::string>>& exprs,
                              const std::vector<std::string>& columns) {
  parquet::Table out;
  if (!exprs.empty()) {
    auto schema = engine::schema_of(t);
    for (const auto& [text, name] : exprs) {
      parquet::Column c = engine::evaluate(*adql::bind_expression(text, schema), t);
      c.field.name = name;
      out.columns.push_back(std::move(c));
    }
    return out;
  }
  for (const auto& name : columns) out.columns.push_back(std::move(t.columns[size_t(t.find(name))]));
  return out;
}

parquet::Table finish(parquet::Table t, const Catalog& cat, const ScanSpec& spec,
                      const std::vector<engine::ExprPtr>& wheres) {
  t = filter_rows(std::move(t), wheres, spec.regions, cat.ra_column(), cat.dec_column());
  return output_columns(std::move(t), spec.exprs, spec.columns);
}

// Every column the spec reads (its output columns first). An empty output list means all.
std::vector<std::string> needed_columns(const Catalog& cat, ScanSpec& spec, std::vector<engine::ExprPtr>& wheres) {
  const auto& schema = cat.schema();
  if (spec.columns.empty() && spec.exprs.empty())
    for (const auto& f : schema) spec.columns.push_back(f.name);
  std::set<std::string> used;
  for (const auto& w : spec.wheres) {
    wheres.push_back(adql::bind_expression(w, schema));
    collect_columns(*wheres.back(), used);
  }
  for (const auto& [text, name] : spec.exprs) collect_columns(*adql::bind_expression(text, schema), used);
  if (!spec.regions.empty()) {
    used.insert(cat.ra_column());
    used.insert(cat.dec_column());
  }
  std::vector<std::string> cols = spec.exprs.empty() ? spec.columns : std::vector<std::string>{};
  engine::select_fields(cat, cols);  // throws naming a column the catalog lacks
  for (const auto& c : used)
    if (std::find(cols.begin(), cols.end(), c) == cols.end()) cols.push_back(c);
  return cols;
}

// Rows of partition `index` of `cat` (or of its margin) that satisfy the spec.
parquet::Table scan_partition(const Catalog& cat, size_t index, ScanSpec spec) {
  if (index >= cat.partitions().size())
    throw std::out_of_range("partition " + std::to_string(index) + " out of range (catalog " + cat.name() + " has " +
                            std::to_string(cat.partitions().size()) + ")");
  std::vector<engine::ExprPtr> wheres;
  std::vector<std::string> cols = needed_columns(cat, spec, wheres);
  parquet::Table t;
  if (!spec.regions.empty() && !cat.healpix_column().empty()) {
    const engine::Region& r = spec.regions.front();
    int order = coverage_order(r);
    auto ranges = engine::pixel_ranges(order, r.coverage(order));
    t = engine::read_partition_pruned(cat, index, cols, ranges);
  } else {
    std::vector<engine::ColumnPredicate> preds;
    for (const auto& w : wheres)
      for (auto& p : engine::extract_predicates(*w)) preds.push_back(std::move(p));
    auto src = engine::catalog_source(std::shared_ptr<const Catalog>(std::shared_ptr<const Catalog>{}, &cat));
    engine::PartitionScan scan(src->open(index), engine::select_fields(cat, cols), cols, preds, cat.schema(), nullptr);
    t = engine::collect(scan);
  }
  return finish(std::move(t), cat, spec, wheres);
}

// Rows of the whole catalog inside spec.regions[0] (and the rest of the spec), all
// partitions, on this thread: what a cross-match task reads of the other side.
parquet::Table scan_region(const Catalog& cat, ScanSpec spec) {
  if (spec.regions.empty()) throw std::invalid_argument("scan_region needs a region");
  std::vector<engine::ExprPtr> wheres;
  std::vector<std::string> cols = needed_columns(cat, spec, wheres);
  engine::SearchOptions opt;
  opt.columns = cols;
  opt.threads = 1;
  opt.progress = 0;
  parquet::Table all = engine::empty_table(engine::select_fields(cat, cols));
  engine::spatial_search(cat, spec.regions.front(), opt, [&](parquet::Table&& t) { engine::append_table(all, t); });
  return finish(std::move(all), cat, spec, wheres);
}

ScanSpec make_spec(const std::vector<std::string>& columns, const std::vector<std::string>& wheres,
                   const py::list& regions, const std::vector<std::pair<std::string, std::string>>& exprs) {
  ScanSpec s;
  s.columns = columns;
  s.wheres = wheres;
  s.regions = make_regions(regions);
  s.exprs = exprs;
  return s;
}

// ---- metadata -------------------------------------------------------------------------------
py::dict describe(const Catalog& cat) {
  py::dict d;
  d["dir"] = cat.dir();
  d["name"] = cat.name();
  d["type"] = catalog::type_name(cat.type());
  d["ra"] = cat.ra_column();
  d["dec"] = cat.dec_column();
  d["healpix_column"] = cat.healpix_column();
  d["healpix_order"] = cat.healpix_order();
  d["default_columns"] = cat.default_columns();
  d["margin_threshold_arcsec"] = cat.margin_threshold_arcsec();
  // (order, pixel) only: the row counts need the _metadata footer, which opening defers
  // (partition_rows reads them when asked).
  py::list parts;
  for (const auto& p : cat.pixels()) parts.append(py::make_tuple(p.order, p.pixel));
  d["partitions"] = parts;
  d["nrows"] = cat.properties().get_int("hats_nrows", -1);  // -1 when the properties do not say
  d["schema"] = to_capsules(engine::empty_table(cat.schema()));
  d["collection_dir"] = cat.collection_dir();
  return d;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "astrolake's C++ engine (use the astrolake package, not this module)";
  py::register_exception_translator(translate_errors);

  m.def("catalog_info", [](const std::string& path, const std::string& margin, bool with_margin) {
    std::shared_ptr<const Catalog> cat;
    {
      py::gil_scoped_release nogil;
      cat = open_cached(path, margin, with_margin);
    }
    py::dict d = describe(*cat);
    d["margin"] = cat->margin() ? py::object(describe(*cat->margin())) : py::object(py::none());
    return d;
  }, py::arg("path"), py::arg("margin") = "", py::arg("with_margin") = true);

  // Rows of each partition (-1 where _metadata does not say), reading the footer if needed.
  m.def("partition_rows", [](const std::string& path, const std::string& margin, bool with_margin, bool of_margin) {
    std::vector<int64_t> rows;
    py::gil_scoped_release nogil;
    auto cat = open_cached(path, margin, with_margin);
    const Catalog* c = of_margin ? cat->margin() : cat.get();
    if (!c) throw std::invalid_argument("catalog " + cat->name() + " has no margin attached");
    for (const auto& p : c->counted_partitions()) rows.push_back(p.rows);
    return rows;
  });

  m.def("scan_partition", [](const std::string& path, const std::string& margin, bool with_margin, bool of_margin,
                             size_t index, const std::vector<std::string>& columns,
                             const std::vector<std::string>& wheres, const py::list& regions,
                             const std::vector<std::pair<std::string, std::string>>& exprs) {
    ScanSpec spec = make_spec(columns, wheres, regions, exprs);
    parquet::Table t;
    {
      py::gil_scoped_release nogil;
      auto cat = open_cached(path, margin, with_margin);
      const Catalog* c = cat.get();
      if (of_margin) {
        c = cat->margin();
        if (!c) throw std::invalid_argument("catalog " + cat->name() + " has no margin attached");
      }
      t = scan_partition(*c, index, spec);
    }
    return to_capsules(std::move(t));
  });

  m.def("scan_region", [](const std::string& path, const std::vector<std::string>& columns,
                          const std::vector<std::string>& wheres, const py::list& regions,
                          const std::vector<std::pair<std::string, std::string>>& exprs) {
    ScanSpec spec = make_spec(columns, wheres, regions, exprs);
    parquet::Table t;
    {
      py::gil_scoped_release nogil;
      auto cat = open_cached(path, "", false, true);
      t = scan_region(*cat, spec);
    }
    return to_capsules(std::move(t));
  });

  // Filters and computes over an in-memory batch (a derived result): same spec as a scan.
  m.def("eval_table", [](py::capsule schema, py::capsule array, const std::vector<std::string>& wheres,
                         const std::vector<std::pair<std::string, std::string>>& exprs,
                         const std::vector<std::string>& columns) {
    parquet::Table t = from_capsules(schema, array);
    {
      py::gil_scoped_release nogil;
      auto fields = engine::schema_of(t);
      std::vector<engine::ExprPtr> ws;
      for (const auto& w : wheres) ws.push_back(adql::bind_expression(w, fields));
      t = filter_rows(std::move(t), ws, {}, "", "");
      std::vector<std::string> cols = columns;
      if (cols.empty())
        for (const auto& f : fields) cols.push_back(f.name);
      for (const auto& c : cols) t.col(c);  // throws naming a missing column
      t = output_columns(std::move(t), exprs, cols);
    }
    return to_capsules(std::move(t));
  });

  // For each (order, pixel): whether it can hold rows of every region (coverage test).
  m.def("region_partitions", [](const py::list& regions, const std::vector<std::pair<int, int64_t>>& parts) {
    auto rs = make_regions(regions);
    std::vector<bool> keep(parts.size(), true);
    py::gil_scoped_release nogil;
    for (const auto& r : rs) {
      int order = coverage_order(r);
      auto ranges = engine::pixel_ranges(order, r.coverage(order));
      for (size_t i = 0; i < parts.size(); i++) {
        auto pr = engine::pixel_range(parts[i].first, parts[i].second);
        keep[i] = keep[i] && engine::ranges_intersect(ranges, pr.lo, pr.hi);
      }
    }
    return keep;
  });

  m.def("match_points", [](py::array_t<double, py::array::c_style | py::array::forcecast> lra,
                           py::array_t<double, py::array::c_style | py::array::forcecast> ldec,
                           py::array_t<double, py::array::c_style | py::array::forcecast> rra,
                           py::array_t<double, py::array::c_style | py::array::forcecast> rdec, double radius_arcsec,
                           int k, bool left_join) {
    if (lra.size() != ldec.size() || rra.size() != rdec.size())
      throw std::invalid_argument("ra and dec arrays differ in length");
    std::vector<double> a(lra.data(), lra.data() + lra.size()), b(ldec.data(), ldec.data() + ldec.size());
    std::vector<double> c(rra.data(), rra.data() + rra.size()), d(rdec.data(), rdec.data() + rdec.size());
    auto m = std::make_unique<engine::PointMatches>();
    {
      py::gil_scoped_release nogil;
      *m = engine::match_points(a, b, c, d, radius_arcsec, k, left_join);
    }
    auto* raw = m.release();
    py::capsule owner(raw, [](void* p) { delete static_cast<engine::PointMatches*>(p); });
    auto n = py::ssize_t(raw->left.size());
    return py::make_tuple(py::array_t<int64_t>({n}, {8}, raw->left.data(), owner),
                          py::array_t<int64_t>({n}, {8}, raw->right.data(), owner),
                          py::array_t<double>({n}, {8}, raw->dist_arcsec.data(), owner));
  });

  // One left partition's cross-match through the engine's code path (right partition and
  // margin, or neighbours): left rows at (ra, dec) inside pixel (order, pixel), against the
  // right catalog's rows that satisfy its own spec. Returns (left index, distance arcsec, the
  // matched right rows as capsules, row t for match t).
  m.def("crossmatch_pixel", [](const std::string& path, const std::string& margin, bool with_margin,
                               const std::vector<std::string>& columns, const std::vector<std::string>& wheres,
                               const py::list& regions, int order, int64_t pixel,
                               py::array_t<double, py::array::c_style | py::array::forcecast> ra,
                               py::array_t<double, py::array::c_style | py::array::forcecast> dec,
                               double radius_arcsec, int k, bool left_join) {
    ScanSpec spec = make_spec(columns, wheres, regions, {});
    std::vector<double> a(ra.data(), ra.data() + ra.size()), b(dec.data(), dec.data() + dec.size());
    auto pm = std::make_unique<engine::PixelMatches>();
    {
      py::gil_scoped_release nogil;
      auto cat = open_cached(path, margin, with_margin);
      std::vector<engine::ExprPtr> ws;
      engine::XmatchOptions opt;
      opt.radius_arcsec = radius_arcsec;
      opt.k = k;
      opt.left_join = left_join;
      opt.right_columns = needed_columns(*cat, spec, ws);
      opt.threads = 1;
      opt.progress = 0;
      *pm = engine::crossmatch_pixel(*cat, opt, order, pixel, a, b,
                                     [&](parquet::Table&& t) { return finish(std::move(t), *cat, spec, ws); });
    }
    py::tuple right = to_capsules(std::move(pm->right));
    auto* raw = new engine::PointMatches(std::move(pm->m));
    py::capsule owner(raw, [](void* p) { delete static_cast<engine::PointMatches*>(p); });
    auto n = py::ssize_t(raw->left.size());
    return py::make_tuple(py::array_t<int64_t>({n}, {8}, raw->left.data(), owner),
                          py::array_t<double>({n}, {8}, raw->dist_arcsec.data(), owner), right);
  });

  // Counts of x in `bins` equal bins over [lo, hi] (the last bin closed, as numpy does);
  // NaN and out-of-range values are skipped. With y: a 2-D histogram (bins x ybins).
  m.def("histogram", [](py::array_t<double, py::array::c_style | py::array::forcecast> x, double lo, double hi,
                        int bins, py::object y, double ylo, double yhi, int ybins) {
    if (bins <= 0 || !(hi > lo)) throw std::invalid_argument("histogram needs bins > 0 and a range with hi > lo");
    bool two = !y.is_none();
    py::array_t<double, py::array::c_style | py::array::forcecast> yv;
    if (two) {
      yv = y.cast<py::array_t<double, py::array::c_style | py::array::forcecast>>();
      if (yv.size() != x.size()) throw std::invalid_argument("histogram2d: x and y differ in length");
      if (ybins <= 0 || !(yhi > ylo)) throw std::invalid_argument("histogram2d needs ybins > 0 and yhi > ylo");
    } else {
      ybins = 1;
    }
    py::array_t<int64_t> out({py::ssize_t(bins), py::ssize_t(ybins)});
    int64_t* o = out.mutable_data();
    const double* xs = x.data();
    const double* ys = two ? yv.data() : nullptr;
    size_t n = size_t(x.size());
    {
      py::gil_scoped_release nogil;
      std::fill(o, o + size_t(bins) * size_t(ybins), 0);
      auto bin_of = [](double v, double a, double b, int nb) -> int {
        if (!(v >= a && v <= b)) return -1;
        int i = int((v - a) / (b - a) * nb);
        return i >= nb ? nb - 1 : i;
      };
      for (size_t i = 0; i < n; i++) {
        int bx = bin_of(xs[i], lo, hi, bins);
        if (bx < 0) continue;
        int by = two ? bin_of(ys[i], ylo, yhi, ybins) : 0;
        if (by < 0) continue;
        o[size_t(bx) * size_t(ybins) + size_t(by)]++;
      }
    }
    return out;
  }, py::arg("x"), py::arg("lo"), py::arg("hi"), py::arg("bins"), py::arg("y") = py::none(), py::arg("ylo") = 0.0,
     py::arg("yhi") = 1.0, py::arg("ybins") = 1);

  // Per-pixel count, sum, min and max of `values` (NaN skipped) over pixels [0, npix).
  m.def("pixel_aggregate", [](py::array_t<int64_t, py::array::c_style | py::array::forcecast> pix,
                              py::object values, int64_t npix) {
    py::array_t<int64_t> count(npix);
    py::array_t<double> sum(npix), mn(npix), mx(npix);
    bool have = !values.is_none();
    py::array_t<double, py::array::c_style | py::array::forcecast> v;
    if (have) v = values.cast<py::array_t<double, py::array::c_style | py::array::forcecast>>();
    if (have && v.size() != pix.size()) throw std::invalid_argument("pixel_aggregate: lengths differ");
    int64_t* c = count.mutable_data();
    double *s = sum.mutable_data(), *lo = mn.mutable_data(), *hi = mx.mutable_data();
    const int64_t* p = pix.data();
    const double* vals = have ? v.data() : nullptr;
    size_t n = size_t(pix.size());
    {
      py::gil_scoped_release nogil;
      std::fill(c, c + npix, 0);
      std::fill(s, s + npix, 0.0);
      std::fill(lo, lo + npix, INFINITY);
      std::fill(hi, hi + npix, -INFINITY);
      for (size_t i = 0; i < n; i++) {
        if (p[i] < 0 || p[i] >= npix) continue;
        if (!have) { c[p[i]]++; continue; }
        double x = vals[i];
        if (x != x) continue;
        c[p[i]]++;
        s[p[i]] += x;
        lo[p[i]] = std::min(lo[p[i]], x);
        hi[p[i]] = std::max(hi[p[i]], x);
      }
    }
    return py::make_tuple(count, sum, mn, mx);
  });

  m.def("import_catalog", [](const std::vector<std::string>& inputs, const std::string& output,
                             const std::string& name, const std::string& ra, const std::string& dec,
                             double margin_arcsec, int64_t max_rows, int lowest_order, int highest_order,
                             bool overwrite) {
    catalog::ImportOptions o;
    o.inputs = inputs;
    o.output = output;
    o.name = name;
    o.ra_column = ra;
    o.dec_column = dec;
    o.margin_arcsec = margin_arcsec;
    o.max_rows = max_rows;
    o.lowest_order = lowest_order;
    o.highest_order = highest_order;
    o.overwrite = overwrite;
    o.progress = 0;
    catalog::ImportResult r;
    {
      py::gil_scoped_release nogil;
      r = catalog::import_catalog(o);
    }
    py::dict d;
    d["catalog_dir"] = r.catalog_dir;
    d["margin_dir"] = r.margin_dir;
    d["rows"] = r.rows;
    d["margin_rows"] = r.margin_rows;
    return d;
  });

  m.def("adql", [](const std::string& query, const std::string& root, int threads) {
    adql::PlanOptions o;
    o.root = root;
    o.threads = threads;
    parquet::Table t;
    std::string explain;
    bool is_explain = false;
    {
      py::gil_scoped_release nogil;
      adql::Plan plan = adql::plan(query, o);
      if (plan.explain) {
        is_explain = true;
        explain = plan.explain_text();
      } else {
        t = engine::collect(*plan.root);
        if (t.columns.empty()) t = engine::empty_table(plan.schema);
        for (size_t i = 0; i < t.columns.size() && i < plan.schema.size(); i++) t.columns[i].field.name = plan.schema[i].name;
      }
    }
    if (is_explain) return py::object(py::str(explain));
    return py::object(to_capsules(std::move(t)));
  });

  m.def("cancel", [] { catalog::request_cancel(); });
  m.def("reset_cancel", [] { catalog::reset_cancel(); });
}
