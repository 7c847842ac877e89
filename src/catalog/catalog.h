// A HATS catalog opened for reading: its properties, partitions (sorted by spatial index),
// schema, an optional attached margin, and reading a partition's rows. Opening reads only
// properties, partition_info.csv and the _common_metadata footer when they exist. The
// _metadata footer (about 1 kB per row group: hundreds of MB for a 10^10-row catalog, read
// by every process that opens it) is then read only by what needs every partition's row
// count (counted_partitions, rows() without hats_nrows), and its checks (row counts,
// _common_metadata against _metadata) fail that use and every later one with the same
// errors. Reading a partition opens only its leaf files, each checked against the schema.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/partition.h"
#include "catalog/properties.h"
#include "parquet/table.h"

namespace astrolake::parquet {
class FileReader;
}

namespace astrolake::catalog {

class ReaderCache;  // catalog.cc: opened leaf readers, shared by copies of a Catalog
struct Footer;       // catalog.cc: the _metadata footer read on first need, shared by copies

enum class CatalogType { Object, Source, Margin, Map, Association, Index, Unknown };
const char* type_name(CatalogType t);  // "object", "source", ... as in dataproduct_type

struct OpenOptions {
  // Attach a margin: for a collection dir, the default_margin unless `margin` names another
  // (a name from all_margins, or a path). For a plain catalog dir, `margin` (a path) if given.
  bool with_margin = true;
  std::string margin;
};

// Resolves a catalog name inside `root` for a deployment that must not let names leave it:
// `name` must be relative with no ".." component, and the directory it names, symlinks
// followed, must lie inside the root (itself resolved). Returns the resolved path, or "" when
// nothing exists there; throws std::invalid_argument saying why a name is refused (without
// saying whether anything exists outside the root).
std::string confined_catalog_path(const std::string& root, const std::string& name);

class Catalog {
 public:
  // `dir` may be a HATS catalog (hats.properties, else properties), a collection
  // (collection.properties), or a legacy hipscat catalog (catalog_info.json). Throws
  // std::runtime_error naming the path and the problem.
  static Catalog open(const std::string& dir, const OpenOptions& opts = {});

  const std::string& dir() const { return dir_; }
  const std::string& dataset_dir() const { return dataset_dir_; }  // dir/dataset, or dir (legacy)
  const std::string& name() const { return name_; }
  CatalogType type() const { return type_; }
  bool legacy() const { return legacy_; }
  // hats_nrows, else the _metadata count (read then if deferred), else -1.
  int64_t rows() const;
  const std::string& ra_column() const { return ra_col_; }
  const std::string& dec_column() const { return dec_col_; }
  // Spatial index column (hats_col_healpix, default _healpix_29) and its order; empty for
  // catalogs without one (maps, indexes, legacy hipscat whose _hipscat_index is not HEALPix).
  const std::string& healpix_column() const { return healpix_col_; }
  int healpix_order() const { return healpix_order_; }
  // hats_cols_default; empty means "all columns".
  const std::vector<std::string>& default_columns() const { return default_cols_; }
  // hats_margin_threshold in arcsec (margin catalogs), else 0.
  double margin_threshold_arcsec() const { return margin_threshold_; }

  // The partitions and their files, without reading _metadata: a partition's rows are -1
  // unless opening had to read _metadata (no partition_info.csv or _common_metadata).
  const std::vector<Partition>& partitions() const { return parts_; }
  // The same with row counts from _metadata (-1 where it has none): the first call reads and
  // checks the footer if opening deferred it (throws std::runtime_error as open() would have).
  const std::vector<Partition>& counted_partitions() const;
  // (order, pixel) of each partition, in partitions() order.
  std::vector<PixelId> pixels() const;
  // Index into partitions() of (order, pixel), or -1.
  int find_partition(int order, int64_t pixel) const;
  const std::vector<parquet::Field>& schema() const { return schema_; }
  const Properties& properties() const { return props_; }
  // hats_npix_suffix (".parquet", ".parq", or "/" for a directory of files per pixel).
  const std::string& npix_suffix() const { return npix_suffix_; }
  // When opened through a collection: its directory and collection.properties (which name
  // the margins and indexes); empty otherwise.
  const std::string& collection_dir() const { return collection_dir_; }
  const Properties& collection_properties() const { return collection_props_; }
  // The attached margin catalog, or nullptr.
  const Catalog* margin() const { return margin_.get(); }

  // Sum of the sizes of all files under dir().
  uint64_t bytes_on_disk() const;
  // Fraction of the sphere covered by the (spatial) partitions, and the same in deg^2.
  double sky_fraction() const;
  double sky_area_deg2() const;

  // Reads every file of partition i (concatenated, file order); `columns` empty = all.
  // Throws naming the partition and file if a file is missing or malformed.
  parquet::Table read_partition(size_t i, const std::vector<std::string>& columns = {}) const;

  // The opened reader (parsed footer) of a leaf file, cached per catalog so that repeated
  // searches in one process (a benchmark loop, a service) do not re-open and re-parse
  // footers. Thread-safe; copies of a Catalog share the cache. Throws like FileReader::open.
  // Checks it like check_leaf.
  std::shared_ptr<const parquet::FileReader> file_reader(const std::string& path) const;
  // The same, for a caller about to read `columns`: on an object store the first open of the
  // file then fetches those column chunks with its footer in one request when a _metadata
  // footer already read says where they lie (else the object's last 64 KiB, which hold the
  // whole of a small leaf, then the chunks).
  std::shared_ptr<const parquet::FileReader> file_reader(const std::string& path,
                                                         const std::vector<std::string>& columns) const;
  // Throws naming the file when a leaf file's columns are not the catalog's: a column
  // missing, extra, or of another type (a leaf may lack the hive columns Norder, Dir, Npix).
  // Every reader of leaf files calls it once it has the footer.
  void check_leaf(const std::string& path, const parquet::FileReader& r) const;

 private:
  friend struct Opener;
  std::string dir_, dataset_dir_, name_;
  CatalogType type_ = CatalogType::Unknown;
  bool legacy_ = false;
  int64_t rows_ = 0;
  std::string ra_col_, dec_col_, healpix_col_, npix_suffix_ = ".parquet";
  int healpix_order_ = 29;
  std::vector<std::string> default_cols_;
  double margin_threshold_ = 0;
  std::vector<Partition> parts_;
  std::vector<parquet::Field> schema_;
  Properties props_;
  std::string collection_dir_;
  Properties collection_props_;
  std::shared_ptr<const Catalog> margin_;
  std::shared_ptr<ReaderCache> readers_;  // set by open(); null means no caching
  std::shared_ptr<Footer> footer_;        // set when opening deferred the _metadata footer
  void load_footer() const;               // once; rethrows the first failure
  std::optional<uint64_t> read_from(const std::string& path, const std::vector<std::string>& columns) const;
};

}  // namespace astrolake::catalog
