// `astrolake import`: builds a HATS catalog from CSV, FITS and Parquet inputs the way
// hats-import does (adaptive partitioning by row count), optionally with a margin catalog.
//
// Streaming in three passes, so memory stays within the budget whatever the input size:
//  1. read every input, validate ra/dec, histogram rows per HEALPix pixel at highest_order;
//  2. choose partitions (coarsest pixels holding <= max_rows), read the inputs again and
//     append each row to its partition's spill file, flushing buffers at the budget;
//  3. per partition, in parallel: read the spill, sort by _healpix_29, write the leaf file.
// Everything is built in `<output>.building-<pid>` and renamed into place at the end; on any
// error or cancellation that directory is removed and an existing catalog stays untouched.
//
// With a margin threshold the output becomes a HATS *collection* (as hats-import writes
// them): output/collection.properties, output/<name>/ (the catalog) and
// output/<name>_<A>arcs/ (its margin, the collection's default_margin).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "catalog/partition.h"

namespace astrolake::catalog {

constexpr const char* kAstrolakeVersion = "0.1.0";

struct ImportOptions {
  std::vector<std::string> inputs;
  std::string output;               // catalog (or collection) directory to create
  std::string name;                 // obs_collection; default: last component of output
  std::string ra_column = "ra", dec_column = "dec";
  int64_t max_rows = 1000000;       // hats-import's pixel_threshold
  int highest_order = 10;           // histogram order (hats-import's highest_healpix_order)
  int lowest_order = 0;
  // hats-import's drop_empty_siblings: keep a lone non-empty child pixel at its own order
  // instead of merging it up into a parent whose other three children are empty.
  bool drop_empty_siblings = false;
  double margin_arcsec = 0;         // > 0: also build a margin catalog
  uint64_t memory_budget = uint64_t(2) << 30;
  int threads = 0;                  // most threads of the shared pool used; 0: all
  bool overwrite = false;
  int progress = -1;                // -1: when stderr is a terminal; 0: never; 1: always
  int64_t chunk_rows = 65536;       // rows per input chunk
};

struct ImportResult {
  std::string catalog_dir;          // the object catalog (inside the collection if any)
  std::string margin_dir;           // empty without a margin
  int64_t rows = 0;
  int64_t margin_rows = 0;
  std::vector<PixelId> partitions;  // sorted by spatial index
  std::vector<int64_t> partition_rows;
  std::vector<PixelId> margin_partitions;
};

ImportResult import_catalog(const ImportOptions& opts);

// A sparse histogram at one order: sorted (pixel, count) of the non-empty pixels.
struct PixelCount {
  int64_t pixel;
  int64_t count;
};
// hats-import's alignment: the coarsest pixels (order >= lowest_order) holding <= threshold
// rows, splitting only where needed; empty pixels dropped. With drop_empty_siblings a pixel
// is merged up only when more than one of its children holds rows. Throws if a single pixel
// at `order` holds more than threshold rows. Result sorted by spatial index.
std::vector<PixelId> plan_partitions(const std::vector<PixelCount>& histogram, int order, int64_t threshold,
                                     int lowest_order = 0, bool drop_empty_siblings = false);

// Parses "2GiB", "512MB", "100k", "1e9" (bytes; k/M/G/T as 1024 powers, with or without
// "iB"/"B"). Throws std::invalid_argument.
uint64_t parse_byte_size(const std::string& s);

}  // namespace astrolake::catalog
