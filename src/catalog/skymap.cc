#include "catalog/skymap.h"

#include <fcntl.h>
#include <fitsio.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <cerrno>
#include <filesystem>
#include <stdexcept>

#include "storage/output.h"

namespace astrolake::catalog {
namespace {

std::string fits_message(int status) {
  char text[FLEN_STATUS] = {0};
  fits_get_errstatus(status, text);
  return text;
}

// Closes the file on every exit path.
struct FitsFile {
  fitsfile* f = nullptr;
  ~FitsFile() {
    int s = 0;
    if (f) fits_close_file(f, &s);
  }
};

int order_of_nside(long nside) {
  for (int k = 0; k <= 29; k++)
    if ((long(1) << k) == nside) return k;
  return -1;
}

}  // namespace

int64_t Skymap::total() const {
  int64_t t = 0;
  for (int64_t c : counts) t += c;
  return t;
}

Skymap read_skymap_fits(const std::string& path) {
  auto fail = [&](const std::string& what) { return std::runtime_error(path + ": " + what); };
  FitsFile ff;
  int status = 0;
  if (fits_open_diskfile(&ff.f, path.c_str(), READONLY, &status))
    throw fail("cannot open FITS file: " + fits_message(status));
  // The map is the first binary table extension.
  int hdutype = 0;
  if (fits_movabs_hdu(ff.f, 2, &hdutype, &status) || hdutype != BINARY_TBL)
    throw fail("no binary table extension (not a HEALPix map)");
  long nside = 0;
  if (fits_read_key(ff.f, TLONG, "NSIDE", &nside, nullptr, &status))
    throw fail("missing NSIDE keyword");
  Skymap m;
  m.order = order_of_nside(nside);
  if (m.order < 0) throw fail("NSIDE " + std::to_string(nside) + " is not a power of two up to 2^29");
  // Dense maps above order 11 would need gigabytes; HATS skymaps stay well below that.
  if (m.order > 11) throw fail("map order " + std::to_string(m.order) + " too large to hold densely");
  char ordering[FLEN_VALUE] = {0};
  int s2 = 0;
  if (fits_read_key(ff.f, TSTRING, "ORDERING", ordering, nullptr, &s2) == 0) m.ordering = ordering;
  char scheme[FLEN_VALUE] = {0};
  s2 = 0;
  std::string indx = "IMPLICIT";
  if (fits_read_key(ff.f, TSTRING, "INDXSCHM", scheme, nullptr, &s2) == 0) indx = scheme;

  long nrows = 0;
  int ncols = 0;
  if (fits_get_num_rows(ff.f, &nrows, &status) || fits_get_num_cols(ff.f, &ncols, &status))
    throw fail("cannot read table shape: " + fits_message(status));
  const int64_t npix = 12 * (int64_t(1) << (2 * m.order));
  m.counts.assign(size_t(npix), 0);

  if (indx == "EXPLICIT") {
    if (ncols < 2) throw fail("EXPLICIT map needs PIXEL and VALUE columns");
    // Bound the allocation by the file: each row holds two 8-byte values.
    if (nrows < 0 || uint64_t(nrows) * 16 > std::filesystem::file_size(path))
      throw fail("table claims " + std::to_string(nrows) + " rows, more than the file holds");
    std::vector<long long> pix(static_cast<size_t>(nrows)), val(static_cast<size_t>(nrows));
    int anynul = 0;
    if (nrows > 0 && (fits_read_col(ff.f, TLONGLONG, 1, 1, 1, nrows, nullptr, pix.data(), &anynul, &status) ||
                      fits_read_col(ff.f, TLONGLONG, 2, 1, 1, nrows, nullptr, val.data(), &anynul, &status)))
      throw fail("cannot read map columns: " + fits_message(status));
    for (long i = 0; i < nrows; i++) {
      if (pix[size_t(i)] < 0 || pix[size_t(i)] >= npix)
        throw fail("row " + std::to_string(i + 1) + ": pixel " + std::to_string(pix[size_t(i)]) +
                   " out of range for NSIDE " + std::to_string(nside));
      m.counts[size_t(pix[size_t(i)])] += val[size_t(i)];
    }
    return m;
  }
  // IMPLICIT: one value per pixel, possibly several per row (TFORM "1024K" in healpy files).
  if (ncols < 1) throw fail("map table has no columns");
  int typecode = 0;
  long repeat = 0, width = 0;
  if (fits_get_coltype(ff.f, 1, &typecode, &repeat, &width, &status))
    throw fail("cannot read column type: " + fits_message(status));
  if (repeat < 1 || int64_t(nrows) * repeat != npix)
    throw fail("map has " + std::to_string(int64_t(nrows) * repeat) + " values but NSIDE " +
               std::to_string(nside) + " needs " + std::to_string(npix));
  if (uint64_t(npix) * uint64_t(width > 0 ? width : 1) > std::filesystem::file_size(path))
    throw fail("file is shorter than its " + std::to_string(npix) + " map values");
  int anynul = 0;
  std::vector<long long> buf(static_cast<size_t>(npix));
  // Float maps are read as integers (cfitsio rounds); HATS maps are integer counts.
  if (fits_read_col(ff.f, TLONGLONG, 1, 1, 1, npix, nullptr, buf.data(), &anynul, &status))
    throw fail("cannot read map values: " + fits_message(status));
  for (int64_t i = 0; i < npix; i++) m.counts[size_t(i)] = buf[size_t(i)];
  return m;
}

void write_skymap_fits(const std::string& path, int order, const std::vector<int64_t>& counts) {
  if (order < 0 || order > 11) throw std::runtime_error(path + ": skymap order " + std::to_string(order) + " out of range");
  const int64_t npix = 12 * (int64_t(1) << (2 * order));
  if (int64_t(counts.size()) != npix)
    throw std::runtime_error(path + ": skymap of order " + std::to_string(order) + " needs " +
                             std::to_string(npix) + " counts, got " + std::to_string(counts.size()));
  std::string tmp = storage::temp_path(path);
  std::filesystem::remove(tmp);
  auto fail = [&](const std::string& what, int status) {
    int err = errno;  // cfitsio's "error writing to FITS file" does not say why; errno does
    std::string why = fits_message(status);
    if ((status == WRITE_ERROR || status == FILE_NOT_CREATED) && err) why += std::string(": ") + std::strerror(err);
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    return std::runtime_error(path + ": " + what + ": " + why);
  };
  {
    FitsFile ff;
    int status = 0;
    if (fits_create_diskfile(&ff.f, tmp.c_str(), &status)) throw fail("cannot create", status);
    long naxes[1] = {0};
    if (fits_create_img(ff.f, BYTE_IMG, 0, naxes, &status)) throw fail("cannot write primary HDU", status);
    char ttype[] = "T", tform[] = "K", extname[] = "xtension";
    char* ttypes[] = {ttype};
    char* tforms[] = {tform};
    if (fits_create_tbl(ff.f, BINARY_TBL, npix, 1, ttypes, tforms, nullptr, extname, &status))
      throw fail("cannot create table", status);
    long nside = long(1) << order, first = 0, last = long(npix - 1);
    fits_write_key(ff.f, TSTRING, "PIXTYPE", (void*)"HEALPIX", nullptr, &status);
    fits_write_key(ff.f, TSTRING, "ORDERING", (void*)"NESTED", nullptr, &status);
    fits_write_key(ff.f, TSTRING, "COORDSYS", (void*)"CEL", nullptr, &status);
    fits_write_key(ff.f, TLONG, "NSIDE", &nside, nullptr, &status);
    fits_write_key(ff.f, TLONG, "FIRSTPIX", &first, nullptr, &status);
    fits_write_key(ff.f, TLONG, "LASTPIX", &last, nullptr, &status);
    fits_write_key(ff.f, TSTRING, "INDXSCHM", (void*)"IMPLICIT", nullptr, &status);
    fits_write_key(ff.f, TSTRING, "OBJECT", (void*)"FULLSKY", nullptr, &status);
    fits_write_key(ff.f, TSTRING, "CREATOR", (void*)"astrolake", nullptr, &status);
    if (status) throw fail("cannot write header", status);
    std::vector<long long> vals(counts.begin(), counts.end());
    if (fits_write_col(ff.f, TLONGLONG, 1, 1, 1, npix, vals.data(), &status))
      throw fail("cannot write values", status);
    int cs = 0;
    fits_close_file(ff.f, &cs);
    ff.f = nullptr;
    if (cs) throw fail("cannot close", cs);
  }
  storage::publish_file(tmp, path);
}

}  // namespace astrolake::catalog
