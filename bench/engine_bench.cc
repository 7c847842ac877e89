// Engine benchmark driver, run by bench/engine.sh next to its peers. Every mode prints one JSON
// line so the script can compute ratios; timings are in-process, after a warm-up pass.
//
//   engine_bench cone CATALOG N RADIUS_ARCSEC SEED CENTRES_CSV [THREADS]
//       N random cones (centres uniform on the sphere, written to CENTRES_CSV so the peer
//       queries the same ones), every column returned; p50/p99/mean latency in ms.
//   engine_bench scan CATALOG [THREADS] [fused|operator] [REPEAT]
//       SELECT count(*), avg(phot_g_mean_mag) WHERE parallax > 1 through ParallelAggregate:
//       fused (default, as the planner runs it: a selection vector folded by the aggregate) or
//       operator (a Filter operator materialising the filtered batch, the earlier plan).
//   engine_bench skymap CATALOG ORDER [THREADS]
//       compute_skymap (count per order-ORDER nested pixel), no file written.
//   engine_bench export PARQUET_FILE_OR_DIR OUT_PREFIX COL[,COL...]
//       Raw little-endian column files OUT_PREFIX.COL.{f64,i64} that numpy.fromfile loads
//       in a blink, so peers get their arrays without pyarrow (outside any timing).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/synthetic.h"
#include "engine/expr.h"
#include "engine/scan.h"
#include "engine/skymap.h"
#include "engine/spatial_search.h"
#include "parquet/reader.h"

namespace fs = std::filesystem;
using namespace astrolake;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t i = size_t(std::ceil(q * v.size())) - 1;  // nearest-rank
  return v[std::min(i, v.size() - 1)];
}

int cone(int argc, char** argv) {
  if (argc < 7) throw std::invalid_argument("usage: engine_bench cone CATALOG N RADIUS_ARCSEC SEED CENTRES_CSV [THREADS]");
  catalog::Catalog cat = catalog::Catalog::open(argv[2], {false, ""});
  int n = std::stoi(argv[3]);
  double radius = std::stod(argv[4]) / 3600.0;
  catalog::Rng rng(std::stoull(argv[5]));
  std::vector<double> ra(n), dec(n);
  std::ofstream centres(argv[6]);
  for (int i = 0; i < n; i++) {  // uniform on the sphere
    ra[i] = rng.uniform(0, 360);
    dec[i] = std::asin(rng.uniform(-1, 1)) * 180 / M_PI;
    char line[64];
    std::snprintf(line, sizeof line, "%.10f,%.10f\n", ra[i], dec[i]);
    centres << line;
  }
  centres.close();
  engine::SearchOptions opt;
  opt.threads = argc > 7 ? std::stoi(argv[7]) : 0;
  opt.progress = 0;
  int64_t rows = 0;
  std::vector<double> ms(n);
  for (int pass = 0; pass < 2; pass++) {  // pass 0 warms the page cache and the allocator
    rows = 0;
    for (int i = 0; i < n; i++) {
      double t0 = now_s();
      engine::Region r = engine::Region::cone(ra[i], dec[i], radius);
      engine::spatial_search(cat, r, opt, [&](parquet::Table&& t) { rows += t.rows(); });
      ms[i] = (now_s() - t0) * 1e3;
    }
  }
  double mean = 0;
  for (double x : ms) mean += x;
  std::printf("{\"cones\": %d, \"rows\": %lld, \"p50_ms\": %.4f, \"p99_ms\": %.4f, \"mean_ms\": %.4f, \"max_ms\": %.4f}\n",
              n, (long long)rows, percentile(ms, 0.5), percentile(ms, 0.99), mean / n, percentile(ms, 1.0));
  return 0;
}

int scan(int argc, char** argv) {
  if (argc < 3) throw std::invalid_argument("usage: engine_bench scan CATALOG [THREADS] [fused|operator] [REPEAT]");
  bool fused = argc <= 4 || std::string(argv[4]) != "operator";
  int repeat = argc > 5 ? std::stoi(argv[5]) : 3;
  auto cat = std::make_shared<const catalog::Catalog>(catalog::Catalog::open(argv[2], {false, ""}));
  auto src = engine::catalog_source(cat);
  engine::ExprPtr pred = engine::binary(engine::BinOp::Gt, engine::col("parallax"), engine::lit_double(1.0));
  engine::ScanOptions so;
  so.columns = {"parallax", "phot_g_mean_mag"};
  so.predicates = engine::extract_predicates(*pred);
  so.threads = argc > 3 ? std::stoi(argv[3]) : 0;
  std::vector<engine::AggSpec> aggs(2);
  aggs[0].func = engine::AggFunc::CountStar;
  aggs[1].func = engine::AggFunc::Avg;
  aggs[1].arg = engine::col("phot_g_mean_mag");
  double best = 1e30;
  int64_t count = 0;
  double avg = 0;
  for (int rep = 0; rep < repeat; rep++) {
    double t0 = now_s();
    engine::Pipeline filter_op = [pred](engine::OperatorPtr s) -> engine::OperatorPtr {
      return std::make_unique<engine::Filter>(std::move(s), pred);
    };
    engine::ParallelAggregate agg(src, so, fused ? nullptr : filter_op, {}, aggs, nullptr, fused ? pred : nullptr);
    std::optional<parquet::Table> t = agg.next();
    best = std::min(best, now_s() - t0);
    count = t->columns[0].values_as<int64_t>()[0];
    avg = t->columns[1].values_as<double>()[0];
  }
  std::printf("{\"rows\": %lld, \"count\": %lld, \"avg\": %.17g, \"seconds\": %.6f}\n", (long long)cat->rows(),
              (long long)count, avg, best);
  return 0;
}

int skymap(int argc, char** argv) {
  if (argc < 4) throw std::invalid_argument("usage: engine_bench skymap CATALOG ORDER [THREADS]");
  catalog::Catalog cat = catalog::Catalog::open(argv[2], {false, ""});
  engine::SkymapOptions opt;
  opt.order = std::stoi(argv[3]);
  opt.threads = argc > 4 ? std::stoi(argv[4]) : 0;
  opt.progress = 0;
  double best = 1e30;
  engine::SkymapResult m;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = now_s();
    m = engine::compute_skymap(cat, opt);
    best = std::min(best, now_s() - t0);
  }
  int64_t nonempty = 0, maxc = 0;
  for (int64_t c : m.counts) nonempty += c > 0, maxc = std::max(maxc, c);
  std::printf("{\"rows\": %lld, \"pixels\": %zu, \"nonempty\": %lld, \"max_count\": %lld, \"seconds\": %.6f}\n",
              (long long)m.rows, m.counts.size(), (long long)nonempty, (long long)maxc, best);
  return 0;
}

int export_columns(int argc, char** argv) {
  if (argc < 5) throw std::invalid_argument("usage: engine_bench export PARQUET_FILE_OR_DIR OUT_PREFIX COL[,COL...]");
  std::vector<std::string> files, cols;
  if (fs::is_directory(argv[2])) {
    for (auto& e : fs::recursive_directory_iterator(argv[2]))
      if (e.is_regular_file() && e.path().extension() == ".parquet") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(argv[2]);
  }
  std::stringstream ss(argv[4]);
  for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
  std::string prefix = argv[3];
  std::vector<std::ofstream> out(cols.size());
  int64_t rows = 0;
  for (const std::string& f : files) {
    auto r = parquet::FileReader::open(f);
    for (int g = 0; g < r->row_groups(); g++) {
      parquet::Table t = r->read_row_group(g, cols);
      for (size_t c = 0; c < cols.size(); c++) {
        const parquet::Column& col = t.columns[c];
        if (std::count(col.valid.begin(), col.valid.end(), 0)) throw std::runtime_error(f + ": column '" + cols[c] + "' has nulls; cannot export raw");
        bool dbl = col.field.type == parquet::Type::Double, i64 = col.field.type == parquet::Type::Int64;
        if (!dbl && !i64) throw std::runtime_error(f + ": column '" + cols[c] + "' is not double or int64");
        if (!out[c].is_open()) out[c].open(prefix + "." + cols[c] + (dbl ? ".f64" : ".i64"), std::ios::binary);
        out[c].write(reinterpret_cast<const char*>(col.data.data()), std::streamsize(col.values() * 8));
      }
      rows += t.rows();
    }
  }
  for (auto& o : out) {
    o.close();
    if (!o) throw std::runtime_error("export: write failed under " + prefix);
  }
  std::printf("{\"rows\": %lld, \"files\": %zu}\n", (long long)rows, files.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "cone") return cone(argc, argv);
    if (mode == "scan") return scan(argc, argv);
    if (mode == "skymap") return skymap(argc, argv);
    if (mode == "export") return export_columns(argc, argv);
    std::fprintf(stderr, "usage: engine_bench cone|scan|skymap|export ... (see the top of bench/engine_bench.cc)\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "engine_bench %s: %s\n", mode.c_str(), e.what());
    return 1;
  }
}
