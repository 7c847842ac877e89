#include "service/http/server.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>
#include <thread>

#include "service/http/form.h"
#include "votable/writer.h"

namespace astrolake::service {

namespace {

thread_local std::chrono::steady_clock::time_point request_start;

std::string json_text(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') { out += '\\'; out += char(c); }
    else if (c < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); out += b; }
    else out += char(c);
  }
  return out + "\"";
}

void log_request(const httplib::Request& req, const httplib::Response& res) {
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - request_start).count();
  std::time_t now = std::time(nullptr);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::string line = std::string("{\"time\":\"") + ts + "\",\"remote\":" + json_text(req.remote_addr) +
                     ",\"method\":" + json_text(req.method) + ",\"path\":" + json_text(req.path) +
                     ",\"status\":" + std::to_string(res.status) + ",\"ms\":" + std::to_string(ms);
  if (!res.body.empty()) line += ",\"bytes\":" + std::to_string(res.body.size());
  std::string err = res.get_header_value("X-Error");
  if (!err.empty()) line += ",\"error\":" + json_text(err);
  line += "}\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

void send_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  // Also in the access log (X-Error is a response header clients may read, too).
  std::string one_line = message.substr(0, 300);
  for (char& c : one_line)
    if (c == '\n' || c == '\r') c = ' ';
  res.set_header("X-Error", one_line);
  res.set_content(votable::error_document(message), "application/x-votable+xml");
}

HttpServer::HttpServer(HttpOptions opts) : opts_(std::move(opts)) {
  int threads = opts_.threads;
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
  server_.set_read_timeout(opts_.read_timeout_s, 0);
  server_.set_write_timeout(60, 0);
  server_.set_keep_alive_max_count(1000);
  server_.set_keep_alive_timeout(10);
  // No limit in httplib: POST and PUT routes read their bodies themselves (see server.h).
  server_.set_payload_max_length(std::numeric_limits<size_t>::max());
  server_.set_tcp_nodelay(true);
  server_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    request_start = std::chrono::steady_clock::now();
    // Other methods' bodies are read by httplib into memory: only small ones. (The body is
    // left unread; no client of this service sends one.)
    if (req.method != "POST" && req.method != "PUT" &&
        (req.get_header_value<uint64_t>("Content-Length") > kMaxMemoryBody ||
         req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos)) {
      send_error(res, 413, "a " + req.method + " request may carry a body of at most " +
                               std::to_string(kMaxMemoryBody >> 20) + " MiB, not chunked");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Errors httplib answers itself (no route, bad request line, body too large) get a DALI body.
  server_.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string what = res.status == 404 ? "no resource at " + req.path
                       : res.status == 413 ? "request body too large"
                       : res.status == 405 ? "method " + req.method + " not allowed on " + req.path
                                           : "bad HTTP request";
    send_error(res, res.status, what);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = std::string("internal error: ") + e.what();
    } catch (...) {
    }
    send_error(res, 500, what);
  });
  server_.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Server", "astrolake");
  });
  if (opts_.access_log) server_.set_logger(log_request);
}

int HttpServer::bind() {
  if (opts_.port == 0) port_ = server_.bind_to_any_port(opts_.host);
  else port_ = server_.bind_to_port(opts_.host, opts_.port) ? opts_.port : -1;
  if (port_ <= 0)
    throw std::runtime_error("cannot listen on " + opts_.host + ":" + std::to_string(opts_.port));
  // POST or PUT to a path no route takes: the body is read and dropped (bounded, as for any
  // body held in memory), then 404, so the client reads the answer instead of a reset.
  auto nowhere = [](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& body) {
    BodyLimit limit(0);
    limit.drain(req, body);
    res.status = 404;
  };
  server_.Post(".*", nowhere);
  server_.Put(".*", nowhere);
  return port_;
}

namespace {
sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  return set;
}
}  // namespace

void block_shutdown_signals() {
  sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void HttpServer::run(bool handle_signals) {
  std::thread waiter;
  sigset_t set = shutdown_signals();
  if (handle_signals) {
    // One thread waits for the signal and stops the server, which finishes the requests in
    // progress.
    block_shutdown_signals();
    waiter = std::thread([this, set] {
      int sig = 0;
      sigwait(&set, &sig);
      if (sig != SIGUSR1) std::fprintf(stderr, "{\"event\":\"shutdown\",\"signal\":%d}\n", sig);
      server_.stop();
    });
  }
  server_.listen_after_bind();
  if (handle_signals) {
    pthread_kill(waiter.native_handle(), SIGUSR1);  // wake the waiter if the stop came from elsewhere
    waiter.join();
  }
}

}  // namespace astrolake::service
