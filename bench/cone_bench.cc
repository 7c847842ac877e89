// Cone searches in one process on one opened catalog (the service's and Python's case):
// per search its wall time and the HTTP requests it sent, first over new partitions, then the
// same searches again (footers and byte ranges cached). usage:
//   cone_bench CATALOG ROUNDS RADIUS_ARCSEC
// Centres: RA = 37*i mod 360, Dec = -20 (as bench/s3.sh's cones). Prints p50 and max.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "engine/spatial_search.h"
#include "storage/http.h"

using namespace astrolake;

namespace {

struct Run {
  double ms;
  uint64_t requests;
  int64_t rows;
};

void report(const char* what, std::vector<Run> runs) {
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.ms < b.ms; });
  const Run& mid = runs[(runs.size() - 1) / 2];
  std::vector<uint64_t> req;
  for (const Run& r : runs) req.push_back(r.requests);
  std::sort(req.begin(), req.end());
  std::printf("%-28s p50 %.2f ms, max %.2f ms, requests p50 %llu max %llu\n", what, mid.ms, runs.back().ms,
              (unsigned long long)req[(req.size() - 1) / 2], (unsigned long long)req.back());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: cone_bench CATALOG ROUNDS RADIUS_ARCSEC\n");
    return 2;
  }
  const int rounds = std::atoi(argv[2]);
  const double radius = std::atof(argv[3]) / 3600.0;
  uint64_t before = storage::http_request_count();
  auto t0 = std::chrono::steady_clock::now();
  catalog::Catalog cat = catalog::Catalog::open(argv[1], {false, ""});
  double open_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("open: %.2f ms, %llu requests\n", open_ms, (unsigned long long)(storage::http_request_count() - before));
  engine::SearchOptions o;
  o.progress = 0;
  for (const char* pass : {"first (new partitions)", "again (cached)"}) {
    std::vector<Run> runs;
    for (int i = 1; i <= rounds; i++) {
      before = storage::http_request_count();
      t0 = std::chrono::steady_clock::now();
      int64_t rows = 0;
      engine::spatial_search(cat, engine::Region::cone(double(i * 37 % 360), -20, radius), o,
                             [&](parquet::Table&& t) { rows += int64_t(t.rows()); });
      runs.push_back({std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
                      storage::http_request_count() - before, rows});
    }
    report(pass, runs);
  }
  return 0;
}
