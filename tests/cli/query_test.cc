// `astrolake query` and `astrolake functions` end to end: CSV to stdout, the writers
// (.csv, .parquet, --format hats read back by the catalog layer), EXPLAIN, errors with a
// non-zero exit, --timeout, and the function listing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "catalog/catalog.h"
#include "cli_harness.h"
#include "parquet/reader.h"

using namespace astrolake;

namespace {

namespace fs = std::filesystem;
using al_cli_test::cli_output;

std::string hats() { return std::string(AL_TEST_DATA) + "/hats"; }

size_t lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

struct Tmp {
  std::string path;
  Tmp() {
    char t[] = "/tmp/al_query_cli_XXXXXX";
    path = mkdtemp(t);
  }
  ~Tmp() { fs::remove_all(path); }
};

}  // namespace

TEST(CliQuery, CsvToStdoutWhenPiped) {
  int st = -1;
  std::string out = cli_output({"query", "SELECT TOP 3 id, ra FROM small_sky ORDER BY id", "--root", hats()}, st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_EQ(out, "id,ra\n700,282.5\n701,299.5\n702,310.5\n");
  out = cli_output({"query",
                   "SELECT COUNT(*) AS n FROM small_sky_order1_source_collection WHERE "
                   "1 = CONTAINS(POINT(source_ra, source_dec), CIRCLE(-35, -55, 2))",
                   "--root", hats()},
                  st);
  EXPECT_EQ(out, "n\n152\n");
  // $ASTROLAKE_ROOT is the default root.
  out = cli_output({"query", "SELECT COUNT(*) FROM small_sky"}, st);
  EXPECT_NE(st, 0);
  std::string cmd = "ASTROLAKE_ROOT=" + hats() + " " + AL_BINARY + " query \"SELECT COUNT(*) AS n FROM small_sky\"";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  char buf[256] = {0};
  size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  ::pclose(p);
  EXPECT_EQ(std::string(buf, n), "n\n131\n");
}

TEST(CliQuery, WritesCsvParquetAndHats) {
  Tmp t;
  int st = -1;
  std::string q = "SELECT source_id, source_ra, source_dec, mag FROM small_sky_order1_source_collection WHERE "
                  "DISTANCE(POINT(source_ra, source_dec), POINT(-35, -55)) <= 2";
  std::string out = cli_output({"query", q, "--root", hats(), "-o", t.path + "/r.csv"}, st, true);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("152 rows"), std::string::npos) << out;
  std::ifstream f(t.path + "/r.csv");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(lines(ss.str()), 153u);
  EXPECT_EQ(ss.str().substr(0, ss.str().find('\n')), "source_id,source_ra,source_dec,mag");

  out = cli_output({"query", q, "--root", hats(), "-o", t.path + "/r.parquet"}, st, true);
  ASSERT_EQ(st, 0) << out;
  EXPECT_EQ(parquet::FileReader::open(t.path + "/r.parquet")->rows(), 152);

  // A HATS output is a catalog: partitioned on the query's ra/dec columns.
  out = cli_output({"query", q, "--root", hats(), "--format", "hats", "-o", t.path + "/cone"}, st, true);
  ASSERT_EQ(st, 0) << out;
  catalog::Catalog c = catalog::Catalog::open(t.path + "/cone");
  EXPECT_EQ(c.rows(), 152);
  EXPECT_EQ(c.ra_column(), "source_ra");
  // The result can be queried again.
  out = cli_output({"query", "SELECT COUNT(*) AS n FROM cone", "--root", t.path}, st);
  EXPECT_EQ(out, "n\n152\n");

  // Existing outputs are not replaced without --overwrite.
  cli_output({"query", q, "--root", hats(), "-o", t.path + "/r.csv"}, st);
  EXPECT_NE(st, 0);
  cli_output({"query", q, "--root", hats(), "-o", t.path + "/r.csv", "--overwrite"}, st);
  EXPECT_EQ(st, 0);
}

TEST(CliQuery, ExplainTableAndErrors) {
  int st = -1;
  std::string out = cli_output({"query", "EXPLAIN SELECT id FROM small_sky WHERE id > 800 ORDER BY id", "--root", hats()}, st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("Sort by"), std::string::npos) << out;
  EXPECT_NE(out.find("Scan small_sky"), std::string::npos) << out;
  EXPECT_NE(out.find("Estimate: partitions 1/1"), std::string::npos) << out;

  out = cli_output({"query", "SELECT TOP 2 id, ra FROM small_sky ORDER BY id", "--format", "table", "--root", hats()}, st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("700"), std::string::npos) << out;
  EXPECT_NE(out.find("(2 rows)"), std::string::npos) << out;

  out = cli_output({"query", "SELECT rra FROM small_sky", "--root", hats()}, st, true);
  EXPECT_EQ(st, 1);
  EXPECT_EQ(out, "astrolake: error: line 1, column 8: no column 'rra' in catalog small_sky (did you mean 'ra'?)\n");
  out = cli_output({"query", "SELECT ra FORM small_sky", "--root", hats()}, st, true);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("FORM"), std::string::npos) << out;
  out = cli_output({"query", "SELECT ra FROM small_sky", "--format", "hats", "--root", hats()}, st, true);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("needs -o"), std::string::npos) << out;
}

TEST(CliQuery, TimeoutStopsAQuery) {
  int st = -1;
  // A large cross join: far more work than 0.2 s.
  std::string out = cli_output({"query",
                                  "SELECT COUNT(*) FROM small_sky_order1_source_collection a, "
                                  "small_sky_order1_source_collection b WHERE a.mag + b.mag > 1000",
                                  "--timeout", "0.2", "--root", hats()},
                                 st, true);
  EXPECT_EQ(st, 1);
  EXPECT_NE(out.find("time limit"), std::string::npos) << out;
}

TEST(CliFunctions, ListsEveryRegisteredFunction) {
  int st = -1;
  std::string out = cli_output({"functions"}, st);
  ASSERT_EQ(st, 0);
  for (const char* f : {"CONTAINS(POINT", "DISTANCE(POINT, POINT)", "sqrt(x DOUBLE)", "healpix(order INTEGER",
                        "count(*)", "lower(s STRING)", "in_circle("})
    EXPECT_NE(out.find(f), std::string::npos) << f << "\n" << out;
}

TEST(CliQuery, CsvCellsAreTheValuesOfTheParquetResult) {
  // Every cell of a CSV result is the value of the same query's Parquet result, formatted as
  // the CSV writer documents: integers in decimal, doubles %.17g, floats %.9g, booleans
  // true/false, NULL empty, strings quoted (quotes doubled) when they hold a comma or quote.
  Tmp t;
  int st = -1;
  std::string q = "SELECT id, ra, CAST(id AS SMALLINT) AS s, CAST(ra AS REAL) AS f, id > 800 AS b, "
                  "'x,\"y\"' AS q, 'plain' AS p, CASE WHEN id > 750 THEN NULL ELSE dec END AS n, "
                  "-id * 1000000000000 AS big FROM small_sky ORDER BY id";
  std::string out = cli_output({"query", q, "--root", hats(), "--threads", "1", "-o", t.path + "/r.csv"}, st, true);
  ASSERT_EQ(st, 0) << out;
  out = cli_output({"query", q, "--root", hats(), "--threads", "1", "-o", t.path + "/r.parquet"}, st, true);
  ASSERT_EQ(st, 0) << out;
  parquet::Table r = parquet::FileReader::open(t.path + "/r.parquet")->read();
  std::string want = "id,ra,s,f,b,q,p,n,big\n";
  char b[64];
  for (size_t i = 0; i < r.rows(); i++) {
    for (size_t c = 0; c < r.columns.size(); c++) {
      const parquet::Column& col = r.columns[c];
      if (c) want += ',';
      if (col.is_null(i)) continue;
      switch (col.field.type) {
        case parquet::Type::Int16: want += std::to_string(col.values_as<int16_t>()[i]); break;
        case parquet::Type::Int64: want += std::to_string(col.values_as<int64_t>()[i]); break;
        case parquet::Type::Bool: want += col.values_as<uint8_t>()[i] ? "true" : "false"; break;
        case parquet::Type::Float: std::snprintf(b, sizeof b, "%.9g", double(col.values_as<float>()[i])); want += b; break;
        case parquet::Type::Double: std::snprintf(b, sizeof b, "%.17g", col.values_as<double>()[i]); want += b; break;
        case parquet::Type::String: {
          std::string v(col.string_at(i));
          want += v == "plain" ? v : "\"x,\"\"y\"\"\"";
          break;
        }
        default: FAIL() << "unexpected type in column " << col.field.name;
      }
    }
    want += '\n';
  }
  std::ifstream f(t.path + "/r.csv");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(r.rows(), 131u);
  EXPECT_EQ(ss.str(), want);
}
