// HEALPix count maps stored as FITS binary tables (HATS `point_map.fits`, `skymap.fits`,
// `skymap.<k>.fits`): one int64 count per nested pixel at some order.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace astrolake::catalog {

struct Skymap {
  int order = 0;
  // Header ORDERING as written. Legacy hipscat files say RING while their data are NESTED
  // (healpy's default header on a nested histogram), so readers treat values as nested.
  std::string ordering;
  std::vector<int64_t> counts;  // 12*4^order entries, indexed by nested pixel
  int64_t total() const;
};

// Reads an IMPLICIT map (one column, one row per pixel) or an EXPLICIT one (PIXEL, VALUE
// columns; absent pixels are 0). Throws std::runtime_error naming the file on any problem.
Skymap read_skymap_fits(const std::string& path);

// Writes `counts` (12*4^order entries, nested) the way hats does: an empty primary HDU and a
// BINTABLE with one K column "T", PIXTYPE=HEALPIX, ORDERING=NESTED, COORDSYS=CEL, NSIDE,
// FIRSTPIX, LASTPIX, INDXSCHM=IMPLICIT, OBJECT=FULLSKY. Atomic (temp name, fsync, rename).
void write_skymap_fits(const std::string& path, int order, const std::vector<int64_t>& counts);

}  // namespace astrolake::catalog
