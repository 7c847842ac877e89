// HATS partitions: one HEALPix pixel (order, pixel) whose rows live in one Parquet file
// (or a directory of files) at dataset/Norder=k/Dir=(p/10000)*10000/Npix=p<suffix>.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace astrolake::catalog {

struct Partition {
  int order = 0;          // -1 for non-spatial partitions (index catalogs' index/part.N files)
  int64_t pixel = 0;      // nested pixel at `order`; -1 when order is -1
  std::vector<std::string> files;  // absolute-or-as-given paths of the Parquet files
  int64_t rows = -1;      // -1 when unknown (no _metadata)
};

// Pixel id, used for both HATS sorting and divisions: the lowest order-29 index inside
// (order, pixel), i.e. pixel << 2*(29-order).
int64_t healpix_to_spatial_index(int order, int64_t pixel);
// Sorts by healpix_to_spatial_index ascending (then order); non-spatial partitions last.
void sort_partitions(std::vector<Partition>& parts);

// "Norder=1/Dir=0/Npix=44" (no suffix), relative to the dataset dir.
std::string pixel_stem(int order, int64_t pixel);
// Relative path of the pixel's data: stem + suffix. `suffix` is hats_npix_suffix:
// ".parquet" (default), ".parq", or "/" meaning Npix=p/ is a directory of Parquet files
// (then the returned path is the directory, without the trailing slash).
std::string pixel_relative_path(int order, int64_t pixel, const std::string& suffix = ".parquet");
// dataset_dir + "/" + pixel_relative_path(...).
std::string pixel_path(const std::string& dataset_dir, int order, int64_t pixel,
                       const std::string& suffix = ".parquet");
// Parses a path containing ".../Norder=k/Dir=d/Npix=p..." (any suffix, or a file inside an
// Npix=p directory). Returns false when the path does not follow the layout.
bool parse_pixel_path(const std::string& path, int& order, int64_t& pixel);

struct PixelId {
  int order = 0;
  int64_t pixel = 0;
  bool operator==(const PixelId&) const = default;
};
// Reads partition_info.csv: a header naming Norder and Npix columns (any order, extra
// columns such as Dir ignored), then one row per partition; rows kept in file order.
// Throws std::runtime_error naming the file and line for malformed content.
std::vector<PixelId> read_partition_info(const std::string& path);
// Writes "Norder,Npix" rows in the given order, atomically.
void write_partition_info(const std::string& path, const std::vector<PixelId>& pixels);

}  // namespace astrolake::catalog
