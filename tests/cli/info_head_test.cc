// Runs the astrolake binary's `info` and `head` on the HATS fixtures.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_harness.h"

namespace {

using al_cli_test::cli_output;
using al_cli_test::data;

TEST(CliInfo, JsonForSmallSkyOrder1Collection) {
  int st = -1;
  std::string out = cli_output({"info", "--json", data("small_sky_order1_collection")}, st);
  ASSERT_EQ(st, 0) << out;
  nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["name"], "small_sky_order1");
  EXPECT_EQ(j["type"], "object");
  EXPECT_EQ(j["rows"], 131);
  EXPECT_EQ(j["partitions"], 4);
  EXPECT_EQ(j["orders"]["1"], 4);
  ASSERT_EQ(j["columns"].size(), 6u);
  EXPECT_EQ(j["columns"][0]["name"], "_healpix_29");
  EXPECT_EQ(j["columns"][0]["type"], "int64");
  EXPECT_EQ(j["columns"][2]["name"], "ra");
  EXPECT_EQ(j["columns"][2]["type"], "double");
  EXPECT_EQ(j["bytes"], 33182);  // the SOURCE.md inventory of this directory
  EXPECT_NEAR(j["coverage_sq_deg"].get<double>(), 41252.96124941928 / 12, 1e-6);
  EXPECT_EQ(j["margin"]["name"], "small_sky_order1_margin_1deg");
  EXPECT_EQ(j["margin"]["rows"], 23);
}

TEST(CliInfo, TextAndRootLookup) {
  int st = -1;
  std::string out = cli_output({"info", "square_map", "--root", data("")}, st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("name:        square_map"), std::string::npos) << out;
  EXPECT_NE(out.find("type:        map"), std::string::npos) << out;
  EXPECT_NE(out.find("rows:        12\n"), std::string::npos) << out;
  EXPECT_NE(out.find("partitions:  12 (order 0: 12)"), std::string::npos) << out;
  EXPECT_NE(out.find("100.0000% of sky"), std::string::npos) << out;
  out = cli_output({"info", data("small_sky_source")}, st);
  EXPECT_NE(out.find("partitions:  14 (order 1: 1, order 2: 13)"), std::string::npos) << out;
  EXPECT_NE(out.find("band "), std::string::npos) << out;
  EXPECT_NE(out.find("string"), std::string::npos) << out;
}

TEST(CliInfo, ErrorsAreOneLineAndNonZero) {
  int st = -1;
  std::string out = cli_output({"info", data("raw/small_sky_no_metadata")}, st, true);
  EXPECT_NE(st, 0);
  EXPECT_NE(out.find("catalog schema could not be loaded"), std::string::npos) << out;
  out = cli_output({"info", "no_such_catalog_xyz", "--root", "/nonexistent"}, st, true);
  EXPECT_NE(st, 0);
  EXPECT_NE(out.find("no_such_catalog_xyz"), std::string::npos) << out;
}

TEST(CliHead, FirstRowsInSpatialOrder) {
  int st = -1;
  std::string out = cli_output({"head", data("small_sky_order1_collection"), "-n", "3", "--columns", "id,ra,dec"}, st);
  ASSERT_EQ(st, 0) << out;
  // Partition 1/44 comes first; within it rows keep file order (sorted by _healpix_29).
  EXPECT_EQ(out,
            " id     ra    dec\n"
            "---  -----  -----\n"
            "707  308.5  -69.5\n"
            "792  320.5  -69.5\n"
            "723  315.5  -68.5\n");
  // Spanning partitions: 42 rows in 1/44, so -n 45 reaches into 1/45.
  out = cli_output({"head", data("small_sky_order1_collection"), "-n", "45", "--columns", "id"}, st);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 47);
}

TEST(CliHead, DefaultColumnsListsAndErrors) {
  int st = -1;
  std::string out = cli_output({"head", data("small_sky_order1_default_columns"), "-n", "1"}, st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_EQ(out.substr(0, out.find('\n')), "   ra    dec   id");
  out = cli_output({"head", data("small_sky_order1_nested_sources"), "-n", "1", "--columns", "id,sources.band"}, st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("[i, y, … 131 items]"), std::string::npos) << out;
  out = cli_output({"head", data("small_sky"), "--columns", "nope"}, st, true);
  EXPECT_NE(st, 0);
  EXPECT_NE(out.find("no column 'nope'"), std::string::npos) << out;
  out = cli_output({"head", data("hats_repo/small_sky_o1_collection/small_sky_order1_margin_10arcs"), "-n", "5"}, st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);  // header and rule only
}

}  // namespace
