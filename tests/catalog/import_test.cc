// Import: partition planning, the small_sky fixture reproduced, values round-trip, bad
// inputs leave nothing behind, atomic publish, and peak memory within the budget.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "catalog/catalog.h"
#include "catalog/import.h"
#include "catalog/partition.h"
#include "catalog/progress.h"
#include "catalog/properties.h"
#include "catalog/skymap.h"
#include "parquet/reader.h"
#include "parquet/writer.h"
#include "sky/healpix.h"

namespace fs = std::filesystem;
using namespace astrolake;
using namespace astrolake::catalog;

namespace {

std::string fixture(const std::string& rel) { return std::string(AL_TEST_DATA) + "/hats/" + rel; }

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/al_import_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

ImportOptions quiet_options(const std::string& input, const std::string& out) {
  ImportOptions o;
  o.inputs = {input};
  o.output = out;
  o.progress = 0;
  o.threads = 2;
  return o;
}

// Nothing named like the output (the catalog or a temp build dir) exists in its parent.
void expect_nothing_left(const std::string& out) {
  EXPECT_FALSE(fs::exists(out)) << out;
  std::string base = fs::path(out).filename().string();
  for (auto& e : fs::directory_iterator(fs::path(out).parent_path()))
    EXPECT_NE(e.path().filename().string().rfind(base, 0), 0u) << "left behind: " << e.path();
}

std::string error_of(const ImportOptions& o) {
  try {
    import_catalog(o);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(PlanPartitions, CoarsestPixelsUnderThreshold) {
  // Order-2 histogram: 30 rows in 2/0..2/3 (parent 1/0, grandparent 0/0), 5 rows in 2/20
  // (parent 1/5, grandparent 0/1).
  std::vector<PixelCount> h = {{0, 10}, {1, 10}, {2, 5}, {3, 5}, {20, 5}};
  std::vector<PixelId> want = {{0, 0}, {0, 1}};
  EXPECT_EQ(plan_partitions(h, 2, 100), want);
  EXPECT_EQ(plan_partitions(h, 2, 30), want);  // the limit is inclusive
  want = {{2, 0}, {2, 1}, {2, 2}, {2, 3}, {0, 1}};
  EXPECT_EQ(plan_partitions(h, 2, 29), want);
  EXPECT_THROW(plan_partitions(h, 2, 9), std::runtime_error);  // 2/0 alone has 10
  want = {{1, 0}, {1, 5}};
  EXPECT_EQ(plan_partitions(h, 2, 100, 1), want);  // lowest_order 1
}

TEST(PlanPartitions, DropEmptySiblings) {
  // Only 2/5 holds rows under 0/0: hats-import's drop_empty_siblings keeps it at order 2.
  std::vector<PixelCount> h = {{5, 7}, {180, 1}, {181, 1}};
  auto p = plan_partitions(h, 2, 100, 0, false);
  std::vector<PixelId> want = {{0, 0}, {0, 11}};
  EXPECT_EQ(p, want);
  p = plan_partitions(h, 2, 100, 0, true);
  // 0/11 holds 2/180 and 2/181 (both in 1/45): 0/11 has one non-empty child (1/45), which
  // has two non-empty children, so 1/45 is kept.
  want = {{2, 5}, {1, 45}};
  EXPECT_EQ(p, want);
}

TEST(ParseByteSize, Units) {
  EXPECT_EQ(parse_byte_size("2GiB"), uint64_t(2) << 30);
  EXPECT_EQ(parse_byte_size("512MB"), uint64_t(512) << 20);
  EXPECT_EQ(parse_byte_size("100k"), 102400u);
  EXPECT_EQ(parse_byte_size("123"), 123u);
  EXPECT_THROW(parse_byte_size("lots"), std::invalid_argument);
  EXPECT_THROW(parse_byte_size("5 parsecs"), std::invalid_argument);
}

// small_sky.csv imported with a limit that forces order 1 reproduces small_sky_order1.
TEST(Import, SmallSkyMatchesOrder1Fixture) {
  TempDir tmp;
  std::string out = tmp.path + "/small_sky_order1";
  ImportOptions o = quiet_options(fixture("raw/small_sky/small_sky.csv"), out);
  o.max_rows = 50;
  ImportResult r = import_catalog(o);
  EXPECT_EQ(r.rows, 131);
  std::string fx = fixture("small_sky_order1_collection/small_sky_order1");
  auto want_parts = read_partition_info(fx + "/partition_info.csv");
  EXPECT_EQ(r.partitions, want_parts);
  EXPECT_EQ(read_partition_info(out + "/partition_info.csv"), want_parts);

  std::vector<std::string> cols = {"_healpix_29", "id", "ra", "dec", "ra_error", "dec_error"};
  for (const auto& px : want_parts) {
    auto mine = parquet::FileReader::open(pixel_path(out + "/dataset", px.order, px.pixel));
    auto theirs = parquet::FileReader::open(pixel_path(fx + "/dataset", px.order, px.pixel));
    ASSERT_EQ(mine->rows(), theirs->rows()) << px.pixel;
    EXPECT_EQ(mine->schema()[0].name, "_healpix_29");
    EXPECT_EQ(mine->schema()[0].type, parquet::Type::Int64);
    parquet::Table a = mine->read(cols), b = theirs->read(cols);
    // Both sorted by _healpix_29; compare every value exactly, row by row (ties by id).
    auto rows_of = [](const parquet::Table& t) {
      std::vector<std::tuple<int64_t, int64_t, double, double, int64_t, int64_t>> v;
      for (size_t i = 0; i < t.rows(); ++i)
        v.emplace_back(t.columns[0].values_as<int64_t>()[i], t.columns[1].values_as<int64_t>()[i],
                       t.columns[2].values_as<double>()[i], t.columns[3].values_as<double>()[i],
                       t.columns[4].values_as<int64_t>()[i], t.columns[5].values_as<int64_t>()[i]);
      return v;
    };
    auto va = rows_of(a), vb = rows_of(b);
    EXPECT_TRUE(std::is_sorted(va.begin(), va.end(),
                               [](auto& x, auto& y) { return std::get<0>(x) < std::get<0>(y); }));
    std::sort(vb.begin(), vb.end());
    auto va_sorted = va;
    std::sort(va_sorted.begin(), va_sorted.end());
    EXPECT_EQ(va_sorted, vb) << "pixel " << px.pixel;
  }
  // Properties: the fixture's keys (bar its optional obs_regime), with the right values.
  Properties mine = Properties::read(out + "/hats.properties");
  Properties theirs = Properties::read(fx + "/hats.properties");
  for (const auto& [k, v] : theirs.entries()) {
    if (k == "obs_regime") continue;
    EXPECT_TRUE(mine.has(k)) << k;
  }
  for (const char* k : {"obs_collection", "dataproduct_type", "hats_nrows", "hats_col_ra", "hats_col_dec",
                        "hats_col_healpix", "hats_col_healpix_order", "hats_npix_suffix", "hats_order",
                        "hats_version"})
    EXPECT_EQ(mine.get(k), theirs.get(k)) << k;
  EXPECT_NEAR(std::stod(mine.get("moc_sky_fraction")), std::stod(theirs.get("moc_sky_fraction")), 1e-5);
  EXPECT_EQ(mine.get("hats_max_rows"), "50");
  EXPECT_EQ(mine.get("hats_builder").rfind("astrolake ", 0), 0u);
  Skymap sm = read_skymap_fits(out + "/skymap.fits");
  EXPECT_EQ(sm.total(), 131);
  EXPECT_EQ(sm.order, std::stoi(mine.get("hats_skymap_order")));
  // _metadata lists every leaf row group.
  auto meta = parquet::FileReader::open(out + "/dataset/_metadata");
  EXPECT_EQ(meta->rows(), 131);
  EXPECT_TRUE(fs::exists(out + "/dataset/_common_metadata"));
}

TEST(Import, DefaultLimitGivesOnePixelLikeSmallSky) {
  TempDir tmp;
  std::string out = tmp.path + "/small_sky";
  ImportResult r = import_catalog(quiet_options(fixture("raw/small_sky/small_sky.csv"), out));
  std::vector<PixelId> want = {{0, 11}};
  EXPECT_EQ(r.partitions, want);
  EXPECT_EQ(Properties::read(out + "/hats.properties").get("moc_sky_fraction"),
            Properties::read(fixture("small_sky/hats.properties")).get("moc_sky_fraction").substr(0, 7));
}

TEST(Import, RefusesToOverwriteUnlessAsked) {
  TempDir tmp;
  std::string out = tmp.path + "/cat";
  ImportOptions o = quiet_options(fixture("raw/small_sky/small_sky.csv"), out);
  import_catalog(o);
  write_text(out + "/marker", "x");
  std::string err = error_of(o);
  EXPECT_NE(err.find("already exists"), std::string::npos) << err;
  EXPECT_TRUE(fs::exists(out + "/marker"));
  o.overwrite = true;
  o.max_rows = 50;
  import_catalog(o);
  EXPECT_FALSE(fs::exists(out + "/marker"));
  EXPECT_EQ(read_partition_info(out + "/partition_info.csv").size(), 4u);
  for (auto& e : fs::directory_iterator(tmp.path)) EXPECT_EQ(e.path().filename(), "cat");
}

TEST(Import, BadInputsGiveOneClearErrorAndLeaveNothing) {
  TempDir tmp;
  std::string out = tmp.path + "/cat";
  struct Case {
    std::string name, text;
    std::vector<std::string> must_mention;
  };
  std::vector<Case> cases = {
      {"nonnum.csv", "id,ra,dec\n1,10,20\n2,11,21\n3,abc,22\n", {"nonnum.csv", "row 3", "abc", "RA"}},
      {"dec95.csv", "id,ra,dec\n1,10,20\n2,11,95\n", {"dec95.csv", "row 2", "95", "Dec"}},
      {"ra_range.csv", "id,ra,dec\n1,1000,20\n", {"ra_range.csv", "row 1", "1000"}},
      {"nocol.csv", "id,ra_deg,dec\n1,10,20\n", {"nocol.csv", "'ra'", "ra_deg"}},
      {"ragged.csv", "id,ra,dec\n1,10,20\n2,11\n", {"ragged.csv", "row 2"}},
      {"badfits.fits", "SIMPLE  =                    T this is not really FITS", {"badfits.fits"}},
      {"empty.csv", "", {"empty.csv"}},
  };
  for (const auto& c : cases) {
    std::string in = tmp.path + "/" + c.name;
    write_text(in, c.text);
    std::string err = error_of(quiet_options(in, out));
    ASSERT_FALSE(err.empty()) << c.name;
    for (const auto& m : c.must_mention) EXPECT_NE(err.find(m), std::string::npos) << c.name << ": " << err;
    expect_nothing_left(out);
  }
  // A truncated Parquet file.
  {
    parquet::Table t;
    parquet::Field fr{"ra", parquet::Type::Double}, fd{"dec", parquet::Type::Double};
    t.columns.emplace_back(fr);
    t.columns.emplace_back(fd);
    for (int i = 0; i < 1000; ++i) {
      t.columns[0].push<double>(i * 0.3);
      t.columns[1].push<double>(i * 0.05 - 20);
    }
    std::string in = tmp.path + "/trunc.parquet";
    parquet::write_table(in, t);
    fs::resize_file(in, fs::file_size(in) / 2);
    std::string err = error_of(quiet_options(in, out));
    EXPECT_NE(err.find("trunc.parquet"), std::string::npos) << err;
    expect_nothing_left(out);
  }
  // A file that does not exist.
  std::string err = error_of(quiet_options(tmp.path + "/missing.csv", out));
  EXPECT_NE(err.find("missing.csv"), std::string::npos) << err;
  expect_nothing_left(out);
}

TEST(Import, CancelledImportLeavesNothing) {
  TempDir tmp;
  std::string out = tmp.path + "/cat";
  request_cancel();
  EXPECT_THROW(import_catalog(quiet_options(fixture("raw/small_sky/small_sky.csv"), out)), Cancelled);
  reset_cancel();
  expect_nothing_left(out);
}

TEST(Import, ParquetInputRoundTripsTypesAndNulls) {
  TempDir tmp;
  parquet::Table t;
  t.columns.emplace_back(parquet::Field{"name", parquet::Type::String});
  t.columns.emplace_back(parquet::Field{"ra", parquet::Type::Double});
  t.columns.emplace_back(parquet::Field{"dec", parquet::Type::Float});
  t.columns.emplace_back(parquet::Field{"mag", parquet::Type::Double});
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  const int n = 5000;
  for (int i = 0; i < n; ++i) {
    t.columns[0].push_string("star" + std::to_string(i));
    t.columns[1].push<double>(360 * u(rng));
    t.columns[2].push<float>(float(-90 + 180 * u(rng)));
    if (i % 7 == 0) t.columns[3].push_null();
    else t.columns[3].push<double>(i * 0.25);
  }
  std::string in = tmp.path + "/in.parquet";
  parquet::WriteOptions w;
  w.row_group_rows = 1000;
  parquet::write_table(in, t, w);
  ImportOptions o = quiet_options(in, tmp.path + "/cat");
  o.max_rows = 600;
  ImportResult r = import_catalog(o);
  EXPECT_EQ(r.rows, n);
  int64_t total = 0;
  std::map<std::string, std::pair<double, bool>> seen;
  for (const auto& px : r.partitions) {
    auto f = parquet::FileReader::open(pixel_path(r.catalog_dir + "/dataset", px.order, px.pixel));
    parquet::Table p = f->read();
    ASSERT_EQ(p.columns.size(), 5u);
    EXPECT_EQ(p.columns[3].field.type, parquet::Type::Float);
    total += int64_t(p.rows());
    for (size_t i = 0; i < p.rows(); ++i) {
      int64_t h = p.columns[0].values_as<int64_t>()[i];
      double ra = p.columns[2].values_as<double>()[i], dec = p.columns[3].values_as<float>()[i];
      EXPECT_EQ(h, sky::healpix29(ra, dec));
      EXPECT_EQ(h >> (2 * (29 - px.order)), px.pixel);
      seen[std::string(p.columns[1].string_at(i))] = {p.columns[4].values_as<double>()[i], p.columns[4].is_null(i)};
    }
  }
  EXPECT_EQ(total, n);
  ASSERT_EQ(seen.size(), size_t(n));
  for (int i = 0; i < n; ++i) {
    auto& [v, null] = seen["star" + std::to_string(i)];
    EXPECT_EQ(null, i % 7 == 0);
    if (!null) EXPECT_EQ(v, i * 0.25);
  }
}

// Peak RSS of an import in a child process stays within a small budget although the input
// (and its decoded rows) are several times larger, so the spill path is exercised.
TEST(Import, PeakMemoryStaysWithinBudget) {
  TempDir tmp;
  std::string in = tmp.path + "/big.csv";
  {
    std::ofstream f(in);
    f << "id,ra,dec,mag,label\n";
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(0, 1);
    char line[160];
    for (int i = 0; i < 1200000; ++i) {
      double ra = 360 * u(rng), dec = std::asin(2 * u(rng) - 1) * 180 / M_PI;
      int n = std::snprintf(line, sizeof line, "%d,%.9f,%.9f,%.4f,src_%08d_abcdefgh\n", i, ra, dec, 15 + 5 * u(rng), i);
      f.write(line, n);
    }
  }
  ASSERT_GT(fs::file_size(in), uint64_t(64) << 20);
  const uint64_t budget = uint64_t(48) << 20;
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    long long hwm = -1;
    try {
      ImportOptions o = quiet_options(in, tmp.path + "/cat");
      o.memory_budget = budget;
      // Each partition is sorted in memory, so the budget must hold a few copies of the
      // largest one: 40000 rows of ~70 bytes here.
      o.max_rows = 40000;
      import_catalog(o);
      std::ifstream st("/proc/self/status");
      std::string line;
      while (std::getline(st, line))
        if (line.rfind("VmHWM:", 0) == 0) hwm = std::stoll(line.substr(6)) * 1024;
    } catch (const std::exception& e) {
      hwm = -2;
    }
    (void)!write(pipefd[1], &hwm, sizeof hwm);
    _exit(0);
  }
  close(pipefd[1]);
  long long hwm = 0;
  ASSERT_EQ(read(pipefd[0], &hwm, sizeof hwm), ssize_t(sizeof hwm));
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_GT(hwm, 0) << "import failed in the child";
  EXPECT_LE(uint64_t(hwm), budget) << "peak RSS " << hwm / (1 << 20) << " MiB";
  std::printf("peak RSS %lld MiB with a %llu MiB budget\n", hwm >> 20, (unsigned long long)(budget >> 20));
  auto parts = read_partition_info(tmp.path + "/cat/partition_info.csv");
  EXPECT_GE(parts.size(), 12u);
  auto meta = parquet::FileReader::open(tmp.path + "/cat/dataset/_metadata");
  EXPECT_EQ(meta->rows(), 1200000);
}

// The budget is hard: a partition that cannot be split (the row limit is high) and whose
// sort needs more than the budget allows stops the import with an error naming the budget,
// instead of being built anyway.
TEST(Import, PartitionTooBigForTheBudgetIsAnError) {
  TempDir tmp;
  std::string in = tmp.path + "/dense.csv";
  {
    std::ofstream f(in);
    f << "id,ra,dec,mag\n";
    for (int i = 0; i < 150000; ++i) f << i << "," << 10 + (i % 1000) * 1e-3 << "," << 10 + (i / 1000) * 1e-3 << ",17.5\n";
  }
  ImportOptions o = quiet_options(in, tmp.path + "/cat");
  o.memory_budget = uint64_t(16) << 20;
  o.max_rows = 10000000;
  std::string err = error_of(o);
  EXPECT_NE(err.find("more than the memory budget of 16.0 MiB allows"), std::string::npos) << err;
  expect_nothing_left(tmp.path + "/cat");
  // With room for it, the same input imports.
  o.memory_budget = uint64_t(256) << 20;
  EXPECT_EQ(error_of(o), "");
}

namespace {
// Runs a shell command; returns its exit status and puts stdout+stderr in out.
int run(const std::string& cmd, std::string& out) {
  out.clear();
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
}  // namespace

// The CLI: a bare -o name goes under --root, the collection opens with its margin attached
// through the read side, and errors are one line with a non-zero exit.
TEST(ImportCli, BareNameUnderRootCollectionAndErrors) {
  if (!fs::exists(AL_BINARY)) GTEST_SKIP() << "no astrolake binary at " << AL_BINARY;
  TempDir tmp;
  std::string out;
  std::string cmd = std::string(AL_BINARY) + " import " + fixture("raw/small_sky/small_sky.csv") +
                    " -o sky --max-rows 50 --margin-arcsec 3600 -q --root " + tmp.path + "/root";
  ASSERT_EQ(run(cmd, out), 0) << out;
  EXPECT_TRUE(fs::exists(tmp.path + "/root/sky/collection.properties"));
  Catalog c = Catalog::open(tmp.path + "/root/sky");
  EXPECT_EQ(c.rows(), 131);
  EXPECT_EQ(c.partitions().size(), 4u);
  ASSERT_NE(c.margin(), nullptr);
  EXPECT_EQ(c.margin()->rows(), 13);
  EXPECT_DOUBLE_EQ(c.margin()->margin_threshold_arcsec(), 3600);
  // Again without --overwrite: refused, the catalog untouched.
  EXPECT_EQ(run(cmd, out), 1);
  EXPECT_NE(out.find("already exists"), std::string::npos) << out;
  EXPECT_EQ(Catalog::open(tmp.path + "/root/sky").rows(), 131);
  write_text(tmp.path + "/bad.csv", "ra,dec\n1,2\n3,95\n");
  EXPECT_EQ(run(std::string(AL_BINARY) + " import " + tmp.path + "/bad.csv -o " + tmp.path + "/bad", out), 1);
  EXPECT_NE(out.find("bad.csv: row 2: Dec (column 'dec') = 95 is outside [-90, 90]"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(tmp.path + "/bad"));
}

#include "../duckdb_runner.h"

namespace astrolake::catalog {
namespace {

// The columns of the catalog's first leaf, read back.
parquet::Table first_leaf(const ImportResult& r) {
  return parquet::FileReader::open(pixel_path(r.catalog_dir + "/dataset", r.partitions[0].order, r.partitions[0].pixel))
      ->read();
}

// Spreadsheets write a UTF-8 byte order mark before the header; it is not part of "ra".
TEST(ImportInputs, CsvByteOrderMarkIsNotPartOfTheFirstName) {
  TempDir tmp;
  std::string in = tmp.path + "/bom.csv";
  write_text(in, "\xEF\xBB\xBFra,dec,id\n10,20,1\n11,21,2\n");
  ImportResult r = import_catalog(quiet_options(in, tmp.path + "/cat"));
  EXPECT_EQ(r.rows, 2);
  EXPECT_EQ(first_leaf(r).columns[1].field.name, "ra");
  // Quoted first name after the mark.
  write_text(in, "\xEF\xBB\xBF\"ra\",dec\n10,20\n");
  EXPECT_EQ(import_catalog(quiet_options(in, tmp.path + "/cat2")).rows, 1);
}

// Two columns of one name: caught when the input is opened, naming both positions.
TEST(ImportInputs, DuplicateColumnNamesAreAnError) {
  TempDir tmp;
  std::string out = tmp.path + "/cat";
  std::string in = tmp.path + "/dup.csv";
  write_text(in, "ra,dec,mag,mag\n10,20,1,2\n");
  std::string err = error_of(quiet_options(in, out));
  EXPECT_NE(err.find("dup.csv: columns 3 and 4 are both named 'mag'"), std::string::npos) << err;
  expect_nothing_left(out);
  // An empty header cell is named column_<i>: a clash with a real name is caught too.
  write_text(in, "ra,dec,column_3,\n10,20,1,2\n");
  err = error_of(quiet_options(in, out));
  EXPECT_NE(err.find("columns 3 and 4 are both named 'column_3'"), std::string::npos) << err;
}

// A column that looks integer in one CSV file and floating point in another is read as
// double from all of them; other differences name the column and both types.
TEST(ImportInputs, CsvFilesWithIntAndDoubleColumnsWiden) {
  TempDir tmp;
  std::string a = tmp.path + "/a.csv", b = tmp.path + "/b.csv";
  write_text(a, "ra,dec,mag\n10,20,12\n11,21,13\n");
  write_text(b, "ra,dec,mag\n10.5,20.5,12.25\n11.5,21.5,9007199254740993\n");
  ImportOptions o = quiet_options(a, tmp.path + "/cat");
  o.inputs = {a, b};
  ImportResult r = import_catalog(o);
  EXPECT_EQ(r.rows, 4);
  std::multiset<double> mags, ras;
  for (const auto& px : r.partitions) {
    parquet::Table t =
        parquet::FileReader::open(pixel_path(r.catalog_dir + "/dataset", px.order, px.pixel))->read();
    ASSERT_EQ(t.columns[3].field.type, parquet::Type::Double);
    ASSERT_EQ(t.columns[1].field.type, parquet::Type::Double);
    for (size_t i = 0; i < t.rows(); i++) {
      mags.insert(t.columns[3].values_as<double>()[i]);
      ras.insert(t.columns[1].values_as<double>()[i]);
    }
  }
  EXPECT_EQ(mags, (std::multiset<double>{12, 13, 12.25, 9007199254740993.0}));
  EXPECT_EQ(ras, (std::multiset<double>{10, 11, 10.5, 11.5}));
  // A string where the first file has numbers: named, with both types.
  o.output = tmp.path + "/cat_err";
  write_text(b, "ra,dec,mag\n10.5,20.5,bright\n");
  std::string err = error_of(o);
  EXPECT_NE(err.find("b.csv has column 'mag' as string but " + a + " has it as int64"), std::string::npos) << err;
  write_text(b, "ra,dec,flux\n10.5,20.5,1\n");
  err = error_of(o);
  EXPECT_NE(err.find("b.csv has column 'flux' where " + a + " has 'mag'"), std::string::npos) << err;
}

// DECIMAL columns (as DuckDB writes them) import as double, RA and Dec included; a column
// that cannot be imported is named, never dropped.
TEST(ImportInputs, DecimalColumnsImportAndUnreadableColumnsAreNamed) {
  std::string problem = al_duckdb_test::duckdb_problem();
  ASSERT_TRUE(problem.empty()) << problem;
  TempDir tmp;
  std::string dec = tmp.path + "/dec.parquet", nested = tmp.path + "/nested.parquet";
  auto run = al_duckdb_test::run_duckdb(
      {"CREATE TABLE t AS SELECT i AS id, (i * 0.7)::DECIMAL(9,4) AS ra, (i * 0.1 - 50)::DECIMAL(18,10) AS dec, "
       "(i * 1.25)::DECIMAL(38,3) AS flux FROM range(500) r(i)",
       "COPY t TO '" + dec + "' (FORMAT parquet)",
       "COPY (SELECT ra, dec, [[id]] AS deep, [id] AS shallow, {'a': id} AS s FROM t) TO '" + nested + "' (FORMAT parquet)"},
      tmp.path);
  ASSERT_EQ(run.status, 0) << run.error;
  ImportResult r = import_catalog(quiet_options(dec, tmp.path + "/cat"));
  EXPECT_EQ(r.rows, 500);
  parquet::Table t = first_leaf(r);
  ASSERT_EQ(t.columns.size(), 5u);
  for (size_t c = 2; c < 5; c++) EXPECT_EQ(t.columns[c].field.type, parquet::Type::Double) << t.columns[c].field.name;
  for (size_t i = 0; i < t.rows(); i++) {
    int64_t id = t.columns[1].values_as<int64_t>()[i];
    EXPECT_DOUBLE_EQ(t.columns[2].values_as<double>()[i], double(id) * 0.7);
    EXPECT_NEAR(t.columns[3].values_as<double>()[i], double(id) * 0.1 - 50, 1e-9);
    EXPECT_EQ(t.columns[4].values_as<double>()[i], double(id) * 1.25);
  }
  std::string err = error_of(quiet_options(nested, tmp.path + "/cat2"));
  EXPECT_NE(err.find("nested.parquet: cannot import these columns: 'deep"), std::string::npos) << err;
  expect_nothing_left(tmp.path + "/cat2");
}

}  // namespace
}  // namespace astrolake::catalog
