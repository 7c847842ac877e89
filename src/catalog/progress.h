// Progress reporting for long jobs (import passes). A bar on stderr when stderr is a
// terminal, nothing otherwise (logs and tests stay clean). Long jobs poll cancelled() between
// chunks; the CLI's handler for SIGINT, SIGTERM and SIGHUP sets the cancel flag, so Ctrl-C, a
// `kill` or a closed terminal stops a job at the next chunk boundary and lets it clean up its
// temp files instead of dying half-way.
#pragma once
#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>

namespace astrolake::catalog {

// Thrown by check_cancelled() once a cancel was requested.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

// Process-wide cancel flag. Async-signal-safe to set (a lock-free atomic store).
void request_cancel();
void reset_cancel();
bool cancelled();
void check_cancelled();  // throws Cancelled if cancelled()
int cancel_signal();     // the signal that cancelled (SIGINT, SIGTERM, SIGHUP), else 0

// Installs the handler for SIGINT, SIGTERM and SIGHUP that cancels; a second signal of the
// same kind, once cancelled, takes its default action (kills), as a second Ctrl-C does.
void install_cancel_handlers();

class Progress {
 public:
  // `total` <= 0 means unknown (no percentage). `enabled` < 0: auto (stderr is a tty).
  Progress(std::string label, int64_t total, int enabled = -1);
  ~Progress();
  void add(int64_t n);       // thread-safe
  void set_total(int64_t total);
  void finish();             // draws the final state and a newline (if drawing)
  int64_t done() const { return done_.load(); }

 private:
  void draw(bool final);
  std::string label_;
  std::atomic<int64_t> total_;
  std::atomic<int64_t> done_{0};
  bool enabled_;
  bool finished_ = false;
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace astrolake::catalog
