// Input readers: CSV quoting and type inference, FITS binary tables written with cfitsio
// (scalars, vectors, TNULL, NaN, strings, logicals), and importing a FITS table.
#include <fitsio.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "catalog/import.h"
#include "catalog/input.h"
#include "catalog/partition.h"
#include "parquet/reader.h"
#include "sky/healpix.h"

namespace fs = std::filesystem;
using namespace astrolake;
using namespace astrolake::catalog;
using parquet::Type;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/al_input_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

parquet::Table read_all(InputReader& r) {
  parquet::Table all, t;
  bool first = true;
  while (r.next(t)) {
    if (first) {
      all = t;
      first = false;
      continue;
    }
    for (size_t c = 0; c < t.columns.size(); ++c) {
      // Tests use small inputs in one chunk unless they say otherwise.
      ADD_FAILURE() << "unexpected second chunk";
    }
  }
  return all;
}

}  // namespace

TEST(CsvInput, QuotingNullsAndTypes) {
  TempDir tmp;
  std::string p = tmp.path + "/a.csv";
  write_text(p,
             "id,ra,dec,name,flag,note\r\n"
             "1,10.5,-3,\"Smith, J.\",true,\n"
             "2,11,4.25,\"say \"\"hi\"\"\",False,\"two\nlines\"\r\n"
             "3,,5,,TRUE,\"\"\n"
             "\n"
             "4,12.0,6e-1,plain,false,x");
  auto r = open_csv(p);
  const auto& s = r->schema();
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s[0].type, Type::Int64);
  EXPECT_EQ(s[1].type, Type::Double);
  EXPECT_EQ(s[2].type, Type::Double);
  EXPECT_EQ(s[3].type, Type::String);
  EXPECT_EQ(s[4].type, Type::Bool);
  EXPECT_EQ(s[5].type, Type::String);
  parquet::Table t = read_all(*r);
  ASSERT_EQ(t.rows(), 4u);
  EXPECT_EQ(t.columns[0].values_as<int64_t>()[3], 4);
  EXPECT_TRUE(t.columns[1].is_null(2));
  EXPECT_FALSE(t.columns[1].is_null(1));
  EXPECT_EQ(t.columns[2].values_as<double>()[3], 0.6);
  EXPECT_EQ(t.columns[3].string_at(0), "Smith, J.");
  EXPECT_EQ(t.columns[3].string_at(1), "say \"hi\"");
  EXPECT_TRUE(t.columns[3].is_null(2));
  EXPECT_EQ(t.columns[4].values_as<uint8_t>()[1], 0);
  EXPECT_EQ(t.columns[4].values_as<uint8_t>()[2], 1);
  EXPECT_EQ(t.columns[5].string_at(1), "two\nlines");
  EXPECT_TRUE(t.columns[5].is_null(0));   // empty unquoted: null
  EXPECT_FALSE(t.columns[5].is_null(2));  // "" quoted: an empty string
  EXPECT_EQ(t.columns[5].string_at(2), "");
}

TEST(CsvInput, ChunksAcrossBufferRefillsWithQuotedNewlines) {
  TempDir tmp;
  std::string p = tmp.path + "/big.csv";
  {
    std::ofstream f(p);
    f << "i,text\n";
    for (int i = 0; i < 60000; ++i) f << i << ",\"row " << i << "\nline two, with \"\"quotes\"\"\"\n";
  }
  InputOptions o;
  o.chunk_rows = 7000;
  auto r = open_csv(p, o);
  parquet::Table t;
  int64_t n = 0;
  while (r->next(t)) {
    EXPECT_EQ(r->chunk_start(), n);
    for (size_t i = 0; i < t.rows(); ++i) {
      int64_t id = t.columns[0].values_as<int64_t>()[i];
      ASSERT_EQ(id, n + int64_t(i));
      ASSERT_EQ(t.columns[1].string_at(i), "row " + std::to_string(id) + "\nline two, with \"quotes\"");
    }
    n += int64_t(t.rows());
  }
  EXPECT_EQ(n, 60000);
}

TEST(CsvInput, ValueAfterTheSampleThatDoesNotFitNamesRowAndColumn) {
  TempDir tmp;
  std::string p = tmp.path + "/late.csv";
  {
    std::ofstream f(p);
    f << "ra,dec,n\n";
    for (int i = 0; i < 50; ++i) f << i << "," << i << "," << i << "\n";
    f << "1,2,oops\n";
  }
  InputOptions o;
  o.csv_sample_rows = 10;
  auto r = open_csv(p, o);
  parquet::Table t;
  try {
    while (r->next(t)) {
    }
    FAIL() << "no error";
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("late.csv"), std::string::npos) << m;
    EXPECT_NE(m.find("row 51"), std::string::npos) << m;
    EXPECT_NE(m.find("'n'"), std::string::npos) << m;
    EXPECT_NE(m.find("oops"), std::string::npos) << m;
  }
  write_text(tmp.path + "/unterminated.csv", "a,b\n1,\"open\n");
  EXPECT_THROW(
      {
        auto u = open_csv(tmp.path + "/unterminated.csv");
        while (u->next(t)) {
        }
      },
      InputError);
}

namespace {

// Writes a FITS binary table with cfitsio: ra D, dec E, id K with TNULL, small J with TNULL,
// name 8A, flag L, mag D with NaN, vec 3E, var PD (variable-length doubles).
void write_fits(const std::string& path, int n) {
  fitsfile* f = nullptr;
  int status = 0;
  fs::remove(path);
  fits_create_file(&f, path.c_str(), &status);
  const char* ttype[] = {"ra", "dec", "id", "small", "name", "flag", "mag", "vec", "var"};
  const char* tform[] = {"D", "E", "K", "J", "8A", "L", "D", "3E", "PD()"};
  fits_create_tbl(f, BINARY_TBL, 0, 9, const_cast<char**>(ttype), const_cast<char**>(tform), nullptr, "CAT", &status);
  long long knull = -999;
  int jnull = -1;
  fits_write_key(f, TLONGLONG, "TNULL3", &knull, "", &status);
  fits_write_key(f, TINT, "TNULL4", &jnull, "", &status);
  for (int i = 0; i < n; ++i) {
    LONGLONG row = i + 1;
    double ra = std::fmod(i * 7.31, 360.0);
    float dec = float(-80 + std::fmod(i * 1.7, 160.0));
    long long id = i % 10 == 3 ? knull : 1000 + i;
    int small = i % 4 == 1 ? jnull : i;
    std::string name = "s" + std::to_string(i);
    char* names[1] = {name.data()};
    char flag = i % 2;
    double mag = i % 5 == 0 ? NAN : 10 + i * 0.5;
    float vec[3] = {float(i), float(i) + 0.5f, i % 6 == 0 ? NAN : 2.0f};
    std::vector<double> var(size_t(i % 4), double(i));
    fits_write_col(f, TDOUBLE, 1, row, 1, 1, &ra, &status);
    fits_write_col(f, TFLOAT, 2, row, 1, 1, &dec, &status);
    fits_write_col(f, TLONGLONG, 3, row, 1, 1, &id, &status);
    fits_write_col(f, TINT, 4, row, 1, 1, &small, &status);
    fits_write_col(f, TSTRING, 5, row, 1, 1, names, &status);
    fits_write_col(f, TLOGICAL, 6, row, 1, 1, &flag, &status);
    fits_write_col(f, TDOUBLE, 7, row, 1, 1, &mag, &status);
    fits_write_col(f, TFLOAT, 8, row, 1, 3, vec, &status);
    if (!var.empty()) fits_write_col(f, TDOUBLE, 9, row, 1, LONGLONG(var.size()), var.data(), &status);
    else fits_write_descript(f, 9, row, 0, 0, &status);
  }
  fits_close_file(f, &status);
  ASSERT_EQ(status, 0) << "cfitsio status " << status;
}

}  // namespace

TEST(FitsInput, TypesNullsVectorsAndStrings) {
  TempDir tmp;
  std::string p = tmp.path + "/t.fits";
  write_fits(p, 40);
  InputOptions o;
  o.chunk_rows = 16;
  auto r = open_fits(p, o);
  EXPECT_EQ(r->total_rows(), 40);
  const auto& s = r->schema();
  ASSERT_EQ(s.size(), 9u);
  EXPECT_EQ(s[0].type, Type::Double);
  EXPECT_EQ(s[1].type, Type::Float);
  EXPECT_EQ(s[2].type, Type::Int64);
  EXPECT_EQ(s[3].type, Type::Int32);
  EXPECT_EQ(s[4].type, Type::String);
  EXPECT_EQ(s[5].type, Type::Bool);
  EXPECT_TRUE(s[7].list);
  EXPECT_EQ(s[7].type, Type::Float);
  EXPECT_TRUE(s[8].list);
  EXPECT_EQ(s[8].type, Type::Double);
  parquet::Table t;
  int64_t row = 0;
  while (r->next(t)) {
    EXPECT_EQ(r->chunk_start(), row);
    for (size_t k = 0; k < t.rows(); ++k, ++row) {
      int i = int(row);
      EXPECT_EQ(t.columns[0].values_as<double>()[k], std::fmod(i * 7.31, 360.0));
      EXPECT_EQ(t.columns[2].is_null(k), i % 10 == 3) << i;
      if (i % 10 != 3) EXPECT_EQ(t.columns[2].values_as<int64_t>()[k], 1000 + i);
      EXPECT_EQ(t.columns[3].is_null(k), i % 4 == 1) << i;
      EXPECT_EQ(t.columns[4].string_at(k), "s" + std::to_string(i));
      EXPECT_EQ(t.columns[5].values_as<uint8_t>()[k], i % 2);
      EXPECT_EQ(t.columns[6].is_null(k), i % 5 == 0) << i;
      const auto& v = t.columns[7];
      ASSERT_EQ(v.list_offsets[k + 1] - v.list_offsets[k], 3);
      size_t e = size_t(v.list_offsets[k]);
      EXPECT_EQ(v.values_as<float>()[e + 1], float(i) + 0.5f);
      EXPECT_EQ(v.value_is_null(e + 2), i % 6 == 0);
      const auto& w = t.columns[8];
      ASSERT_EQ(w.list_offsets[k + 1] - w.list_offsets[k], i % 4);
      for (int64_t j = w.list_offsets[k]; j < w.list_offsets[k + 1]; ++j) EXPECT_EQ(w.values_as<double>()[j], double(i));
    }
  }
  EXPECT_EQ(row, 40);
}

TEST(FitsInput, ImportsIntoACatalog) {
  TempDir tmp;
  std::string p = tmp.path + "/t.fits";
  write_fits(p, 500);
  ImportOptions o;
  o.inputs = {p};
  o.output = tmp.path + "/cat";
  o.max_rows = 100;
  o.progress = 0;
  ImportResult r = import_catalog(o);
  EXPECT_EQ(r.rows, 500);
  int64_t total = 0, null_ids = 0;
  for (const auto& px : r.partitions) {
    auto f = parquet::FileReader::open(pixel_path(r.catalog_dir + "/dataset", px.order, px.pixel));
    ASSERT_EQ(f->schema().size(), 10u);
    EXPECT_EQ(f->schema()[0].name, "_healpix_29");
    EXPECT_TRUE(f->schema()[8].list);
    parquet::Table t = f->read();
    for (size_t i = 0; i < t.rows(); ++i) {
      EXPECT_EQ(t.columns[0].values_as<int64_t>()[i],
                sky::healpix29(t.columns[1].values_as<double>()[i], t.columns[2].values_as<float>()[i]));
      if (t.columns[3].is_null(i)) ++null_ids;
    }
    total += int64_t(t.rows());
  }
  EXPECT_EQ(total, 500);
  EXPECT_EQ(null_ids, 50);
}

TEST(FitsInput, UnreadableFitsIsAClearError) {
  TempDir tmp;
  std::string p = tmp.path + "/bad.fits";
  write_text(p, std::string(2880, 'x'));
  try {
    open_fits(p);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.fits"), std::string::npos) << e.what();
  }
}

namespace {

// A FITS file written card by card: an empty primary HDU, then a binary table whose header
// is `cards` (80-column cards, END added) followed by `data`, padded to 2880-byte blocks.
void write_fits_cards(const std::string& path, const std::vector<std::string>& cards, const std::string& data) {
  auto block = [](std::vector<std::string> c) {
    c.push_back("END");
    std::string h;
    for (std::string& card : c) h += card + std::string(80 - card.size(), ' ');
    h.resize((h.size() + 2879) / 2880 * 2880, ' ');
    return h;
  };
  std::string out = block({"SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    0",
                           "EXTEND  =                    T"});
  out += block(cards);
  std::string d = data;
  d.resize((d.size() + 2879) / 2880 * 2880, '\0');
  write_text(path, out + d);
}

std::string card(const std::string& key, const std::string& value) {
  std::string k = key + std::string(8 - key.size(), ' ');
  return k + "= " + std::string(20 - std::min<size_t>(20, value.size()), ' ') + value;
}

std::vector<std::string> table_cards(int64_t naxis1, int64_t naxis2, const std::string& tform) {
  return {card("XTENSION", "'BINTABLE'"), card("BITPIX", "8"), card("NAXIS", "2"), card("NAXIS1", std::to_string(naxis1)),
          card("NAXIS2", std::to_string(naxis2)), card("PCOUNT", "0"), card("GCOUNT", "1"), card("TFIELDS", "1"),
          card("TTYPE1", "'big'"), card("TFORM1", tform)};
}

std::string open_and_read_error(const std::string& path) {
  try {
    auto r = open_fits(path);
    parquet::Table t;
    while (r->next(t)) {
    }
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// Lengths read from the file are checked against its size before anything is allocated:
// a descriptor or repeat count claiming more elements than the file has bytes is an error.
TEST(FitsInput, LengthsBeyondTheFileAreRejectedBeforeAllocating) {
  TempDir tmp;
  std::string p = tmp.path + "/var.fits";
  // One row with a 'P' descriptor (int32 length, int32 heap offset) claiming 2^31-1 doubles.
  std::string row = {'\x7f', '\xff', '\xff', '\xff', 0, 0, 0, 0};
  write_fits_cards(p, table_cards(8, 1, "'1PD(5)'"), row);
  std::string err = open_and_read_error(p);
  EXPECT_NE(err.find("column 'big' row 1: an array of 2147483647 elements cannot fit in the file (8640 bytes)"),
            std::string::npos)
      << err;
  // The table's rows must be in the file: a fixed vector of 100 million doubles, a string
  // column of 10^9 bytes, 10^12 rows of one double, in files of 5760 bytes.
  write_fits_cards(p, table_cards(800000000, 1, "'100000000D'"), "");
  err = open_and_read_error(p);
  EXPECT_NE(err.find("the table header claims 1 rows of 800000000 bytes and a heap of 0 bytes, more than the file's 5760 bytes"),
            std::string::npos)
      << err;
  write_fits_cards(p, table_cards(1000000000, 2, "'1000000000A'"), "");
  err = open_and_read_error(p);
  EXPECT_NE(err.find("claims 2 rows of 1000000000 bytes"), std::string::npos) << err;
  write_fits_cards(p, table_cards(8, 1000000000000, "'1D'"), "");
  err = open_and_read_error(p);
  EXPECT_NE(err.find("claims 1000000000000 rows of 8 bytes"), std::string::npos) << err;
  // The same layout with lengths that fit reads.
  std::string ok = {0, 0, 0, 2, 0, 0, 0, 0};
  std::string heap(16, '\0');
  std::vector<std::string> cards = table_cards(8, 1, "'1PD(2)'");
  cards[5] = card("PCOUNT", "16");
  write_fits_cards(p, cards, ok + heap);
  auto r = open_fits(p);
  parquet::Table t;
  ASSERT_TRUE(r->next(t));
  EXPECT_EQ(t.columns[0].values(), 2u);
}

// Header cards that would overflow cfitsio's buffers (and abort the process) are rejected
// before cfitsio reads them.
TEST(FitsInput, MalformedCardsAreRejectedBeforeCfitsio) {
  TempDir tmp;
  std::string p = tmp.path + "/cards.fits";
  std::vector<std::string> cards = table_cards(8, 1, "'1D'");
  cards[8] = "TTYPE1  " + std::string(72, '=');
  write_fits_cards(p, cards, std::string(8, '\0'));
  std::string err = open_and_read_error(p);
  EXPECT_NE(err.find("cards.fits: HDU 2, header card 9 (TTYPE1): '=' must be followed by a space"), std::string::npos)
      << err;
  cards[8] = "TTYPE1  = " + std::string(70, 'x');
  write_fits_cards(p, cards, std::string(8, '\0'));
  err = open_and_read_error(p);
  EXPECT_NE(err.find("header card 9 (TTYPE1): the value must be a quoted string, found xxxx"), std::string::npos) << err;
  cards[8] = card("TTYPE1", "'ok'");
  write_fits_cards(p, cards, std::string(8, '\0'));
  auto r = open_fits(p);
  EXPECT_EQ(r->schema()[0].name, "ok");
  // Behind a primary array of 3000 bytes (two blocks) the table's cards are found and checked.
  std::string primary = "SIMPLE  =                    T" + std::string(50, ' ') + "BITPIX  =                    8" +
                        std::string(50, ' ') + "NAXIS   =                    1" + std::string(50, ' ') +
                        "NAXIS1  =                 3000" + std::string(50, ' ') + "END";
  primary.resize(2880, ' ');
  primary += std::string(5760, '=');  // data that would be bad cards if read as a header
  std::string table;
  for (const std::string& c : cards) table += c + std::string(80 - c.size(), ' ');
  table += "END";
  table.resize(2880, ' ');
  table += std::string(2880, '\0');
  write_text(p, primary + table);
  EXPECT_EQ(open_fits(p)->schema()[0].name, "ok");
  cards[8] = "TTYPE1  " + std::string(72, '=');
  table.replace(8 * 80, 80, cards[8]);
  write_text(p, primary + table);
  err = open_and_read_error(p);
  EXPECT_NE(err.find("HDU 2, header card 9 (TTYPE1): '=' must be followed by a space"), std::string::npos) << err;
}

// Messages quote header bytes through cfitsio; control characters come out as \xNN.
TEST(FitsInput, ErrorsShowNoRawBytes) {
  TempDir tmp;
  std::string p = tmp.path + "/ctl.fits";
  write_fits_cards(p, table_cards(8, 1, std::string("'\x1b[31mQ\x01") + "'"), std::string(8, '\0'));
  std::string err = open_and_read_error(p);
  ASSERT_FALSE(err.empty());
  for (unsigned char c : err) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "byte " << int(c) << " in: " << err;
  EXPECT_NE(err.find("\\x1b"), std::string::npos) << err;
}

// A table that opens but fails while its columns are read (here a complex column) must not
// leave its file open: a long-lived process would run out of descriptors.
TEST(FitsInput, FailedOpenClosesTheFile) {
  TempDir tmp;
  std::string p = tmp.path + "/complex.fits";
  write_fits_cards(p, table_cards(8, 1, "'1C'"), std::string(8, '\0'));
  auto open_fds = [] { return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator()); };
  EXPECT_NE(open_and_read_error(p).find("unsupported FITS type"), std::string::npos);
  auto before = open_fds();
  for (int i = 0; i < 20; i++) open_and_read_error(p);
  EXPECT_EQ(open_fds(), before);
  // No table at all: cfitsio fails with the file still open.
  std::string image = tmp.path + "/image.fits";
  write_text(image, std::string("SIMPLE  =                    T") + std::string(50, ' ') +
                                         "BITPIX  =                    8" + std::string(50, ' ') +
                                         "NAXIS   =                    0" + std::string(50, ' ') + "END" +
                                         std::string(2880 - 243, ' '));
  EXPECT_NE(open_and_read_error(image).find("image.fits: cannot open a FITS table"), std::string::npos)
      << open_and_read_error(image);
  before = open_fds();
  for (int i = 0; i < 20; i++) open_and_read_error(image);
  EXPECT_EQ(open_fds(), before);
}

// A CSV file that fails while it is opened (no header, a duplicate name, a bad sample) is
// closed: a long-lived process would otherwise run out of file descriptors.
TEST(CsvInput, FailedOpenClosesTheFile) {
  TempDir tmp;
  auto open_fds = [] { return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator()); };
  for (std::string text : {"", "ra,ra\n1,2\n", "a,b\n1,2,3\n"}) {
    std::string p = tmp.path + "/bad.csv";
    write_text(p, text);
    auto fail_open = [&] {
      try {
        open_csv(p);
      } catch (const InputError& e) {
        return std::string(e.what());
      }
      return std::string();
    };
    EXPECT_NE(fail_open().find("bad.csv"), std::string::npos) << text;
    auto before = open_fds();
    for (int i = 0; i < 20; i++) fail_open();
    EXPECT_EQ(open_fds(), before) << text;
  }
}
