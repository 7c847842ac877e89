#include "engine/xmatch.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "catalog/progress.h"
#include "engine/column_ops.h"
#include "engine/spatial_search.h"
#include "sky/geometry.h"
#include "sky/healpix.h"

namespace astrolake::engine {

using sky::kDeg;

namespace {

struct KeyIdx {
  uint64_t key;
  uint32_t idx;
};

// LSD radix sort on 64-bit keys, 16 bits a pass; passes where every key shares the digit
// are skipped (zone numbers rarely use their high bits).
void radix_sort(std::vector<KeyIdx>& v) {
  std::vector<KeyIdx> tmp(v.size());
  std::vector<size_t> count(65536);
  for (int pass = 0; pass < 4; pass++) {
    int shift = 16 * pass;
    std::fill(count.begin(), count.end(), 0);
    for (const KeyIdx& x : v) count[(x.key >> shift) & 0xffff]++;
    if (v.empty() || count[(v[0].key >> shift) & 0xffff] == v.size()) continue;
    size_t sum = 0;
    for (size_t& c : count) {
      size_t t = c;
      c = sum;
      sum += t;
    }
    for (const KeyIdx& x : v) tmp[count[(x.key >> shift) & 0xffff]++] = x;
    v.swap(tmp);
  }
}

bool valid_point(double ra, double dec) { return std::isfinite(ra) && dec >= -90.0 && dec <= 90.0; }

// Zones of height h degrees; the key packs the zone with the RA quantised to 2^-32 turns
// (0.3 mas), far below the window slack, so key order is RA order for the sweep.
struct Zoned {
  std::vector<KeyIdx> order;   // sorted
  std::vector<uint32_t> zone;  // per sorted position
  std::vector<double> ra;      // wrapped RA per sorted position
  std::vector<double> x, y, z;
};

Zoned build_zones(const std::vector<double>& ra, const std::vector<double>& dec, double h) {
  Zoned zd;
  zd.order.reserve(ra.size());
  for (size_t i = 0; i < ra.size(); i++) {
    if (!valid_point(ra[i], dec[i])) continue;
    double w = sky::wrap_ra(ra[i]);
    uint64_t zone = uint64_t(std::floor((dec[i] + 90.0) / h));
    double q = std::floor(w / 360.0 * 4294967296.0);
    uint64_t rq = q >= 4294967295.0 ? 4294967295ULL : uint64_t(q);
    zd.order.push_back({(zone << 32) | rq, uint32_t(i)});
  }
  radix_sort(zd.order);
  size_t n = zd.order.size();
  zd.zone.resize(n);
  zd.ra.resize(n);
  zd.x.resize(n);
  zd.y.resize(n);
  zd.z.resize(n);
  for (size_t s = 0; s < n; s++) {
    uint32_t i = zd.order[s].idx;
    zd.zone[s] = uint32_t(zd.order[s].key >> 32);
    zd.ra[s] = sky::wrap_ra(ra[i]);
    sky::Vec3 v = sky::to_vec(ra[i], dec[i]);
    zd.x[s] = v.x;
    zd.y[s] = v.y;
    zd.z[s] = v.z;
  }
  return zd;
}

struct Cand {
  double sep;
  int64_t j;
  bool operator<(const Cand& o) const { return sep < o.sep || (sep == o.sep && j < o.j); }
};

}  // namespace

PointMatches match_points(const std::vector<double>& lra, const std::vector<double>& ldec,
                          const std::vector<double>& rra, const std::vector<double>& rdec, double radius_arcsec,
                          int k, bool left_join, const std::vector<int64_t>* self_of_left) {
  if (!(radius_arcsec >= 0) || !std::isfinite(radius_arcsec))
    throw std::invalid_argument("xmatch: radius must be >= 0 arcsec");
  if (lra.size() > 0xffffffffULL || rra.size() > 0xffffffffULL)
    throw std::invalid_argument("xmatch: more than 2^32 rows in one partition");
  double R = radius_arcsec / 3600.0;
  double h = std::max(R, 1e-6);
  Zoned right = build_zones(rra, rdec, h);
  Zoned left = build_zones(lra, ldec, h);
  double chord = sky::chord_for_deg(std::min(R, 180.0));
  double lim2 = chord * chord * (1 + 1e-9) + 1e-300;

  // Pairs in left-sorted order; regrouped by left index at the end.
  std::vector<int64_t> pl, pr;
  std::vector<double> pd;
  std::vector<Cand> cands;
  int64_t cur_zone = -1;
  size_t zb[3] = {0, 0, 0}, ze[3] = {0, 0, 0}, p[3] = {0, 0, 0};
  bool full = false;
  double w = 0;
  const size_t nr = right.order.size();
  for (size_t s = 0; s < left.order.size(); s++) {
    uint32_t i = left.order[s].idx;
    int64_t zl = left.zone[s];
    if (zl != cur_zone) {
      cur_zone = zl;
      for (int d = 0; d < 3; d++) {
        int64_t z = zl + d - 1;
        if (z < 0) {
          zb[d] = ze[d] = 0;
        } else {
          zb[d] = size_t(std::lower_bound(right.zone.begin(), right.zone.end(), uint32_t(z)) - right.zone.begin());
          ze[d] = size_t(std::upper_bound(right.zone.begin() + zb[d], right.zone.end(), uint32_t(z)) - right.zone.begin());
        }
        p[d] = zb[d];
      }
      // RA half-width of a circle of radius R centred anywhere in this zone.
      double dlo = zl * h - 90.0, dhi = (zl + 1) * h - 90.0;
      double dmax = std::min(90.0, std::max(std::fabs(dlo), std::fabs(dhi)));
      full = dmax + R >= 89.9 || R >= 30.0;
      if (!full) {
        double s_ratio = std::sin(R * kDeg) / std::cos(dmax * kDeg);
        w = std::asin(std::min(1.0, s_ratio)) / kDeg * (1 + 1e-9) + 1e-6;
        if (w >= 180.0) full = true;
      }
    }
    const double lx = left.x[s], ly = left.y[s], lz = left.z[s];
    const double la = left.ra[s];
    int64_t self = self_of_left ? (*self_of_left)[i] : -1;
    cands.clear();
    auto test = [&](size_t q) {
      double dx = lx - right.x[q], dy = ly - right.y[q], dz = lz - right.z[q];
      if (dx * dx + dy * dy + dz * dz > lim2) return;
      int64_t j = right.order[q].idx;
      if (j == self) return;
      double sep = sky::separation_deg(lra[i], ldec[i], rra[size_t(j)], rdec[size_t(j)]);
      if (sep <= R) cands.push_back({sep, j});
    };
    for (int d = 0; d < 3; d++) {
      if (zb[d] == ze[d]) continue;
      if (full) {
        for (size_t q = zb[d]; q < ze[d]; q++) test(q);
        continue;
      }
      double lo = la - w, hi = la + w;
      while (p[d] < ze[d] && right.ra[p[d]] < lo) p[d]++;
      for (size_t q = p[d]; q < ze[d] && right.ra[q] <= hi; q++) test(q);
      if (lo < 0) {
        size_t q = size_t(std::lower_bound(right.ra.begin() + zb[d], right.ra.begin() + ze[d], lo + 360.0) -
                          right.ra.begin());
        for (; q < ze[d]; q++) test(q);
      }
      if (hi >= 360.0)
        for (size_t q = zb[d]; q < ze[d] && right.ra[q] <= hi - 360.0; q++) test(q);
    }
    (void)nr;
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

std::vector<double> coords(const parquet::Table& t, size_t col) {
  const parquet::Column& c = t.columns[col];
  std::vector<double> v = column_f64(c);
  for (size_t i = 0; i < v.size(); i++)
    if (c.is_null(i)) v[i] = std::numeric_limits<double>::quiet_NaN();
  return v;
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
  for (size_t i = 0; i < right.partitions().size(); i++) {
    const auto& p = right.partitions()[i];
    if (p.order < 0) continue;
    nodes.push_back({pixel_range(p.order, p.pixel), p.order, p.pixel, int(i), -1});
  }
  if (margin) {
    for (size_t i = 0; i < margin->partitions().size(); i++) {
      const auto& p = margin->partitions()[i];
      if (p.order < 0) continue;
      int m = right.find_partition(p.order, p.pixel);
      bool found = false;
      for (Node& n : nodes)
        if (n.main == m && m >= 0) {
          n.margin = int(i);
          found = true;
        }
      if (!found) nodes.push_back({pixel_range(p.order, p.pixel), p.order, p.pixel, -1, int(i)});
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
  std::mutex mu;
  int64_t right_rows = 0, pieces = 0;
};

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

parquet::Table match_partition(Context& cx, size_t li) {
  const catalog::Partition& lpart = cx.left->partitions()[li];
  HpRange lr = pixel_range(lpart.order, lpart.pixel);
  // Pieces: intersections with right-tree nodes, plus the gaps between them.
  std::vector<Piece> pieces;
  auto it = std::upper_bound(cx.nodes.begin(), cx.nodes.end(), lr.lo,
                             [](int64_t v, const Node& n) { return v < n.r.hi; });
  int64_t at = lr.lo;
  auto gap = [&](int64_t lo, int64_t hi) {
    if (lo < hi) pieces.push_back({{lo, hi}, lpart.order, lpart.pixel, -1});
  };
  for (; it != cx.nodes.end() && it->r.lo < lr.hi; ++it) {
    int64_t lo = std::max(lr.lo, it->r.lo), hi = std::min(lr.hi, it->r.hi);
    gap(at, lo);
    bool left_finer = lpart.order >= it->order;
    pieces.push_back({{lo, hi}, left_finer ? lpart.order : it->order, left_finer ? lpart.pixel : it->pixel,
                      int(it - cx.nodes.begin())});
    at = hi;
  }
  gap(at, lr.hi);

  parquet::Table lt = cx.left->read_partition(li, cx.lp.cols);
  std::vector<double> lra = coords(lt, cx.lp.ra), ldec = coords(lt, cx.lp.dec);
  // Which piece each left row belongs to (by its order-29 index) when there are several.
  std::vector<std::vector<int64_t>> rows(pieces.size());
  if (pieces.size() == 1) {
    rows[0].resize(lt.rows());
    for (size_t r = 0; r < lt.rows(); r++) rows[0][r] = int64_t(r);
  } else {
    for (size_t r = 0; r < lt.rows(); r++) {
      size_t pi = 0;
      if (valid_point(lra[r], ldec[r])) {
        int64_t h = sky::healpix29(lra[r], ldec[r]);
        auto pit = std::upper_bound(pieces.begin(), pieces.end(), h,
                                    [](int64_t v, const Piece& p) { return v < p.r.hi; });
        if (pit != pieces.end() && pit->r.lo <= h) pi = size_t(pit - pieces.begin());
      }
      rows[pi].push_back(int64_t(r));
    }
  }

  size_t nl_out = cx.lp.out.size(), nr_out = cx.rp.out.size();
  parquet::Table result = empty_table(cx.schema);
  int64_t right_rows = 0;
  for (size_t pi = 0; pi < pieces.size(); pi++) {
    catalog::check_cancelled();
    if (rows[pi].empty()) continue;
    const Piece& pc = pieces[pi];
    parquet::Table rt;
    bool have = false;
    auto add = [&](parquet::Table t) {
      if (!have) {
        rt = std::move(t);
        have = true;
      } else {
        append_table(rt, t);
      }
    };
    int main = pc.node >= 0 ? cx.nodes[size_t(pc.node)].main : -1;
    if (main >= 0) add(cx.right->read_partition(size_t(main), cx.rp.cols));
    if (cx.margin && pc.node >= 0 && cx.nodes[size_t(pc.node)].margin >= 0)
      add(cx.margin->read_partition(size_t(cx.nodes[size_t(pc.node)].margin), cx.rp.cols));
    if (!cx.margin || pc.node < 0) add(neighbour_rows(cx, pc.order, pc.pixel, main));
    right_rows += int64_t(rt.rows());

    std::vector<double> pra(rows[pi].size()), pdec(rows[pi].size());
    for (size_t r = 0; r < rows[pi].size(); r++) {
      pra[r] = lra[size_t(rows[pi][r])];
      pdec[r] = ldec[size_t(rows[pi][r])];
    }
    std::vector<int64_t> self;
    bool use_self = cx.same && cx.opt.exclude_self && main == int(li);
    if (use_self) self = rows[pi];  // the main partition's rows come first, in file order
    std::vector<double> rra = coords(rt, cx.rp.ra), rdec = coords(rt, cx.rp.dec);
    PointMatches m = match_points(pra, pdec, rra, rdec, cx.opt.radius_arcsec, cx.opt.k, cx.opt.left_join,
                                  use_self ? &self : nullptr);
    if (m.left.empty()) continue;
    std::vector<int64_t> lsel(m.left.size());
    for (size_t t = 0; t < m.left.size(); t++) lsel[t] = rows[pi][size_t(m.left[t])];
    parquet::Table lpart_out, rpart_out;
    lpart_out.columns.assign(lt.columns.begin(), lt.columns.begin() + long(nl_out));
    rpart_out.columns.assign(rt.columns.begin(), rt.columns.begin() + long(nr_out));
    parquet::Table a = take(lpart_out, lsel), b = take(rpart_out, m.right);
    parquet::Table piece_out;
    for (auto& c : a.columns) piece_out.columns.push_back(std::move(c));
    for (auto& c : b.columns) piece_out.columns.push_back(std::move(c));
    std::vector<uint8_t> valid;
    if (cx.opt.left_join) {
      valid.resize(m.dist_arcsec.size());
      for (size_t t = 0; t < valid.size(); t++) valid[t] = m.right[t] >= 0;
      normalize_validity(valid);
    }
    piece_out.columns.push_back(make_f64(cx.schema.back(), std::move(m.dist_arcsec), std::move(valid)));
    for (size_t c = 0; c < piece_out.columns.size(); c++) piece_out.columns[c].field = cx.schema[c];
    append_table(result, piece_out);
  }
  std::lock_guard<std::mutex> lock(cx.mu);
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

XmatchStats crossmatch(const catalog::Catalog& left, const catalog::Catalog& right, const XmatchOptions& opt,
                       const std::function<void(parquet::Table&&)>& sink) {
  if (!(opt.radius_arcsec >= 0) || !std::isfinite(opt.radius_arcsec))
    throw std::invalid_argument("xmatch: radius must be a finite number >= 0 arcsec");
  auto cx = std::make_unique<Context>();
  cx->left = &left;
  cx->right = &right;
  cx->opt = opt;
  cx->lp = read_plan(left, opt.left_columns);
  cx->rp = read_plan(right, opt.right_columns);
  cx->schema = xmatch_schema(left, right, opt);
  cx->same = same_catalog(left, right);
  const catalog::Catalog* m = right.margin();
  if (opt.use_margin && m && m->margin_threshold_arcsec() >= opt.radius_arcsec) {
    cx->nodes = right_tree(right, m);
    cx->margin = m;
    if (!disjoint(cx->nodes)) cx->margin = nullptr;  // margin pixels not aligned with the catalog's
  }
  if (!cx->margin) cx->nodes = right_tree(right, nullptr);
  if (!disjoint(cx->nodes)) throw std::runtime_error(right.dir() + ": partitions overlap");

  std::vector<size_t> todo;
  for (size_t i = 0; i < left.partitions().size(); i++) {
    if (left.partitions()[i].order < 0)
      throw std::invalid_argument(left.dir() + ": not a spatially partitioned catalog");
    todo.push_back(i);
  }
  XmatchStats st;
  st.used_margin = cx->margin != nullptr;
  catalog::Progress progress("xmatch", int64_t(todo.size()), opt.progress);
  ordered_parallel(
      todo.size(), opt.threads, [&](size_t k) { return match_partition(*cx, todo[k]); },
      [&](size_t k, parquet::Table&& t) {
        progress.add(1);
        int64_t lrows = left.partitions()[todo[k]].rows;
        if (lrows > 0) st.left_rows += lrows;
        if (t.rows() == 0) return;
        st.pairs += int64_t(t.rows());
        sink(std::move(t));
      });
  progress.finish();
  st.right_rows_read = cx->right_rows;
  st.pieces = cx->pieces;
  return st;
}

}  // namespace astrolake::engine
