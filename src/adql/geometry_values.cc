// Geometry values and the IVOA-registered ADQL user-defined functions.
//  - point/circle/polygon build DALI geometry values: a list<double> of [ra, dec],
//    [ra, dec, radius] or [ra1, dec1, ra2, dec2, ...] in degrees (the DALI serialisation of
//    xtype point/circle/polygon). The planner reports the xtype of such output columns.
//  - region_relation is CONTAINS/INTERSECTS between two regions (circles and convex polygons).
//  - ivo_* follow the IVOA UDF catalogue (ivo_healpix_index/center, ivo_nocasematch,
//    ivo_hasword, ivo_hashlist_has, ivo_interval_overlaps, ivo_epoch_prop_pos);
//    ivo_string_agg is an aggregate (binder.cc).
#include <algorithm>
#include <cctype>
#include <cmath>

#include "adql/binder.h"
#include "adql/function_args.h"
#include "engine/column_ops.h"
#include "engine/expr.h"
#include "engine/functions.h"
#include "engine/spatial_search.h"
#include "sky/geometry.h"
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

// Rows of doubles -> a list<double> column; a row with valid[i] == 0 is a null list.
Column list_column(const std::vector<std::vector<double>>& rows, const std::vector<uint8_t>& valid) {
  Column c(result_field(Type::Double, true));
  c.list_offsets.push_back(0);
  bool any_null = std::find(valid.begin(), valid.end(), 0) != valid.end();
  for (size_t i = 0; i < rows.size(); i++) {
    if (valid[i])
      for (double x : rows[i]) c.push<double>(x);
    c.list_offsets.push_back(int64_t(c.values()));
    if (any_null) c.list_valid.push_back(valid[i]);
  }
  return c;
}

Column int_column(std::vector<int64_t> v, std::vector<uint8_t> valid) {
  engine::normalize_validity(valid);
  return engine::make_i64(result_field(Type::Int64), std::move(v), std::move(valid));
}

// A geometry constructor: its numeric arguments, row by row, as a list.
void add_constructor(engine::FunctionRegistry& r, const std::string& name, int min_args, int max_args,
                     const std::string& sig, const std::string& help) {
  Function f;
  f.name = name;
  f.min_args = min_args;
  f.max_args = max_args;
  f.signature = sig;
  f.help = help;
  f.infer = [name](const Fields& a) {
    need_args(name, a, true);
    if (name == "polygon" && a.size() % 2) throw ExprError("function polygon: needs ra/dec pairs of vertices");
    return result_field(Type::Double, true);
  };
  f.eval = [name](const Columns& a, size_t n) {
    std::vector<std::vector<double>> x = double_columns(a);
    std::vector<uint8_t> valid = valid_rows(a, n);
    std::vector<std::vector<double>> rows(n);
    for (size_t i = 0; i < n; i++) {
      if (!valid[i]) continue;
      for (size_t k = 0; k < a.size(); k++) rows[i].push_back(k % 2 == 0 && (name != "circle" || k < 2) ? sky::wrap_ra(x[k][i]) : x[k][i]);
      // Invalid coordinates make a NULL value rather than a wrong one.
      for (size_t k = 1; k < a.size(); k += 2)
        if (!(std::fabs(x[k][i]) <= 90) && !(name == "circle" && k == 2)) valid[i] = 0;
      if (name == "circle" && !(x[2][i] >= 0)) valid[i] = 0;
    }
    return list_column(rows, valid);
  };
  r.add(std::move(f));
}

// --- region relations -------------------------------------------------------------------

struct Shape {
  bool circle = true;
  std::vector<double> v;  // circle: ra, dec, r; polygon: ra/dec pairs
  std::vector<sky::Vec3> verts() const {
    std::vector<sky::Vec3> out;
    for (size_t i = 0; i + 1 < v.size(); i += 2) out.push_back(sky::to_vec(v[i], v[i + 1]));
    return out;
  }
};

sky::Vec3 cross(const sky::Vec3& a, const sky::Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
double dot(const sky::Vec3& a, const sky::Vec3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }

// Angular distance (degrees) from p to the great-circle arc a-b (shorter arc).
double arc_distance(const sky::Vec3& p, const sky::Vec3& a, const sky::Vec3& b) {
  sky::Vec3 n = cross(a, b);
  double len = std::sqrt(dot(n, n));
  if (len > 0) {
    n = {n.x / len, n.y / len, n.z / len};
    // p's projection falls inside the arc when it lies on the inner side of both end planes.
    if (dot(cross(a, p), n) >= 0 && dot(cross(p, b), n) >= 0) return std::asin(std::min(1.0, std::fabs(dot(p, n)))) / sky::kDeg;
  }
  return std::min(sky::separation_deg(p, a), sky::separation_deg(p, b));
}

// Whether arcs a-b and c-d cross.
bool arcs_cross(const sky::Vec3& a, const sky::Vec3& b, const sky::Vec3& c, const sky::Vec3& d) {
  sky::Vec3 n1 = cross(a, b), n2 = cross(c, d);
  double s1 = dot(n1, c), s2 = dot(n1, d), s3 = dot(n2, a), s4 = dot(n2, b);
  if (s1 * s2 > 0 || s3 * s4 > 0) return false;
  sky::Vec3 x = cross(n1, n2);  // the two candidate crossings are +-x
  double len = std::sqrt(dot(x, x));
  if (len == 0) return false;
  for (int sign = -1; sign <= 1; sign += 2) {
    sky::Vec3 p{sign * x.x / len, sign * x.y / len, sign * x.z / len};
    if (dot(cross(a, p), n1) >= 0 && dot(cross(p, b), n1) >= 0 && dot(cross(c, p), n2) >= 0 && dot(cross(p, d), n2) >= 0)
      return true;
  }
  return false;
}

engine::Region region(const Shape& s) {
  if (s.circle) return engine::Region::cone(s.v[0], s.v[1], s.v[2]);
  std::vector<double> ra, dec;
  for (size_t i = 0; i + 1 < s.v.size(); i += 2) {
    ra.push_back(s.v[i]);
    dec.push_back(s.v[i + 1]);
  }
  return engine::Region::polygon(ra, dec);
}

double edge_distance(const sky::Vec3& p, const std::vector<sky::Vec3>& poly) {
  double best = 180;
  for (size_t i = 0; i < poly.size(); i++) best = std::min(best, arc_distance(p, poly[i], poly[(i + 1) % poly.size()]));
  return best;
}

// contains: a inside b; else whether they share a point. Throws invalid_argument for bad shapes.
bool relate(bool contains, const Shape& a, const Shape& b) {
  engine::Region ra = region(a), rb = region(b);
  if (a.circle && b.circle) {
    double sep = sky::separation_deg(a.v[0], a.v[1], b.v[0], b.v[1]);
    return contains ? sep + a.v[2] <= b.v[2] : sep <= a.v[2] + b.v[2];
  }
  if (a.circle) {  // circle a, polygon b
    sky::Vec3 c = sky::to_vec(a.v[0], a.v[1]);
    std::vector<sky::Vec3> poly = b.verts();
    bool inside = rb.contains(a.v[0], a.v[1]);
    if (contains) return inside && edge_distance(c, poly) >= a.v[2];
    return inside || edge_distance(c, poly) <= a.v[2];
  }
  if (b.circle) {  // polygon a, circle b: a convex polygon is inside a cap iff its vertices are
    sky::Vec3 c = sky::to_vec(b.v[0], b.v[1]);
    std::vector<sky::Vec3> poly = a.verts();
    if (contains) {
      for (size_t i = 0; i + 1 < a.v.size(); i += 2)
        if (!rb.contains(a.v[i], a.v[i + 1])) return false;
      return true;
    }
    return ra.contains(b.v[0], b.v[1]) || edge_distance(c, poly) <= b.v[2];
  }
  std::vector<sky::Vec3> pa = a.verts(), pb = b.verts();
  bool all_in = true, any_in = false;
  for (size_t i = 0; i + 1 < a.v.size(); i += 2) {
    bool in = rb.contains(a.v[i], a.v[i + 1]);
    all_in &= in;
    any_in |= in;
  }
  if (contains) return all_in;  // convex b holds every vertex of a, so all of a
  if (any_in) return true;
  for (size_t i = 0; i + 1 < b.v.size(); i += 2)
    if (ra.contains(b.v[i], b.v[i + 1])) return true;
  for (size_t i = 0; i < pa.size(); i++)
    for (size_t j = 0; j < pb.size(); j++)
      if (arcs_cross(pa[i], pa[(i + 1) % pa.size()], pb[j], pb[(j + 1) % pb.size()])) return true;
  return false;
}

// region_relation(contains, a_is_circle, a_count, a..., b_is_circle, b...)
void add_region_relation(engine::FunctionRegistry& r) {
  Function f;
  f.name = "region_relation";
  f.min_args = 9;
  f.max_args = -1;
  f.signature = "region_relation(contains, a_is_circle, a_count, a..., b_is_circle, b...) -> INTEGER";
  f.help = "CONTAINS/INTERSECTS of two circles or convex polygons (ADQL CONTAINS(CIRCLE, POLYGON) etc. call this)";
  f.infer = [](const Fields& a) {
    need_args("region_relation", a, true);
    return result_field(Type::Int64);
  };
  f.eval = [](const Columns& a, size_t n) {
    std::vector<std::vector<double>> x = double_columns(a);
    std::vector<uint8_t> valid = valid_rows(a, n);
    std::vector<int64_t> out(n, 0);
    for (size_t i = 0; i < n; i++) {
      if (!valid[i]) continue;
      Shape s[2];
      size_t k = 1;
      bool contains = x[0][i] != 0;
      s[0].circle = x[k++][i] != 0;
      size_t na = size_t(x[k++][i]);
      for (size_t j = 0; j < na && k < x.size(); j++) s[0].v.push_back(x[k++][i]);
      if (k >= x.size()) throw ExprError("region_relation: malformed arguments");
      s[1].circle = x[k++][i] != 0;
      while (k < x.size()) s[1].v.push_back(x[k++][i]);
      try {
        out[i] = relate(contains, s[0], s[1]);
      } catch (const std::invalid_argument&) {
        valid[i] = 0;  // a shape the engine rejects (bad dec, concave polygon): NULL, as in_polygon does
      }
    }
    return int_column(std::move(out), std::move(valid));
  };
  r.add(std::move(f));
}

// --- strings ------------------------------------------------------------------------------

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = char(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80); }

// ivo_hasword: `word` occurs in `text` bounded by non-word characters, ignoring case.
bool has_word(std::string_view text, std::string_view word) {
  std::string t = lower(text), w = lower(word);
  if (w.empty()) return false;
  for (size_t p = t.find(w); p != std::string::npos; p = t.find(w, p + 1)) {
    bool left = p == 0 || !is_word_char(t[p - 1]) || !is_word_char(w.front());
    size_t e = p + w.size();
    bool right = e == t.size() || !is_word_char(t[e]) || !is_word_char(w.back());
    if (left && right) return true;
  }
  return false;
}

// ivo_hashlist_has: `item` is one of the '#'-separated entries of `list`, ignoring case.
bool hashlist_has(std::string_view list, std::string_view item) {
  std::string l = lower(list), it = lower(item);
  size_t start = 0;
  for (;;) {
    size_t end = l.find('#', start);
    if (l.compare(start, end == std::string::npos ? std::string::npos : end - start, it) == 0) return true;
    if (end == std::string::npos) return false;
    start = end + 1;
  }
}

void add_string_predicate(engine::FunctionRegistry& r, const std::string& name, const std::string& sig,
                          const std::string& help, bool (*pred)(std::string_view, std::string_view)) {
  Function f;
  f.name = name;
  f.min_args = f.max_args = 2;
  f.signature = sig;
  f.help = help;
  f.infer = [name](const Fields& a) {
    need_args(name, a, false);
    return result_field(Type::Int64);
  };
  f.eval = [pred](const Columns& a, size_t n) {
    std::vector<uint8_t> valid = valid_rows(a, n);
    std::vector<int64_t> out(n, 0);
    bool typed = engine::is_stringlike(a[0].field.type) && engine::is_stringlike(a[1].field.type);
    for (size_t i = 0; i < n; i++)
      if (valid[i] && typed) out[i] = pred(a[0].string_at(i), a[1].string_at(i));
      else valid[i] = 0;
    return int_column(std::move(out), std::move(valid));
  };
  r.add(std::move(f));
}

// Rigorous propagation of a star's position over t years (ESA 1997, The Hipparcos Catalogue,
// vol. 1, sect. 1.5.5): straight-line motion in space with the radial proper motion
// mu_r = rv * parallax / A. ra/dec in degrees, parallax in mas, pmra (with cos dec) and pmdec
// in mas/yr, rv in km/s. Writes the new ra, dec in degrees.
void epoch_prop(double ra, double dec, double plx, double pmra, double pmdec, double rv, double t, double out[2]) {
  constexpr double kMasToRad = sky::kDeg / 3.6e6;
  constexpr double kAuKmYrPerS = 4.740470446;  // km/s for 1 au/yr
  double a = ra * sky::kDeg, d = dec * sky::kDeg;
  double sa = std::sin(a), ca = std::cos(a), sd = std::sin(d), cd = std::cos(d);
  sky::Vec3 p{-sa, ca, 0}, q{-sd * ca, -sd * sa, cd}, r{cd * ca, cd * sa, sd};
  double mua = pmra * kMasToRad, mud = pmdec * kMasToRad;
  double mur = rv * plx / kAuKmYrPerS * kMasToRad;
  double mu2 = mua * mua + mud * mud;
  double f = 1 / std::sqrt(1 + 2 * mur * t + (mu2 + mur * mur) * t * t);
  sky::Vec3 u{(r.x * (1 + mur * t) + (p.x * mua + q.x * mud) * t) * f, (r.y * (1 + mur * t) + (p.y * mua + q.y * mud) * t) * f,
              (r.z * (1 + mur * t) + (p.z * mua + q.z * mud) * t) * f};
  out[0] = sky::wrap_ra(std::atan2(u.y, u.x) / sky::kDeg);
  out[1] = std::atan2(u.z, std::hypot(u.x, u.y)) / sky::kDeg;
}

}  // namespace

void register_geometry_values(engine::FunctionRegistry& r) {
  add_constructor(r, "point", 2, 2, "point(ra DOUBLE, dec DOUBLE) -> POINT",
                  "a DALI point value [ra, dec] (ADQL POINT outside CONTAINS/DISTANCE)");
  add_constructor(r, "circle", 3, 3, "circle(ra DOUBLE, dec DOUBLE, radius DOUBLE) -> CIRCLE",
                  "a DALI circle value [ra, dec, radius] (ADQL CIRCLE as a value)");
  add_constructor(r, "polygon", 6, -1, "polygon(ra1, dec1, ra2, dec2, ra3, dec3, ...) -> POLYGON",
                  "a DALI polygon value [ra1, dec1, ...] (ADQL POLYGON as a value)");
  add_region_relation(r);
  {
    // Same function as healpix(), under its IVOA name.
    const Function* h = r.find("healpix");
    if (h) {
      Function f = *h;
      f.name = "ivo_healpix_index";
      f.signature = "ivo_healpix_index(order INTEGER, ra DOUBLE, dec DOUBLE) -> BIGINT";
      f.help = "IVOA UDF: NESTED HEALPix index of (ra, dec) at order 0..29";
      r.add(std::move(f));
    }
  }
  {
    Function f;
    f.name = "ivo_healpix_center";
    f.min_args = f.max_args = 2;
    f.signature = "ivo_healpix_center(order INTEGER, index BIGINT) -> POINT";
    f.help = "IVOA UDF: the centre of NESTED HEALPix pixel index at order, as a POINT";
    f.infer = [](const Fields& a) {
      need_args("ivo_healpix_center", a, true);
      if (!engine::is_intlike(a[0].type) || !engine::is_intlike(a[1].type))
        throw ExprError("function ivo_healpix_center: order and index must be integers");
      return result_field(Type::Double, true);
    };
    f.eval = [](const Columns& a, size_t n) {
      std::vector<int64_t> order = engine::column_i64(a[0]), pix = engine::column_i64(a[1]);
      std::vector<uint8_t> valid = valid_rows(a, n);
      std::vector<std::vector<double>> rows(n);
      for (size_t i = 0; i < n; i++) {
        if (!valid[i]) continue;
        if (order[i] < 0 || order[i] > sky::kMaxOrder || pix[i] < 0 || pix[i] >= 12 * (int64_t(1) << (2 * order[i]))) {
          valid[i] = 0;
          continue;
        }
        double ra, dec;
        sky::pix2ang(int(order[i]), pix[i], ra, dec);
        rows[i] = {ra, dec};
      }
      return list_column(rows, valid);
    };
    r.add(std::move(f));
  }
  add_string_predicate(r, "ivo_nocasematch", "ivo_nocasematch(value VARCHAR, pattern VARCHAR) -> INTEGER",
                       "IVOA UDF: 1 if value matches the LIKE pattern ignoring case (ILIKE), else 0",
                       [](std::string_view v, std::string_view p) { return engine::like_match(v, p, true); });
  add_string_predicate(r, "ivo_hasword", "ivo_hasword(text VARCHAR, word VARCHAR) -> INTEGER",
                       "IVOA UDF: 1 if word occurs in text as a whole word, ignoring case, else 0", has_word);
  add_string_predicate(r, "ivo_hashlist_has", "ivo_hashlist_has(list VARCHAR, item VARCHAR) -> INTEGER",
                       "IVOA UDF: 1 if item is one of the '#'-separated entries of list, ignoring case, else 0",
                       hashlist_has);
  {
    Function f;
    f.name = "ivo_epoch_prop_pos";
    f.min_args = f.max_args = 8;
    f.signature = "ivo_epoch_prop_pos(ra, dec, parallax, pmra, pmdec, radial_velocity, ref_epoch, out_epoch) -> POINT";
    f.help = "IVOA UDF: position at out_epoch (Julian years) from ICRS astrometry (deg, mas, mas/yr with cos dec, km/s); "
             "NULL parallax, proper motions or radial velocity count as 0";
    f.infer = [](const Fields& a) {
      need_args("ivo_epoch_prop_pos", a, true);
      return result_field(Type::Double, true);
    };
    f.eval = [](const Columns& a, size_t n) {
      std::vector<std::vector<double>> x = double_columns(a);
      std::vector<uint8_t> valid(n, 1);
      std::vector<std::vector<double>> rows(n);
      auto val = [&](size_t k, size_t i) { return a[k].value_is_null(i) ? 0.0 : x[k][i]; };
      for (size_t i = 0; i < n; i++) {
        // Position and epochs are required; the motions default to zero.
        for (size_t k : {0u, 1u, 6u, 7u})
          if (a[k].value_is_null(i)) valid[i] = 0;
        if (!valid[i] || !(std::fabs(x[1][i]) <= 90)) {
          valid[i] = 0;
          continue;
        }
        double lon[2];
        epoch_prop(x[0][i], x[1][i], val(2, i), val(3, i), val(4, i), val(5, i), x[7][i] - x[6][i], lon);
        rows[i] = {lon[0], lon[1]};
      }
      return list_column(rows, valid);
    };
    r.add(std::move(f));
  }
  {
    // Listed for `astrolake functions`; the binder plans it as an engine aggregate.
    Function f;
    f.name = "ivo_string_agg";
    f.min_args = f.max_args = 2;
    f.signature = "ivo_string_agg(value VARCHAR, delimiter VARCHAR) -> VARCHAR";
    f.help = "IVOA UDF (aggregate): the group's non-null values joined by a constant delimiter, in no fixed order";
    f.aggregate = true;
    r.add(std::move(f));
  }
  {
    Function f;
    f.name = "ivo_interval_overlaps";
    f.min_args = f.max_args = 4;
    f.signature = "ivo_interval_overlaps(lo1, hi1, lo2, hi2 DOUBLE) -> INTEGER";
    f.help = "IVOA UDF: 1 if the closed intervals [lo1, hi1] and [lo2, hi2] overlap, else 0";
    f.infer = [](const Fields& a) {
      need_args("ivo_interval_overlaps", a, true);
      return result_field(Type::Int64);
    };
    f.eval = [](const Columns& a, size_t n) {
      std::vector<std::vector<double>> x = double_columns(a);
      std::vector<uint8_t> valid = valid_rows(a, n);
      std::vector<int64_t> out(n, 0);
      for (size_t i = 0; i < n; i++)
        if (valid[i]) out[i] = x[1][i] >= x[2][i] && x[3][i] >= x[0][i];
      return int_column(std::move(out), std::move(valid));
    };
    r.add(std::move(f));
  }
}

}  // namespace astrolake::adql
