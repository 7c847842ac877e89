#include "catalog/catalog.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "parquet/reader.h"
#include "storage/block_cache.h"
#include "storage/file_system.h"

namespace astrolake::catalog {

namespace fs = std::filesystem;

const char* type_name(CatalogType t) {
  switch (t) {
    case CatalogType::Object: return "object";
    case CatalogType::Source: return "source";
    case CatalogType::Margin: return "margin";
    case CatalogType::Map: return "map";
    case CatalogType::Association: return "association";
    case CatalogType::Index: return "index";
    case CatalogType::Unknown: break;
  }
  return "unknown";
}

namespace {

CatalogType parse_type(const std::string& s) {
  if (s == "object" || s == "catalog") return CatalogType::Object;
  if (s == "source") return CatalogType::Source;
  if (s == "margin") return CatalogType::Margin;
  if (s == "map") return CatalogType::Map;
  if (s == "association") return CatalogType::Association;
  if (s == "index") return CatalogType::Index;
  return CatalogType::Unknown;
}

// Every test of a path goes through the storage layer, so catalogs open alike from local
// disk, s3:// and http(s):// (one HEAD request per test on an object store).
bool is_file(const std::string& p) { return storage::exists(p); }

// Object stores have no directories: a URL counts as one, and a missing catalog is reported
// when none of its properties files is found.
bool is_dir(const std::string& p) {
  if (storage::is_url(p)) return true;
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// Calls fn(path, size) for every file under dir, recursively, in name order.
void walk_files(const std::string& dir, const std::function<void(const std::string&, uint64_t)>& fn) {
  auto sfs = storage::file_system_for(dir);
  for (const storage::FileInfo& e : sfs->list(dir)) {
    std::string path = storage::join_path(dir, e.name);
    if (e.is_dir) walk_files(path, fn);
    else fn(path, e.size);
  }
}

// Data files in an Npix=p/ directory (hats_npix_suffix "/"): every visible regular file,
// sorted so reads are deterministic. Names starting with '.' or '_' are writer droppings
// (e.g. _SUCCESS, .crc) as in Arrow's dataset discovery.
std::vector<std::string> files_in_pixel_dir(const std::string& d) {
  std::vector<std::string> out;
  for (const storage::FileInfo& e : storage::file_system_for(d)->list(d)) {
    if (e.name.empty() || e.name[0] == '.' || e.name[0] == '_' || e.is_dir) continue;
    out.push_back(storage::join_path(d, e.name));
  }
  return out;
}

// The data files in directory `d` (under dataset dir `ds`) that _metadata lists (paths
// relative to ds), by the rule of files_in_pixel_dir.
std::vector<std::string> files_under(const std::string& ds, const std::string& d, const std::vector<std::string>& rels) {
  std::string prefix = d.back() == '/' ? d : d + "/";
  std::vector<std::string> out;
  for (const std::string& rel : rels) {
    std::string full = storage::join_path(ds, rel);
    if (full.rfind(prefix, 0) != 0) continue;
    std::string name = full.substr(prefix.size());
    if (name.empty() || name[0] == '.' || name[0] == '_' || name.find('/') != std::string::npos) continue;
    out.push_back(full);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A _metadata file_path relative to the dataset dir ("Norder=1/Dir=0/Npix=44.parquet";
// legacy hipscat writes a leading '/').
std::string normalise_relative(std::string p) {
  while (!p.empty() && p[0] == '/') p.erase(0, 1);
  while (p.rfind("./", 0) == 0) p.erase(0, 2);
  return p;
}

bool same_field(const parquet::Field& a, const parquet::Field& b) {
  return a.name == b.name && a.type == b.type && a.list == b.list;
}

std::string describe(const parquet::Field& f) {
  return std::string(f.list ? "LIST<" : "") + parquet::type_name(f.type) + (f.list ? ">" : "");
}

// Hive partition columns: in a dataset-level schema, not necessarily in each leaf file.
bool is_hive_column(const std::string& name) { return name == "Norder" || name == "Dir" || name == "Npix"; }

// "" when `b` has the columns of `a` (by name, same types; order free, hive columns of `a`
// may be missing from `b`); else the first difference, naming the column.
std::string schema_difference(const std::vector<parquet::Field>& a, const std::vector<parquet::Field>& b,
                              const char* a_name = "the first", const char* b_name = "the second") {
  std::map<std::string, const parquet::Field*> in_b;
  for (const auto& f : b) in_b[f.name] = &f;
  for (const auto& f : a) {
    auto it = in_b.find(f.name);
    if (it == in_b.end()) {
      if (is_hive_column(f.name)) continue;
      return "column '" + f.name + "' is missing from " + b_name;
    }
    if (!same_field(f, *it->second))
      return "column '" + f.name + "' is " + describe(f) + " in " + a_name + " but " + describe(*it->second) + " in " +
             b_name;
    in_b.erase(it);
  }
  if (!in_b.empty()) return "column '" + in_b.begin()->first + "' is missing from " + a_name;
  return "";
}

// Appends src's rows to dst (same field). Validity vectors are materialised on the first
// null so that "empty means no nulls" stays true for both sides.
void append_column(parquet::Column& dst, const parquet::Column& src) {
  using parquet::Type;
  const size_t dst_values = dst.values();
  const size_t src_values = src.values();
  const size_t dst_rows = dst.rows();
  if (dst.field.type == Type::String || dst.field.type == Type::Binary) {
    if (dst.offsets.empty()) dst.offsets.push_back(0);
    int64_t base = dst.offsets.back();
    int64_t src0 = src.offsets.empty() ? 0 : src.offsets[0];
    for (size_t i = 1; i < src.offsets.size(); i++) dst.offsets.push_back(base + src.offsets[i] - src0);
    if (!src.offsets.empty())
      dst.data.append(src.data.data() + src0, size_t(src.offsets.back() - src0));
  } else {
    dst.data.append(src.data.data(), src_values * parquet::type_width(dst.field.type));
  }
  if (!src.valid.empty() || !dst.valid.empty()) {
    if (dst.valid.empty()) dst.valid.assign(dst_values, 1);
    if (src.valid.empty()) dst.valid.insert(dst.valid.end(), src_values, 1);
    else dst.valid.insert(dst.valid.end(), src.valid.begin(), src.valid.end());
  }
  if (dst.field.list) {
    if (dst.list_offsets.empty()) dst.list_offsets.push_back(0);
    int64_t base = dst.list_offsets.back();
    int64_t src0 = src.list_offsets.empty() ? 0 : src.list_offsets[0];
    for (size_t i = 1; i < src.list_offsets.size(); i++)
      dst.list_offsets.push_back(base + src.list_offsets[i] - src0);
    if (!src.list_valid.empty() || !dst.list_valid.empty()) {
      if (dst.list_valid.empty()) dst.list_valid.assign(dst_rows, 1);
      if (src.list_valid.empty()) dst.list_valid.insert(dst.list_valid.end(), src.rows(), 1);
      else dst.list_valid.insert(dst.list_valid.end(), src.list_valid.begin(), src.list_valid.end());
    }
  }
}

}  // namespace

// The _metadata footer of a catalog whose opening deferred it: read once, on first need.
struct Footer {
  std::once_flag once;
  std::string error;             // the failure of that read, repeated to every later caller
  std::vector<Partition> parts;  // the catalog's partitions with their row counts
  int64_t total = -1;            // rows _metadata counts
  // Where each leaf file's column chunks lie, per row group and schema field (from _metadata,
  // keyed by the path relative to the dataset dir), so a leaf's first read on an object store
  // can fetch the chunks a query needs together with the footer.
  std::vector<std::string> fields;
  std::unordered_map<std::string, std::vector<std::vector<std::pair<uint64_t, uint64_t>>>> chunks;
  // Set once the read above succeeded: leaf opens use `chunks` only then, and never read
  // _metadata for them.
  std::atomic<bool> loaded{false};
};

// Builds a Catalog step by step; a friend so the Catalog's fields stay private.
struct Opener {
  const OpenOptions& opts;
  std::string listed_in = "the dataset directory";  // where the partition list came from

  // `collection_allowed` is false for a collection's primary catalog (collections do not
  // nest), which saves an object store a request.
  Catalog open(const std::string& dir, bool collection_allowed = true) {
    if (!is_dir(dir)) throw std::runtime_error("no catalog at " + dir + ": not a directory");
    if (collection_allowed && is_file(dir + "/collection.properties")) return open_collection(dir);
    if (is_file(dir + "/hats.properties")) return open_hats(dir, Properties::read(dir + "/hats.properties"));
    if (is_file(dir + "/properties")) return open_hats(dir, Properties::read(dir + "/properties"));
    if (is_file(dir + "/catalog_info.json")) return open_legacy(dir);
    throw std::runtime_error("no catalog at " + dir +
                             ": found none of hats.properties, properties, collection.properties, catalog_info.json");
  }

  Catalog open_collection(const std::string& dir) {
    Properties cp = Properties::read(dir + "/collection.properties");
    std::string primary = cp.get("hats_primary_table_url");
    if (primary.empty())
      throw std::runtime_error(dir + "/collection.properties: missing hats_primary_table_url");
    std::string primary_dir = dir + "/" + primary;
    if (!is_dir(primary_dir))
      throw std::runtime_error(dir + "/collection.properties: primary catalog '" + primary + "' not found at " +
                               primary_dir);
    Catalog c = Opener{OpenOptions{false, ""}}.open(primary_dir, false);
    c.collection_dir_ = dir;
    c.collection_props_ = cp;
    if (!opts.with_margin) return c;
    std::string name = opts.margin.empty() ? cp.get("default_margin") : opts.margin;
    if (name.empty()) return c;
    std::vector<std::string> all = split_words(cp.get("all_margins"));
    std::string path;
    bool inside = false;  // a margin of this collection is no collection itself: not probed for one
    if (std::find(all.begin(), all.end(), name) != all.end() || is_dir(dir + "/" + name)) {
      path = dir + "/" + name;
      inside = true;
    } else if (is_dir(name)) {
      path = name;
    } else {
      throw std::runtime_error("collection " + dir + " has no margin '" + name + "' (all_margins: " +
                               cp.get("all_margins") + ")");
    }
    attach_margin(c, path, !inside);
    return c;
  }

  void attach_margin(Catalog& c, const std::string& margin_dir, bool collection_allowed = true) {
    Catalog m = Opener{OpenOptions{false, ""}}.open(margin_dir, collection_allowed);
    if (m.type() != CatalogType::Margin)
      throw std::runtime_error("cannot attach " + margin_dir + " as the margin of " + c.dir() +
                               ": it is a " + type_name(m.type()) + " catalog, not a margin");
    // LSDB's rule: margin rows are appended to partitions, so the columns must line up.
    const auto& a = c.schema();
    const auto& b = m.schema();
    std::string diff;
    for (size_t i = 0; i < std::max(a.size(), b.size()) && diff.empty(); i++) {
      if (i >= a.size()) diff = "margin has extra column '" + b[i].name + "'";
      else if (i >= b.size()) diff = "margin lacks column '" + a[i].name + "'";
      else if (!same_field(a[i], b[i]))
        diff = "column " + std::to_string(i) + " is '" + a[i].name + "' " + parquet::type_name(a[i].type) +
               " in the catalog but '" + b[i].name + "' " + parquet::type_name(b[i].type) + " in the margin";
    }
    if (!diff.empty())
      throw std::runtime_error("margin " + margin_dir + " and catalog " + c.dir() + " must have the same schema: " +
                               diff);
    c.margin_ = std::make_shared<const Catalog>(std::move(m));
  }

  Catalog open_hats(const std::string& dir, Properties props) {
    Catalog c;
    c.dir_ = dir;
    c.dataset_dir_ = dir + "/dataset";
    c.props_ = std::move(props);
    const Properties& p = c.props_;
    c.name_ = p.get("obs_collection", fs::path(dir).filename().string());
    c.type_ = parse_type(p.get("dataproduct_type"));
    c.ra_col_ = p.get("hats_col_ra");
    c.dec_col_ = p.get("hats_col_dec");
    c.healpix_col_ = p.get("hats_col_healpix", "_healpix_29");
    c.healpix_order_ = int(p.get_int("hats_col_healpix_order", 29));
    if (c.healpix_order_ < 0 || c.healpix_order_ > 29)
      throw std::runtime_error(p.origin() + ": hats_col_healpix_order " + std::to_string(c.healpix_order_) +
                               " is outside 0..29");
    c.default_cols_ = split_words(p.get("hats_cols_default"));
    c.margin_threshold_ = p.get_double("hats_margin_threshold", 0);
    c.npix_suffix_ = p.get("hats_npix_suffix", ".parquet");
    if (c.npix_suffix_.empty()) c.npix_suffix_ = ".parquet";
    load_dataset(c);
    c.rows_ = p.get_int("hats_nrows", c.rows_);
    check_rows(c);
    // Only keep the index column name if the data has it (maps and indexes have none).
    if (!has_column(c, c.healpix_col_)) c.healpix_col_.clear();
    if (opts.with_margin && !opts.margin.empty()) attach_margin(c, opts.margin);
    return c;
  }

  Catalog open_legacy(const std::string& dir) {
    std::string info_path = dir + "/catalog_info.json";
    nlohmann::json j;
    std::string text = storage::file_system_for(info_path)->read_file(info_path);  // IoError names the path
    try {
      j = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
      throw std::runtime_error(info_path + ": not valid JSON: " + e.what());
    }
    if (!j.is_object()) throw std::runtime_error(info_path + ": expected a JSON object");
    // Present the hipscat keys under their HATS names so properties() reads the same.
    Properties p;
    auto str = [&](const char* k) -> std::string {
      if (!j.contains(k)) return "";
      const auto& v = j[k];
      if (v.is_string()) return v.get<std::string>();
      return v.dump();
    };
    p.set("obs_collection", str("catalog_name"));
    p.set("dataproduct_type", str("catalog_type"));
    if (j.contains("total_rows")) p.set("hats_nrows", str("total_rows"));
    if (j.contains("ra_column")) p.set("hats_col_ra", str("ra_column"));
    if (j.contains("dec_column")) p.set("hats_col_dec", str("dec_column"));
    if (j.contains("primary_catalog")) p.set("hats_primary_table_url", str("primary_catalog"));
    if (j.contains("margin_threshold")) p.set("hats_margin_threshold", str("margin_threshold"));
    Properties src = Properties::parse(p.serialize(), info_path);
    Catalog c;
    c.legacy_ = true;
    c.dir_ = dir;
    c.dataset_dir_ = dir;  // hipscat has no dataset/ level
    c.props_ = src;
    c.name_ = src.get("obs_collection", fs::path(dir).filename().string());
    c.type_ = parse_type(src.get("dataproduct_type"));
    c.ra_col_ = src.get("hats_col_ra");
    c.dec_col_ = src.get("hats_col_dec");
    // _hipscat_index is not a HEALPix pixel, so there is no spatial index column to use.
    c.healpix_col_.clear();
    c.margin_threshold_ = src.get_double("hats_margin_threshold", 0);
    load_dataset(c);
    c.rows_ = src.get_int("hats_nrows", c.rows_);
    check_rows(c);
    if (opts.with_margin && !opts.margin.empty()) attach_margin(c, opts.margin);
    return c;
  }

  static bool has_column(const Catalog& c, const std::string& name) {
    for (const auto& f : c.schema_)
      if (f.name == name) return true;
    return false;
  }

  // Partitions, per-file row counts and the schema from the files under the dataset dir.
  // The _metadata footer is only read here when it is needed to list the partitions or for
  // the schema; otherwise Catalog::load_footer reads and checks it on first need.
  void load_dataset(Catalog& c) {
    const std::string& ds = c.dataset_dir_;
    const std::string meta_path = ds + "/_metadata";
    const std::string common_path = ds + "/_common_metadata";
    const std::string info_path = c.dir_ + "/partition_info.csv";
    // Npix=p/ directories in an object store: _metadata names their files (HTTP cannot list,
    // and one listing per partition would make opening cost O(partitions) requests).
    const bool files_from_meta = c.npix_suffix_ == "/" && !c.legacy_ && storage::is_url(ds);
    // Opening then reads properties, partition_info.csv and _common_metadata only: not even
    // a probe of _metadata, which every process that opens the catalog would repeat.
    const bool defer = !files_from_meta && is_file(info_path) && is_file(common_path);
    std::unique_ptr<parquet::FileReader> meta;
    if (!defer && is_file(meta_path)) meta = open_metadata(c);
    // Rows per file, keyed by path relative to the dataset dir, in _metadata order.
    std::vector<std::string> meta_files;
    std::map<std::string, int64_t> meta_rows;
    if (meta) meta_files = files_of(*meta, meta_rows);

    if (is_file(info_path)) {
      listed_in = "partition_info.csv";
      for (const PixelId& px : read_partition_info(info_path)) {
        Partition part;
        part.order = px.order;
        part.pixel = px.pixel;
        if (c.legacy_) {
          part.files.push_back(pixel_path(ds, px.order, px.pixel, ".parquet"));
        } else if (c.npix_suffix_ == "/") {
          std::string d = pixel_path(ds, px.order, px.pixel, "/");
          part.files = files_from_meta && meta ? files_under(ds, d, meta_files) : files_in_pixel_dir(d);
          if (part.files.empty()) part.files.push_back(d);  // read_partition reports it missing
        } else {
          part.files.push_back(pixel_path(ds, px.order, px.pixel, c.npix_suffix_));
        }
        c.parts_.push_back(std::move(part));
      }
    } else if (meta) {
      listed_in = "dataset/_metadata";
      // Group _metadata's files by pixel; files that are not pixels (index/part.0.parquet)
      // become one non-spatial partition each.
      std::map<std::pair<int, int64_t>, size_t> by_pixel;
      for (const std::string& rel : meta_files) {
        int order = 0;
        int64_t pixel = 0;
        std::string full = ds + "/" + rel;
        if (parse_pixel_path(rel, order, pixel)) {
          auto it = by_pixel.find({order, pixel});
          if (it != by_pixel.end()) {
            c.parts_[it->second].files.push_back(full);
            continue;
          }
          by_pixel[{order, pixel}] = c.parts_.size();
          c.parts_.push_back(Partition{order, pixel, {full}, -1});
        } else {
          c.parts_.push_back(Partition{-1, -1, {full}, -1});
        }
      }
    } else if (is_dir(ds)) {
      scan_dataset(c);
    }

    c.rows_ = meta ? count_rows(ds, meta_rows, c.parts_) : -1;
    sort_partitions(c.parts_);
    check_no_overlap(c);
    if (defer) c.footer_ = std::make_shared<Footer>();

    // Schema: _common_metadata, else _metadata, else the first leaf file.
    std::string schema_error;
    bool from_common = false;
    try {
      if (is_file(common_path)) {
        c.schema_ = parquet::FileReader::open(common_path)->schema();
        from_common = true;
      } else if (meta) {
        c.schema_ = meta->schema();
        return;
      } else {
        for (const Partition& part : c.parts_) {
          for (const std::string& f : part.files) {
            if (is_file(f)) {
              c.schema_ = parquet::FileReader::open(f)->schema();
              return;
            }
          }
        }
      }
    } catch (const std::exception& e) {
      schema_error = std::string(": ") + e.what();
    }
    if (from_common) return check_common_metadata(c, meta.get());
    throw std::runtime_error(c.dir_ + ": catalog schema could not be loaded" +
                             (schema_error.empty() ? std::string(" (no dataset/_common_metadata, dataset/_metadata "
                                                                 "or leaf Parquet file)")
                                                   : schema_error));
  }

  static std::unique_ptr<parquet::FileReader> open_metadata(const Catalog& c) {
    try {
      return parquet::FileReader::open(c.dataset_dir_ + "/_metadata");
    } catch (const std::exception& e) {
      throw std::runtime_error(c.dir_ + ": cannot read dataset/_metadata: " + e.what());
    }
  }

  // The files _metadata lists (relative to the dataset dir, in its order) and their rows.
  static std::vector<std::string> files_of(const parquet::FileReader& meta, std::map<std::string, int64_t>& rows) {
    std::vector<std::string> files;
    for (int i = 0; i < meta.row_groups(); i++) {
      const auto& rg = meta.row_group(i);
      std::string rel = normalise_relative(rg.file_path);
      if (!rows.count(rel)) files.push_back(rel);
      rows[rel] += rg.rows;
    }
    return files;
  }

  // Sets each partition's rows when _metadata covers every file of it; returns the total.
  static int64_t count_rows(const std::string& ds, const std::map<std::string, int64_t>& meta_rows,
                            std::vector<Partition>& parts) {
    for (Partition& part : parts) {
      int64_t rows = 0;
      bool known = true;
      for (const std::string& f : part.files) {
        std::string rel = f.size() > ds.size() ? f.substr(ds.size() + 1) : f;
        auto it = meta_rows.find(rel);
        if (it == meta_rows.end()) { known = false; break; }
        rows += it->second;
      }
      if (known) part.rows = rows;
    }
    int64_t total = 0;
    for (const auto& [rel, n] : meta_rows) total += n;
    return total;
  }

  // What opening deferred: the row counts of `c`'s partitions from _metadata, and the checks
  // that need them (hats_nrows, _common_metadata against _metadata).
  static void read_footer(const Catalog& c, Footer& f) {
    f.parts = c.parts_;
    if (!is_file(c.dataset_dir_ + "/_metadata")) return;  // row counts stay unknown, as at opening
    std::unique_ptr<parquet::FileReader> meta = open_metadata(c);
    std::map<std::string, int64_t> meta_rows;
    files_of(*meta, meta_rows);
    for (const auto& fl : meta->schema()) f.fields.push_back(fl.name);
    for (int i = 0; i < meta->row_groups(); i++) {
      const auto& rg = meta->row_group(i);
      f.chunks[normalise_relative(rg.file_path)].push_back(rg.ranges);
    }
    f.total = count_rows(c.dataset_dir_, meta_rows, f.parts);
    check_counted(c, f.parts, c.rows_ >= 0 ? c.rows_ : f.total);
    check_common_metadata(c, meta.get());
  }

  // No partition_info.csv and no _metadata: find Npix=... entries (or plain .parquet files)
  // under the dataset dir.
  void scan_dataset(Catalog& c) {
    const std::string& ds = c.dataset_dir_;
    std::map<std::pair<int, int64_t>, size_t> by_pixel;
    std::vector<std::string> found;
    try {
      walk_files(ds, [&](const std::string& path, uint64_t) {
        std::string n = storage::base_name(path);
        if (!n.empty() && n[0] != '.' && n[0] != '_') found.push_back(path);
      });
    } catch (const storage::IoError& e) {
      throw std::runtime_error(ds + ": cannot scan dataset directory: " + e.what());
    }
    std::sort(found.begin(), found.end());
    for (const std::string& full : found) {
      std::string rel = full.substr(ds.size() + 1);
      int order = 0;
      int64_t pixel = 0;
      if (parse_pixel_path(rel, order, pixel)) {
        auto it = by_pixel.find({order, pixel});
        if (it != by_pixel.end()) {
          c.parts_[it->second].files.push_back(full);
          continue;
        }
        by_pixel[{order, pixel}] = c.parts_.size();
        c.parts_.push_back(Partition{order, pixel, {full}, -1});
      } else if (rel.size() > 8 && (rel.ends_with(".parquet") || rel.ends_with(".parq"))) {
        c.parts_.push_back(Partition{-1, -1, {full}, -1});
      }
    }
  }

  // A _common_metadata left from an earlier write of the catalog would give the wrong
  // columns or types (checked when _metadata is read, at opening or on first need).
  static void check_common_metadata(const Catalog& c, const parquet::FileReader* meta) {
    if (!meta) return;
    std::string diff = schema_difference(c.schema_, meta->schema(), "_common_metadata", "_metadata");
    if (!diff.empty())
      throw std::runtime_error(c.dir_ + ": dataset/_common_metadata does not match dataset/_metadata: " + diff +
                               " (one of them is stale; rewrite both from the leaf files)");
  }

  // Sorted spatial partitions must be disjoint: a pixel listed twice, or one inside another,
  // would count and return its rows twice.
  void check_no_overlap(const Catalog& c) const {
    const Partition* prev = nullptr;
    int64_t prev_end = 0;
    for (const Partition& p : c.parts_) {
      if (p.order < 0) break;  // non-spatial partitions come last
      int64_t start = healpix_to_spatial_index(p.order, p.pixel);
      if (prev && start < prev_end) {
        std::string a = pixel_stem(prev->order, prev->pixel), b = pixel_stem(p.order, p.pixel);
        throw std::runtime_error(c.dir_ + ": " + listed_in + " lists " +
                                 (a == b ? "partition " + a + " twice"
                                         : "overlapping partitions " + a + " and " + b) +
                                 "; each area of the sky must belong to one partition");
      }
      prev = &p;
      prev_end = start + (int64_t(1) << (2 * (29 - p.order)));
    }
  }

  // hats_nrows must agree with the row count _metadata gives, when both exist.
  void check_rows(Catalog& c) const {
    if (c.parts_.empty() && c.rows_ > 0)
      throw std::runtime_error(c.dir_ + ": properties say " + std::to_string(c.rows_) + " rows but " + listed_in +
                               " lists no partitions");
    check_counted(c, c.parts_, c.rows_);
  }

  static void check_counted(const Catalog& c, const std::vector<Partition>& parts, int64_t rows) {
    int64_t counted = 0;
    bool all_known = !parts.empty();
    for (const Partition& p : parts) {
      if (p.rows < 0) { all_known = false; break; }
      counted += p.rows;
    }
    if (all_known && counted != rows)
      throw std::runtime_error(c.dir_ + ": properties say " + std::to_string(rows) +
                               " rows but dataset/_metadata counts " + std::to_string(counted) +
                               " in the listed partitions");
  }
};

// Readers of leaf files keyed by path. Bounded so that a long-lived process touching a
// huge catalog keeps a fixed number of files mapped; when full it simply starts over
// (searches reuse a few hot files, so a smarter policy buys little).
class ReaderCache {
 public:
  // `from`: FileSystem::open_from's hint for the first open, if any.
  std::shared_ptr<const parquet::FileReader> get(const std::string& path, std::optional<uint64_t> from = {}) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = map_.find(path);
      if (it != map_.end()) return it->second;
    }
    // Open outside the lock: footers of different files parse in parallel. Two threads
    // racing on one path both open it; the first insert wins, which is harmless.
    auto sfs = storage::file_system_for(path);
    std::shared_ptr<const parquet::FileReader> r(
        parquet::FileReader::open(from ? sfs->open_from(path, *from) : sfs->open(path)));
    std::lock_guard<std::mutex> lock(mu_);
    if (map_.size() >= kMaxReaders) map_.clear();
    return map_.emplace(path, std::move(r)).first->second;
  }

 private:
  static constexpr size_t kMaxReaders = 512;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const parquet::FileReader>> map_;
};

std::string confined_catalog_path(const std::string& root, const std::string& name) {
  fs::path n(name);
  if (name.empty() || n.is_absolute())
    throw std::invalid_argument("catalog '" + name + "': only names relative to the catalog root are allowed");
  for (const fs::path& part : n)
    if (part == "..") throw std::invalid_argument("catalog '" + name + "': '..' is not allowed in catalog names");
  std::error_code ec;
  fs::path r = fs::canonical(root, ec);
  if (ec) throw std::invalid_argument("catalog root " + root + ": " + ec.message());
  fs::path p = fs::canonical(r / n, ec);
  if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return "";
  if (ec) throw std::invalid_argument("catalog '" + name + "': " + ec.message());
  // Component-wise prefix test: /data/cat is not inside /data/ca.
  auto [ri, pi] = std::mismatch(r.begin(), r.end(), p.begin(), p.end());
  if (ri != r.end()) throw std::invalid_argument("catalog '" + name + "': resolves outside the catalog root");
  return p.string();
}

Catalog Catalog::open(const std::string& dir, const OpenOptions& opts) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  Catalog c = Opener{opts}.open(d);
  c.readers_ = std::make_shared<ReaderCache>();
  return c;
}

void Catalog::load_footer() const {
  std::call_once(footer_->once, [this] {
    try {
      Opener::read_footer(*this, *footer_);
      footer_->loaded = true;
    } catch (const std::exception& e) {
      footer_->error = e.what();
    }
  });
  if (!footer_->error.empty()) throw std::runtime_error(footer_->error);
}

int64_t Catalog::rows() const {
  if (footer_ && rows_ < 0) {
    load_footer();
    return footer_->total;
  }
  return rows_;
}

const std::vector<Partition>& Catalog::counted_partitions() const {
  if (!footer_) return parts_;
  load_footer();
  return footer_->parts;
}

std::vector<PixelId> Catalog::pixels() const {
  std::vector<PixelId> out;
  out.reserve(parts_.size());
  for (const Partition& p : parts_) out.push_back({p.order, p.pixel});
  return out;
}

std::shared_ptr<const parquet::FileReader> Catalog::file_reader(const std::string& path) const {
  return file_reader(path, {});
}

std::shared_ptr<const parquet::FileReader> Catalog::file_reader(const std::string& path,
                                                                const std::vector<std::string>& columns) const {
  std::shared_ptr<const parquet::FileReader> r =
      readers_ ? readers_->get(path, read_from(path, columns))
               : std::shared_ptr<const parquet::FileReader>(parquet::FileReader::open(path));
  check_leaf(path, *r);
  return r;
}

// Where a read of `columns` of an object-store leaf should start so that one request gets
// those chunks and the footer: the first chunk needed (or the file's start, when that is
// within 64 KiB), when what lies between (other columns) stays under half of what is needed
// plus 64 KiB and the whole is small; else nothing (the object's last 64 KiB are read first,
// which holds the whole of a small leaf, then the chunks). Known only from a _metadata footer
// some other use has already read: a leaf open never reads _metadata for it.
std::optional<uint64_t> Catalog::read_from(const std::string& path, const std::vector<std::string>& columns) const {
  if (!footer_ || !footer_->loaded || columns.empty() || !storage::is_url(path) || path.size() <= dataset_dir_.size()) return {};
  auto it = footer_->chunks.find(normalise_relative(path.substr(dataset_dir_.size())));
  if (it == footer_->chunks.end()) return {};
  uint64_t lo = UINT64_MAX, end = 0, needed = 0;
  for (const auto& rg : it->second)
    for (size_t k = 0; k < rg.size() && k < footer_->fields.size(); k++) {
      auto [off, len] = rg[k];
      end = std::max(end, off + len);
      if (std::find(columns.begin(), columns.end(), footer_->fields[k]) == columns.end()) continue;
      lo = std::min(lo, off);
      needed += len;
    }
  if (needed == 0 || lo >= end) return {};
  if (lo <= 64 * 1024) lo = 0;  // the leading magic too: a few bytes more beat a round trip
  // At most 2 MiB: about what one round trip to a cloud object store costs in transfer time,
  // and a search that finds no candidate in the spatial index column needs no other column.
  // The bytes go through the block cache, so never more than a quarter of it.
  if (end - lo > std::min<uint64_t>(2 << 20, storage::BlockCache::shared().budget() / 4)) return {};
  return (end - lo) * 2 <= needed * 3 + 2 * 64 * 1024 ? std::optional<uint64_t>(lo) : std::nullopt;
}

void Catalog::check_leaf(const std::string& path, const parquet::FileReader& r) const {
  std::string diff = schema_difference(schema_, r.schema(), "the catalog", "the file");
  if (!diff.empty())
    throw std::runtime_error(name_ + ": " + path + " does not have the catalog's columns: " + diff +
                             " (the catalog schema comes from dataset/_common_metadata or _metadata)");
}

int Catalog::find_partition(int order, int64_t pixel) const {
  if (order < 0 || order > 29 || pixel < 0) return -1;
  // Partitions are sorted by (spatial index, order) with non-spatial ones last.
  const int64_t key = healpix_to_spatial_index(order, pixel);
  size_t lo = 0, hi = parts_.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const Partition& p = parts_[mid];
    bool before = p.order >= 0 && (healpix_to_spatial_index(p.order, p.pixel) < key ||
                                   (healpix_to_spatial_index(p.order, p.pixel) == key && p.order < order));
    if (before) lo = mid + 1;
    else hi = mid;
  }
  if (lo < parts_.size() && parts_[lo].order == order && parts_[lo].pixel == pixel) return int(lo);
  return -1;
}

uint64_t Catalog::bytes_on_disk() const {
  uint64_t total = 0;
  if (dir_.rfind("http", 0) == 0) {  // no listing over HTTP: the data files' sizes
    for (const Partition& p : parts_)
      for (const std::string& f : p.files) total += storage::file_system_for(f)->stat(f).value_or(0);
    return total;
  }
  try {
    walk_files(dir_, [&](const std::string&, uint64_t size) { total += size; });
  } catch (const storage::IoError&) {
  }
  return total;
}

double Catalog::sky_fraction() const {
  double f = 0;
  for (const Partition& p : parts_)
    if (p.order >= 0) f += 1.0 / (12.0 * std::ldexp(1.0, 2 * p.order));
  return f;
}

double Catalog::sky_area_deg2() const {
  const double full_sky = 4 * M_PI * (180 / M_PI) * (180 / M_PI);  // 41252.96 deg^2
  return sky_fraction() * full_sky;
}

parquet::Table Catalog::read_partition(size_t i, const std::vector<std::string>& columns) const {
  if (i >= parts_.size())
    throw std::out_of_range(dir_ + ": partition " + std::to_string(i) + " out of range (" +
                            std::to_string(parts_.size()) + " partitions)");
  const Partition& part = parts_[i];
  std::string what = part.order >= 0 ? "Norder=" + std::to_string(part.order) + "/Npix=" + std::to_string(part.pixel)
                                     : part.files.front();
  parquet::Table out;
  bool first = true;
  for (const std::string& f : part.files) {
    // On an object store the open below reports a missing object itself (no extra request).
    if (!storage::is_url(f) && !is_file(f))
      throw std::runtime_error(name_ + ": partition " + what + ": file not found: " + f);
    parquet::Table t = file_reader(f)->read(columns);  // footers parsed once per catalog
    if (first) {
      out = std::move(t);
      first = false;
      continue;
    }
    if (t.columns.size() != out.columns.size())
      throw std::runtime_error(name_ + ": partition " + what + ": " + f + " has " + std::to_string(t.columns.size()) +
                               " columns, the partition's first file has " + std::to_string(out.columns.size()));
    for (size_t k = 0; k < t.columns.size(); k++) {
      if (!same_field(t.columns[k].field, out.columns[k].field))
        throw std::runtime_error(name_ + ": partition " + what + ": " + f + ": column '" + t.columns[k].field.name +
                                 "' differs from the partition's first file");
      append_column(out.columns[k], t.columns[k]);
    }
  }
  return out;
}

}  // namespace astrolake::catalog
