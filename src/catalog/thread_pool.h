// A small fixed pool of worker threads. Import uses it for per-partition work; the query
// engine reuses it. Tasks are plain closures; the first exception a task throws is kept and
// rethrown by wait(), and later tasks of that batch are skipped, so one bad partition stops
// the whole job quickly instead of being lost on a worker thread.
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace astrolake::catalog {

class ThreadPool {
 public:
  // threads <= 0 means one per hardware thread.
  explicit ThreadPool(int threads = 0) {
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { loop(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()); }

  void submit(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(task));
      ++pending_;
    }
    cv_.notify_one();
  }

  // Blocks until every submitted task has finished; rethrows the first task exception.
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [this] { return pending_ == 0; });
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      failed_ = false;
      std::rethrow_exception(e);
    }
  }

  // Runs fn(begin, end) over [0, n) in about 4 chunks per thread and waits.
  void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn, size_t min_chunk = 1024) {
    if (n == 0) return;
    size_t chunks = std::max<size_t>(1, std::min(n / std::max<size_t>(1, min_chunk), size_t(size()) * 4));
    if (chunks == 1) {
      fn(0, n);
      return;
    }
    size_t step = (n + chunks - 1) / chunks;
    for (size_t b = 0; b < n; b += step) {
      size_t e = std::min(n, b + step);
      submit([&fn, b, e] { fn(b, e); });
    }
    wait();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stop_ and drained
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      bool skip;
      {
        std::lock_guard<std::mutex> lock(mu_);
        skip = failed_;
      }
      if (!skip) {
        try {
          task();
        } catch (...) {
          std::lock_guard<std::mutex> lock(mu_);
          if (!error_) error_ = std::current_exception();
          failed_ = true;
        }
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (--pending_ == 0) done_cv_.notify_all();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::deque<std::function<void()>> queue_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  size_t pending_ = 0;
  bool stop_ = false;
  bool failed_ = false;
  std::exception_ptr error_;
};

}  // namespace astrolake::catalog
