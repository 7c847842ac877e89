// Opening every HATS fixture and reading it back, checked against the raw CSVs the fixtures
// were built from, the properties they state, and brute-force HEALPix assignment.
#include "catalog/catalog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "catalog/skymap.h"
#include "parquet/reader.h"
#include "parquet/writer.h"
#include "sky/healpix.h"

namespace astrolake::catalog {
namespace {

namespace fs = std::filesystem;

std::string data(const std::string& rel) { return std::string(AL_TEST_DATA) + "/hats/" + rel; }

// A CSV as rows of named string cells.
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int col(const std::string& name) const {
    for (size_t i = 0; i < header.size(); i++)
      if (header[i] == name) return int(i);
    return -1;
  }
};

Csv read_csv(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  Csv csv;
  std::string line;
  auto split = [](const std::string& l) {
    std::vector<std::string> cells;
    std::stringstream ss(l);
    std::string c;
    while (std::getline(ss, c, ',')) cells.push_back(c);
    return cells;
  };
  std::getline(in, line);
  csv.header = split(line);
  while (std::getline(in, line))
    if (!line.empty()) csv.rows.push_back(split(line));
  return csv;
}

// All rows of a catalog, partition after partition.
struct AllRows {
  std::vector<parquet::Table> parts;
  size_t rows() const {
    size_t n = 0;
    for (auto& t : parts) n += t.rows();
    return n;
  }
};

AllRows read_all(const Catalog& c, const std::vector<std::string>& cols = {}) {
  AllRows all;
  for (size_t i = 0; i < c.partitions().size(); i++) all.parts.push_back(c.read_partition(i, cols));
  return all;
}

std::vector<std::string> names(const std::vector<parquet::Field>& fields) {
  std::vector<std::string> out;
  for (auto& f : fields) out.push_back(f.name);
  return out;
}

std::set<std::pair<int, int64_t>> pixel_set(const Catalog& c) {
  std::set<std::pair<int, int64_t>> s;
  for (auto& p : c.partitions()) s.insert({p.order, p.pixel});
  return s;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// Every catalog directory among the fixtures (the ones with properties of their own, plus
// the collection dirs and legacy hipscat catalogs).
std::vector<std::string> all_catalog_dirs() {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(data("")); it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_directory()) continue;
    fs::path d = it->path();
    if (d.filename() == "dataset" || d.filename().string().rfind("Norder=", 0) == 0) {
      it.disable_recursion_pending();
      continue;
    }
    if (fs::exists(d / "hats.properties") || fs::exists(d / "properties") ||
        fs::exists(d / "collection.properties") || fs::exists(d / "catalog_info.json"))
      out.push_back(d.string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool expected_to_fail_reading(const std::string& dir) {
  return dir.find("custom_tree") != std::string::npos || dir.find("small_sky_no_metadata") != std::string::npos;
}

// The 131 rows of raw/small_sky/small_sky.csv keyed by id.
struct Obj {
  double ra, dec;
  int64_t ra_error, dec_error;
};
std::map<int64_t, Obj> small_sky_csv() {
  Csv csv = read_csv(data("raw/small_sky/small_sky.csv"));
  std::map<int64_t, Obj> out;
  for (auto& r : csv.rows)
    out[std::stoll(r[0])] = Obj{std::strtod(r[1].c_str(), nullptr), std::strtod(r[2].c_str(), nullptr),
                                std::stoll(r[3]), std::stoll(r[4])};
  return out;
}

// Every column of a small_sky-shaped catalog equals the CSV exactly, each row sits in its
// partition's pixel, and _healpix_29 is the order-29 nested pixel of (ra, dec).
void expect_matches_small_sky(const Catalog& c) {
  SCOPED_TRACE(c.dir());
  std::map<int64_t, Obj> truth = small_sky_csv();
  ASSERT_EQ(truth.size(), 131u);
  std::set<int64_t> seen;
  for (size_t i = 0; i < c.partitions().size(); i++) {
    const Partition& p = c.counted_partitions()[i];
    parquet::Table t = c.read_partition(i, {"_healpix_29", "id", "ra", "dec", "ra_error", "dec_error"});
    ASSERT_EQ(t.columns.size(), 6u);
    EXPECT_EQ(int64_t(t.rows()), p.rows);
    for (size_t r = 0; r < t.rows(); r++) {
      int64_t id = t.col("id").values_as<int64_t>()[r];
      ASSERT_TRUE(truth.count(id)) << id;
      const Obj& o = truth[id];
      EXPECT_EQ(t.col("ra").values_as<double>()[r], o.ra) << id;
      EXPECT_EQ(t.col("dec").values_as<double>()[r], o.dec) << id;
      EXPECT_EQ(t.col("ra_error").values_as<int64_t>()[r], o.ra_error) << id;
      EXPECT_EQ(t.col("dec_error").values_as<int64_t>()[r], o.dec_error) << id;
      int64_t h = t.col("_healpix_29").values_as<int64_t>()[r];
      EXPECT_EQ(h, sky::healpix29(o.ra, o.dec)) << id;
      EXPECT_EQ(sky::to_lower_order(h, 29, p.order), p.pixel) << id;
      EXPECT_TRUE(seen.insert(id).second) << "duplicate id " << id;
    }
  }
  EXPECT_EQ(seen.size(), 131u);
}

TEST(Catalog, EveryFixtureOpensWithItsStatedRows) {
  std::vector<std::string> dirs = all_catalog_dirs();
  EXPECT_GE(dirs.size(), 35u);
  for (const std::string& dir : dirs) {
    SCOPED_TRACE(dir);
    if (dir.find("small_sky_no_metadata") != std::string::npos) continue;  // tested below
    Catalog c = Catalog::open(dir);
    // Stated rows: hats_nrows of the opened (primary) catalog, or total_rows of hipscat.
    EXPECT_EQ(c.rows(), c.properties().get_int("hats_nrows", -2));
    EXPECT_FALSE(c.schema().empty());
    EXPECT_FALSE(c.name().empty());
    // Partitions are partition_info.csv's, sorted by spatial index.
    if (fs::exists(c.dir() + "/partition_info.csv")) {
      std::set<std::pair<int, int64_t>> listed;
      for (auto px : read_partition_info(c.dir() + "/partition_info.csv")) listed.insert({px.order, px.pixel});
      EXPECT_EQ(pixel_set(c), listed);
      EXPECT_EQ(c.partitions().size(), listed.size());
    }
    for (size_t i = 1; i < c.partitions().size(); i++) {
      const Partition &a = c.partitions()[i - 1], &b = c.partitions()[i];
      if (a.order >= 0 && b.order >= 0) {
        EXPECT_LT(healpix_to_spatial_index(a.order, a.pixel), healpix_to_spatial_index(b.order, b.pixel));
      }
    }
    if (expected_to_fail_reading(dir)) continue;
    // Reading every partition gives the stated rows, and each partition the rows that
    // _metadata lists for its files.
    int64_t total = 0;
    for (size_t i = 0; i < c.partitions().size(); i++) {
      parquet::Table t = c.read_partition(i);
      EXPECT_EQ(t.columns.size(), c.schema().size());
      if (c.counted_partitions()[i].rows >= 0) {
        EXPECT_EQ(int64_t(t.rows()), c.counted_partitions()[i].rows) << i;
      }
      total += int64_t(t.rows());
    }
    EXPECT_EQ(total, c.rows());
  }
}

TEST(Catalog, SmallSkyValuesMatchRawCsv) {
  Catalog c = Catalog::open(data("small_sky"));
  EXPECT_EQ(c.name(), "small_sky");
  EXPECT_EQ(c.type(), CatalogType::Object);
  EXPECT_EQ(c.rows(), 131);
  ASSERT_EQ(c.partitions().size(), 1u);
  EXPECT_EQ(c.partitions()[0].order, 0);
  EXPECT_EQ(c.partitions()[0].pixel, 11);
  EXPECT_EQ(c.counted_partitions()[0].rows, 131);
  EXPECT_EQ(c.ra_column(), "ra");
  EXPECT_EQ(c.dec_column(), "dec");
  EXPECT_EQ(c.healpix_column(), "_healpix_29");
  EXPECT_EQ(c.healpix_order(), 29);
  EXPECT_TRUE(c.default_columns().empty());
  EXPECT_EQ(c.margin(), nullptr);
  EXPECT_DOUBLE_EQ(c.sky_fraction(), 1.0 / 12);
  EXPECT_NEAR(c.sky_area_deg2(), 41252.96124941928 / 12, 1e-6);
  expect_matches_small_sky(c);
  // Bytes on disk: every file under the directory.
  uint64_t bytes = 0;
  for (auto& e : fs::recursive_directory_iterator(c.dir()))
    if (e.is_regular_file()) bytes += e.file_size();
  EXPECT_EQ(c.bytes_on_disk(), bytes);
  EXPECT_GT(bytes, 200000u);
}

TEST(Catalog, SmallSkyOrder1ShapeAndPartitions) {
  Catalog c = Catalog::open(data("small_sky_order1_collection/small_sky_order1"));
  EXPECT_EQ(c.rows(), 131);
  EXPECT_EQ(names(c.schema()), (std::vector<std::string>{"_healpix_29", "id", "ra", "dec", "ra_error", "dec_error"}));
  std::vector<std::pair<int64_t, int64_t>> got;
  for (auto& p : c.counted_partitions()) got.emplace_back(p.pixel, p.rows);
  EXPECT_EQ(got, (std::vector<std::pair<int64_t, int64_t>>{{44, 42}, {45, 29}, {46, 42}, {47, 18}}));
  EXPECT_EQ(c.find_partition(1, 46), 2);
  EXPECT_EQ(c.find_partition(0, 11), -1);
  EXPECT_DOUBLE_EQ(c.sky_fraction(), 4.0 / 48);
  expect_matches_small_sky(c);
  // filters id > 750 -> 80 rows (lsdb test_box_search_with_filters).
  size_t n = 0;
  for (auto& t : read_all(c, {"id"}).parts)
    for (size_t r = 0; r < t.rows(); r++) n += t.columns[0].values_as<int64_t>()[r] > 750;
  EXPECT_EQ(n, 80u);
  // Projection follows the order asked for.
  parquet::Table t = c.read_partition(0, {"dec", "id"});
  EXPECT_EQ(t.columns[0].field.name, "dec");
  EXPECT_EQ(t.columns[1].field.name, "id");
  EXPECT_THROW(c.read_partition(0, {"nope"}), std::exception);
  EXPECT_THROW(c.read_partition(4), std::out_of_range);
}

TEST(Catalog, PartitionRowsMatchBruteForceAssignment) {
  // Rows per partition = raw CSV rows whose order-k pixel is the partition's pixel.
  struct Case {
    const char* dir;
    const char* csv;
    const char* ra;
    const char* dec;
  };
  for (Case k : {Case{"small_sky_source", "raw/small_sky_source/small_sky_source.csv", "source_ra", "source_dec"},
                 Case{"small_sky_order3_source", "raw/small_sky_source/small_sky_source.csv", "source_ra", "source_dec"},
                 Case{"small_sky_order1_source_collection/small_sky_order1_source",
                      "raw/small_sky_source/small_sky_source.csv", "source_ra", "source_dec"},
                 Case{"small_sky_xmatch", "raw/xmatch/small_sky_xmatch.csv", "ra", "dec"},
                 Case{"small_sky_left_xmatch", "raw/xmatch/small_sky_left_xmatch.csv", "ra", "dec"}}) {
    SCOPED_TRACE(k.dir);
    Catalog c = Catalog::open(data(k.dir), {false, ""});
    Csv csv = read_csv(data(k.csv));
    int ra = csv.col(k.ra), dec = csv.col(k.dec);
    ASSERT_GE(ra, 0);
    std::map<std::pair<int, int64_t>, int64_t> counts;
    for (auto& r : csv.rows) {
      int64_t h = sky::healpix29(std::stod(r[size_t(ra)]), std::stod(r[size_t(dec)]));
      for (auto& p : c.partitions())
        if (sky::to_lower_order(h, 29, p.order) == p.pixel) counts[{p.order, p.pixel}]++;
    }
    int64_t total = 0;
    for (size_t i = 0; i < c.partitions().size(); i++) {
      const Partition& p = c.counted_partitions()[i];
      EXPECT_EQ(p.rows, counts[std::make_pair(p.order, p.pixel)]) << p.order << "/" << p.pixel;
      EXPECT_EQ(int64_t(c.read_partition(i, {c.ra_column()}).rows()), p.rows);
      total += p.rows;
    }
    EXPECT_EQ(total, int64_t(csv.rows.size()));
    EXPECT_EQ(c.rows(), total);
  }
}

TEST(Catalog, CollectionAttachesDefaultOrNamedMargin) {
  Catalog c = Catalog::open(data("small_sky_order1_collection"));
  EXPECT_EQ(c.name(), "small_sky_order1");
  EXPECT_EQ(c.rows(), 131);
  EXPECT_EQ(c.collection_dir(), data("small_sky_order1_collection"));
  EXPECT_EQ(c.collection_properties().get("all_indexes"), "id small_sky_order1_id_index");
  ASSERT_NE(c.margin(), nullptr);
  const Catalog& m = *c.margin();
  EXPECT_EQ(m.name(), "small_sky_order1_margin_1deg");
  EXPECT_EQ(m.type(), CatalogType::Margin);
  EXPECT_EQ(m.rows(), 23);
  EXPECT_DOUBLE_EQ(m.margin_threshold_arcsec(), 3600.0);
  EXPECT_EQ(names(m.schema()), names(c.schema()));
  EXPECT_EQ(read_all(m).rows(), 23u);

  Catalog c2 = Catalog::open(data("small_sky_order1_collection"), {true, "small_sky_order1_margin_2deg"});
  ASSERT_NE(c2.margin(), nullptr);
  EXPECT_EQ(c2.margin()->rows(), 47);
  EXPECT_EQ(pixel_set(*c2.margin()),
            (std::set<std::pair<int, int64_t>>{{0, 4}, {0, 7}, {0, 8}, {1, 44}, {1, 45}, {1, 46}, {1, 47}}));
  // Margin partitions sorted by spatial index: 0/4 < 0/7 < 0/8 < 1/44 ...
  EXPECT_EQ(c2.margin()->partitions()[0].pixel, 4);
  EXPECT_EQ(c2.margin()->partitions()[3].pixel, 44);

  EXPECT_EQ(Catalog::open(data("small_sky_order1_collection"), {false, ""}).margin(), nullptr);
  std::string err = error_of([] { Catalog::open(data("small_sky_order1_collection"), {true, "margin_3deg"}); });
  EXPECT_NE(err.find("no margin 'margin_3deg'"), std::string::npos) << err;
  // A margin given as a path to a plain catalog.
  Catalog c3 = Catalog::open(data("small_sky_xmatch"), {true, data("small_sky_xmatch_margin")});
  ASSERT_NE(c3.margin(), nullptr);
  EXPECT_EQ(c3.margin()->rows(), 39);
}

TEST(Catalog, WrongMarginMustHaveSameSchema) {
  std::string err = error_of([] {
    Catalog::open(data("small_sky_order1_collection/small_sky_order1"),
                  {true, data("small_sky_order1_source_collection/small_sky_order1_source_margin")});
  });
  EXPECT_NE(err.find("must have the same schema"), std::string::npos) << err;
  err = error_of([] { Catalog::open(data("small_sky"), {true, data("small_sky_xmatch")}); });
  EXPECT_NE(err.find("not a margin"), std::string::npos) << err;
}

TEST(Catalog, NpixSuffixVariantsLoad) {
  Catalog alt = Catalog::open(data("small_sky_npix_alt_suffix"));
  EXPECT_EQ(alt.npix_suffix(), ".parq");
  ASSERT_EQ(alt.partitions().size(), 1u);
  EXPECT_TRUE(alt.partitions()[0].files[0].ends_with("Norder=0/Dir=0/Npix=11.parq"));
  EXPECT_EQ(read_all(alt).rows(), 131u);
  expect_matches_small_sky(alt);

  Catalog as_dir = Catalog::open(data("small_sky_npix_as_dir"));
  EXPECT_EQ(as_dir.npix_suffix(), "/");
  ASSERT_EQ(as_dir.partitions().size(), 1u);
  ASSERT_EQ(as_dir.partitions()[0].files.size(), 1u);
  EXPECT_TRUE(as_dir.partitions()[0].files[0].ends_with("Npix=11/part0.parquet"));
  EXPECT_EQ(as_dir.counted_partitions()[0].rows, 131);
  EXPECT_EQ(read_all(as_dir).rows(), 131u);
  expect_matches_small_sky(as_dir);
  EXPECT_EQ(read_all(as_dir).parts[0].columns.size(), 6u);  // 5 columns + _healpix_29
}

TEST(Catalog, DefaultColumns) {
  Catalog c = Catalog::open(data("small_sky_order1_default_columns"));
  EXPECT_EQ(c.default_columns(), (std::vector<std::string>{"ra", "dec", "id"}));
  parquet::Table t = c.read_partition(0, c.default_columns());
  EXPECT_EQ(t.columns.size(), 3u);
  EXPECT_EQ(t.columns[2].field.name, "id");
  EXPECT_EQ(c.read_partition(0).columns.size(), 6u);  // all columns on request
}

TEST(Catalog, MapCatalog) {
  Catalog c = Catalog::open(data("square_map"));
  EXPECT_EQ(c.type(), CatalogType::Map);
  EXPECT_EQ(c.partitions().size(), 12u);
  EXPECT_EQ(c.rows(), 12);
  EXPECT_EQ(read_all(c).rows(), 12u);
  EXPECT_DOUBLE_EQ(c.sky_fraction(), 1.0);
  for (size_t i = 0; i < 12; i++) EXPECT_EQ(c.partitions()[i].pixel, int64_t(i));  // numeric, not "0,1,10,11,2"
}

TEST(Catalog, CustomTreeFailsWithNotFound) {
  Catalog c = Catalog::open(data("small_sky_order1_custom_tree"));
  EXPECT_EQ(c.partitions().size(), 4u);
  std::string err = error_of([&] { c.read_partition(0); });
  EXPECT_NE(err.find("not found"), std::string::npos) << err;
  EXPECT_NE(err.find("Npix=44.parquet"), std::string::npos) << err;
}

TEST(Catalog, NoMetadataSchemaCouldNotBeLoaded) {
  std::string err = error_of([] { Catalog::open(data("raw/small_sky_no_metadata")); });
  EXPECT_NE(err.find("catalog schema could not be loaded"), std::string::npos) << err;
  EXPECT_NE(err.find("small_sky_no_metadata"), std::string::npos) << err;
}

TEST(Catalog, NotACatalog) {
  std::string err = error_of([] { Catalog::open(data("raw")); });
  EXPECT_NE(err.find("no catalog at"), std::string::npos) << err;
  err = error_of([] { Catalog::open(data("does_not_exist")); });
  EXPECT_NE(err.find("does_not_exist"), std::string::npos) << err;
}

TEST(Catalog, LegacyHipscat) {
  Catalog c = Catalog::open(data("legacy_hipscat/small_sky_object_catalog"));
  EXPECT_TRUE(c.legacy());
  EXPECT_EQ(c.name(), "small_sky_object_catalog");
  EXPECT_EQ(c.type(), CatalogType::Object);
  EXPECT_EQ(c.rows(), 131);
  EXPECT_EQ(c.ra_column(), "ra");
  EXPECT_TRUE(c.healpix_column().empty());
  ASSERT_EQ(c.partitions().size(), 1u);
  EXPECT_EQ(c.counted_partitions()[0].rows, 131);
  std::vector<std::string> cols = names(c.schema());
  EXPECT_NE(std::find(cols.begin(), cols.end(), "_hipscat_index"), cols.end());
  std::map<int64_t, Obj> truth = small_sky_csv();
  parquet::Table t = c.read_partition(0, {"id", "ra", "dec"});
  ASSERT_EQ(t.rows(), 131u);
  for (size_t r = 0; r < t.rows(); r++) {
    int64_t id = t.col("id").values_as<int64_t>()[r];
    EXPECT_EQ(t.col("ra").values_as<double>()[r], truth.at(id).ra);
  }
  Catalog s = Catalog::open(data("legacy_hipscat/small_sky_source_catalog"));
  EXPECT_EQ(s.rows(), 17161);
  EXPECT_EQ(s.ra_column(), "source_ra");
  EXPECT_EQ(s.partitions().size(), 14u);
  EXPECT_EQ(read_all(s, {"source_id"}).rows(), 17161u);
}

TEST(Catalog, EmptyMargin) {
  Catalog c = Catalog::open(data("hats_repo/small_sky_o1_collection"), {true, "small_sky_order1_margin_10arcs"});
  ASSERT_NE(c.margin(), nullptr);
  EXPECT_EQ(c.margin()->rows(), 0);
  EXPECT_TRUE(c.margin()->partitions().empty());
  EXPECT_DOUBLE_EQ(c.margin()->margin_threshold_arcsec(), 10.0);
  Catalog m = Catalog::open(data("hats_repo/small_sky_o1_collection/small_sky_order1_margin_10arcs"));
  EXPECT_EQ(m.rows(), 0);
  EXPECT_EQ(m.sky_fraction(), 0);
  EXPECT_FALSE(m.schema().empty());
}

TEST(Catalog, XmatchMarginLargestPartition) {
  Catalog m = Catalog::open(data("small_sky_xmatch_margin"));
  EXPECT_EQ(m.type(), CatalogType::Margin);
  int64_t largest = 0, total = 0;
  for (size_t i = 0; i < m.partitions().size(); i++) {
    int64_t n = int64_t(m.read_partition(i).rows());
    largest = std::max(largest, n);
    total += n;
  }
  EXPECT_EQ(largest, 10);
  EXPECT_EQ(total, 39);
  EXPECT_NEAR(m.margin_threshold_arcsec(), 8245.17, 0.01);
}

TEST(Catalog, IndexAndAssociationCatalogs) {
  Catalog idx = Catalog::open(data("small_sky_order1_collection/small_sky_order1_id_index"));
  EXPECT_EQ(idx.type(), CatalogType::Index);
  EXPECT_EQ(idx.rows(), 131);
  ASSERT_EQ(idx.partitions().size(), 1u);
  EXPECT_EQ(idx.partitions()[0].order, -1);
  EXPECT_EQ(idx.partitions()[0].rows, 131);
  EXPECT_EQ(idx.sky_fraction(), 0);
  parquet::Table t = idx.read_partition(0, {"id", "Npix"});
  EXPECT_EQ(t.rows(), 131u);
  std::map<int64_t, Obj> truth = small_sky_csv();
  for (size_t r = 0; r < t.rows(); r++) {
    int64_t id = t.col("id").values_as<int64_t>()[r];
    ASSERT_TRUE(truth.count(id));
    EXPECT_EQ(int64_t(t.col("Npix").values_as<uint64_t>()[r]), sky::ang2pix(1, truth[id].ra, truth[id].dec));
  }
  Catalog a = Catalog::open(data("small_sky_to_o1source"));
  EXPECT_EQ(a.type(), CatalogType::Association);
  EXPECT_EQ(a.rows(), 131);
  EXPECT_EQ(read_all(a).rows(), 131u);
}

TEST(Catalog, CustomHealpixColumn) {
  Catalog c = Catalog::open(data("small_sky_healpix13"));
  EXPECT_EQ(c.healpix_column(), "healpix13");
  EXPECT_EQ(c.healpix_order(), 13);
  EXPECT_EQ(c.schema().back().name, "healpix13");
  ASSERT_NE(c.margin(), nullptr);
  EXPECT_EQ(c.margin()->name(), "small_sky_healpix13_1deg");
  for (size_t i = 0; i < c.partitions().size(); i++) {
    parquet::Table t = c.read_partition(i, {"ra", "dec", "healpix13"});
    for (size_t r = 0; r < t.rows(); r++)
      EXPECT_EQ(t.col("healpix13").values_as<int64_t>()[r],
                sky::ang2pix(13, t.col("ra").values_as<double>()[r], t.col("dec").values_as<double>()[r]));
  }
}

TEST(Catalog, SkymapAgreesWithPartitions) {
  // The importer's counts and the partitions tell the same story: per-partition rows are
  // the skymap summed over the partition's pixels.
  Catalog c = Catalog::open(data("small_sky_source"));
  Skymap m = read_skymap_fits(c.dir() + "/skymap.fits");
  int order = int(c.properties().get_int("hats_skymap_order", -1));
  ASSERT_EQ(m.order, order);
  for (auto& p : c.counted_partitions()) {
    int64_t sum = 0;
    int64_t first = sky::first_child(p.pixel, p.order, order), n = int64_t(1) << (2 * (order - p.order));
    for (int64_t k = first; k < first + n; k++) sum += m.counts[size_t(k)];
    EXPECT_EQ(sum, p.rows) << p.order << "/" << p.pixel;
  }
}

}  // namespace
}  // namespace astrolake::catalog

namespace astrolake::catalog {
namespace {

TEST(Catalog, FindPartitionAgreesWithLinearScan) {
  for (const char* dir : {"small_sky_order3_source_margin", "small_sky_source", "small_sky_left_xmatch",
                          "small_sky_order1_collection/small_sky_order1_margin_2deg"}) {
    Catalog c = Catalog::open(data(dir));
    for (int order = 0; order <= 3; order++)
      for (int64_t pix = 0; pix < 12 * (int64_t(1) << (2 * order)); pix++) {
        int expect = -1;
        for (size_t i = 0; i < c.partitions().size(); i++)
          if (c.partitions()[i].order == order && c.partitions()[i].pixel == pix) expect = int(i);
        EXPECT_EQ(c.find_partition(order, pix), expect) << dir << " " << order << "/" << pix;
      }
    EXPECT_EQ(c.find_partition(-1, -1), -1);
  }
}

}  // namespace
}  // namespace astrolake::catalog

namespace astrolake::catalog {
namespace {

// Damaged copies of small_sky: every problem is an exception naming the file.
class DamagedCatalog : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("al_damaged_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::copy(data("small_sky"), dir_, fs::copy_options::recursive);
    for (auto& e : fs::recursive_directory_iterator(dir_))
      fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel, std::ios::trunc) << text; }
  std::string open_error() {
    return error_of([&] { Catalog::open(dir_.string()); });
  }
  // The error of opening and then asking for the row counts: checks that need the _metadata
  // footer run when it is first read, and every use of it after a failed read fails the same
  // way. Opening, listing the partitions and reading one never read _metadata.
  std::string first_use_error() {
    std::string open_err = open_error();
    if (!open_err.empty()) return open_err;
    Catalog c = Catalog::open(dir_.string());
    EXPECT_EQ(c.partitions().size(), 1u);
    std::string err = error_of([&] { c.counted_partitions(); });
    EXPECT_EQ(error_of([&] { c.counted_partitions(); }), err);
    EXPECT_EQ(error_of([&] { c.rows(); }), c.properties().get("hats_nrows").empty() ? err : "");
    return err;
  }
  fs::path dir_;
};

TEST_F(DamagedCatalog, WrongRowCount) {
  std::string props = Properties::read((dir_ / "hats.properties").string()).serialize();
  Properties p = Properties::parse(props);
  p.set("hats_nrows", "130");
  p.write((dir_ / "hats.properties").string());
  std::string err = first_use_error();
  EXPECT_NE(err.find("properties say 130 rows but dataset/_metadata counts 131"), std::string::npos) << err;
  // Without partition_info.csv, _metadata lists the partitions, so opening reads it.
  fs::remove(dir_ / "partition_info.csv");
  err = open_error();
  EXPECT_NE(err.find("properties say 130 rows but dataset/_metadata counts 131"), std::string::npos) << err;
  p.set("hats_nrows", "lots");
  p.write((dir_ / "hats.properties").string());
  err = open_error();
  EXPECT_NE(err.find("hats_nrows='lots' is not an integer"), std::string::npos) << err;
}

TEST_F(DamagedCatalog, TruncatedMetadataAndLeaf) {
  std::string meta = (dir_ / "dataset/_metadata").string();
  fs::resize_file(meta, fs::file_size(meta) / 2);
  std::string err = first_use_error();
  EXPECT_NE(err.find("cannot read dataset/_metadata"), std::string::npos) << err;
  fs::remove(meta);
  // Falls back to _common_metadata for the schema; rows then come from properties.
  Catalog c = Catalog::open(dir_.string());
  EXPECT_EQ(c.rows(), 131);
  EXPECT_EQ(c.counted_partitions()[0].rows, -1);
  std::string leaf = (dir_ / "dataset/Norder=0/Dir=0/Npix=11.parquet").string();
  fs::resize_file(leaf, 100);
  err = error_of([&] { c.read_partition(0); });
  EXPECT_NE(err.find("Npix=11.parquet"), std::string::npos) << err;
}

TEST_F(DamagedCatalog, BadPartitionInfoAndScanFallback) {
  write("partition_info.csv", "Norder,Npix\n0,12\n");
  std::string err = open_error();
  EXPECT_NE(err.find("partition_info.csv: line 2: Npix 12 out of range"), std::string::npos) << err;
  // Without partition_info.csv and _metadata the partitions come from a directory scan.
  fs::remove(dir_ / "partition_info.csv");
  fs::remove(dir_ / "dataset/_metadata");
  Catalog c = Catalog::open(dir_.string());
  ASSERT_EQ(c.partitions().size(), 1u);
  EXPECT_EQ(c.partitions()[0].pixel, 11);
  EXPECT_EQ(c.read_partition(0).rows(), 131u);
  // Without _common_metadata too, the schema comes from the leaf file.
  fs::remove(dir_ / "dataset/_common_metadata");
  EXPECT_EQ(Catalog::open(dir_.string()).schema().size(), 6u);
  fs::remove_all(dir_ / "dataset");
  err = open_error();
  EXPECT_NE(err.find("catalog schema could not be loaded"), std::string::npos) << err;
}

// A pixel listed twice, or inside another listed pixel, would count its rows twice.
TEST_F(DamagedCatalog, DuplicateOrOverlappingPixels) {
  write("partition_info.csv", "Norder,Npix\n0,11\n0,11\n");
  std::string err = open_error();
  EXPECT_NE(err.find("partition_info.csv lists partition Norder=0/Dir=0/Npix=11 twice"), std::string::npos) << err;
  // Without _metadata nothing else would notice.
  fs::remove(dir_ / "dataset/_metadata");
  err = open_error();
  EXPECT_NE(err.find("partition_info.csv lists partition Norder=0/Dir=0/Npix=11 twice"), std::string::npos) << err;
  write("partition_info.csv", "Norder,Npix\n1,45\n0,11\n");
  err = open_error();
  EXPECT_NE(err.find("partition_info.csv lists overlapping partitions Norder=0/Dir=0/Npix=11 and Norder=1/Dir=0/Npix=45"),
            std::string::npos)
      << err;
  // Found by a directory scan: a stray copy of the data one order down.
  fs::remove(dir_ / "partition_info.csv");
  fs::create_directories(dir_ / "dataset/Norder=1/Dir=0");
  fs::copy_file(dir_ / "dataset/Norder=0/Dir=0/Npix=11.parquet", dir_ / "dataset/Norder=1/Dir=0/Npix=44.parquet");
  err = open_error();
  EXPECT_NE(err.find("the dataset directory lists overlapping partitions Norder=0/Dir=0/Npix=11 and Norder=1/Dir=0/Npix=44"),
            std::string::npos)
      << err;
}

TEST_F(DamagedCatalog, EmptyPartitionListWithRows) {
  write("partition_info.csv", "Norder,Npix\n");
  std::string err = open_error();
  EXPECT_NE(err.find("properties say 131 rows but partition_info.csv lists no partitions"), std::string::npos) << err;
  fs::remove(dir_ / "dataset/_metadata");
  err = open_error();
  EXPECT_NE(err.find("properties say 131 rows but partition_info.csv lists no partitions"), std::string::npos) << err;
}

// _common_metadata (the schema) left over from another catalog or an earlier write.
TEST_F(DamagedCatalog, StaleCommonMetadata) {
  fs::copy_file(data("small_sky_source/dataset/_common_metadata"), dir_ / "dataset/_common_metadata",
                fs::copy_options::overwrite_existing);
  std::string err = first_use_error();
  EXPECT_NE(err.find("dataset/_common_metadata does not match dataset/_metadata: column '"), std::string::npos) << err;
  EXPECT_NE(err.find("stale"), std::string::npos) << err;
  // A read that does not need _metadata finds the leaf that differs from _common_metadata.
  Catalog c = Catalog::open(dir_.string());
  err = error_of([&] { c.read_partition(0); });
  EXPECT_NE(err.find("Npix=11.parquet does not have the catalog's columns: column '"), std::string::npos) << err;
}

// Opening a catalog with partition_info.csv and _common_metadata does not read _metadata (a
// footer of megabytes for thousands of partitions); its row counts arrive on first need.
TEST_F(DamagedCatalog, MetadataFooterReadOnFirstNeed) {
  std::string meta = (dir_ / "dataset/_metadata").string();
  std::string saved = dir_.string() + "/saved_metadata";
  fs::copy_file(meta, saved);
  fs::resize_file(meta, 10);  // unreadable: opening must not touch it
  Catalog c = Catalog::open(dir_.string());
  EXPECT_EQ(c.rows(), 131);  // from hats_nrows
  ASSERT_EQ(c.pixels().size(), 1u);
  EXPECT_EQ(c.pixels()[0].pixel, 11);
  EXPECT_EQ(c.find_partition(0, 11), 0);
  // Reading a partition opens its leaf only.
  EXPECT_EQ(c.read_partition(0).rows(), 131u);
  EXPECT_EQ(c.partitions()[0].rows, -1);
  EXPECT_NE(error_of([&] { c.counted_partitions(); }).find("cannot read dataset/_metadata"), std::string::npos);
  fs::copy_file(saved, meta, fs::copy_options::overwrite_existing);
  Catalog d = Catalog::open(dir_.string());
  Catalog copy = d;  // copies share the footer once read
  ASSERT_EQ(d.counted_partitions().size(), 1u);
  EXPECT_EQ(d.counted_partitions()[0].rows, 131);
  EXPECT_EQ(copy.counted_partitions()[0].rows, 131);
  EXPECT_EQ(d.read_partition(0).rows(), 131u);
  // Without _metadata at all the row counts stay unknown, as when opening finds none.
  fs::remove(meta);
  Catalog e = Catalog::open(dir_.string());
  EXPECT_EQ(e.counted_partitions()[0].rows, -1);
  EXPECT_EQ(e.rows(), 131);
}

// A leaf file whose columns are not the catalog's: reading it fails naming the file, through
// every reader of leaf files.
TEST_F(DamagedCatalog, LeafSchemaDiffers) {
  fs::path leaf = dir_ / "dataset/Norder=0/Dir=0/Npix=11.parquet";
  fs::copy_file(data("small_sky_source/dataset/Norder=1/Dir=0/Npix=47.parquet"), leaf,
                fs::copy_options::overwrite_existing);
  Catalog c = Catalog::open(dir_.string());  // footers of leaves are read when they are read
  std::string err = error_of([&] { c.read_partition(0); });
  EXPECT_NE(err.find(leaf.string() + " does not have the catalog's columns: column '"), std::string::npos) << err;
  err = error_of([&] { c.file_reader(leaf.string()); });
  EXPECT_NE(err.find("does not have the catalog's columns"), std::string::npos) << err;
  // The same columns, one under another type (ra_error rewritten as DOUBLE).
  parquet::Table t = parquet::FileReader::open(data("small_sky/dataset/Norder=0/Dir=0/Npix=11.parquet"))->read();
  for (parquet::Column& col : t.columns) {
    if (col.field.name != "ra_error") continue;
    col.field.type = parquet::Type::Double;
    for (size_t k = 0; k < col.rows(); k++) {
      int64_t v;
      std::memcpy(&v, col.data.data() + 8 * k, 8);
      double d = double(v);
      std::memcpy(col.data.data() + 8 * k, &d, 8);
    }
  }
  parquet::write_table(leaf.string(), t);
  err = error_of([&] { Catalog::open(dir_.string()).read_partition(0); });
  EXPECT_NE(err.find("column 'ra_error' is int64 in the catalog but double in the file"), std::string::npos) << err;
  // The untouched leaf reads again.
  fs::copy_file(data("small_sky/dataset/Norder=0/Dir=0/Npix=11.parquet"), leaf, fs::copy_options::overwrite_existing);
  EXPECT_EQ(Catalog::open(dir_.string()).read_partition(0).rows(), 131u);
}

TEST_F(DamagedCatalog, BadLegacyJsonAndCollection) {
  fs::remove(dir_ / "hats.properties");
  fs::remove(dir_ / "properties");
  write("catalog_info.json", "{\"catalog_name\": ");
  std::string err = open_error();
  EXPECT_NE(err.find("catalog_info.json: not valid JSON"), std::string::npos) << err;
  fs::remove(dir_ / "catalog_info.json");
  write("collection.properties", "hats_primary_table_url=missing_dir\n");
  err = open_error();
  EXPECT_NE(err.find("primary catalog 'missing_dir' not found"), std::string::npos) << err;
}

}  // namespace
}  // namespace astrolake::catalog
