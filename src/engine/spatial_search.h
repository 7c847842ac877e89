// Cone, box and polygon searches over a HATS catalog. Three levels of pruning, cheapest
// first: partitions whose pixel does not touch the region's HEALPix coverage are never
// opened; row groups whose `_healpix_29` min/max statistics miss the coverage are never
// decoded; the surviving rows get the exact test (inclusive boundaries, hats semantics).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "parquet/table.h"

namespace astrolake::engine {

// A half-open range [lo, hi) of order-29 nested HEALPix indices.
struct HpRange {
  int64_t lo, hi;
};
// The order-29 ranges of `pixels` at `order`, sorted, adjacent ones merged.
std::vector<HpRange> pixel_ranges(int order, const std::vector<int64_t>& pixels);
// Whether [lo, hi) meets any of the (sorted, disjoint) ranges.
bool ranges_intersect(const std::vector<HpRange>& ranges, int64_t lo, int64_t hi);
// The order-29 range of pixel (order, pixel).
inline HpRange pixel_range(int order, int64_t pixel) {
  int shift = 2 * (29 - order);
  return {pixel << shift, (pixel + 1) << shift};
}

// A sky region with an exact, inclusive membership test. Constructors validate their input
// and throw std::invalid_argument with a message naming the bad value.
class Region {
 public:
  enum class Kind { Cone, Box, Polygon };

  // Centre in degrees (RA wrapped), radius in degrees (>= 0). Membership: the haversine
  // separation <= radius, as hats' cone_filter computes it.
  static Region cone(double ra, double dec, double radius_deg);
  // hats box semantics: both RA bounds wrapped to [0,360); lo == hi means every RA; lo < hi
  // means lo <= ra <= hi; lo > hi wraps through RA 0. Dec bounds inclusive, lo <= hi.
  static Region box(double ra_lo, double ra_hi, double dec_lo, double dec_hi);
  // Convex polygon with great-circle edges, >= 3 vertices in either winding. Rejects
  // duplicate vertices, concave or self-crossing shapes, and vertices on one great circle.
  static Region polygon(const std::vector<double>& ra, const std::vector<double>& dec);

  Kind kind() const { return kind_; }
  bool contains(double ra, double dec) const;
  // Pixels at `order` touching the region (a superset, never missing one).
  std::vector<int64_t> coverage(int order) const;
  // A rough upper bound of the area in square degrees, to pick a coverage order.
  double area_deg2() const;
  std::string describe() const;

 private:
  Kind kind_ = Kind::Cone;
  // Cone
  double ra_ = 0, dec_ = 0, radius_ = 0, sin2_half_r_ = 0, cos_dec_ = 1;
  // Box (wrapped RA bounds)
  double ra_lo_ = 0, ra_hi_ = 0, dec_lo_ = 0, dec_hi_ = 0;
  // Polygon: vertices and inward edge normals (n . p >= 0 inside)
  std::vector<double> pra_, pdec_;
  std::vector<double> nx_, ny_, nz_;
};

// The order at which spatial_search takes the region's coverage to prune partitions.
int pruning_order(const Region& region);

struct SearchOptions {
  std::vector<std::string> columns;  // output columns; empty = every column of the catalog
  int threads = 0;                   // most threads of the shared pool used; 0: all
  int progress = -1;                 // -1: bar when stderr is a terminal; 0 never; 1 always
};

struct SearchStats {
  int64_t partitions = 0, partitions_read = 0;
  int64_t row_groups = 0, row_groups_read = 0;
  int64_t rows_scanned = 0, rows_out = 0;
};

// Streams the rows of `cat` inside `region` to `sink`, one table per partition that has
// any, in partition (spatial index) order. Partitions are searched in parallel; the sink
// runs on the calling thread. Honours catalog::cancelled().
SearchStats spatial_search(const catalog::Catalog& cat, const Region& region, const SearchOptions& opt,
                           const std::function<void(parquet::Table&&)>& sink);

// The catalog's fields named in `columns` (all when empty), in that order. Throws naming the
// catalog and column when one is absent.
std::vector<parquet::Field> select_fields(const catalog::Catalog& cat, const std::vector<std::string>& columns);

// Runs produce(i) for i in [0, n) on the process-wide scheduler, at most `threads` at once
// (0: its size) with at most ~2 per thread in flight,
// and calls consume(i, result) on the calling thread in order 0, 1, ... . The first exception
// (from produce, consume or a cancel) stops the job and is rethrown after in-flight work ends.
void ordered_parallel(size_t n, int threads, const std::function<parquet::Table(size_t)>& produce,
                      const std::function<void(size_t, parquet::Table&&)>& consume);

// Reads partition `i` of `cat` (columns as given), skipping row groups whose healpix-column
// statistics miss `ranges` (order-29). Counts go to `stats` if given (not thread-safe).
parquet::Table read_partition_pruned(const catalog::Catalog& cat, size_t i, const std::vector<std::string>& columns,
                                     const std::vector<HpRange>& ranges, int64_t* row_groups = nullptr,
                                     int64_t* row_groups_read = nullptr);

}  // namespace astrolake::engine
