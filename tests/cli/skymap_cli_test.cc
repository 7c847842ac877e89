// `astrolake skymap`: the FITS map holds, per nested pixel, what the catalog's own spatial
// index (`_healpix_29`, computed by hats with cdshealpix) says; the header is a HEALPix map
// header healpy understands; the PNG is a complete, valid PNG of the documented size.
#include <fitsio.h>
#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <set>

#include "cli_harness.h"

using namespace al_cli_test;

namespace {

const std::string kCatalog = "small_sky_order1_source_collection";

struct FitsMap {
  std::map<std::string, std::string> keys;  // values as cfitsio gives them (strings quoted)
  std::string column;
  std::vector<double> values;
};

FitsMap read_fits_map(const std::string& path) {
  FitsMap m;
  fitsfile* f = nullptr;
  int status = 0;
  if (fits_open_file(&f, path.c_str(), READONLY, &status)) throw std::runtime_error(path + ": not a FITS file");
  int hdus = 0;
  fits_get_num_hdus(f, &hdus, &status);
  EXPECT_EQ(hdus, 2);
  fits_movabs_hdu(f, 2, nullptr, &status);
  int nkeys = 0;
  fits_get_hdrspace(f, &nkeys, nullptr, &status);
  for (int i = 1; i <= nkeys; i++) {
    char name[FLEN_KEYWORD], value[FLEN_VALUE], comment[FLEN_COMMENT];
    fits_read_keyn(f, i, name, value, comment, &status);
    m.keys[name] = value;
  }
  long nrows = 0;
  int ncols = 0;
  fits_get_num_rows(f, &nrows, &status);
  fits_get_num_cols(f, &ncols, &status);
  EXPECT_EQ(ncols, 1);
  char colname[FLEN_VALUE];
  int colnum = 0;
  fits_get_colname(f, CASEINSEN, (char*)"*", colname, &colnum, &status);
  m.column = colname;
  m.values.resize(size_t(nrows));
  fits_read_col(f, TDOUBLE, 1, 1, 1, nrows, nullptr, m.values.data(), nullptr, &status);
  fits_close_file(f, &status);
  if (status) throw std::runtime_error(path + ": cfitsio error " + std::to_string(status));
  return m;
}

struct CatalogRows {
  std::vector<int64_t> hp29;
  std::vector<double> mag;
};

CatalogRows catalog_rows() {
  auto cat = astrolake::catalog::Catalog::open(data(kCatalog), {false, ""});
  CatalogRows out;
  for (size_t i = 0; i < cat.partitions().size(); i++) {
    Table t = cat.read_partition(i, {"_healpix_29", "mag"});
    for (size_t r = 0; r < t.rows(); r++) {
      out.hp29.push_back(t.columns[0].values_as<int64_t>()[r]);
      out.mag.push_back(t.columns[1].values_as<double>()[r]);
    }
  }
  return out;
}

uint32_t be32(const std::string& s, size_t at) {
  return uint32_t(uint8_t(s[at])) << 24 | uint32_t(uint8_t(s[at + 1])) << 16 | uint32_t(uint8_t(s[at + 2])) << 8 |
         uint32_t(uint8_t(s[at + 3]));
}

TEST(CliSkymap, CountMapEqualsCatalogSpatialIndexAndPngIsValid) {
  CatalogRows rows = catalog_rows();
  ASSERT_EQ(rows.hp29.size(), 17161u);
  TempDir d("skymap");
  const int order = 5;
  std::string fits = d / "map.fits", png = d / "map.png";
  RunResult r = run_cli({"skymap", data(kCatalog), "--order", std::to_string(order), "-o", fits, "--png", png});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("17161 rows"), std::string::npos) << r.out;

  FitsMap m = read_fits_map(fits);
  EXPECT_EQ(m.keys["PIXTYPE"], "'HEALPIX '");
  EXPECT_EQ(m.keys["ORDERING"], "'NESTED  '");
  EXPECT_EQ(m.keys["INDXSCHM"], "'IMPLICIT'");
  EXPECT_EQ(m.keys["NSIDE"], std::to_string(1 << order));
  EXPECT_EQ(m.column, "COUNT");
  ASSERT_EQ(m.values.size(), size_t(12) << (2 * order));
  std::vector<double> want(m.values.size(), 0);
  for (int64_t h : rows.hp29) want[size_t(h >> (2 * (29 - order)))] += 1;
  double sum = 0;
  for (size_t p = 0; p < want.size(); p++) {
    ASSERT_EQ(m.values[p], want[p]) << "pixel " << p;
    sum += m.values[p];
  }
  EXPECT_EQ(sum, 17161);

  // PNG: signature, IHDR first with the documented size (width 1200, height W/2 + 100),
  // then a full decode through libpng, which checks every chunk's CRC and the zlib stream.
  std::string bytes = slurp(png);
  ASSERT_GT(bytes.size(), 33u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(be32(bytes, 8), 13u);
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(be32(bytes, 16), 1200u);
  EXPECT_EQ(be32(bytes, 20), 700u);
  EXPECT_EQ(bytes.substr(bytes.size() - 8, 4), "IEND");
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) << img.message;
  img.format = PNG_FORMAT_RGB;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(img));
  ASSERT_TRUE(png_image_finish_read(&img, nullptr, pixels.data(), 0, nullptr)) << img.message;
  EXPECT_EQ(img.width, 1200u);
  EXPECT_EQ(img.height, 700u);
  std::set<uint32_t> colours;  // a picture, not a blank canvas
  for (size_t i = 0; i + 2 < pixels.size(); i += 3)
    colours.insert(uint32_t(pixels[i]) << 16 | uint32_t(pixels[i + 1]) << 8 | pixels[i + 2]);
  EXPECT_GT(colours.size(), 5u);
}

TEST(CliSkymap, MeanMapMatchesPerPixelMeans) {
  CatalogRows rows = catalog_rows();
  TempDir d("skymap");
  const int order = 4;
  std::string fits = d / "mean.fits";
  RunResult r = run_cli({"skymap", data(kCatalog), "--order", std::to_string(order), "--agg", "mean:mag", "-o", fits,
                         "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  FitsMap m = read_fits_map(fits);
  EXPECT_EQ(m.column, "MEAN_MAG");
  ASSERT_EQ(m.values.size(), size_t(12) << (2 * order));
  std::vector<double> sum(m.values.size(), 0), n(m.values.size(), 0);
  for (size_t i = 0; i < rows.hp29.size(); i++) {
    size_t p = size_t(rows.hp29[i] >> (2 * (29 - order)));
    sum[p] += rows.mag[i];
    n[p] += 1;
  }
  for (size_t p = 0; p < sum.size(); p++) {
    if (n[p] == 0) ASSERT_EQ(m.values[p], -1.6375e30) << "empty pixel " << p << " must be healpy's UNSEEN";
    else ASSERT_NEAR(m.values[p], sum[p] / n[p], 1e-9 * std::fabs(sum[p] / n[p])) << "pixel " << p;
  }
}

TEST(CliSkymap, BadInputFailsWithOneLineAndWritesNothing) {
  TempDir d("skymap_err");
  std::ofstream(d / "exists.fits") << "keep";
  const std::string cat = data(kCatalog);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"skymap", d / "no_such_catalog", "-o", d / "m.fits"}, "no_such_catalog"},
      {{"skymap", cat, "--agg", "mean:nope", "-o", d / "m.fits"}, "no column 'nope'"},
      {{"skymap", cat, "--agg", "median:mag", "-o", d / "m.fits"}, "'median'"},
      {{"skymap", cat, "-o", d / "exists.fits"}, "already exists"},
      {{"skymap", cat, "-o", d / "m.fits", "--png", d / "nodir/m.png"}, "nodir"},
      {{"skymap", cat, "-o", d / "exists.fits/m.fits"}, "not a directory"},
      {{"skymap", cat}, "-o map.fits"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args.back());
    RunResult res = run_cli(c.args);
    EXPECT_NE(res.status, 0);
    EXPECT_NE(res.status, -1);
    EXPECT_EQ(res.err_lines(), 1) << res.err;
    EXPECT_NE(res.err.find(c.message), std::string::npos) << res.err;
    EXPECT_EQ(d.entries(), std::vector<std::string>{"exists.fits"});
  }
  EXPECT_EQ(slurp(d / "exists.fits"), "keep");
}

}  // namespace
