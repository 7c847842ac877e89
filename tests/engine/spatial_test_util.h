// Shared by the spatial/xmatch/skymap tests: generated point sets with awkward geometry
// (clusters, poles, RA 0/360) written as small multi-partition HATS catalogs by the importer.
#pragma once
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/import.h"
#include "engine/column_ops.h"
#include "parquet/table.h"
#include "parquet/writer.h"
#include "sky/geometry.h"

namespace spatial_test {

using namespace astrolake;

inline std::string fixture(const std::string& rel) { return std::string(AL_TEST_DATA) + "/hats/" + rel; }

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/al_spatial_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

struct Points {
  std::vector<int64_t> id;
  std::vector<double> ra, dec, mag;
};

// A mix designed to break naive code: a dense cluster straddling RA 0, points around both
// poles, a cluster on a base-pixel corner, and a uniform background.
inline Points make_points(size_t n, uint64_t seed, int64_t first_id = 0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> g(0, 1);
  Points p;
  for (size_t i = 0; i < n; i++) {
    double ra, dec;
    switch (i % 5) {
      case 0:  // RA-wrapping cluster
        ra = g(rng) * 1.5;
        dec = 10 + g(rng) * 1.5;
        break;
      case 1:  // north pole cap
        ra = u(rng) * 360;
        dec = 90 - std::fabs(g(rng)) * 2;
        break;
      case 2:  // south pole cap
        ra = u(rng) * 360;
        dec = -90 + std::fabs(g(rng)) * 2;
        break;
      case 3:  // corner of base pixels at (45, 41.8)
        ra = 45 + g(rng) * 0.8;
        dec = 41.8103 + g(rng) * 0.8;
        break;
      default: {  // uniform on the sphere
        ra = u(rng) * 360;
        dec = std::asin(2 * u(rng) - 1) / sky::kDeg;
      }
    }
    dec = std::max(-90.0, std::min(90.0, dec));
    p.id.push_back(first_id + int64_t(i));
    p.ra.push_back(sky::wrap_ra(ra));
    p.dec.push_back(dec);
    p.mag.push_back(15 + 5 * u(rng));
  }
  return p;
}

inline parquet::Table to_table(const Points& p) {
  parquet::Table t;
  t.columns.push_back(engine::make_i64({"id", parquet::Type::Int64, false}, p.id));
  t.columns.push_back(engine::make_f64({"ra", parquet::Type::Double, false}, p.ra));
  t.columns.push_back(engine::make_f64({"dec", parquet::Type::Double, false}, p.dec));
  t.columns.push_back(engine::make_f64({"mag", parquet::Type::Double, false}, p.mag));
  return t;
}

// Imports the points as a HATS catalog named `name` under dir; returns the catalog dir (or
// the collection dir when margin_arcsec > 0).
inline std::string make_catalog(const std::string& dir, const std::string& name, const Points& p, int64_t max_rows,
                                double margin_arcsec = 0) {
  std::string pq = dir + "/" + name + ".parquet";
  parquet::write_table(pq, to_table(p));
  catalog::ImportOptions o;
  o.inputs = {pq};
  o.output = dir + "/" + name;
  o.name = name;
  o.max_rows = max_rows;
  o.highest_order = 7;
  o.margin_arcsec = margin_arcsec;
  o.progress = 0;
  o.threads = 2;
  catalog::import_catalog(o);
  return o.output;
}

}  // namespace spatial_test
