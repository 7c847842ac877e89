// Positional cross-match of two HATS catalogs: for each left row, the k nearest right rows
// within a radius (or all of them), as an inner or left join. Exact: it finds the same pairs
// as a brute-force comparison of every left row with every right row, including pairs that
// straddle partition boundaries.
//
// How the work is split: the right catalog's pixel tree (its partitions, plus its margin's
// pixels when the margin is wide enough) is aligned with each left partition. Each aligned
// piece pairs the left rows inside one pixel with the right rows of that pixel and the rows
// near it: the right margin rows of the pixel when the margin's threshold >= radius, or else
// the rows of the neighbouring right partitions that lie within reach. Pieces never overlap,
// so no pair is produced twice.
//
// Inside a piece the right rows are indexed by declination zones (zone height >= radius)
// sorted by RA; each left row sweeps the window of its own and the two adjacent zones. The
// inner loop compares squared chord lengths of unit vectors; only candidates within the chord
// get the exact great-circle separation (atan2 form) that decides and is reported.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "parquet/table.h"
#include "parquet/writer.h"

namespace astrolake::engine {

class QueryContext;

struct XmatchOptions {
  double radius_arcsec = 1.0;
  int k = 1;                 // nearest neighbours kept per left row; <= 0: every one within radius
  bool left_join = false;    // keep unmatched left rows (right columns and distance null)
  std::vector<std::string> left_columns, right_columns;  // output columns; empty = all
  std::string left_suffix, right_suffix;                 // default "_<catalog name>"
  bool exclude_self = true;  // same catalog on both sides: a row never matches itself
  bool use_margin = true;    // use the right margin when its threshold >= radius
  int threads = 0;           // most threads of the shared pool used; 0: all
  int progress = -1;         // -1: bar when stderr is a terminal
  // Memory budget, deadline and cancel flag (null: none). Pairs and partition results are
  // charged as they grow, and the limits are checked every 65536 pairs.
  QueryContext* ctx = nullptr;
};

struct XmatchStats {
  int64_t left_rows = 0;
  int64_t right_rows_read = 0;  // right rows indexed, margin/neighbour rows included
  int64_t pairs = 0;            // output rows
  int64_t pieces = 0;
  bool used_margin = false;
};

// Matches of points: parallel arrays of (left index, right index, separation arcsec), sorted
// by left index, then by distance. With left_join, unmatched left rows appear once with
// right = -1 and distance NaN. NaN or out-of-range coordinates match nothing.
struct PointMatches {
  std::vector<int64_t> left, right;
  std::vector<double> dist_arcsec;
};
// `self_of_left`, when given, names for each left index the right index that is the same
// row (or -1); that pair is skipped. With `ctx`, the pairs are charged to its memory budget
// as they are found and its limits checked, so a radius that pairs everything stops with the
// budget error instead of exhausting memory.
PointMatches match_points(const std::vector<double>& left_ra, const std::vector<double>& left_dec,
                          const std::vector<double>& right_ra, const std::vector<double>& right_dec,
                          double radius_arcsec, int k, bool left_join,
                          const std::vector<int64_t>* self_of_left = nullptr, QueryContext* ctx = nullptr);

// The output schema: left columns + left suffix, right columns + right suffix, _dist_arcsec.
std::vector<parquet::Field> xmatch_schema(const catalog::Catalog& left, const catalog::Catalog& right,
                                          const XmatchOptions& opt);

// Streams the result in left partition order, in tables of at most 65536 rows, to `sink` on
// the calling thread; a partition's result is held (and charged to opt.ctx) until sunk. Partitions are matched in parallel. Throws
// std::invalid_argument for a bad radius or k, or missing columns.
XmatchStats crossmatch(const catalog::Catalog& left, const catalog::Catalog& right, const XmatchOptions& opt,
                       const std::function<void(parquet::Table&&)>& sink);

// As crossmatch(), for Parquet output written in parallel: each partition's result is encoded
// into row groups (parquet::FileWriter::encode with `write`) on the worker that matched it, and
// `sink` gets them on the calling thread, in left partition order, to append
// (parquet::FileWriter::append). The file holds the rows crossmatch() would sink.
XmatchStats crossmatch_encoded(const catalog::Catalog& left, const catalog::Catalog& right, const XmatchOptions& opt,
                               const parquet::WriteOptions& write,
                               const std::function<void(parquet::EncodedRowGroups&&)>& sink);

// One left pixel's share of crossmatch(), for a caller that holds the left rows itself (the
// Python package runs one task per left partition, after its own filters): the rows at
// (ra[i], dec[i]), all inside pixel (order, pixel), matched against `right` exactly as
// crossmatch() does (the right margin when wide enough, else neighbouring partitions).
// opt.right_columns are read (ra/dec added); `right_filter`, when set, turns each right table
// read into the rows and columns to match against and must keep ra/dec. Returns the matches
// sorted by left index then distance, with `right` holding the matched right row of each
// (null where a left join found none): m.right[t] is t, or -1.
struct PixelMatches {
  PointMatches m;
  parquet::Table right;
};
PixelMatches crossmatch_pixel(const catalog::Catalog& right, const XmatchOptions& opt, int order, int64_t pixel,
                              const std::vector<double>& ra, const std::vector<double>& dec,
                              const std::function<parquet::Table(parquet::Table&&)>& right_filter = {});

}  // namespace astrolake::engine
