// Starts the real `astrolake serve` binary on 127.0.0.1 with a free port over a temporary
// catalog root (copies of the test fixtures), collects its stderr (the access log), and stops
// it with SIGTERM at the end. Requests go through cpp-httplib's client.
#pragma once
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

extern char** environ;

namespace al_service_test {

namespace fs = std::filesystem;

inline std::string fixture(const std::string& name) { return std::string(AL_TEST_DATA) + "/hats/" + name; }

class ServiceProcess {
 public:
  // Root: a fresh directory holding copies of `catalogs` (fixture names).
  explicit ServiceProcess(const std::vector<std::string>& catalogs, std::vector<std::string> extra_args = {}) {
    dir_ = fs::temp_directory_path() / ("al_service_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "root");
    for (const auto& c : catalogs) fs::copy(fixture(c), dir_ / "root" / c, fs::copy_options::recursive);
    std::vector<std::string> args = {AL_BINARY, "serve", "--root", root(), "--state", (dir_ / "state").string(),
                                     "--port", "0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    args_ = args;
    start(args);
  }
  // SIGKILL (no shutdown at all), then the same command again on the same root and state.
  void kill9_and_restart() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    reader_.join();
    {
      std::lock_guard lk(mu_);
      log_.clear();
    }
    port_ = 0;
    start(args_);
  }
  ~ServiceProcess() {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string root() const { return (dir_ / "root").string(); }
  std::string state() const { return (dir_ / "state").string(); }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_) + "/tap"; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  std::string log() {
    std::lock_guard lk(mu_);
    return log_;
  }
  // The log once it holds `needle` (the service writes a request's line after answering it, so
  // a test that has its answer may be ahead of the line); the log as it is after 10 s otherwise.
  std::string log_with(const std::string& needle) {
    for (int i = 0; i < 1000; i++) {
      std::string l = log();
      if (l.find(needle) != std::string::npos) return l;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return log();
  }

  // SIGTERM; returns the exit status (or -1 if it had to be killed after 20 s).
  int stop() {
    if (pid_ <= 0) return exit_status_;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; i++) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = -1;
        reader_.join();
        return exit_status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    reader_.join();
    return exit_status_ = -1;
  }

 private:
  void start(const std::vector<std::string>& args) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    int fd = fds[0];
    reader_ = std::thread([this, fd] {
      char buf[4096];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) {
        std::lock_guard lk(mu_);
        log_.append(buf, size_t(n));
      }
      ::close(fd);
    });
    // The service prints {"event":"listening","url":"http://127.0.0.1:PORT/tap"} when bound.
    for (int i = 0; i < 300 && port_ == 0; i++) {
      std::string l = log();
      const std::string key = "\"url\":\"http://127.0.0.1:";
      size_t at = l.find(key);
      if (at != std::string::npos) port_ = std::stoi(l.substr(at + key.size()));
      else std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_GT(port_, 0) << "service did not start: " << log();
  }

  fs::path dir_;
  std::vector<std::string> args_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_status_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::string log_;
};

// A TAP sync POST (form-encoded).
inline httplib::Result tap_sync(httplib::Client& c, const httplib::Params& params) {
  return c.Post("/tap/sync", params);
}

}  // namespace al_service_test
