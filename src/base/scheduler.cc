#include "base/scheduler.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace astrolake::base {

namespace {

// The scheduler whose worker this thread is (null on other threads).
thread_local const Scheduler* tls_worker_of = nullptr;

int hardware_threads() { return int(std::max(1u, std::thread::hardware_concurrency())); }

int env_threads() {
  const char* v = std::getenv("ASTROLAKE_THREADS");
  if (!v || !*v) return 0;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*end || n < 1 || n > Scheduler::kMaxThreads)
    throw std::runtime_error("ASTROLAKE_THREADS must be a whole number from 1 to " +
                             std::to_string(Scheduler::kMaxThreads) + ", got '" + v + "'");
  return int(n);
}

}  // namespace

Scheduler::Scheduler(int threads) {
  int n = threads <= 0 ? hardware_threads() : std::min(threads, kMaxThreads);
  workers_.reserve(size_t(n));
  try {
    for (int i = 0; i < n; ++i) workers_.emplace_back([this] { loop(); });
  } catch (const std::exception& e) {  // std::system_error, or std::bad_alloc for its state
    size_t started = workers_.size();
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    throw std::runtime_error("cannot start " + std::to_string(n) + " worker threads (the system refused after " +
                             std::to_string(started) + ": " + e.what() +
                             "); set ASTROLAKE_THREADS lower or raise the process limits");
  }
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

namespace {
// The global pool. Never destroyed: workers may still be parked when the process exits, and
// joining them in a static destructor could wait on a task that never ends. A child made by
// fork() has none of the parent's workers, so it forgets the parent's pool and starts its own
// on first use.
std::atomic<Scheduler*> g_global{nullptr};
pthread_mutex_t g_global_mu = PTHREAD_MUTEX_INITIALIZER;

void forget_parent_pool() {
  g_global.store(nullptr);
  g_global_mu = PTHREAD_MUTEX_INITIALIZER;  // another thread may have held it at fork()
}
}  // namespace

Scheduler& Scheduler::global() {
  if (Scheduler* s = g_global.load()) return *s;
  pthread_mutex_lock(&g_global_mu);
  struct Unlock {
    ~Unlock() { pthread_mutex_unlock(&g_global_mu); }
  } unlock;
  if (!g_global.load()) {
    static const int registered = pthread_atfork(nullptr, nullptr, forget_parent_pool);
    (void)registered;
    g_global.store(new Scheduler(env_threads()));
  }
  return *g_global.load();
}

void Scheduler::loop() {
  tls_worker_of = this;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !ready_.empty(); });
    if (stop_) return;  // only at destruction, when no group is left
    TaskGroup* g = ready_.front();
    ready_.pop_front();
    g->in_ready_ = false;
    run_task(g, lock);
  }
}

void Scheduler::update(TaskGroup* g) {
  bool want = !g->queue_.empty() && g->running_ < size_t(g->cap_);
  if (want && !g->in_ready_) {
    ready_.push_back(g);  // at the back: groups take turns
    g->in_ready_ = true;
    cv_.notify_one();
  } else if (!want && g->in_ready_) {
    ready_.erase(std::find(ready_.begin(), ready_.end(), g));
    g->in_ready_ = false;
  }
}

void Scheduler::run_task(TaskGroup* g, std::unique_lock<std::mutex>& lock) {
  std::function<void()> task = std::move(g->queue_.front());
  g->queue_.pop_front();
  g->running_++;
  update(g);
  bool skip = g->failed_;
  lock.unlock();
  std::exception_ptr err;
  if (!skip) {
    try {
      if (g->check_) g->check_();
      task();
    } catch (...) {
      err = std::current_exception();
    }
  }
  task = nullptr;  // the closure's captures go away outside the lock
  lock.lock();
  std::deque<std::function<void()>> dropped;
  if (err) {
    if (!g->failed_) g->error_ = err;
    g->failed_ = true;
    g->drop_queued(dropped);
  }
  g->running_--;
  g->pending_--;
  update(g);
  g->done_cv_.notify_all();  // the group may be destroyed as soon as the lock is released
  if (!dropped.empty()) {
    // Their captures may own objects whose destructors use the scheduler: not under its lock.
    lock.unlock();
    dropped.clear();
    lock.lock();
  }
}

// ---------------------------------------------------------------------------------------

TaskGroup::TaskGroup(int cap, std::function<void()> check, Scheduler& s) : s_(s), check_(std::move(check)) {
  cap_ = cap <= 0 ? s_.size() : std::min(cap, s_.size());
  cap_ = std::max(cap_, 1);
}

TaskGroup::~TaskGroup() {
  std::deque<std::function<void()>> dropped;  // destroyed after the lock is released
  std::unique_lock<std::mutex> lock(s_.mu_);
  drop_queued(dropped);
  done_cv_.wait(lock, [this] { return running_ == 0; });
}

void TaskGroup::drop_queued(std::deque<std::function<void()>>& out) {
  pending_ -= queue_.size();
  for (auto& t : queue_) out.push_back(std::move(t));
  queue_.clear();
  s_.update(this);
}

void TaskGroup::run(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(s_.mu_);
  if (failed_) return;  // wait() will report the error; later work is pointless
  queue_.push_back(std::move(task));
  pending_++;
  s_.update(this);
  done_cv_.notify_all();  // a worker waiting on this group can run it
}

void TaskGroup::help_until(std::unique_lock<std::mutex>& lock, const std::function<bool()>& pred) {
  // A worker that waits (a task that started a group) runs the group's tasks itself, or nested
  // groups could deadlock with every worker waiting. Other threads only wait: if they ran tasks
  // too, each waiting job would add a thread to the pool's and oversubscribe the cores.
  bool help = tls_worker_of == &s_;
  while (!pred()) {
    if (help && !queue_.empty() && running_ < size_t(cap_)) s_.run_task(this, lock);
    else done_cv_.wait(lock);
  }
}

void TaskGroup::wait() {
  std::unique_lock<std::mutex> lock(s_.mu_);
  help_until(lock, [this] { return pending_ == 0; });
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    failed_ = false;
    std::rethrow_exception(e);
  }
  failed_ = false;
}

void TaskGroup::parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn, size_t min_chunk) {
  if (n == 0) return;
  size_t chunks = std::max<size_t>(1, std::min(n / std::max<size_t>(1, min_chunk), size_t(cap_) * 4));
  if (chunks == 1) {
    if (check_) check_();
    fn(0, n);
    return;
  }
  size_t step = (n + chunks - 1) / chunks;
  for (size_t b = 0; b < n; b += step) {
    size_t e = std::min(n, b + step);
    run([&fn, b, e] { fn(b, e); });
  }
  wait();
}

void TaskGroup::ordered_for(size_t n, size_t window, const std::function<void(size_t)>& work,
                            const std::function<void(size_t)>& consume) {
  if (n == 0) return;
  if (window == 0) window = 2 * size_t(cap_);
  std::vector<std::atomic<bool>> done(n);
  size_t submitted = 0;
  try {
    for (size_t i = 0; i < n; i++) {
      while (submitted < n && submitted < i + window) {
        size_t j = submitted++;
        run([&work, &done, j] {
          work(j);
          done[j].store(true);
        });
      }
      {
        std::unique_lock<std::mutex> lock(s_.mu_);
        help_until(lock, [&] { return done[i].load() || failed_; });
        if (!done[i].load()) {
          lock.unlock();
          wait();  // a task failed: rethrows its error once the running ones finish
        }
      }
      consume(i);
    }
  } catch (...) {
    // In-flight tasks write into `done` and the caller's slots: they finish before those go.
    std::deque<std::function<void()>> dropped;
    std::unique_lock<std::mutex> lock(s_.mu_);
    drop_queued(dropped);
    done_cv_.wait(lock, [this] { return running_ == 0; });
    error_ = nullptr;
    failed_ = false;
    throw;
  }
  wait();
}

}  // namespace astrolake::base
