// Sky maps: a count, or an aggregate of a numeric column, per HEALPix pixel at one order,
// computed over a catalog in parallel. Written as a HEALPix FITS map healpy reads
// (healpy.read_map(path, nest=True)) and as a Mollweide PNG to look at.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"

namespace astrolake::engine {

enum class SkymapAgg { Count, Sum, Mean, Min, Max };
const char* skymap_agg_name(SkymapAgg a);  // "count", "sum", ...

// healpy's UNSEEN: written for pixels without data in mean/min/max maps.
constexpr double kHealpixUnseen = -1.6375e30;
constexpr int kSkymapMaxOrder = 11;  // 50M pixels; finer maps belong in a catalog, not a FITS file

struct SkymapOptions {
  int order = 6;
  SkymapAgg agg = SkymapAgg::Count;
  std::string column;  // the aggregated column (all but Count)
  int threads = 0;
  int progress = -1;
};

struct SkymapResult {
  int order = 0;
  SkymapAgg agg = SkymapAgg::Count;
  std::string column;
  std::vector<int64_t> counts;  // rows per nested pixel (non-null values for aggregates)
  std::vector<double> values;   // the map: counts, or the aggregate (UNSEEN where no data)
  int64_t rows = 0;             // rows with valid coordinates
};

// Parses "count", "sum:COL", "mean:COL", "min:COL", "max:COL". Throws std::invalid_argument.
SkymapAgg parse_skymap_agg(const std::string& spec, std::string& column);

SkymapResult compute_skymap(const catalog::Catalog& cat, const SkymapOptions& opt);

// IMPLICIT, NESTED, one double per pixel in column `column_name`; atomic.
void write_skymap_fits_double(const std::string& path, int order, const std::vector<double>& values,
                              const std::string& column_name);
// Mollweide projection centred on RA 0 with RA increasing to the left (the sky as seen),
// 30-degree graticule, a colour bar and the title. Counts and sums are shown on a log
// scale; mean/min/max linearly. Empty pixels grey. Atomic.
void write_mollweide_png(const std::string& path, const SkymapResult& map, const std::string& title,
                         int width = 1200);

}  // namespace astrolake::engine
