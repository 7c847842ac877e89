#include "service/tap/admission.h"

#include "service/tap/error.h"

namespace astrolake::service {

std::shared_ptr<void> Admission::enter() {
  std::unique_lock lk(mu_);
  if (running_ >= max_running_) {
    if (queued_ >= max_queued_)
      throw DaliError(503, "service overloaded: " + std::to_string(running_) + " queries running and " +
                               std::to_string(queued_) + " waiting; try again later");
    queued_++;
    bool got = cv_.wait_for(lk, max_wait_, [&] { return running_ < max_running_; });
    queued_--;
    if (!got) throw DaliError(503, "service overloaded: no query slot became free in time; try again later");
  }
  running_++;
  return std::shared_ptr<void>(this, [this](void*) { leave(); });  // non-null: a held slot tests true
}

void Admission::leave() {
  {
    std::lock_guard lk(mu_);
    running_--;
  }
  cv_.notify_one();
}

int Admission::running() const {
  std::lock_guard lk(mu_);
  return running_;
}

}  // namespace astrolake::service
