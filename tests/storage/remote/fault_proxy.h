// A small HTTP proxy on 127.0.0.1 for tests: forwards each request to an upstream server and,
// as a plan decides per request, answers 503, resets the connection, truncates the response
// body or delays it. One request per connection (it asks the upstream to close).
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace astrolake::test {

enum class Fault { none, status503, reset, truncate, delay };

class FaultProxy {
 public:
  FaultProxy(int upstream_port, std::function<Fault(int)> plan) : upstream_(upstream_port), plan_(std::move(plan)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 64) != 0)
      throw std::runtime_error("fault proxy: cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~FaultProxy() {
    stop_ = true;
    accept_thread_.join();
    for (auto& t : workers_) t.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  int requests() const { return count_.load(); }
  std::vector<Fault> faults() {
    std::lock_guard<std::mutex> lock(mu_);
    return injected_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, c] { serve(c); });
    }
  }

  static bool read_request(int c, std::string& req) {
    char buf[65536];
    size_t body_from = std::string::npos, want = 0;
    for (;;) {
      if (body_from != std::string::npos && req.size() >= body_from + want) return true;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return false;
      req.append(buf, size_t(n));
      if (body_from == std::string::npos) {
        size_t e = req.find("\r\n\r\n");
        if (e == std::string::npos) continue;
        body_from = e + 4;
        std::string head = req.substr(0, e);
        for (char& ch : head) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        size_t cl = head.find("\r\ncontent-length:");
        if (cl != std::string::npos) want = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
      }
    }
  }

  static void send_all(int fd, const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w <= 0) return;
      p += w;
      n -= size_t(w);
    }
  }

  std::string forward(std::string req) {
    size_t eol = req.find("\r\n");
    req.insert(eol + 2, "Connection: close\r\n");
    int u = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(uint16_t(upstream_));
    std::string resp;
    if (::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      send_all(u, req.data(), req.size());
      char buf[65536];
      ssize_t n;
      while ((n = ::recv(u, buf, sizeof buf, 0)) > 0) resp.append(buf, size_t(n));
    }
    ::close(u);
    return resp;
  }

  void serve(int c) {
    std::string req;
    if (read_request(c, req)) {
      Fault f = plan_(count_++);
      {
        std::lock_guard<std::mutex> lock(mu_);
        injected_.push_back(f);
      }
      if (f == Fault::reset) {
        linger l{1, 0};  // close with RST
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      } else if (f == Fault::status503) {
        std::string r = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: 61\r\n"
                        "Connection: close\r\n\r\n<Error><Code>SlowDown</Code><Message>busy</Message></Error>\r\n";
        send_all(c, r.data(), r.size());
      } else {
        if (f == Fault::delay) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        std::string resp = forward(req);
        size_t n = resp.size();
        if (f == Fault::truncate) {
          size_t body = resp.find("\r\n\r\n");
          if (body != std::string::npos) n = body + 4 + (resp.size() - body - 4) / 2;
        }
        send_all(c, resp.data(), n);
      }
    }
    ::close(c);
  }

  int upstream_;
  std::function<Fault(int)> plan_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> count_{0};
  std::mutex mu_;
  std::vector<Fault> injected_;
  std::thread accept_thread_;
  std::vector<std::thread> workers_;
};

}  // namespace astrolake::test
