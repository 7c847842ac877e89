// Per-query control shared by every operator of one query (and its worker threads): a cancel
// flag, a time limit, a memory budget and a progress callback. Operators call check()
// between batches and row groups, so a cancel or an exceeded limit stops the query within
// one batch with a QueryError whose message says which limit, e.g.
// "query exceeded time limit of 5 s" or "query exceeded memory budget of 1 GiB".
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>

namespace astrolake::engine {

class QueryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "1 GiB", "1.5 MiB", "512 B".
std::string format_bytes(uint64_t bytes);

class QueryContext {
 public:
  QueryContext();

  // Thread-safe; takes effect at the next check().
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

  // Seconds from now (or from the last restart_clock()); <= 0 means no limit.
  void set_time_limit(double seconds);
  void restart_clock();
  // Approximate bytes that operators may hold at once (sort/aggregate/join state); 0 = none.
  void set_memory_budget(uint64_t bytes) { budget_ = bytes; }
  uint64_t memory_budget() const { return budget_; }
  // Called with (partitions done, partitions total) as a scan progresses; from worker
  // threads, but never concurrently (serialised here).
  void set_progress(std::function<void(size_t, size_t)> fn) { progress_ = std::move(fn); }

  // Throws QueryError if cancelled, past the time limit, or over the memory budget.
  void check() const;

  // Memory accounting. reserve() throws (and reserves nothing) if it would exceed the budget.
  void reserve(uint64_t bytes);
  void release(uint64_t bytes);
  uint64_t memory_used() const { return used_.load(); }
  uint64_t peak_memory() const { return peak_.load(); }

  void report_progress(size_t done, size_t total);

 private:
  std::atomic<bool> cancelled_{false};
  double limit_s_ = 0;
  std::chrono::steady_clock::time_point start_;
  uint64_t budget_ = 0;
  std::atomic<uint64_t> used_{0}, peak_{0};
  std::mutex progress_mu_;
  std::function<void(size_t, size_t)> progress_;
};

// Tracks what one operator holds: set(n) moves its reservation to n bytes (checking the
// budget when it grows); the destructor gives it back. A null context tracks nothing.
class MemoryCharge {
 public:
  explicit MemoryCharge(QueryContext* ctx = nullptr) : ctx_(ctx) {}
  ~MemoryCharge() { set(0); }
  MemoryCharge(const MemoryCharge&) = delete;
  MemoryCharge& operator=(const MemoryCharge&) = delete;
  void set(uint64_t bytes);
  uint64_t bytes() const { return bytes_; }

 private:
  QueryContext* ctx_;
  uint64_t bytes_ = 0;
};

}  // namespace astrolake::engine
