// Scan benchmark: sum of one double column over every Parquet file under a directory, using
// all cores (one task per row group). Prints one JSON line so bench scripts can compute ratios.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "parquet/reader.h"

namespace fs = std::filesystem;
using namespace astrolake;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: scan_sum DIR COLUMN [THREADS]\n");
    return 2;
  }
  std::string dir = argv[1], column = argv[2];
  unsigned threads = argc > 3 ? std::stoi(argv[3]) : std::thread::hardware_concurrency();
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<parquet::FileReader>> files;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    auto p = e.path();
    if (e.is_regular_file() && p.extension() == ".parquet") files.push_back(parquet::FileReader::open(p.string()));
  }
  struct Task { size_t file; int rg; };
  std::vector<Task> tasks;
  for (size_t f = 0; f < files.size(); f++)
    for (int g = 0; g < files[f]->row_groups(); g++) tasks.push_back({f, g});
  std::atomic<size_t> next{0};
  std::vector<double> sums(threads, 0.0);
  std::vector<int64_t> rows(threads, 0);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; t++) {
    pool.emplace_back([&, t] {
      for (size_t i; (i = next++) < tasks.size();) {
        parquet::Table tb = files[tasks[i].file]->read_row_group(tasks[i].rg, {column});
        const parquet::Column& c = tb.columns[0];
        const double* v = c.values_as<double>();
        size_t n = c.values();
        double s = 0;
        if (c.valid.empty()) {
          for (size_t k = 0; k < n; k++) s += v[k];
        } else {
          for (size_t k = 0; k < n; k++) s += c.valid[k] ? v[k] : 0.0;
        }
        sums[t] += s;
        rows[t] += n;
      }
    });
  }
  for (auto& th : pool) th.join();
  double sum = 0;
  int64_t n = 0;
  for (unsigned t = 0; t < threads; t++) sum += sums[t], n += rows[t];
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"sum\": %.17g, \"rows\": %lld, \"files\": %zu, \"seconds\": %.6f, \"gb_per_s\": %.3f}\n", sum,
              (long long)n, files.size(), secs, n * 8.0 / secs / 1e9);
  return 0;
}
