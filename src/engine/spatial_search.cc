#include "engine/spatial_search.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "base/scheduler.h"
#include "catalog/progress.h"
#include "engine/column_ops.h"
#include "parquet/reader.h"
#include "sky/geometry.h"
#include "sky/healpix.h"

namespace astrolake::engine {

using sky::kDeg;

std::vector<HpRange> pixel_ranges(int order, const std::vector<int64_t>& pixels) {
  std::vector<HpRange> r;
  r.reserve(pixels.size());
  for (int64_t p : pixels) r.push_back(pixel_range(order, p));
  std::sort(r.begin(), r.end(), [](const HpRange& a, const HpRange& b) { return a.lo < b.lo; });
  std::vector<HpRange> out;
  for (const HpRange& x : r) {
    if (!out.empty() && x.lo <= out.back().hi) {
      out.back().hi = std::max(out.back().hi, x.hi);
    } else {
      out.push_back(x);
    }
  }
  return out;
}

bool ranges_intersect(const std::vector<HpRange>& ranges, int64_t lo, int64_t hi) {
  // First range ending after lo; it meets [lo, hi) iff it starts before hi.
  auto it = std::upper_bound(ranges.begin(), ranges.end(), lo, [](int64_t v, const HpRange& r) { return v < r.hi; });
  return it != ranges.end() && it->lo < hi;
}

namespace {

std::string num(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

void check_dec(const char* what, double dec) {
  if (!(dec >= -90.0 && dec <= 90.0))
    throw std::invalid_argument(std::string(what) + ": dec " + num(dec) + " is outside [-90, 90]");
}
void check_ra(const char* what, double ra) {
  if (!std::isfinite(ra)) throw std::invalid_argument(std::string(what) + ": ra " + num(ra) + " is not finite");
}

sky::Vec3 cross(const sky::Vec3& a, const sky::Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
double dot(const sky::Vec3& a, const sky::Vec3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }

}  // namespace

Region Region::cone(double ra, double dec, double radius_deg) {
  check_ra("cone", ra);
  check_dec("cone", dec);
  if (!(radius_deg >= 0) || !std::isfinite(radius_deg))
    throw std::invalid_argument("cone: radius " + num(radius_deg * 3600) + " arcsec must be >= 0");
  Region r;
  r.kind_ = Kind::Cone;
  r.ra_ = sky::wrap_ra(ra);
  r.dec_ = dec;
  r.radius_ = radius_deg;
  double s = std::sin(std::min(radius_deg, 180.0) * kDeg / 2);
  r.sin2_half_r_ = s * s;
  r.cos_dec_ = std::cos(dec * kDeg);
  return r;
}

Region Region::box(double ra_lo, double ra_hi, double dec_lo, double dec_hi) {
  check_ra("box", ra_lo);
  check_ra("box", ra_hi);
  check_dec("box", dec_lo);
  check_dec("box", dec_hi);
  if (dec_lo > dec_hi)
    throw std::invalid_argument("box: dec-min " + num(dec_lo) + " is greater than dec-max " + num(dec_hi));
  Region r;
  r.kind_ = Kind::Box;
  r.ra_lo_ = sky::wrap_ra(ra_lo);
  r.ra_hi_ = sky::wrap_ra(ra_hi);
  r.dec_lo_ = dec_lo;
  r.dec_hi_ = dec_hi;
  return r;
}

Region Region::polygon(const std::vector<double>& ra, const std::vector<double>& dec) {
  if (ra.size() != dec.size())
    throw std::invalid_argument("polygon: " + std::to_string(ra.size()) + " RA values but " +
                                std::to_string(dec.size()) + " Dec values");
  size_t n = ra.size();
  if (n < 3) throw std::invalid_argument("polygon: needs at least 3 vertices, got " + std::to_string(n));
  std::vector<sky::Vec3> v;
  for (size_t i = 0; i < n; i++) {
    check_ra("polygon", ra[i]);
    check_dec("polygon", dec[i]);
    v.push_back(sky::to_vec(ra[i], dec[i]));
  }
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (sky::separation_deg(v[i], v[j]) < 1e-10)
        throw std::invalid_argument("polygon: vertices " + std::to_string(i + 1) + " and " + std::to_string(j + 1) +
                                    " are the same point (" + num(ra[i]) + ", " + num(dec[i]) + ")");
  // Antipodal neighbours do not define an edge (every great circle through them is one).
  for (size_t i = 0; i < n; i++)
    if (sky::separation_deg(v[i], v[(i + 1) % n]) > 180 - 1e-10)
      throw std::invalid_argument("polygon: vertices " + std::to_string(i + 1) + " and " + std::to_string((i + 1) % n + 1) +
                                  " are antipodal (" + num(ra[i]) + ", " + num(dec[i]) + ") and (" +
                                  num(ra[(i + 1) % n]) + ", " + num(dec[(i + 1) % n]) + "): the edge between them is undefined");
  // Edge planes: every other vertex must lie on one side of every edge's great circle.
  std::vector<sky::Vec3> normals;
  int pos = 0, neg = 0;
  for (size_t i = 0; i < n; i++) {
    sky::Vec3 nrm = cross(v[i], v[(i + 1) % n]);
    double len = std::sqrt(dot(nrm, nrm));
    nrm = {nrm.x / len, nrm.y / len, nrm.z / len};
    normals.push_back(nrm);
    for (size_t j = 0; j < n; j++) {
      if (j == i || j == (i + 1) % n) continue;
      double s = dot(nrm, v[j]);
      if (s > 1e-12) pos++;
      if (s < -1e-12) neg++;
    }
  }
  if (pos == 0 && neg == 0) throw std::invalid_argument("polygon: all vertices lie on one great circle");
  if (pos > 0 && neg > 0)
    throw std::invalid_argument("polygon: vertices do not form a convex polygon (edges cross or the shape is concave)");
  Region r;
  r.kind_ = Kind::Polygon;
  for (size_t i = 0; i < n; i++) {
    double sgn = neg > 0 ? -1.0 : 1.0;  // clockwise input: flip so normals point inward
    r.nx_.push_back(sgn * normals[i].x);
    r.ny_.push_back(sgn * normals[i].y);
    r.nz_.push_back(sgn * normals[i].z);
    r.pra_.push_back(sky::wrap_ra(ra[i]));
    r.pdec_.push_back(dec[i]);
  }
  return r;
}

bool Region::contains(double ra, double dec) const {
  if (!(dec >= -90.0 && dec <= 90.0) || !std::isfinite(ra)) return false;
  switch (kind_) {
    case Kind::Cone: {
      if (radius_ >= 180.0) return true;
      double sd = std::sin((dec - dec_) * kDeg / 2);
      double sr = std::sin((ra - ra_) * kDeg / 2);
      double a = sd * sd + cos_dec_ * std::cos(dec * kDeg) * sr * sr;
      return a <= sin2_half_r_;
    }
    case Kind::Box: {
      if (dec < dec_lo_ || dec > dec_hi_) return false;
      double w = sky::wrap_ra(ra);
      if (ra_lo_ == ra_hi_) return true;
      if (ra_lo_ < ra_hi_) return w >= ra_lo_ && w <= ra_hi_;
      return w >= ra_lo_ || w <= ra_hi_;
    }
    case Kind::Polygon: {
      sky::Vec3 p = sky::to_vec(ra, dec);
      for (size_t i = 0; i < nx_.size(); i++)
        if (nx_[i] * p.x + ny_[i] * p.y + nz_[i] * p.z < 0) return false;
      return true;
    }
  }
  return false;
}

std::vector<int64_t> Region::coverage(int order) const {
  switch (kind_) {
    case Kind::Cone:
      return sky::query_disc(order, ra_, dec_, radius_);
    case Kind::Box: {
      // query_box takes an increasing RA interval; the hats wrap becomes hi + 360.
      double lo = ra_lo_, hi = ra_hi_;
      if (lo == hi) {
        lo = 0;
        hi = 360;
      } else if (lo > hi) {
        hi += 360;
      }
      return sky::query_box(order, lo, hi, dec_lo_, dec_hi_);
    }
    case Kind::Polygon:
      return sky::query_polygon(order, pra_, pdec_);
  }
  return {};
}

double Region::area_deg2() const {
  switch (kind_) {
    case Kind::Cone: {
      double r = std::min(radius_, 180.0) * kDeg;
      return 2 * sky::kPi * (1 - std::cos(r)) / (kDeg * kDeg);
    }
    case Kind::Box: {
      double w = ra_lo_ == ra_hi_ ? 360 : (ra_lo_ < ra_hi_ ? ra_hi_ - ra_lo_ : ra_hi_ + 360 - ra_lo_);
      return w * kDeg * (std::sin(dec_hi_ * kDeg) - std::sin(dec_lo_ * kDeg)) / (kDeg * kDeg);
    }
    case Kind::Polygon:
      return 2 * sky::kPi / (kDeg * kDeg);  // a convex polygon fits in a hemisphere
  }
  return 41253;
}

std::string Region::describe() const {
  switch (kind_) {
    case Kind::Cone:
      return "cone(ra=" + num(ra_) + ", dec=" + num(dec_) + ", radius=" + num(radius_ * 3600) + "\")";
    case Kind::Box:
      return "box(ra=[" + num(ra_lo_) + ", " + num(ra_hi_) + "], dec=[" + num(dec_lo_) + ", " + num(dec_hi_) + "])";
    case Kind::Polygon:
      return "polygon(" + std::to_string(pra_.size()) + " vertices)";
  }
  return "region";
}

std::vector<parquet::Field> select_fields(const catalog::Catalog& cat, const std::vector<std::string>& columns) {
  if (columns.empty()) return cat.schema();
  std::vector<parquet::Field> out;
  for (const std::string& name : columns) {
    auto it = std::find_if(cat.schema().begin(), cat.schema().end(),
                           [&](const parquet::Field& f) { return f.name == name; });
    if (it == cat.schema().end()) throw std::invalid_argument(cat.dir() + ": no column '" + name + "'");
    out.push_back(*it);
  }
  return out;
}

void ordered_parallel(size_t n, int threads, const std::function<parquet::Table(size_t)>& produce,
                      const std::function<void(size_t, parquet::Table&&)>& consume) {
  if (n == 0) return;
  if (n == 1 || threads == 1) {
    // Nothing to overlap (a small cone touches one partition): no task is worth its handoff.
    for (size_t i = 0; i < n; i++) {
      catalog::check_cancelled();
      parquet::Table t = produce(i);
      catalog::check_cancelled();
      consume(i, std::move(t));
    }
    return;
  }
  std::vector<std::optional<parquet::Table>> slots(n);
  base::TaskGroup group(threads, catalog::check_cancelled);
  group.ordered_for(
      n, 0, [&](size_t i) { slots[i] = produce(i); },
      [&](size_t i) {
        catalog::check_cancelled();
        parquet::Table t = std::move(*slots[i]);
        slots[i].reset();
        consume(i, std::move(t));
      });
}

parquet::Table read_partition_pruned(const catalog::Catalog& cat, size_t i, const std::vector<std::string>& columns,
                                     const std::vector<HpRange>& ranges, int64_t* row_groups, int64_t* row_groups_read) {
  const catalog::Partition& part = cat.partitions()[i];
  const std::string& hcol = cat.healpix_column();
  if (hcol.empty() || part.order < 0) return cat.read_partition(i, columns);
  int shift = 2 * (29 - cat.healpix_order());
  // Statistics are doubles: int64 indices near 2^62 are rounded by up to ~2^9, so widen.
  int64_t slack = int64_t(4096) << std::max(0, shift);
  std::optional<parquet::Table> out;
  for (const std::string& f : part.files) {
    std::unique_ptr<parquet::FileReader> r;
    try {
      r = parquet::FileReader::open(f);
    } catch (const std::exception&) {
      return cat.read_partition(i, columns);  // let the catalog report the problem with context
    }
    cat.check_leaf(f, *r);
    int hidx = -1;
    for (size_t k = 0; k < r->schema().size(); k++)
      if (r->schema()[k].name == hcol) hidx = int(k);
    for (int g = 0; g < r->row_groups(); g++) {
      if (row_groups) ++*row_groups;
      const parquet::RowGroupInfo& rg = r->row_group(g);
      if (hidx >= 0 && size_t(hidx) < rg.stats.size() && rg.stats[hidx].has_min_max && shift >= 0) {
        double mn = rg.stats[hidx].min, mx = rg.stats[hidx].max;
        if (mn >= 0 && mx < 9.3e18 / double(int64_t(1) << shift)) {
          int64_t lo = (int64_t(mn) << shift) - slack;
          int64_t hi = ((int64_t(mx) + 1) << shift) + slack;
          if (!ranges_intersect(ranges, lo, hi)) continue;
        }
      }
      if (row_groups_read) ++*row_groups_read;
      parquet::Table t = r->read_row_group(g, columns);
      if (!out) {
        out = std::move(t);
      } else {
        append_table(*out, t);
      }
    }
  }
  if (!out) {
    std::vector<parquet::Field> fields;
    for (const std::string& c : columns)
      for (const parquet::Field& fl : cat.schema())
        if (fl.name == c) fields.push_back(fl);
    if (columns.empty()) fields = cat.schema();
    return empty_table(fields);
  }
  return std::move(*out);
}

// The order at which to take the region's coverage: fine enough to prune well, coarse
// enough that the pixel list stays small (area/pixel + a perimeter allowance).
int pruning_order(const Region& region) {
  double area = region.area_deg2();
  int best = 0;
  for (int k = 0; k <= 18; k++) {
    double pa = sky::pixel_area_deg2(k);
    double side = std::sqrt(pa);
    double est = area / pa + 4 * 360.0 / side;
    if (region.kind() != Region::Kind::Box) est = area / pa + 4 * std::sqrt(area) * 4 / side;
    if (est > 50000) break;
    best = k;
  }
  return best;
}

namespace {

struct PartStats {
  int64_t row_groups = 0, row_groups_read = 0, rows_scanned = 0;
};

// Spans [a, b) of the sorted indices hp[0..n) that fall in the (sorted, disjoint) ranges:
// one pair of binary searches per range that overlaps the row group.
void candidate_spans(const int64_t* hp, size_t n, const std::vector<HpRange>& ranges,
                     std::vector<std::pair<size_t, size_t>>& spans) {
  spans.clear();
  if (n == 0) return;
  int64_t first = hp[0], last = hp[n - 1];
  auto it = std::upper_bound(ranges.begin(), ranges.end(), first, [](int64_t v, const HpRange& r) { return v < r.hi; });
  for (; it != ranges.end() && it->lo <= last; ++it) {
    size_t a = size_t(std::lower_bound(hp, hp + n, it->lo) - hp);
    size_t b = size_t(std::lower_bound(hp + a, hp + n, it->hi) - hp);
    if (a < b) spans.push_back({a, b});
  }
}

// The exact test over the rows of `t` in `spans`; the others are dropped untested.
parquet::Table exact_filter(const parquet::Table& t, const Region& region, int ra_idx, int dec_idx,
                            const std::vector<std::pair<size_t, size_t>>& spans, int64_t& tested) {
  const parquet::Column& rac = t.columns[size_t(ra_idx)];
  const parquet::Column& decc = t.columns[size_t(dec_idx)];
  std::vector<int64_t> rows;
  if (spans.empty()) return take(t, rows);
  std::vector<double> ra = column_f64(rac), dec = column_f64(decc);
  for (const auto& [a, b] : spans) {
    for (size_t r = a; r < b; r++)
      if (!rac.is_null(r) && !decc.is_null(r) && region.contains(ra[r], dec[r])) rows.push_back(int64_t(r));
    tested += int64_t(b - a);
  }
  return take(t, rows);
}

// Searches partition i row group by row group. Rows of a HATS partition are sorted by the
// healpix column, so that column is decoded first and binary-searched for the region's
// coverage ranges; the requested columns are decoded only for row groups with candidates,
// and only the candidates get the exact test (late materialisation). Row groups whose
// healpix column is absent, has nulls or is unsorted fall back to testing every row.
parquet::Table search_partition(const catalog::Catalog& cat, size_t i, const Region& region,
                                const std::vector<std::string>& read_cols, int ra_idx, int dec_idx,
                                const std::vector<HpRange>& ranges, PartStats& ps) {
  const catalog::Partition& part = cat.partitions()[i];
  const std::string& hcol = cat.healpix_column();
  int shift = 2 * (29 - cat.healpix_order());
  std::optional<parquet::Table> out;
  std::vector<std::pair<size_t, size_t>> spans;
  auto add = [&](parquet::Table&& t) {
    if (!out) out = std::move(t);
    else append_table(*out, t);
  };
  for (const std::string& f : part.files) {
    std::shared_ptr<const parquet::FileReader> r;
    try {
      std::vector<std::string> cols = read_cols;
      if (!hcol.empty()) cols.push_back(hcol);
      r = cat.file_reader(f, cols);
    } catch (const std::exception&) {
      r.reset();
    }
    if (!r) {  // let the catalog report the problem with context
      parquet::Table t = cat.read_partition(i, read_cols);
      std::vector<std::pair<size_t, size_t>> all = {{0, t.rows()}};
      ps.rows_scanned = 0;
      return exact_filter(t, region, ra_idx, dec_idx, all, ps.rows_scanned);
    }
    int hidx = -1;
    for (size_t k = 0; k < r->schema().size(); k++)
      if (r->schema()[k].name == hcol) hidx = int(k);
    bool hp_usable = hidx >= 0 && shift == 0 && r->schema()[size_t(hidx)].type == parquet::Type::Int64 &&
                     !r->schema()[size_t(hidx)].list;
    for (int g = 0; g < r->row_groups(); g++) {
      ps.row_groups++;
      const parquet::RowGroupInfo& rg = r->row_group(g);
      if (hidx >= 0 && size_t(hidx) < rg.stats.size() && rg.stats[size_t(hidx)].has_min_max && shift >= 0) {
        // Statistics are doubles: int64 indices near 2^62 are rounded by up to ~2^9, so widen.
        int64_t slack = int64_t(4096) << std::max(0, shift);
        double mn = rg.stats[size_t(hidx)].min, mx = rg.stats[size_t(hidx)].max;
        if (mn >= 0 && mx < 9.3e18 / double(int64_t(1) << shift)) {
          int64_t lo = (int64_t(mn) << shift) - slack;
          int64_t hi = ((int64_t(mx) + 1) << shift) + slack;
          if (!ranges_intersect(ranges, lo, hi)) continue;
        }
      }
      ps.row_groups_read++;
      bool narrowed = false;
      if (hp_usable) {
        parquet::Table h = r->read_row_group(g, {hcol});
        const parquet::Column& hc = h.columns[0];
        size_t n = hc.rows();
        const int64_t* hp = reinterpret_cast<const int64_t*>(hc.data.data());
        if (hc.valid.empty() && std::is_sorted(hp, hp + n)) {
          candidate_spans(hp, n, ranges, spans);
          narrowed = true;
          if (spans.empty()) continue;  // nothing here: the other columns are never decoded
        }
      }
      parquet::Table t = r->read_row_group(g, read_cols);
      if (!narrowed) spans.assign(1, {0, t.rows()});
      if (!spans.empty() && spans.back().second > t.rows())
        throw parquet::FormatError(f + ": row group " + std::to_string(g) + ": column '" + hcol + "' has more rows than the others");
      add(exact_filter(t, region, ra_idx, dec_idx, spans, ps.rows_scanned));
    }
  }
  if (!out) {
    std::vector<parquet::Field> fields;
    for (const std::string& c : read_cols)
      for (const parquet::Field& fl : cat.schema())
        if (fl.name == c) fields.push_back(fl);
    return empty_table(fields);
  }
  return std::move(*out);
}

}  // namespace

SearchStats spatial_search(const catalog::Catalog& cat, const Region& region, const SearchOptions& opt,
                           const std::function<void(parquet::Table&&)>& sink) {
  SearchStats st;
  std::vector<parquet::Field> out_fields = select_fields(cat, opt.columns);
  if (cat.ra_column().empty() || cat.dec_column().empty())
    throw std::invalid_argument(cat.dir() + ": catalog has no ra/dec columns; spatial search needs them");
  std::vector<std::string> read_cols;
  for (const auto& f : out_fields) read_cols.push_back(f.name);
  size_t n_out = read_cols.size();
  int ra_idx = -1, dec_idx = -1;
  for (size_t k = 0; k < read_cols.size(); k++) {
    if (read_cols[k] == cat.ra_column()) ra_idx = int(k);
    if (read_cols[k] == cat.dec_column()) dec_idx = int(k);
  }
  if (ra_idx < 0) {
    ra_idx = int(read_cols.size());
    read_cols.push_back(cat.ra_column());
  }
  if (dec_idx < 0) {
    dec_idx = int(read_cols.size());
    read_cols.push_back(cat.dec_column());
  }
  select_fields(cat, {cat.ra_column(), cat.dec_column()});  // clear error if absent

  int order = pruning_order(region);
  std::vector<HpRange> ranges = pixel_ranges(order, region.coverage(order));

  std::vector<size_t> todo;
  for (size_t i = 0; i < cat.partitions().size(); i++) {
    const catalog::Partition& p = cat.partitions()[i];
    st.partitions++;
    if (p.order < 0) {
      todo.push_back(i);
      continue;
    }
    HpRange r = pixel_range(p.order, p.pixel);
    if (ranges_intersect(ranges, r.lo, r.hi)) todo.push_back(i);
  }
  st.partitions_read = int64_t(todo.size());

  catalog::Progress progress("search", int64_t(todo.size()), opt.progress);
  std::mutex stats_mu;
  ordered_parallel(
      todo.size(), opt.threads,
      [&](size_t k) {
        PartStats ps;
        parquet::Table f;
        const catalog::Partition& part = cat.partitions()[todo[k]];
        if (cat.healpix_column().empty() || part.order < 0) {
          f = read_partition_pruned(cat, todo[k], read_cols, ranges, &ps.row_groups, &ps.row_groups_read);
          std::vector<std::pair<size_t, size_t>> all = {{0, f.rows()}};
          f = exact_filter(f, region, ra_idx, dec_idx, all, ps.rows_scanned);
        } else {
          f = search_partition(cat, todo[k], region, read_cols, ra_idx, dec_idx, ranges, ps);
        }
        {
          std::lock_guard<std::mutex> lock(stats_mu);
          st.row_groups += ps.row_groups;
          st.row_groups_read += ps.row_groups_read;
          st.rows_scanned += ps.rows_scanned;
        }
        f.columns.resize(n_out);
        return f;
      },
      [&](size_t, parquet::Table&& t) {
        progress.add(1);
        if (t.rows() == 0) return;
        st.rows_out += int64_t(t.rows());
        sink(std::move(t));
      });
  progress.finish();
  return st;
}

}  // namespace astrolake::engine
