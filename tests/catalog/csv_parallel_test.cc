// CSV parsing with several threads must give exactly the chunks of the serial parse (same
// chunk starts, values, nulls and string offsets) and the same errors, including the files
// where it falls back to serial parsing (quotes, '\r').
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "catalog/input.h"

namespace fs = std::filesystem;
using namespace astrolake;
using namespace astrolake::catalog;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/al_csvpar_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

struct Chunk {
  int64_t start;
  parquet::Table table;
};

std::vector<Chunk> read_chunks(const std::string& path, int threads, int64_t chunk_rows, int64_t sample = 100000,
                               std::vector<int> only = {}) {
  InputOptions o;
  o.only = std::move(only);
  o.threads = threads;
  o.chunk_rows = chunk_rows;
  o.csv_sample_rows = sample;
  auto r = open_csv(path, o);
  std::vector<Chunk> out;
  parquet::Table t;
  while (r->next(t)) out.push_back({r->chunk_start(), t});
  return out;
}

// Byte-for-byte equality of two chunk lists.
void expect_same(const std::vector<Chunk>& a, const std::vector<Chunk>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].start, b[i].start) << "chunk " << i;
    ASSERT_EQ(a[i].table.columns.size(), b[i].table.columns.size());
    for (size_t c = 0; c < a[i].table.columns.size(); ++c) {
      const auto& x = a[i].table.columns[c];
      const auto& y = b[i].table.columns[c];
      EXPECT_EQ(x.field.type, y.field.type);
      ASSERT_EQ(x.data.size(), y.data.size()) << "chunk " << i << " column " << c;
      EXPECT_EQ(0, std::memcmp(x.data.data(), y.data.data(), x.data.size())) << "chunk " << i << " column " << c;
      EXPECT_EQ(x.offsets, y.offsets) << "chunk " << i << " column " << c;
      EXPECT_EQ(x.valid, y.valid) << "chunk " << i << " column " << c;
    }
  }
}

// A Gaia-like table with nulls, strings and blank lines; `extra` is spliced in after row 500.
std::string make_csv(int rows, const std::string& extra = "", const char* eol = "\n") {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-90, 90);
  std::string s = std::string("id,ra,dec,mag,name,flag") + eol;
  for (int i = 0; i < rows; ++i) {
    if (i == 500) s += extra;
    if (i % 97 == 5) s += std::string("  ") + eol;  // blank line, skipped
    char buf[200];
    std::snprintf(buf, sizeof buf, "%d,%.17g,%.17g,%s,%s,%s%s", i, u(rng) + 90, u(rng), i % 13 == 0 ? "" : "12.5",
                  i % 7 == 0 ? "" : "star", i % 2 ? "true" : "false", eol);
    s += buf;
  }
  return s;
}

std::string error_of(const std::string& path, int threads, int64_t chunk_rows, int64_t sample) {
  try {
    read_chunks(path, threads, chunk_rows, sample);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(CsvParallel, SameChunksAsSerial) {
  TempDir tmp;
  std::string p = tmp.path + "/a.csv";
  write_text(p, make_csv(3000));
  for (int64_t chunk : {1, 7, 1000, 5000}) {
    auto serial = read_chunks(p, 1, chunk);
    int64_t rows = 0;
    for (const auto& c : serial) rows += int64_t(c.table.rows());
    EXPECT_EQ(rows, 3000);
    for (int threads : {2, 3, 8}) expect_same(serial, read_chunks(p, threads, chunk));
  }
}

TEST(CsvParallel, NoFinalNewlineAndOnlyBlankChunks) {
  TempDir tmp;
  std::string p = tmp.path + "/a.csv";
  std::string s = "a,b\n1,2\n";
  for (int i = 0; i < 50; ++i) s += "\n";
  s += "3,4\n5,6";  // no newline at the end
  write_text(p, s);
  for (int64_t chunk : {1, 2, 10}) {
    auto serial = read_chunks(p, 1, chunk);
    auto par = read_chunks(p, 2, chunk);
    expect_same(serial, par);
    int64_t rows = 0;
    for (const auto& c : par) rows += int64_t(c.table.rows());
    EXPECT_EQ(rows, 3);
  }
}

TEST(CsvParallel, QuotesAndCarriageReturnsFallBackToSerial) {
  TempDir tmp;
  std::string p = tmp.path + "/q.csv";
  write_text(p, make_csv(2000, "9999,10.5,20.5,1.0,\"two\nlines, and a comma\",true\n"));
  std::string r = tmp.path + "/r.csv";
  write_text(r, make_csv(2000, "", "\r\n"));
  for (int64_t chunk : {3, 700}) {
    expect_same(read_chunks(p, 1, chunk), read_chunks(p, 2, chunk));
    expect_same(read_chunks(r, 1, chunk), read_chunks(r, 2, chunk));
  }
  auto q = read_chunks(p, 2, 100000);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].table.rows(), 2001u);
  EXPECT_EQ(q[0].table.columns[4].string_at(500), "two\nlines, and a comma");
}

TEST(CsvParallel, ErrorsNameTheSameRowAndColumn) {
  TempDir tmp;
  std::string p = tmp.path + "/bad.csv";
  write_text(p, make_csv(2000, "500,1.0,2.0,not-a-number,x,true\n"));
  std::string e1 = error_of(p, 1, 256, 100), e2 = error_of(p, 2, 256, 100);
  EXPECT_NE(e1.find("column 'mag'"), std::string::npos) << e1;
  EXPECT_NE(e1.find("not-a-number"), std::string::npos) << e1;
  EXPECT_NE(e1.find(p), std::string::npos) << e1;
  EXPECT_EQ(e1, e2);

  std::string w = tmp.path + "/wide.csv";
  write_text(w, make_csv(2000, "1,2,3\n"));
  std::string w1 = error_of(w, 1, 256, 100), w2 = error_of(w, 3, 256, 100);
  EXPECT_NE(w1.find("expected 6 fields"), std::string::npos) << w1;
  EXPECT_EQ(w1, w2);
}

TEST(CsvParallel, OnlySomeColumnsGivesThoseColumnsOfTheFullParse) {
  // Parsing only ra and dec (as the import's histogram pass does) gives, serially and in
  // parallel, the same chunks as the full parse restricted to those columns; with quotes
  // (serial fallback) too. A bad value in a column not parsed is not seen; the full parse
  // still reports it.
  TempDir tmp;
  std::string p = tmp.path + "/a.csv", q = tmp.path + "/q.csv", bad = tmp.path + "/bad.csv";
  write_text(p, make_csv(3000));
  write_text(q, make_csv(2000, "9999,10.5,20.5,1.0,\"two\nlines, and a comma\",true\n"));
  write_text(bad, make_csv(2000, "500,1.0,2.0,not-a-number,x,true\n"));
  for (const std::string& f : {p, q, bad}) {
    for (int threads : {1, 2, 3}) {
      for (std::vector<int> only : {std::vector<int>{1, 2}, std::vector<int>{2}, std::vector<int>{0, 4, 5}}) {
        auto part = read_chunks(f, threads, 700, 100, only);  // types from 100 rows: mag a double
        if (f == bad) {  // read without error above; the full parse fails on mag
          EXPECT_EQ(part.size(), 3u);
          EXPECT_NE(error_of(f, threads, 700, 100).find("column 'mag'"), std::string::npos);
          continue;
        }
        auto full = read_chunks(f, threads, 700, 100);
        for (auto& c : full) {
          parquet::Table t;
          for (int k : only) t.columns.push_back(c.table.columns[size_t(k)]);
          c.table = std::move(t);
        }
        expect_same(full, part);
      }
    }
  }
  EXPECT_THROW(read_chunks(p, 1, 700, 100000, {2, 1}), std::invalid_argument);
  EXPECT_THROW(read_chunks(p, 1, 700, 100000, {6}), std::invalid_argument);
}
