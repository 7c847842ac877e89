// The one process-wide pool of worker threads that runs all parallel work (imports, scans,
// aggregates, cross-matches, spatial searches), so concurrent jobs share the cores instead of
// each starting a pool of its own.
//
// A job submits its tasks through a TaskGroup. A group runs at most `cap` of its tasks at once
// (the job's thread cap); the pool serves the groups with queued work in turn, so one large job
// does not starve the others. Only the pool's threads run tasks, so the cores are never
// oversubscribed however many jobs wait; a worker that waits on a group (a task that started a
// nested group) runs that group's queued tasks itself, so nested groups cannot deadlock.
// The first exception a task throws is rethrown by wait(), and the group's remaining queued
// tasks are dropped. `check`, when given, is called before each task (cancel flag, deadline):
// if it throws, that is the group's error.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace astrolake::base {

class TaskGroup;

class Scheduler {
 public:
  // More threads than this is never useful and usually a typo (--threads 100000).
  static constexpr int kMaxThreads = 1024;

  // Starts `threads` workers (<= 0: one per hardware thread; capped at kMaxThreads). If the
  // system refuses a thread, the ones already started are stopped and joined and a
  // std::runtime_error says how many could be started.
  explicit Scheduler(int threads = 0);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The process-wide pool, started on first use with ASTROLAKE_THREADS workers (default: one
  // per hardware thread). A child process made by fork() starts its own on first use.
  static Scheduler& global();

  int size() const { return int(workers_.size()); }

 private:
  friend class TaskGroup;
  void loop();
  void update(TaskGroup* g);  // keeps ready_ = groups with queued tasks below their cap
  void run_task(TaskGroup* g, std::unique_lock<std::mutex>& lock);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<TaskGroup*> ready_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

class TaskGroup {
 public:
  // cap <= 0 or above the pool size: the pool size.
  explicit TaskGroup(int cap = 0, std::function<void()> check = {}, Scheduler& s = Scheduler::global());
  // Drops queued tasks and waits for running ones; never throws.
  ~TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Tasks of this group that may run at once.
  int concurrency() const { return cap_; }

  void run(std::function<void()> task);
  // Waits until every task has finished (a worker thread runs queued ones meanwhile); rethrows
  // the first task exception (and then the group is reusable).
  void wait();

  // fn(begin, end) over [0, n) in about 4 chunks per allowed thread; waits.
  void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn, size_t min_chunk = 1024);

  // work(i) for i in [0, n) in parallel with at most `window` unconsumed at once, and consume(i)
  // on this thread strictly in order i = 0, 1, ... as each work(i) finishes. work stores its
  // result where consume finds it (e.g. a vector slot). window 0: twice the concurrency.
  void ordered_for(size_t n, size_t window, const std::function<void(size_t)>& work,
                   const std::function<void(size_t)>& consume);

 private:
  friend class Scheduler;
  // Under the scheduler's lock: waits until pred() holds, running queued tasks if this is a worker.
  void help_until(std::unique_lock<std::mutex>& lock, const std::function<bool()>& pred);
  // Under the lock: moves the queued tasks to `out`, for the caller to destroy unlocked.
  void drop_queued(std::deque<std::function<void()>>& out);

  Scheduler& s_;
  int cap_;
  std::function<void()> check_;
  std::deque<std::function<void()>> queue_;
  size_t running_ = 0, pending_ = 0;
  bool in_ready_ = false, failed_ = false;
  std::exception_ptr error_;
  std::condition_variable done_cv_;  // a task of this group finished
};

}  // namespace astrolake::base
