#include "catalog/partition.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace astrolake::catalog {
namespace {

std::string data(const std::string& rel) { return std::string(AL_TEST_DATA) + "/hats/" + rel; }

TEST(Partition, PathsFollowTheHatsLayout) {
  EXPECT_EQ(pixel_relative_path(1, 44), "Norder=1/Dir=0/Npix=44.parquet");
  EXPECT_EQ(pixel_relative_path(7, 123456, ".parq"), "Norder=7/Dir=120000/Npix=123456.parq");
  EXPECT_EQ(pixel_relative_path(0, 11, "/"), "Norder=0/Dir=0/Npix=11");
  EXPECT_EQ(pixel_path("/x/dataset", 5, 9999), "/x/dataset/Norder=5/Dir=0/Npix=9999.parquet");
  EXPECT_EQ(pixel_stem(5, 10000), "Norder=5/Dir=10000/Npix=10000");
}

TEST(Partition, ParsesPixelPaths) {
  int o = -1;
  int64_t p = -1;
  ASSERT_TRUE(parse_pixel_path("Norder=1/Dir=0/Npix=44.parquet", o, p));
  EXPECT_EQ(o, 1);
  EXPECT_EQ(p, 44);
  ASSERT_TRUE(parse_pixel_path("/a/b/Norder=0/Dir=0/Npix=11/part0.parquet", o, p));
  EXPECT_EQ(o, 0);
  EXPECT_EQ(p, 11);
  ASSERT_TRUE(parse_pixel_path("/Norder=2/Dir=0/Npix=176.parquet", o, p));  // legacy hipscat
  EXPECT_EQ(p, 176);
  EXPECT_FALSE(parse_pixel_path("index/part.0.parquet", o, p));
  EXPECT_FALSE(parse_pixel_path("Norder=1/Dir=0/Npix=48.parquet", o, p));     // pixel out of range
  EXPECT_FALSE(parse_pixel_path("Norder=30/Dir=0/Npix=1.parquet", o, p));     // order too high
  EXPECT_FALSE(parse_pixel_path("Norder=7/Dir=0/Npix=123456.parquet", o, p)); // Dir disagrees
  EXPECT_FALSE(parse_pixel_path("XNorder=1/Dir=0/Npix=4.parquet", o, p));
}

TEST(Partition, SpatialIndexOrder) {
  EXPECT_EQ(healpix_to_spatial_index(0, 11), int64_t(11) << 58);
  EXPECT_EQ(healpix_to_spatial_index(1, 44), int64_t(44) << 56);
  EXPECT_EQ(healpix_to_spatial_index(29, 12345), 12345);
  std::vector<Partition> parts = {{2, 176, {}, -1}, {-1, -1, {"idx"}, -1}, {1, 47, {}, -1},
                                  {2, 66, {}, -1},  {0, 4, {}, -1},         {1, 16, {}, -1}};
  sort_partitions(parts);
  std::vector<std::pair<int, int64_t>> got;
  for (auto& p : parts) got.emplace_back(p.order, p.pixel);
  EXPECT_EQ(got, (std::vector<std::pair<int, int64_t>>{{0, 4}, {1, 16}, {2, 66}, {2, 176}, {1, 47}, {-1, -1}}));
}

TEST(Partition, ReadsPartitionInfoFixtures) {
  auto px = read_partition_info(data("small_sky_source_margin/partition_info.csv"));
  ASSERT_EQ(px.size(), 14u);
  EXPECT_EQ(px.front(), (PixelId{2, 66}));  // file order kept
  EXPECT_EQ(px.back(), (PixelId{1, 47}));
  // Legacy hipscat adds a Dir column.
  auto legacy = read_partition_info(data("legacy_hipscat/small_sky_source_catalog/partition_info.csv"));
  ASSERT_EQ(legacy.size(), 14u);
  EXPECT_EQ(legacy[0], (PixelId{0, 4}));
  // Header only.
  EXPECT_TRUE(read_partition_info(data("hats_repo/small_sky_o1_collection/small_sky_order1_margin_10arcs/partition_info.csv")).empty());
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("al_part_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::string p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(TempDir, PartitionInfoRoundTripAndErrors) {
  std::string p = (dir_ / "partition_info.csv").string();
  std::vector<PixelId> px = {{1, 47}, {0, 4}, {2, 176}};
  write_partition_info(p, px);
  EXPECT_EQ(read_partition_info(p), px);
  std::ifstream in(p);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "Norder,Npix");
  EXPECT_EQ(read_partition_info(write("crlf.csv", "Npix,Norder\r\n44,1\r\n\r\n")), (std::vector<PixelId>{{1, 44}}));

  auto expect_error = [&](const std::string& text, const std::string& needle) {
    std::string f = write("bad.csv", text);
    try {
      read_partition_info(f);
      ADD_FAILURE() << "no error for: " << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.csv"), std::string::npos) << e.what();
    }
  };
  expect_error("Order,Pixel\n1,2\n", "Norder and Npix");
  expect_error("Norder,Npix\n1,44\n1,x\n", "line 3");
  expect_error("Norder,Npix\n1\n", "missing Npix");
  expect_error("Norder,Npix\n1,48\n", "out of range");
  expect_error("Norder,Npix\n31,0\n", "above 29");
  expect_error("Norder,Npix\n-1,0\n", "bad Norder");
  EXPECT_ANY_THROW(read_partition_info((dir_ / "absent.csv").string()));
}

}  // namespace
}  // namespace astrolake::catalog
