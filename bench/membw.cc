// Memory read bandwidth of this machine: sum of a large double array with all cores. The scan
// benchmark reports its GB/s against this figure.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

int main() {
  const size_t n = size_t(1) << 28;  // 2 GiB of doubles
  std::vector<double> a(n, 1.0);
  unsigned threads = std::thread::hardware_concurrency();
  double best = 1e9;
  for (int rep = 0; rep < 3; rep++) {
    std::vector<double> part(threads);
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; t++)
      pool.emplace_back([&, t] {
        double s = 0;
        for (size_t i = n * t / threads; i < n * (t + 1) / threads; i++) s += a[i];
        part[t] = s;
      });
    for (auto& th : pool) th.join();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("{\"gb_per_s\": %.3f}\n", n * 8.0 / best / 1e9);
}
