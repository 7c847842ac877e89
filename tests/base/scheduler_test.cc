#include "base/scheduler.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace astrolake::base {
namespace {

int thread_count() {
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    (void)e;
    n++;
  }
  return n;
}

// Tracks how many tasks run at once.
struct Concurrency {
  std::atomic<int> now{0}, peak{0};
  void enter() {
    int v = ++now;
    int p = peak.load();
    while (v > p && !peak.compare_exchange_weak(p, v)) {
    }
  }
  void leave() { --now; }
};

TEST(Scheduler, RunsTasksInParallel) {
  Scheduler s(4);
  TaskGroup g(4, {}, s);
  std::atomic<int> arrived{0};
  // Each task waits for all four: this only finishes if four run at the same time.
  for (int i = 0; i < 4; i++)
    g.run([&] {
      ++arrived;
      auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (arrived.load() < 4 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    });
  g.wait();
  EXPECT_EQ(arrived.load(), 4);
}

TEST(Scheduler, GroupCapLimitsConcurrency) {
  Scheduler s(6);
  TaskGroup g(2, {}, s);
  EXPECT_EQ(g.concurrency(), 2);
  Concurrency c;
  for (int i = 0; i < 40; i++)
    g.run([&] {
      c.enter();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      c.leave();
    });
  g.wait();
  EXPECT_LE(c.peak.load(), 2);
  EXPECT_GE(c.peak.load(), 1);
}

TEST(Scheduler, CapAboveThePoolIsThePool) {
  Scheduler s(3);
  EXPECT_EQ(TaskGroup(100000, {}, s).concurrency(), 3);
  EXPECT_EQ(TaskGroup(0, {}, s).concurrency(), 3);
  EXPECT_EQ(TaskGroup(-5, {}, s).concurrency(), 3);
}

TEST(Scheduler, ConcurrentJobsStartNoThreadsOfTheirOwn) {
  Scheduler s(3);
  int before = thread_count();
  Concurrency c;
  std::atomic<int> most_threads{0};
  auto job = [&] {
    TaskGroup g(0, {}, s);
    for (int i = 0; i < 30; i++)
      g.run([&] {
        c.enter();
        int t = thread_count();
        int m = most_threads.load();
        while (t > m && !most_threads.compare_exchange_weak(m, t)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        c.leave();
      });
    g.wait();
  };
  // Three jobs at once (think: a query, an import and a cross-match), each on its own thread.
  std::thread a(job), b(job), d(job);
  a.join();
  b.join();
  d.join();
  // The three job threads themselves are the only extra threads, and tasks ran only on the
  // pool's three workers: never more than three at once.
  EXPECT_LE(most_threads.load(), before + 3);
  EXPECT_LE(c.peak.load(), 3);
}

// Groups take turns: a small job queued behind a large one on a one-worker pool is served after
// one or two of the large job's tasks, not after all of them.
TEST(Scheduler, GroupsTakeTurns) {
  Scheduler s(1);
  std::atomic<int> big_done{0};
  std::atomic<bool> big_queued{false};
  int big_done_when_small_finished = -1;
  std::thread big([&] {
    TaskGroup g(0, {}, s);
    for (int i = 0; i < 50; i++)
      g.run([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        ++big_done;
      });
    big_queued = true;
    g.wait();
  });
  while (!big_queued.load()) std::this_thread::yield();
  {
    TaskGroup small(0, {}, s);
    small.run([] {});
    small.wait();
    big_done_when_small_finished = big_done.load();
  }
  big.join();
  EXPECT_EQ(big_done.load(), 50);
  EXPECT_LE(big_done_when_small_finished, 5);
}

TEST(Scheduler, FirstExceptionIsRethrownAndLaterTasksAreDropped) {
  Scheduler s(2);
  TaskGroup g(1, {}, s);  // one at a time, so the order is the queue's
  std::atomic<int> ran{0};
  g.run([] { throw std::runtime_error("partition 3 is corrupt"); });
  for (int i = 0; i < 100; i++) g.run([&] { ++ran; });
  try {
    g.wait();
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "partition 3 is corrupt");
  }
  EXPECT_LT(ran.load(), 100);
  // The group is usable again afterwards.
  g.run([&] { ran = -1; });
  g.wait();
  EXPECT_EQ(ran.load(), -1);
}

TEST(Scheduler, CheckStopsTheGroupBetweenTasks) {
  Scheduler s(2);
  std::atomic<bool> cancel{false};
  TaskGroup g(1, [&] {
    if (cancel.load()) throw std::runtime_error("cancelled");
  }, s);
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; i++)
    g.run([&] {
      if (++ran == 5) cancel = true;
    });
  EXPECT_THROW(g.wait(), std::runtime_error);
  EXPECT_EQ(ran.load(), 5);
}

TEST(Scheduler, NestedGroupsDoNotDeadlockOnOneWorker) {
  Scheduler s(1);
  TaskGroup outer(0, {}, s);
  std::atomic<int> leaves{0};
  for (int i = 0; i < 4; i++)
    outer.run([&] {
      TaskGroup inner(0, {}, s);
      for (int j = 0; j < 4; j++) inner.run([&] { ++leaves; });
      inner.wait();
    });
  outer.wait();
  EXPECT_EQ(leaves.load(), 16);
}

TEST(Scheduler, ParallelForCoversEveryIndexOnce) {
  Scheduler s(4);
  TaskGroup g(0, {}, s);
  std::vector<std::atomic<int>> hits(100003);
  g.parallel_for(hits.size(), [&](size_t b, size_t e) {
    for (size_t i = b; i < e; i++) ++hits[i];
  }, 100);
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(Scheduler, OrderedForConsumesInOrderWithABoundedWindow) {
  Scheduler s(4);
  TaskGroup g(0, {}, s);
  std::vector<int> slots(200, -1);
  std::vector<int> seen;
  std::atomic<int> produced{0};
  int most_ahead = 0;
  g.ordered_for(slots.size(), 6, [&](size_t i) {
    std::this_thread::sleep_for(std::chrono::microseconds(100 * (i % 7)));
    slots[i] = int(i) * 3;
    ++produced;
  }, [&](size_t i) {
    most_ahead = std::max(most_ahead, produced.load() - int(seen.size()));
    seen.push_back(slots[i]);
  });
  ASSERT_EQ(seen.size(), 200u);
  for (int i = 0; i < 200; i++) EXPECT_EQ(seen[size_t(i)], i * 3);
  EXPECT_LE(most_ahead, 6);
}

TEST(Scheduler, OrderedForRethrowsFromWorkAndFromConsume) {
  Scheduler s(3);
  TaskGroup g(0, {}, s);
  std::vector<int> slots(50);
  EXPECT_THROW(g.ordered_for(slots.size(), 0, [&](size_t i) {
    if (i == 17) throw std::runtime_error("bad row group");
    slots[i] = 1;
  }, [&](size_t) {}), std::runtime_error);
  EXPECT_THROW(g.ordered_for(slots.size(), 0, [&](size_t i) { slots[i] = 2; }, [&](size_t i) {
    if (i == 9) throw std::runtime_error("disk full");
  }), std::runtime_error);
  // Still usable.
  int sum = 0;
  g.ordered_for(slots.size(), 0, [&](size_t i) { slots[i] = 3; }, [&](size_t i) { sum += slots[i]; });
  EXPECT_EQ(sum, 150);
}

// The system refuses threads (here: address space for their stacks runs out, which a root
// process cannot bypass the way it bypasses RLIMIT_NPROC). The pool must stop and join the
// threads it did start and report the failure, not hang or abort.
TEST(Scheduler, RefusedThreadCreationCleansUpAndReports) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(20);  // a hang is a failure, not a stuck test run
    long vm_kib = 0;
    std::ifstream st("/proc/self/status");
    for (std::string line; std::getline(st, line);)
      if (line.rfind("VmSize:", 0) == 0) vm_kib = std::stol(line.substr(7));
    // Room for a few 8 MiB thread stacks, not for 200.
    rlimit lim{rlim_t(vm_kib) * 1024 + (48u << 20), rlim_t(vm_kib) * 1024 + (48u << 20)};
    rlimit stack{8u << 20, 8u << 20};
    if (setrlimit(RLIMIT_STACK, &stack) != 0 || setrlimit(RLIMIT_AS, &lim) != 0) _exit(10);
    int threads_before = thread_count();
    try {
      Scheduler s(200);
      _exit(11);  // every thread started: the limit did not bite
    } catch (const std::runtime_error& e) {
      std::string msg = e.what();
      if (msg.find("cannot start 200 worker threads") == std::string::npos) _exit(12);
    } catch (...) {
      _exit(13);
    }
    // Every started worker was joined: only the threads from before remain.
    _exit(thread_count() == threads_before ? 0 : 14);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// A forked child has none of its parent's workers: it must get a pool of its own rather than
// queue tasks that nothing runs (the import tests fork children that import).
TEST(Scheduler, ForkedChildGetsItsOwnPool) {
  {
    TaskGroup g;  // the global pool is running in the parent
    g.run([] {});
    g.wait();
  }
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(20);
    std::atomic<int> ran{0};
    TaskGroup g;
    for (int i = 0; i < 8; i++) g.run([&] { ++ran; });
    g.wait();
    _exit(ran.load() == 8 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace astrolake::base
