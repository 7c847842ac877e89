// The partition layout of a HATS catalog far larger than can be built here, from astrolake's
// own partitioning rule (catalog::plan_partitions, what `astrolake import` uses): SAMPLES
// positions are drawn from the synthetic surveys' galaxy model (catalog::draw_sky_position),
// binned at ORDER, scaled to ROWS and partitioned at THRESHOLD rows. Prints, as JSON, the
// number of partitions by order, rows and row groups per partition, and how many partitions
// cone searches of a few radii touch (centres uniform on the sky; pruned as
// engine::spatial_search prunes, by the cone's HEALPix coverage at engine::pruning_order).
// With --partition-info FILE also writes the layout as partition_info.csv.
//
// usage: capacity_layout [--rows 1e10] [--threshold 1e6] [--order 10] [--samples 2e7]
//                        [--cones 2000] [--seed 1] [--partition-info FILE]
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "catalog/import.h"
#include "catalog/synthetic.h"
#include "engine/spatial_search.h"
#include "sky/healpix.h"

using namespace astrolake;

namespace {

struct Args {
  double rows = 1e10, threshold = 1e6, samples = 2e7;
  int order = 10, cones = 2000;
  uint64_t seed = 1;
  std::string partition_info;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument("missing value after " + k);
    std::string v = argv[++i];
    if (k == "--rows") a.rows = std::stod(v);
    else if (k == "--threshold") a.threshold = std::stod(v);
    else if (k == "--samples") a.samples = std::stod(v);
    else if (k == "--order") a.order = std::stoi(v);
    else if (k == "--cones") a.cones = std::stoi(v);
    else if (k == "--seed") a.seed = std::stoull(v);
    else if (k == "--partition-info") a.partition_info = v;
    else throw std::invalid_argument("unknown option " + k);
  }
  if (a.order < 1 || a.order > 12) throw std::invalid_argument("--order must be 1..12");
  if (a.samples < 1 || a.rows < a.samples) throw std::invalid_argument("need 1 <= samples <= rows");
  return a;
}

double percentile(std::vector<int64_t> v, double q) {
  std::sort(v.begin(), v.end());
  return double(v[size_t(q * double(v.size() - 1))]);
}

}  // namespace

int main(int argc, char** argv) try {
  Args a = parse(argc, argv);
  // Histogram of the sampled positions at the histogram order, scaled to the target rows.
  std::vector<uint32_t> counts(size_t(12) << (2 * a.order), 0);
  auto n = int64_t(a.samples);
  for (int64_t i = 0; i < n; ++i) {
    catalog::Rng rng(a.seed, 7, uint64_t(i));
    double ra, dec;
    catalog::draw_sky_position(rng, ra, dec);
    ++counts[size_t(sky::ang2pix(a.order, ra, dec))];
  }
  double scale = a.rows / a.samples;
  std::vector<catalog::PixelCount> hist;
  for (size_t p = 0; p < counts.size(); ++p)
    if (counts[p]) hist.push_back({int64_t(p), int64_t(std::llround(counts[p] * scale))});
  std::vector<catalog::PixelId> parts = catalog::plan_partitions(hist, a.order, int64_t(a.threshold));

  // Rows per partition: the histogram pixels inside each partition.
  std::map<std::pair<int, int64_t>, int64_t> rows;
  for (const auto& pid : parts) rows[{pid.order, pid.pixel}] = 0;
  for (const auto& h : hist)
    for (int o = a.order; o >= 0; --o) {
      auto it = rows.find({o, sky::to_lower_order(h.pixel, a.order, o)});
      if (it != rows.end()) { it->second += h.count; break; }
    }
  std::vector<int64_t> per_part;
  std::map<int, int64_t> by_order;
  int64_t row_groups = 0;  // import writes 32Ki-row groups (leaf_options in catalog/import.cc)
  for (const auto& [k, r] : rows) {
    per_part.push_back(r);
    ++by_order[k.first];
    row_groups += (r + 32767) / 32768;
  }

  if (!a.partition_info.empty()) {
    std::ofstream f(a.partition_info);
    f << "Norder,Npix\n";
    for (const auto& pid : parts) f << pid.order << ',' << pid.pixel << '\n';
    if (!f) throw std::runtime_error("cannot write " + a.partition_info);
  }

  // Partitions a cone touches, at uniformly random centres.
  std::printf("{\"rows\": %.0f, \"threshold\": %.0f, \"histogram_order\": %d, \"samples\": %.0f,\n",
              a.rows, a.threshold, a.order, a.samples);
  std::printf(" \"partitions\": %zu, \"row_groups\": %lld, \"by_order\": {", parts.size(), (long long)row_groups);
  const char* sep = "";
  for (const auto& [o, c] : by_order) { std::printf("%s\"%d\": %lld", sep, o, (long long)c); sep = ", "; }
  std::printf("},\n \"rows_per_partition\": {\"min\": %.0f, \"p50\": %.0f, \"p90\": %.0f, \"max\": %.0f},\n",
              percentile(per_part, 0), percentile(per_part, 0.5), percentile(per_part, 0.9), percentile(per_part, 1));
  std::printf(" \"cone_partitions\": {");
  sep = "";
  catalog::Rng rng(a.seed + 1);
  for (double radius_arcsec : {1.0, 60.0, 600.0, 3600.0}) {
    double total = 0, most = 0;
    for (int i = 0; i < a.cones; ++i) {
      double ra = rng.uniform(0, 360), dec = std::asin(rng.uniform(-1, 1)) * 180 / M_PI;
      engine::Region cone = engine::Region::cone(ra, dec, radius_arcsec / 3600);
      int order = engine::pruning_order(cone);
      std::vector<engine::HpRange> cover = engine::pixel_ranges(order, cone.coverage(order));
      double hit = 0;
      for (const auto& pid : parts) {
        engine::HpRange r = engine::pixel_range(pid.order, pid.pixel);
        if (engine::ranges_intersect(cover, r.lo, r.hi)) ++hit;
      }
      total += hit;
      most = std::max(most, hit);
    }
    std::printf("%s\"%g\": {\"mean\": %.2f, \"max\": %.0f}", sep, radius_arcsec, total / a.cones, most);
    sep = ", ";
  }
  std::printf("}}\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "capacity_layout: %s\n", e.what());
  return 1;
}
