#include "catalog/progress.h"

#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace astrolake::catalog {

namespace {
std::atomic<bool> g_cancel{false};
std::atomic<int> g_signal{0};

extern "C" void on_cancel_signal(int sig) {
  if (g_cancel.load()) {
    // A second signal: the user (or service manager) means it. Default action, re-raised.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_signal.store(sig);
  g_cancel.store(true);
}
}  // namespace

void request_cancel() { g_cancel.store(true); }
void reset_cancel() {
  g_cancel.store(false);
  g_signal.store(0);
}
bool cancelled() { return g_cancel.load(std::memory_order_relaxed); }
int cancel_signal() { return g_signal.load(); }
void check_cancelled() {
  if (cancelled()) throw Cancelled();
}

void install_cancel_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_cancel_signal;
  sigemptyset(&sa.sa_mask);
  // Restart interrupted reads and writes: cancellation is polled between chunks, and an
  // interrupted write must not surface as a spurious I/O error.
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

Progress::Progress(std::string label, int64_t total, int enabled)
    : label_(std::move(label)), total_(total),
      enabled_(enabled < 0 ? isatty(STDERR_FILENO) != 0 : enabled != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
  if (enabled_ && !finished_) {
    std::lock_guard<std::mutex> lock(mu_);
    std::fputc('\n', stderr);
  }
}

void Progress::set_total(int64_t total) { total_.store(total); }

void Progress::add(int64_t n) {
  done_.fetch_add(n);
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  // Redraw at most 10 times a second: drawing is cheap, but not free per chunk.
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  std::lock_guard<std::mutex> lock(mu_);
  draw(true);
  std::fputc('\n', stderr);
  finished_ = true;
}

void Progress::draw(bool final) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  int64_t done = done_.load(), total = total_.load();
  double rate = secs > 0 ? double(done) / secs : 0;
  char line[256];
  if (total > 0) {
    double frac = std::min(1.0, double(done) / double(total));
    char bar[31];
    int fill = int(frac * 30);
    for (int i = 0; i < 30; ++i) bar[i] = i < fill ? '#' : '.';
    bar[30] = 0;
    std::snprintf(line, sizeof line, "\r%-12s [%s] %3d%% %lld/%lld rows %.0f rows/s%s", label_.c_str(), bar,
                  int(frac * 100), (long long)done, (long long)total, rate, final ? " done" : "");
  } else {
    std::snprintf(line, sizeof line, "\r%-12s %lld rows %.0f rows/s%s", label_.c_str(), (long long)done, rate,
                  final ? " done" : "");
  }
  std::fputs(line, stderr);
  std::fflush(stderr);
}

}  // namespace astrolake::catalog
