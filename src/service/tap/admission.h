// Admission control: at most `max_running` queries run at once; up to `max_queued` more wait
// (at most `max_wait`) for a slot; beyond that a request is refused with 503 at once, so an
// overloaded service answers quickly instead of piling up threads.
#pragma once
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace astrolake::service {

class Admission {
 public:
  Admission(int max_running, int max_queued, std::chrono::milliseconds max_wait)
      : max_running_(max_running), max_queued_(max_queued), max_wait_(max_wait) {}

  // A slot, held until the returned object is destroyed. Throws DaliError(503).
  std::shared_ptr<void> enter();
  int running() const;

 private:
  void leave();
  int max_running_, max_queued_;
  std::chrono::milliseconds max_wait_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0, queued_ = 0;
};

}  // namespace astrolake::service
