// The scalar functions behind ADQL's geometry: DISTANCE, CONTAINS/INTERSECTS of a point in a
// circle, box or polygon, plus healpix(). The planner rewrites the geometry syntax into calls
// of these when it cannot use an engine search (e.g. a CONTAINS inside an OR, or over
// columns of a join); their membership tests are engine::Region's, so a filtered row set is
// exactly what the cone/box/polygon search would return.
#include <cmath>
#include <cstdio>
#include <mutex>
#include <numbers>

#include "adql/binder.h"
#include "adql/function_args.h"
#include "adql/planner.h"
#include "engine/column_ops.h"
#include "engine/expr.h"
#include "engine/functions.h"
#include "engine/spatial_search.h"
#include "sky/healpix.h"

namespace astrolake::adql {

using engine::Column;
using engine::ExprError;
using engine::Field;
using engine::Function;
using parquet::Type;

namespace {

using Fields = std::vector<Field>;
using Columns = std::vector<Column>;

// Great-circle separation in degrees (the atan2 form: accurate at every angle).
double separation_deg(double ra1, double dec1, double ra2, double dec2) {
  constexpr double d2r = std::numbers::pi / 180.0;
  double l1 = ra1 * d2r, b1 = dec1 * d2r, l2 = ra2 * d2r, b2 = dec2 * d2r;
  double dl = l2 - l1;
  double sdl = std::sin(dl), cdl = std::cos(dl);
  double sb1 = std::sin(b1), cb1 = std::cos(b1), sb2 = std::sin(b2), cb2 = std::cos(b2);
  double num1 = cb2 * sdl, num2 = cb1 * sb2 - sb1 * cb2 * cdl;
  double den = sb1 * sb2 + cb1 * cb2 * cdl;
  return std::atan2(std::hypot(num1, num2), den) / d2r;
}

// Region membership per row; the region is rebuilt only when its arguments change (they are
// constants in nearly every query, and constant shapes are validated when the query is bound).
// A per-row region the engine rejects (dec beyond 90, negative
// radius, a concave polygon) makes the row NULL rather than failing the whole query.
template <class Make>
Column eval_region(const Columns& a, size_t n, size_t shape_args, Make make) {
  std::vector<std::vector<double>> x = double_columns(a);
  std::vector<uint8_t> valid = valid_rows(a, n), out(n, 0);
  std::vector<double> key, cur(shape_args);
  std::optional<engine::Region> region;
  bool region_ok = false;
  for (size_t i = 0; i < n; i++) {
    if (!valid[i]) continue;
    for (size_t k = 0; k < shape_args; k++) cur[k] = x[2 + k][i];
    if (key != cur || key.empty()) {
      key = cur;
      try {
        region.emplace(make(cur));
        region_ok = true;
      } catch (const std::invalid_argument&) {
        region_ok = false;
      }
    }
    if (!region_ok) {
      valid[i] = 0;
      continue;
    }
    double ra = x[0][i], dec = x[1][i];
    out[i] = std::isfinite(ra) && std::isfinite(dec) && dec >= -90 && dec <= 90 && region->contains(ra, dec);
  }
  std::vector<int64_t> vals(out.begin(), out.end());
  return engine::make_i64(result_field(Type::Int64), std::move(vals), std::move(valid));
}

void add_region_fn(engine::FunctionRegistry& r, const std::string& name, int min_args, int max_args,
                   const std::string& sig, const std::string& help,
                   std::function<engine::Region(const std::vector<double>&)> make) {
  Function f;
  f.name = name;
  f.min_args = min_args;
  f.max_args = max_args;
  f.signature = sig;
  f.help = help;
  f.infer = [name, min_args](const Fields& a) {
    need_args(name, a, true);
    if (name == "in_polygon" && a.size() % 2)
      throw ExprError("function in_polygon: needs ra, dec, then ra/dec pairs of vertices");
    return result_field(Type::Int64);
  };
  f.eval = [make](const Columns& a, size_t n) { return eval_region(a, n, a.size() - 2, make); };
  r.add(std::move(f));
}

void register_all(engine::FunctionRegistry& r) {
  {
    Function f;
    f.name = "distance";
    f.min_args = f.max_args = 4;
    f.signature = "distance(ra1 DOUBLE, dec1 DOUBLE, ra2 DOUBLE, dec2 DOUBLE) -> DOUBLE";
    f.help = "great-circle separation in degrees (ADQL DISTANCE(POINT, POINT) calls this)";
    f.infer = [](const Fields& a) {
      need_args("distance", a, true);
      return result_field(Type::Double);
    };
    f.eval = [](const Columns& a, size_t n) {
      std::vector<double> r1 = engine::column_f64(a[0]), d1 = engine::column_f64(a[1]);
      std::vector<double> r2 = engine::column_f64(a[2]), d2 = engine::column_f64(a[3]);
      std::vector<uint8_t> valid = valid_rows(a, n);
      std::vector<double> out(n, 0);
      for (size_t i = 0; i < n; i++)
        if (valid[i]) out[i] = separation_deg(r1[i], d1[i], r2[i], d2[i]);
      engine::normalize_validity(valid);
      return engine::make_f64(result_field(Type::Double), std::move(out), std::move(valid));
    };
    r.add(std::move(f));
  }
  add_region_fn(r, "in_circle", 5, 5, "in_circle(ra, dec, ra0, dec0, radius DOUBLE) -> INTEGER",
                "1 if (ra, dec) lies within radius degrees of (ra0, dec0), inclusive; else 0",
                [](const std::vector<double>& v) { return make_region(engine::Region::Kind::Cone, v); });
  add_region_fn(r, "in_box", 6, 6, "in_box(ra, dec, ra_centre, dec_centre, width, height DOUBLE) -> INTEGER",
                "1 if (ra, dec) lies in the RA/Dec range centre -+ size/2 (ADQL BOX; RA wraps); else 0",
                [](const std::vector<double>& v) { return make_region(engine::Region::Kind::Box, v); });
  add_region_fn(r, "in_polygon", 8, -1, "in_polygon(ra, dec, ra1, dec1, ra2, dec2, ra3, dec3, ...) -> INTEGER",
                "1 if (ra, dec) lies in the convex polygon with great-circle edges; else 0",
                [](const std::vector<double>& v) { return make_region(engine::Region::Kind::Polygon, v); });
  {
    Function f;
    f.name = "healpix";
    f.min_args = f.max_args = 3;
    f.signature = "healpix(order INTEGER, ra DOUBLE, dec DOUBLE) -> BIGINT";
    f.help = "NESTED HEALPix pixel of (ra, dec) at order 0..29 (order 29 = _healpix_29); NULL if invalid";
    f.infer = [](const Fields& a) {
      need_args("healpix", a, true);
      return result_field(Type::Int64);
    };
    f.eval = [](const Columns& a, size_t n) {
      std::vector<int64_t> order = engine::column_i64(a[0]);
      if (!engine::is_intlike(a[0].field.type)) {
        std::vector<double> d = engine::column_f64(a[0]);
        for (size_t i = 0; i < n; i++) order[i] = d[i] == std::floor(d[i]) && std::fabs(d[i]) < 100 ? int64_t(d[i]) : -1;
      }
      std::vector<double> ra = engine::column_f64(a[1]), dec = engine::column_f64(a[2]);
      std::vector<uint8_t> valid = valid_rows(a, n);
      std::vector<int64_t> out(n, 0);
      for (size_t i = 0; i < n; i++) {
        if (!valid[i]) continue;
        if (order[i] < 0 || order[i] > sky::kMaxOrder || !std::isfinite(ra[i]) || !(std::fabs(dec[i]) <= 90)) {
          valid[i] = 0;
          continue;
        }
        out[i] = sky::ang2pix(int(order[i]), ra[i], dec[i]);
      }
      engine::normalize_validity(valid);
      return engine::make_i64(result_field(Type::Int64), std::move(out), std::move(valid));
    };
    r.add(std::move(f));
  }
  register_geometry_values(r);
}

}  // namespace

engine::Region make_region(engine::Region::Kind kind, const std::vector<double>& v) {
  auto num = [](double x) {
    char b[32];
    std::snprintf(b, sizeof b, "%.10g", x);
    return std::string(b);
  };
  switch (kind) {
    case engine::Region::Kind::Cone:
      if (!(v[2] >= 0 && v[2] <= 180))
        throw std::invalid_argument("CIRCLE radius " + num(v[2]) + " must be between 0 and 180 degrees");
      return engine::Region::cone(v[0], v[1], v[2]);
    case engine::Region::Kind::Box: {
      // A negative width would otherwise read as the complement of the box.
      if (!(v[2] >= 0) || !std::isfinite(v[2]))
        throw std::invalid_argument("BOX width " + num(v[2]) + " must be a finite number >= 0 degrees");
      if (!(v[3] >= 0) || !std::isfinite(v[3]))
        throw std::invalid_argument("BOX height " + num(v[3]) + " must be a finite number >= 0 degrees");
      if (!(v[1] - v[3] / 2 >= -90 && v[1] + v[3] / 2 <= 90))
        throw std::invalid_argument("BOX centre dec " + num(v[1]) + " with height " + num(v[3]) +
                                    " reaches past a pole (dec must stay within [-90, 90])");
      double lo = v[0] - v[2] / 2, hi = v[0] + v[2] / 2;
      if (v[2] >= 360) lo = hi = 0;  // every RA
      return engine::Region::box(lo, hi, v[1] - v[3] / 2, v[1] + v[3] / 2);
    }
    case engine::Region::Kind::Polygon: {
      std::vector<double> ra, dec;
      for (size_t i = 0; i + 1 < v.size(); i += 2) {
        ra.push_back(v[i]);
        dec.push_back(v[i + 1]);
      }
      return engine::Region::polygon(ra, dec);
    }
  }
  throw std::invalid_argument("unknown region");
}

void register_adql_functions() {
  static std::once_flag once;
  std::call_once(once, [] { register_all(engine::FunctionRegistry::global()); });
}

std::vector<GeometryHelp> geometry_functions() {
  return {
      {"POINT", "POINT(ra, dec)", "a position in degrees (ICRS): in CONTAINS, DISTANCE, COORD1/2, or as an output value"},
      {"CIRCLE", "CIRCLE(ra, dec, radius)", "a cone, degrees: in CONTAINS / INTERSECTS, or as an output value"},
      {"BOX", "BOX(ra, dec, width, height)", "RA/Dec range centred on (ra, dec), degrees; RA may wrap through 0"},
      {"POLYGON", "POLYGON(ra1, dec1, ra2, dec2, ra3, dec3, ...)", "convex polygon with great-circle edges (also an output value)"},
      {"CONTAINS", "CONTAINS(POINT, CIRCLE|BOX|POLYGON) -> INTEGER",
       "1 if the point is inside (inclusive); `1 = CONTAINS(POINT(ra, dec), ...)` on a catalog's ra/dec runs an indexed search"},
      {"INTERSECTS", "INTERSECTS(POINT, CIRCLE|BOX|POLYGON) -> INTEGER", "same as CONTAINS for a point"},
      {"DISTANCE", "DISTANCE(POINT, POINT) | DISTANCE(ra1, dec1, ra2, dec2) -> DOUBLE",
       "separation in degrees; `DISTANCE(...) < r` runs a cone search, or a cross-match in a JOIN ... ON"},
      {"COORD1", "COORD1(POINT) -> DOUBLE", "the RA of a point"},
      {"COORD2", "COORD2(POINT) -> DOUBLE", "the Dec of a point"},
      {"CONTAINS/INTERSECTS of regions", "CONTAINS(CIRCLE|POLYGON, CIRCLE|POLYGON) -> INTEGER",
       "region in region / regions overlap; shapes may use columns (a per-row circle)"},
      {"geometry values", "SELECT POINT(ra, dec), CIRCLE(...), POLYGON(...)",
       "output columns of DALI xtype point/circle/polygon: [ra, dec], [ra, dec, r], [ra1, dec1, ...] in degrees"},
  };
}

}  // namespace astrolake::adql
