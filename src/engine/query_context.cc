#include "engine/query_context.h"

#include <cstdio>

namespace astrolake::engine {

std::string format_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g %s", v, units[u]);
  return buf;
}

QueryContext::QueryContext() : start_(std::chrono::steady_clock::now()) {}

void QueryContext::set_time_limit(double seconds) {
  limit_s_ = seconds;
  restart_clock();
}

void QueryContext::restart_clock() { start_ = std::chrono::steady_clock::now(); }

void QueryContext::check() const {
  if (cancelled_.load()) throw QueryError("query cancelled");
  if (limit_s_ > 0) {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (elapsed > limit_s_) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", limit_s_);
      throw QueryError(std::string("query exceeded time limit of ") + buf + " s");
    }
  }
  if (budget_ && used_.load() > budget_)
    throw QueryError("query exceeded memory budget of " + format_bytes(budget_));
}

void QueryContext::reserve(uint64_t bytes) {
  uint64_t now = used_.fetch_add(bytes) + bytes;
  if (budget_ && now > budget_) {
    used_.fetch_sub(bytes);
    throw QueryError("query exceeded memory budget of " + format_bytes(budget_));
  }
  uint64_t p = peak_.load();
  while (now > p && !peak_.compare_exchange_weak(p, now)) {
  }
}

void QueryContext::release(uint64_t bytes) { used_.fetch_sub(bytes); }

void QueryContext::report_progress(size_t done, size_t total) {
  std::lock_guard<std::mutex> lock(progress_mu_);
  if (progress_) progress_(done, total);
}

void MemoryCharge::set(uint64_t bytes) {
  if (!ctx_) {
    bytes_ = bytes;
    return;
  }
  if (bytes > bytes_) {
    ctx_->reserve(bytes - bytes_);
  } else if (bytes < bytes_) {
    ctx_->release(bytes_ - bytes);
  }
  bytes_ = bytes;
}

}  // namespace astrolake::engine
