#include "engine/xmatch.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <filesystem>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "catalog/progress.h"
#include "engine/column_ops.h"
#include "engine/query_context.h"
#include "engine/spatial_search.h"
#include "sky/geometry.h"
#include "sky/healpix.h"

namespace astrolake::engine {

using sky::kDeg;

namespace {

bool valid_point(double ra, double dec) { return std::isfinite(ra) && dec >= -90.0 && dec <= 90.0; }

// sky::wrap_ra without the fmod for the usual case (identical results).
inline double wrap(double ra) { return ra >= 0.0 && ra < 360.0 ? ra : sky::wrap_ra(ra); }

// Declination zones of height h degrees, numbered from `base`: zone = floor((dec+90)/h) - base.
struct Zones {
  double h = 1;
  int64_t base = 0;
  size_t count = 1;
};

// Valid rows sorted by zone, then by wrapped RA (the order the sweep walks).
struct Zoned {
  std::vector<uint32_t> idx;     // input index per sorted position
  std::vector<uint32_t> zone;    // zone per sorted position
  std::vector<double> ra, dec;   // wrapped RA and dec per sorted position
  std::vector<double> ra_in;     // RA as given (the exact separation uses it, as brute force does)
  std::vector<uint32_t> start;   // first sorted position of each zone (count + 1 entries)
};

struct RaIdx {
  double ra;
  uint32_t idx;
  bool operator<(const RaIdx& o) const { return ra < o.ra || (ra == o.ra && idx < o.idx); }
};

// A counting sort puts rows into zones (one scatter pass); zones hold a handful of rows
// (choose_zones), so each is then sorted by RA with an insertion sort, or std::sort when
// a dense zone holds many. `zd` is refilled in place: callers keep one per thread so that
// partition after partition reuses memory instead of faulting in fresh pages.
void build_zones(const std::vector<double>& ra, const std::vector<double>& dec, const Zones& zs, Zoned& zd) {
  const size_t n_in = ra.size();
  thread_local std::vector<uint32_t> zone_of;
  thread_local std::vector<RaIdx> byzone;
  zone_of.resize(n_in);
  zd.start.assign(zs.count + 1, 0);
  for (size_t i = 0; i < n_in; i++) {
    uint32_t z = UINT32_MAX;
    if (valid_point(ra[i], dec[i])) {
      int64_t zi = int64_t(std::floor((dec[i] + 90.0) / zs.h)) - zs.base;
      z = uint32_t(std::clamp<int64_t>(zi, 0, int64_t(zs.count) - 1));
      zd.start[z + 1]++;
    }
    zone_of[i] = z;
  }
  for (size_t z = 0; z < zs.count; z++) zd.start[z + 1] += zd.start[z];
  const size_t n = zd.start[zs.count];
  byzone.resize(n);
  {
    std::vector<uint32_t> at(zd.start.begin(), zd.start.end() - 1);
    for (size_t i = 0; i < n_in; i++)
      if (zone_of[i] != UINT32_MAX) byzone[at[zone_of[i]]++] = {wrap(ra[i]), uint32_t(i)};
  }
  zd.idx.resize(n);
  zd.zone.resize(n);
  zd.ra.resize(n);
  zd.dec.resize(n);
  zd.ra_in.resize(n);
  for (size_t z = 0; z < zs.count; z++) {
    RaIdx* b = byzone.data() + zd.start[z];
    RaIdx* e = byzone.data() + zd.start[z + 1];
    if (e - b > 32) {
      std::sort(b, e);
    } else {
      for (RaIdx* p = b + 1; p < e; p++) {
        RaIdx v = *p;
        RaIdx* q = p;
        for (; q > b && v < q[-1]; q--) *q = q[-1];
        *q = v;
      }
    }
    for (size_t s = zd.start[z]; s < zd.start[z + 1]; s++) {
      uint32_t i = byzone[s].idx;
      zd.idx[s] = i;
      zd.zone[s] = uint32_t(z);
      zd.ra[s] = byzone[s].ra;
      zd.dec[s] = dec[i];
      zd.ra_in[s] = ra[i];
    }
  }
}

// Zone height: at least the radius (so a row's matches lie in its own and the two adjacent
// zones), else tall enough that there are about (rows / 8) zones: the RA window of a left
// row then holds almost no rows in sparse data and zone changes stay rare.
Zones choose_zones(const std::vector<double>& lra, const std::vector<double>& ldec, const std::vector<double>& rra,
                   const std::vector<double>& rdec, double R) {
  double lo = 90, hi = -90;
  size_t n = 0;
  auto scan = [&](const std::vector<double>& ra, const std::vector<double>& dec) {
    for (size_t i = 0; i < ra.size(); i++) {
      if (!valid_point(ra[i], dec[i])) continue;
      lo = std::min(lo, dec[i]);
      hi = std::max(hi, dec[i]);
      n++;
    }
  };
  scan(lra, ldec);
  scan(rra, rdec);
  Zones zs;
  if (n == 0) return zs;
  double target = double(n / 8 + 1);
  zs.h = std::max({R, (hi - lo) / target, 1e-9});
  zs.base = int64_t(std::floor((lo + 90.0) / zs.h));
  int64_t top = int64_t(std::floor((hi + 90.0) / zs.h));
  zs.count = size_t(std::max<int64_t>(top - zs.base + 1, 1));
  return zs;
}

struct Cand {
  double sep;
  int64_t j;
  bool operator<(const Cand& o) const { return sep < o.sep || (sep == o.sep && j < o.j); }
};

}  // namespace

PointMatches match_points(const std::vector<double>& lra, const std::vector<double>& ldec,
                          const std::vector<double>& rra, const std::vector<double>& rdec, double radius_arcsec,
                          int k, bool left_join, const std::vector<int64_t>* self_of_left, QueryContext* ctx) {
  if (!(radius_arcsec >= 0) || !std::isfinite(radius_arcsec))
    throw std::invalid_argument("xmatch: radius must be >= 0 arcsec");
  if (lra.size() > 0xffffffffULL || rra.size() > 0xffffffffULL)
    throw std::invalid_argument("xmatch: more than 2^32 rows in one partition");
  double R = radius_arcsec / 3600.0;
  Zones zs = choose_zones(lra, ldec, rra, rdec, R);
  const double h = zs.h;
  thread_local Zoned right, left;
  build_zones(rra, rdec, zs, right);
  build_zones(lra, ldec, zs, left);
  // Declination prefilter: a separation is never less than the difference in declination.
  // The slack (3.6 micro-arcsec) covers rounding; the exact separation decides.
  const double dlim = R + 1e-9;

  // Pairs in left-sorted order; regrouped by left index at the end.
  thread_local std::vector<int64_t> pl, pr;
  thread_local std::vector<double> pd;
  thread_local std::vector<Cand> cands;
  pl.clear();
  pr.clear();
  pd.clear();
  // Each pair costs 24 bytes here and 24 in the result below.
  MemoryCharge charge(ctx);
  size_t charged_pairs = 0;
  int64_t cur_zone = -1;
  size_t zb[3] = {0, 0, 0}, ze[3] = {0, 0, 0}, p[3] = {0, 0, 0};
  bool full = false;
  double w = 0;
  const double* rra_s = right.ra.data();
  const double* rdec_s = right.dec.data();
  for (size_t s = 0; s < left.idx.size(); s++) {
    uint32_t i = left.idx[s];
    int64_t zl = left.zone[s];
    if (zl != cur_zone) {
      cur_zone = zl;
      for (int d = 0; d < 3; d++) {
        int64_t z = zl + d - 1;
        if (z < 0 || z >= int64_t(zs.count)) {
          zb[d] = ze[d] = 0;
        } else {
          zb[d] = right.start[size_t(z)];
          ze[d] = right.start[size_t(z) + 1];
        }
        p[d] = zb[d];
      }
      // RA half-width of a circle of radius R centred anywhere in this zone.
      double dlo = double(zl + zs.base) * h - 90.0, dhi = double(zl + zs.base + 1) * h - 90.0;
      double dmax = std::min(90.0, std::max(std::fabs(dlo), std::fabs(dhi)));
      full = dmax + R >= 89.9 || R >= 30.0;
      if (!full) {
        double s_ratio = std::sin(R * kDeg) / std::cos(dmax * kDeg);
        w = std::asin(std::min(1.0, s_ratio)) / kDeg * (1 + 1e-9) + 1e-6;
        if (w >= 180.0) full = true;
      }
    }
    const double la = left.ra[s], ld = left.dec[s], la_in = left.ra_in[s];
    int64_t self = self_of_left ? (*self_of_left)[i] : -1;
    cands.clear();
    auto test = [&](size_t q) {
      if (std::fabs(rdec_s[q] - ld) > dlim) return;
      int64_t j = right.idx[q];
      if (j == self) return;
      double sep = sky::separation_deg(la_in, ld, right.ra_in[q], rdec_s[q]);
      if (sep <= R) cands.push_back({sep, j});
    };
    for (int d = 0; d < 3; d++) {
      if (zb[d] == ze[d]) continue;
      if (full) {
        for (size_t q = zb[d]; q < ze[d]; q++) test(q);
        continue;
      }
      double lo = la - w, hi = la + w;
      while (p[d] < ze[d] && rra_s[p[d]] < lo) p[d]++;
      for (size_t q = p[d]; q < ze[d] && rra_s[q] <= hi; q++) test(q);
      if (lo < 0) {
        size_t q = size_t(std::lower_bound(rra_s + zb[d], rra_s + ze[d], lo + 360.0) - rra_s);
        for (; q < ze[d]; q++) test(q);
      }
      if (hi >= 360.0)
        for (size_t q = zb[d]; q < ze[d] && rra_s[q] <= hi - 360.0; q++) test(q);
    }
    if (cands.size() > 1) std::sort(cands.begin(), cands.end());
    size_t take_n = k <= 0 ? cands.size() : std::min(cands.size(), size_t(k));
    for (size_t c = 0; c < take_n; c++) {
      pl.push_back(i);
      pr.push_back(cands[c].j);
      pd.push_back(cands[c].sep * 3600.0);
    }
    if (take_n == 0 && left_join) {
      pl.push_back(i);
      pr.push_back(-1);
      pd.push_back(std::numeric_limits<double>::quiet_NaN());
    }
    if (ctx && pl.size() >= charged_pairs + 65536) {
      charged_pairs = pl.size();
      charge.set(uint64_t(charged_pairs) * 48);
      ctx->check();
    }
  }
  if (left_join) {  // rows with invalid coordinates were never zoned
    for (size_t i = 0; i < lra.size(); i++) {
      if (valid_point(lra[i], ldec[i])) continue;
      pl.push_back(int64_t(i));
      pr.push_back(-1);
      pd.push_back(std::numeric_limits<double>::quiet_NaN());
    }
  }
  // Stable counting sort by left index keeps each row's matches in distance order.
  size_t nl = lra.size();
  std::vector<size_t> start(nl + 1, 0);
  for (int64_t i : pl) start[size_t(i) + 1]++;
  for (size_t i = 0; i < nl; i++) start[i + 1] += start[i];
  PointMatches out;
  out.left.resize(pl.size());
  out.right.resize(pl.size());
  out.dist_arcsec.resize(pl.size());
  for (size_t t = 0; t < pl.size(); t++) {
    size_t at = start[size_t(pl[t])]++;
    out.left[at] = pl[t];
    out.right[at] = pr[t];
    out.dist_arcsec[at] = pd[t];
  }
  return out;
}

namespace {

std::string default_suffix(const catalog::Catalog& c) {
  std::string n = c.name();
  if (n.empty()) n = std::filesystem::path(c.dir()).filename().string();
  return "_" + n;
}

void suffixes(const catalog::Catalog& left, const catalog::Catalog& right, const XmatchOptions& opt,
              std::string& ls, std::string& rs) {
  ls = opt.left_suffix.empty() ? default_suffix(left) : opt.left_suffix;
  rs = opt.right_suffix.empty() ? default_suffix(right) : opt.right_suffix;
  if (ls == rs) {  // self-match: keep the two sides apart
    ls += "_left";
    rs += "_right";
  }
}

// Columns to read: the output columns, then ra/dec appended when not among them.
struct ReadPlan {
  std::vector<parquet::Field> out;
  std::vector<std::string> cols;
  size_t ra = 0, dec = 0;
};

ReadPlan read_plan(const catalog::Catalog& c, const std::vector<std::string>& columns) {
  if (c.ra_column().empty() || c.dec_column().empty())
    throw std::invalid_argument(c.dir() + ": catalog has no ra/dec columns; cross-match needs them");
  select_fields(c, {c.ra_column(), c.dec_column()});
  ReadPlan p;
  p.out = select_fields(c, columns);
  for (const auto& f : p.out) p.cols.push_back(f.name);
  auto add = [&](const std::string& name) {
    auto it = std::find(p.cols.begin(), p.cols.end(), name);
    if (it != p.cols.end()) return size_t(it - p.cols.begin());
    p.cols.push_back(name);
    return p.cols.size() - 1;
  };
  p.ra = add(c.ra_column());
  p.dec = add(c.dec_column());
  return p;
}

// A coordinate column as doubles, nulls as NaN, appended to `v`.
void append_coords(const parquet::Column& c, std::vector<double>& v) {
  size_t old = v.size();
  if (c.field.type == parquet::Type::Double && !c.field.list) {
    const double* p = c.values_as<double>();
    v.insert(v.end(), p, p + c.values());
  } else {
    std::vector<double> d = column_f64(c);
    v.insert(v.end(), d.begin(), d.end());
  }
  if (!c.valid.empty() || c.field.list)
    for (size_t i = old; i < v.size(); i++)
      if (c.is_null(i - old)) v[i] = std::numeric_limits<double>::quiet_NaN();
}

std::vector<double> coords(const parquet::Table& t, size_t col) {
  std::vector<double> v;
  append_coords(t.columns[col], v);
  return v;
}

// Rows of a table split over a few tables (a right partition, its margin, neighbour rows),
// addressed as one: row r of the whole is row r - starts[k] of parts[k].
struct Stacked {
  std::vector<parquet::Table> parts;
  std::vector<size_t> starts{0};
  void add(parquet::Table t) {
    starts.push_back(starts.back() + t.rows());
    parts.push_back(std::move(t));
  }
  size_t rows() const { return starts.back(); }
};

// Where each gathered row comes from: part and row within it (part 0 / row -1 for a null).
struct Source {
  std::vector<uint8_t> part;
  std::vector<int64_t> row;
};

Source locate(const Stacked& st, const std::vector<int64_t>& rows) {
  Source src;
  src.part.resize(rows.size());
  src.row.resize(rows.size());
  for (size_t t = 0; t < rows.size(); t++) {
    int64_t r = rows[t];
    size_t k = 0;
    if (r >= 0)
      while (k + 1 < st.parts.size() && size_t(r) >= st.starts[k + 1]) k++;
    src.part[t] = uint8_t(k);
    src.row[t] = r < 0 ? -1 : r - int64_t(st.starts[k]);
  }
  return src;
}

template <class T>
void gather_values(uint8_t* out, const std::vector<const parquet::Column*>& cols, const Source& src) {
  const T* base[256];
  for (size_t k = 0; k < cols.size(); k++) base[k] = cols[k]->values_as<T>();
  T* o = reinterpret_cast<T*>(out);
  const size_t n = src.row.size();
  if (cols.size() == 1) {
    const T* b = base[0];
    for (size_t t = 0; t < n; t++) o[t] = src.row[t] < 0 ? T() : b[src.row[t]];
    return;
  }
  for (size_t t = 0; t < n; t++) o[t] = src.row[t] < 0 ? T() : base[src.part[t]][src.row[t]];
}

// Appends the rows named by `src` of column `col` of the stacked parts to `dst`, the
// output column. Fixed-width columns are copied with one typed loop straight into dst;
// strings and lists go through take(), one run of rows from the same part at a time.
void gather_into(parquet::Column& dst, const std::vector<const parquet::Column*>& cols, const Source& src) {
  const size_t n = src.row.size();
  if (n == 0) return;
  size_t w = parquet::type_width(dst.field.type);
  if (dst.field.list || w == 0 || cols.size() > 256) {
    for (size_t a = 0; a < n;) {
      size_t b = a + 1;
      while (b < n && src.part[b] == src.part[a]) b++;
      std::vector<int64_t> run(src.row.begin() + long(a), src.row.begin() + long(b));
      parquet::Column piece = take(*cols[src.part[a]], run);
      piece.field = dst.field;
      append_column(dst, piece);
      a = b;
    }
    return;
  }
  size_t old = dst.data.size() / w;
  dst.data.resize((old + n) * w);
  uint8_t* out = dst.data.data() + old * w;
  switch (w) {
    case 1: gather_values<uint8_t>(out, cols, src); break;
    case 2: gather_values<uint16_t>(out, cols, src); break;
    case 4: gather_values<uint32_t>(out, cols, src); break;
    default: gather_values<uint64_t>(out, cols, src); break;
  }
  bool nulls = false;
  for (const parquet::Column* c : cols) nulls |= !c->valid.empty();
  for (size_t t = 0; t < n && !nulls; t++) nulls = src.row[t] < 0;
  if (!nulls) {
    if (!dst.valid.empty()) dst.valid.insert(dst.valid.end(), n, 1);
    return;
  }
  if (dst.valid.empty()) dst.valid.assign(old, 1);
  for (size_t t = 0; t < n; t++)
    dst.valid.push_back(src.row[t] >= 0 && !cols[src.part[t]]->value_is_null(size_t(src.row[t])));
}

// One pixel of the right tree: a right partition and/or a margin partition.
struct Node {
  HpRange r;
  int order;
  int64_t pixel;
  int main = -1, margin = -1;
};

std::vector<Node> right_tree(const catalog::Catalog& right, const catalog::Catalog* margin) {
  std::vector<Node> nodes;
  std::vector<int> node_of(right.partitions().size(), -1);  // node of each right partition
  for (size_t i = 0; i < right.partitions().size(); i++) {
    const auto& p = right.partitions()[i];
    if (p.order < 0) continue;
    node_of[i] = int(nodes.size());
    nodes.push_back({pixel_range(p.order, p.pixel), p.order, p.pixel, int(i), -1});
  }
  if (margin) {
    for (size_t i = 0; i < margin->partitions().size(); i++) {
      const auto& p = margin->partitions()[i];
      if (p.order < 0) continue;
      int m = right.find_partition(p.order, p.pixel);
      if (m >= 0 && node_of[size_t(m)] >= 0) nodes[size_t(node_of[size_t(m)])].margin = int(i);
      else nodes.push_back({pixel_range(p.order, p.pixel), p.order, p.pixel, -1, int(i)});
    }
  }
  std::sort(nodes.begin(), nodes.end(), [](const Node& a, const Node& b) { return a.r.lo < b.r.lo; });
  return nodes;
}

bool disjoint(const std::vector<Node>& nodes) {
  for (size_t i = 1; i < nodes.size(); i++)
    if (nodes[i].r.lo < nodes[i - 1].r.hi) return false;
  return true;
}

// Upper bound of the angular radius (degrees) of a pixel around its centre: max_pixrad is
// at most 1.045 * sqrt(pixel area) at every order.
double pixel_bound_deg(int order) { return 1.1 * std::sqrt(sky::pixel_area_deg2(order)) + 1e-9; }

// A left partition's piece: the order-29 range, the pixel it is, and its right-tree node.
struct Piece {
  HpRange r;
  int order;
  int64_t pixel;
  int node = -1;  // -1: no right-tree pixel here (rows near it come from neighbours)
};

struct Context {
  const catalog::Catalog* left;
  const catalog::Catalog* right;
  const catalog::Catalog* margin;  // non-null when used
  XmatchOptions opt;
  ReadPlan lp, rp;
  std::vector<parquet::Field> schema;
  std::vector<Node> nodes;
  bool same = false;
  uint64_t out_row_bytes = 0;  // estimate, for charging a result before it is gathered
  std::mutex mu;
  int64_t left_rows = 0, right_rows = 0, pieces = 0;
  // crossmatch_pixel: turns each right table read into the rows to match (null: as read),
  // and where the right coordinates are in the tables it gives.
  std::function<parquet::Table(parquet::Table&&)> right_filter;
  size_t right_ra = 0, right_dec = 0;
};

// The right tree: with the margin when it is wide enough for the radius and aligned with
// the catalog's pixels, else the catalog's partitions alone (neighbours are read instead).
void set_right(Context& cx, const catalog::Catalog& right) {
  cx.right = &right;
  cx.rp = read_plan(right, cx.opt.right_columns);
  cx.right_ra = cx.rp.ra;
  cx.right_dec = cx.rp.dec;
  const catalog::Catalog* m = right.margin();
  if (cx.opt.use_margin && m && m->margin_threshold_arcsec() >= cx.opt.radius_arcsec) {
    cx.nodes = right_tree(right, m);
    cx.margin = m;
    if (!disjoint(cx.nodes)) cx.margin = nullptr;  // margin pixels not aligned with the catalog's
  }
  if (!cx.margin) cx.nodes = right_tree(right, nullptr);
  if (!disjoint(cx.nodes)) throw std::runtime_error(right.dir() + ": partitions overlap");
}

// Right rows of partitions other than `skip` that can lie within the radius of pixel
// (order, pixel): partitions touching a disc around it, rows kept by a chord test.
parquet::Table neighbour_rows(Context& cx, int order, int64_t pixel, int skip) {
  double R = cx.opt.radius_arcsec / 3600.0;
  double ra0, dec0;
  sky::pix2ang(order, pixel, ra0, dec0);
  double reach = std::min(180.0, pixel_bound_deg(order) + R);
  int qo = order;
  double disc_area = 2 * sky::kPi * (1 - std::cos(reach * kDeg)) / (kDeg * kDeg);
  while (qo > 0 && disc_area / sky::pixel_area_deg2(qo) > 256) qo--;
  std::vector<HpRange> cover = pixel_ranges(qo, sky::query_disc(qo, ra0, dec0, reach));
  sky::Vec3 c = sky::to_vec(ra0, dec0);
  double min_dot = std::cos(std::min(180.0, reach * (1 + 1e-9) + 1e-9) * kDeg);
  parquet::Table out = empty_table([&] {
    std::vector<parquet::Field> f;
    for (const auto& name : cx.rp.cols) f.push_back(select_fields(*cx.right, {name})[0]);
    return f;
  }());
  for (size_t i = 0; i < cx.right->partitions().size(); i++) {
    const auto& p = cx.right->partitions()[i];
    if (p.order < 0 || int(i) == skip) continue;
    HpRange r = pixel_range(p.order, p.pixel);
    if (!ranges_intersect(cover, r.lo, r.hi)) continue;
    parquet::Table t = read_partition_pruned(*cx.right, i, cx.rp.cols, cover);
    std::vector<double> ra = coords(t, cx.rp.ra), dec = coords(t, cx.rp.dec);
    std::vector<uint8_t> keep(t.rows(), 0);
    bool any = false;
    for (size_t k = 0; k < t.rows(); k++) {
      if (!valid_point(ra[k], dec[k])) continue;
      sky::Vec3 v = sky::to_vec(ra[k], dec[k]);
      keep[k] = v.x * c.x + v.y * c.y + v.z * c.z >= min_dot;
      any |= keep[k] != 0;
    }
    if (any) append_table(out, filter(t, keep));
  }
  return out;
}

// The pieces of left pixel (order, pixel): its intersections with right-tree nodes, plus
// the gaps between them.
std::vector<Piece> pieces_of(const Context& cx, int order, int64_t pixel) {
  HpRange lr = pixel_range(order, pixel);
  std::vector<Piece> pieces;
  auto it = std::upper_bound(cx.nodes.begin(), cx.nodes.end(), lr.lo,
                             [](int64_t v, const Node& n) { return v < n.r.hi; });
  int64_t at = lr.lo;
  auto gap = [&](int64_t lo, int64_t hi) {
    if (lo < hi) pieces.push_back({{lo, hi}, order, pixel, -1});
  };
  for (; it != cx.nodes.end() && it->r.lo < lr.hi; ++it) {
    int64_t lo = std::max(lr.lo, it->r.lo), hi = std::min(lr.hi, it->r.hi);
    gap(at, lo);
    bool left_finer = order >= it->order;
    pieces.push_back({{lo, hi}, left_finer ? order : it->order, left_finer ? pixel : it->pixel,
                      int(it - cx.nodes.begin())});
    at = hi;
  }
  gap(at, lr.hi);
  return pieces;
}

// Which piece each left row belongs to (by its order-29 index) when there are several.
std::vector<std::vector<int64_t>> rows_by_piece(const std::vector<Piece>& pieces, const std::vector<double>& lra,
                                                const std::vector<double>& ldec) {
  std::vector<std::vector<int64_t>> rows(pieces.size());
  if (pieces.size() == 1) {
    rows[0].resize(lra.size());
    for (size_t r = 0; r < lra.size(); r++) rows[0][r] = int64_t(r);
    return rows;
  }
  for (size_t r = 0; r < lra.size(); r++) {
    size_t pi = 0;
    if (valid_point(lra[r], ldec[r])) {
      int64_t h = sky::healpix29(lra[r], ldec[r]);
      auto pit = std::upper_bound(pieces.begin(), pieces.end(), h,
                                  [](int64_t v, const Piece& p) { return v < p.r.hi; });
      if (pit != pieces.end() && pit->r.lo <= h) pi = size_t(pit - pieces.begin());
    }
    rows[pi].push_back(int64_t(r));
  }
  return rows;
}

// The right rows a piece's left rows can match: its right partition (`main`, -1 if none)
// and that pixel's margin rows, or, without a usable margin, the rows of neighbouring
// partitions within reach. The right rows stay in the tables they were read into: copying
// them into one table would copy every column of every right row, matched or not.
Stacked right_side(Context& cx, const Piece& pc, int& main) {
  Stacked rt;
  auto add = [&](parquet::Table t) { rt.add(cx.right_filter ? cx.right_filter(std::move(t)) : std::move(t)); };
  main = pc.node >= 0 ? cx.nodes[size_t(pc.node)].main : -1;
  if (main >= 0) add(cx.right->read_partition(size_t(main), cx.rp.cols));
  if (cx.margin && pc.node >= 0 && cx.nodes[size_t(pc.node)].margin >= 0)
    add(cx.margin->read_partition(size_t(cx.nodes[size_t(pc.node)].margin), cx.rp.cols));
  if (!cx.margin || pc.node < 0) add(neighbour_rows(cx, pc.order, pc.pixel, main));
  return rt;
}

void stacked_coords(const Context& cx, const Stacked& rt, std::vector<double>& rra, std::vector<double>& rdec) {
  rra.reserve(rt.rows());
  rdec.reserve(rt.rows());
  for (const parquet::Table& t : rt.parts) {
    append_coords(t.columns[cx.right_ra], rra);
    append_coords(t.columns[cx.right_dec], rdec);
  }
}

parquet::Table match_partition(Context& cx, size_t li) {
  const catalog::Partition& lpart = cx.left->partitions()[li];
  std::vector<Piece> pieces = pieces_of(cx, lpart.order, lpart.pixel);
  parquet::Table lt = cx.left->read_partition(li, cx.lp.cols);
  std::vector<double> lra = coords(lt, cx.lp.ra), ldec = coords(lt, cx.lp.dec);
  std::vector<std::vector<int64_t>> rows = rows_by_piece(pieces, lra, ldec);

  size_t nl_out = cx.lp.out.size(), nr_out = cx.rp.out.size();
  parquet::Table result = empty_table(cx.schema);
  MemoryCharge held(cx.opt.ctx);
  int64_t right_rows = 0;
  for (size_t pi = 0; pi < pieces.size(); pi++) {
    catalog::check_cancelled();
    if (cx.opt.ctx) cx.opt.ctx->check();
    if (rows[pi].empty()) continue;
    int main = -1;
    Stacked rt = right_side(cx, pieces[pi], main);
    right_rows += int64_t(rt.rows());

    std::vector<double> pra(rows[pi].size()), pdec(rows[pi].size());
    for (size_t r = 0; r < rows[pi].size(); r++) {
      pra[r] = lra[size_t(rows[pi][r])];
      pdec[r] = ldec[size_t(rows[pi][r])];
    }
    std::vector<int64_t> self;
    bool use_self = cx.same && cx.opt.exclude_self && main == int(li);
    if (use_self) self = rows[pi];  // the main partition's rows come first, in file order
    std::vector<double> rra, rdec;
    stacked_coords(cx, rt, rra, rdec);
    PointMatches m = match_points(pra, pdec, rra, rdec, cx.opt.radius_arcsec, cx.opt.k, cx.opt.left_join,
                                  use_self ? &self : nullptr, cx.opt.ctx);
    if (m.left.empty()) continue;
    held.set(table_bytes(result) + m.left.size() * (24 + cx.out_row_bytes));
    // Output rows are gathered column by column straight into the partition's result.
    Source ls;
    ls.part.assign(m.left.size(), 0);
    ls.row.resize(m.left.size());
    for (size_t t = 0; t < m.left.size(); t++) ls.row[t] = rows[pi][size_t(m.left[t])];
    for (size_t c = 0; c < nl_out; c++) gather_into(result.columns[c], {&lt.columns[c]}, ls);
    Source rs = locate(rt, m.right);
    std::vector<const parquet::Column*> cols(rt.parts.size());
    for (size_t c = 0; c < nr_out; c++) {
      for (size_t k = 0; k < rt.parts.size(); k++) cols[k] = &rt.parts[k].columns[c];
      gather_into(result.columns[nl_out + c], cols, rs);
    }
    parquet::Column& dist = result.columns.back();
    size_t old = dist.values();
    dist.data.append(m.dist_arcsec.data(), m.dist_arcsec.size() * sizeof(double));
    if (cx.opt.left_join) {
      bool any_null = false;
      for (int64_t r : m.right) any_null |= r < 0;
      // An empty validity vector means "no nulls", so test the need before looking at its size
      // (with old == 0 the assign below leaves it empty).
      bool track = any_null || !dist.valid.empty();
      if (any_null && dist.valid.empty()) dist.valid.assign(old, 1);
      if (track)
        for (int64_t r : m.right) dist.valid.push_back(r >= 0);
    }
  }
  held.set(table_bytes(result));  // given back on return; crossmatch() charges it until sunk
  std::lock_guard<std::mutex> lock(cx.mu);
  cx.left_rows += int64_t(lt.rows());
  cx.right_rows += right_rows;
  cx.pieces += int64_t(pieces.size());
  return result;
}

bool same_catalog(const catalog::Catalog& a, const catalog::Catalog& b) {
  std::error_code ec1, ec2;
  auto pa = std::filesystem::weakly_canonical(a.dir(), ec1), pb = std::filesystem::weakly_canonical(b.dir(), ec2);
  return !ec1 && !ec2 && pa == pb;
}

}  // namespace

std::vector<parquet::Field> xmatch_schema(const catalog::Catalog& left, const catalog::Catalog& right,
                                          const XmatchOptions& opt) {
  std::string ls, rs;
  suffixes(left, right, opt, ls, rs);
  std::vector<parquet::Field> out;
  for (parquet::Field f : select_fields(left, opt.left_columns)) {
    f.name += ls;
    out.push_back(f);
  }
  for (parquet::Field f : select_fields(right, opt.right_columns)) {
    f.name += rs;
    if (opt.left_join) f.nullable = true;
    out.push_back(f);
  }
  parquet::Field d;
  d.name = "_dist_arcsec";
  d.type = parquet::Type::Double;
  d.nullable = opt.left_join;
  out.push_back(d);
  for (size_t i = 0; i < out.size(); i++)
    for (size_t j = i + 1; j < out.size(); j++)
      if (out[i].name == out[j].name)
        throw std::invalid_argument("xmatch: output column '" + out[i].name + "' appears twice; choose other suffixes");
  return out;
}

namespace {
// crossmatch() and crossmatch_encoded(): with `write`, each partition's result is encoded on its
// worker and goes to encoded_sink; without, it goes to sink in tables of at most 65536 rows.
XmatchStats run_crossmatch(const catalog::Catalog& left, const catalog::Catalog& right, const XmatchOptions& opt,
                           const parquet::WriteOptions* write, const std::function<void(parquet::Table&&)>& sink,
                           const std::function<void(parquet::EncodedRowGroups&&)>& encoded_sink) {
  if (!(opt.radius_arcsec >= 0) || !std::isfinite(opt.radius_arcsec))
    throw std::invalid_argument("xmatch: radius must be a finite number >= 0 arcsec");
  auto cx = std::make_unique<Context>();
  cx->left = &left;
  cx->opt = opt;
  cx->lp = read_plan(left, opt.left_columns);
  set_right(*cx, right);
  cx->schema = xmatch_schema(left, right, opt);
  cx->same = same_catalog(left, right);

  std::vector<size_t> todo;
  for (size_t i = 0; i < left.partitions().size(); i++) {
    if (left.partitions()[i].order < 0)
      throw std::invalid_argument(left.dir() + ": not a spatially partitioned catalog");
    todo.push_back(i);
  }
  XmatchStats st;
  st.used_margin = cx->margin != nullptr;
  for (const parquet::Field& f : cx->schema) {
    size_t w = parquet::type_width(f.type);
    cx->out_row_bytes += 1 + (f.list ? 64 : w ? w : 32);
  }
  catalog::Progress progress("xmatch", int64_t(todo.size()), opt.progress);
  // Each finished partition result stays charged to the budget until it has been sunk.
  std::deque<MemoryCharge> held;  // a deque: MemoryCharge cannot move
  for (size_t k = 0; k < todo.size(); k++) held.emplace_back(opt.ctx);
  std::vector<parquet::EncodedRowGroups> encoded(write ? todo.size() : 0);
  ordered_parallel(
      todo.size(), opt.threads,
      [&](size_t k) {
        parquet::Table t = match_partition(*cx, todo[k]);
        if (write) {  // the Table handed on is empty; the rows travel encoded
          encoded[k] = parquet::FileWriter::encode(cx->schema, t, *write);
          held[k].set(encoded[k].bytes.size());
          return parquet::Table{};
        }
        held[k].set(table_bytes(t));
        return t;
      },
      [&](size_t k, parquet::Table&& t) {
        progress.add(1);
        if (write) {
          st.pairs += encoded[k].rows;
          if (encoded[k].rows > 0) encoded_sink(std::move(encoded[k]));
          encoded[k] = {};
          held[k].set(0);
          return;
        }
        st.pairs += int64_t(t.rows());
        constexpr size_t kChunk = 65536;
        if (t.rows() <= kChunk) {
          if (t.rows() > 0) sink(std::move(t));
        } else {
          for (size_t at = 0; at < t.rows(); at += kChunk) {
            if (opt.ctx) opt.ctx->check();
            sink(slice(t, at, std::min(kChunk, t.rows() - at)));
          }
        }
        held[k].set(0);
      });
  progress.finish();
  st.left_rows = cx->left_rows;  // as read: the partitions' row counts would need _metadata
  st.right_rows_read = cx->right_rows;
  st.pieces = cx->pieces;
  return st;
}
}  // namespace

XmatchStats crossmatch(const catalog::Catalog& left, const catalog::Catalog& right, const XmatchOptions& opt,
                       const std::function<void(parquet::Table&&)>& sink) {
  return run_crossmatch(left, right, opt, nullptr, sink, {});
}

XmatchStats crossmatch_encoded(const catalog::Catalog& left, const catalog::Catalog& right, const XmatchOptions& opt,
                               const parquet::WriteOptions& write,
                               const std::function<void(parquet::EncodedRowGroups&&)>& sink) {
  return run_crossmatch(left, right, opt, &write, {}, sink);
}

PixelMatches crossmatch_pixel(const catalog::Catalog& right, const XmatchOptions& opt, int order, int64_t pixel,
                              const std::vector<double>& ra, const std::vector<double>& dec,
                              const std::function<parquet::Table(parquet::Table&&)>& right_filter) {
  if (!(opt.radius_arcsec >= 0) || !std::isfinite(opt.radius_arcsec))
    throw std::invalid_argument("xmatch: radius must be a finite number >= 0 arcsec");
  if (ra.size() != dec.size()) throw std::invalid_argument("xmatch: ra and dec differ in length");
  if (order < 0 || order > 29 || pixel < 0 || pixel >= 12 * (int64_t(1) << (2 * order)))
    throw std::invalid_argument("xmatch: no pixel " + std::to_string(pixel) + " at order " + std::to_string(order));
  Context cx;
  cx.opt = opt;
  set_right(cx, right);
  cx.right_filter = right_filter;
  // The columns of the tables the filter gives, and where the coordinates are in them.
  parquet::Table proto = empty_table(select_fields(right, cx.rp.cols));
  if (right_filter) proto = right_filter(std::move(proto));
  int ra_at = proto.find(right.ra_column()), dec_at = proto.find(right.dec_column());
  if (ra_at < 0 || dec_at < 0)
    throw std::invalid_argument("xmatch: the right rows must keep " + right.ra_column() + " and " + right.dec_column());
  cx.right_ra = size_t(ra_at);
  cx.right_dec = size_t(dec_at);

  PixelMatches out;
  out.right = empty_table(engine::schema_of(proto));
  for (auto& c : out.right.columns) c.field.nullable = c.field.nullable || opt.left_join;
  std::vector<Piece> pieces = pieces_of(cx, order, pixel);
  std::vector<std::vector<int64_t>> rows = rows_by_piece(pieces, ra, dec);
  bool sorted = true;  // by left index, across pieces
  for (size_t pi = 0; pi < pieces.size(); pi++) {
    catalog::check_cancelled();
    if (opt.ctx) opt.ctx->check();
    if (rows[pi].empty()) continue;
    int main = -1;
    Stacked rt = right_side(cx, pieces[pi], main);
    std::vector<double> pra(rows[pi].size()), pdec(rows[pi].size());
    for (size_t r = 0; r < rows[pi].size(); r++) {
      pra[r] = ra[size_t(rows[pi][r])];
      pdec[r] = dec[size_t(rows[pi][r])];
    }
    std::vector<double> rra, rdec;
    stacked_coords(cx, rt, rra, rdec);
    PointMatches m = match_points(pra, pdec, rra, rdec, opt.radius_arcsec, opt.k, opt.left_join, nullptr, opt.ctx);
    if (m.left.empty()) continue;
    for (size_t t = 0; t < m.left.size(); t++) {
      int64_t l = rows[pi][size_t(m.left[t])];
      sorted = sorted && (out.m.left.empty() || out.m.left.back() <= l);
      out.m.left.push_back(l);
    }
    out.m.right.insert(out.m.right.end(), m.right.begin(), m.right.end());  // rows of `right` below
    out.m.dist_arcsec.insert(out.m.dist_arcsec.end(), m.dist_arcsec.begin(), m.dist_arcsec.end());
    Source rs = locate(rt, m.right);
    std::vector<const parquet::Column*> cols(rt.parts.size());
    for (size_t c = 0; c < out.right.columns.size(); c++) {
      for (size_t k = 0; k < rt.parts.size(); k++) cols[k] = &rt.parts[k].columns[c];
      gather_into(out.right.columns[c], cols, rs);
    }
  }
  for (size_t t = 0; t < out.m.right.size(); t++)
    if (out.m.right[t] >= 0) out.m.right[t] = int64_t(t);
  if (!sorted) {  // pieces interleave left rows: order by left index, keeping distance order
    std::vector<int64_t> perm(out.m.left.size());
    for (size_t t = 0; t < perm.size(); t++) perm[t] = int64_t(t);
    std::stable_sort(perm.begin(), perm.end(),
                     [&](int64_t a, int64_t b) { return out.m.left[size_t(a)] < out.m.left[size_t(b)]; });
    PointMatches sm;
    for (int64_t p : perm) {
      sm.left.push_back(out.m.left[size_t(p)]);
      sm.right.push_back(out.m.right[size_t(p)] < 0 ? -1 : int64_t(sm.right.size()));
      sm.dist_arcsec.push_back(out.m.dist_arcsec[size_t(p)]);
    }
    out.m = std::move(sm);
    for (auto& c : out.right.columns) c = take(c, perm);
  }
  return out;
}

}  // namespace astrolake::engine
