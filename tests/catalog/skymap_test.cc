#include "catalog/skymap.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "sky/healpix.h"

namespace astrolake::catalog {
namespace {

std::string data(const std::string& rel) { return std::string(AL_TEST_DATA) + "/hats/" + rel; }

// (ra, dec) of every row of raw/small_sky/small_sky.csv.
std::vector<std::pair<double, double>> small_sky_points() {
  std::ifstream in(data("raw/small_sky/small_sky.csv"));
  std::string line;
  std::getline(in, line);
  std::vector<std::pair<double, double>> pts;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string id, ra, dec;
    std::getline(ss, id, ',');
    std::getline(ss, ra, ',');
    std::getline(ss, dec, ',');
    pts.emplace_back(std::stod(ra), std::stod(dec));
  }
  return pts;
}

TEST(Skymap, ReadsHatsSkymapMatchingBruteForceCounts) {
  Skymap m = read_skymap_fits(data("small_sky/skymap.fits"));
  EXPECT_EQ(m.order, 5);
  EXPECT_EQ(m.ordering, "NESTED");
  ASSERT_EQ(m.counts.size(), 12288u);
  EXPECT_EQ(m.total(), 131);
  std::vector<int64_t> expect(12288, 0);
  for (auto [ra, dec] : small_sky_points()) expect[size_t(sky::ang2pix(5, ra, dec))]++;
  EXPECT_EQ(m.counts, expect);
  Skymap p = read_skymap_fits(data("small_sky/point_map.fits"));
  EXPECT_EQ(p.counts, expect);
}

TEST(Skymap, ReadsOrderZeroExplicitAndLegacyMaps) {
  Skymap sq = read_skymap_fits(data("square_map/skymap.fits"));
  EXPECT_EQ(sq.order, 0);
  EXPECT_EQ(sq.counts, std::vector<int64_t>(12, 1));
  // Legacy hipscat: header says RING, data are nested counts per order-2 pixel.
  Skymap legacy = read_skymap_fits(data("legacy_hipscat/small_sky_source_catalog/point_map.fits"));
  EXPECT_EQ(legacy.order, 2);
  EXPECT_EQ(legacy.ordering, "RING");
  EXPECT_EQ(legacy.total(), 17161);
  EXPECT_GT(legacy.counts[176], 0);
  // EXPLICIT (PIXEL, VALUE) map written by cdshealpix.
  Skymap ex = read_skymap_fits(data("small_sky_order1_nested_sources/catalog/skymap.fits"));
  EXPECT_EQ(ex.order, 5);
  size_t nonzero = 0;
  for (int64_t c : ex.counts) nonzero += c != 0;
  EXPECT_LE(nonzero, 112u);
  EXPECT_GT(nonzero, 0u);
}

class SkymapWrite : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("al_skymap_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(SkymapWrite, RoundTripsWithHatsHeader) {
  std::vector<int64_t> counts(12 * 4 * 4 * 4, 0);
  for (size_t i = 0; i < counts.size(); i++) counts[i] = int64_t(i * i) - 7;
  counts[5] = int64_t(1) << 40;
  std::string path = (dir_ / "skymap.fits").string();
  write_skymap_fits(path, 3, counts);
  Skymap m = read_skymap_fits(path);
  EXPECT_EQ(m.order, 3);
  EXPECT_EQ(m.ordering, "NESTED");
  EXPECT_EQ(m.counts, counts);
  // The header cards hats writes (80-character ASCII cards).
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* card : {"XTENSION= 'BINTABLE'", "TTYPE1  = 'T       '", "TFORM1  = 'K       '",
                           "PIXTYPE = 'HEALPIX '", "ORDERING= 'NESTED  '", "COORDSYS= 'CEL     '",
                           "INDXSCHM= 'IMPLICIT'", "OBJECT  = 'FULLSKY '", "EXTNAME = 'xtension'"})
    EXPECT_NE(bytes.find(card), std::string::npos) << card;
  EXPECT_NE(bytes.find("NSIDE   =                    8"), std::string::npos);
  EXPECT_NE(bytes.find("LASTPIX =                  767"), std::string::npos);
  EXPECT_EQ(bytes.size() % 2880, 0u);
  // Overwrites in place, leaving no temp file.
  write_skymap_fits(path, 0, std::vector<int64_t>(12, 2));
  EXPECT_EQ(read_skymap_fits(path).counts, std::vector<int64_t>(12, 2));
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_)) n += e.is_regular_file();
  EXPECT_EQ(n, 1u);
}

TEST_F(SkymapWrite, RejectsBadInput) {
  std::string path = (dir_ / "x.fits").string();
  EXPECT_THROW(write_skymap_fits(path, 1, std::vector<int64_t>(12, 0)), std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_THROW(read_skymap_fits(path), std::runtime_error);
  std::ofstream(path) << "SIMPLE  = garbage";
  try {
    read_skymap_fits(path);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  // A truncated copy of a real map.
  std::ifstream in(data("small_sky/skymap.fits"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(path, std::ios::binary) << bytes.substr(0, 2880 * 2 + 100);
  EXPECT_THROW(read_skymap_fits(path), std::runtime_error);
}

}  // namespace
}  // namespace astrolake::catalog
