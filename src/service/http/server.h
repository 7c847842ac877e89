// The HTTP layer of the service: cpp-httplib's server (HTTP/1.1, keep-alive, a fixed pool of
// connection threads) with the service's policies: read timeouts against slow clients, body
// limits (below), DALI error documents for the errors httplib answers itself, a JSON access
// log line per request on stderr, and graceful shutdown on SIGTERM/SIGINT (the listening
// socket closes, requests in progress finish, then run() returns).
//
// Request bodies: httplib itself sets no size limit; each route decides. Bodies held in memory
// (forms, inline uploads) are capped by BodyLimit (form.h, 413); storage uploads stream to disk
// and are bounded by the user's quota. So every POST and PUT route takes a ContentReader and is
// wrapped in reads_body (form.h), which reads and drops a body the handler left unread (a
// catch-all added by bind() does the same and answers 404 for other paths); a body on any other
// method (GET, DELETE, ...) larger than the memory cap, or chunked, gets 413.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include <httplib.h>

namespace astrolake::service {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                     // 0: any free port (see HttpServer::port())
  int threads = 32;                    // connections served at once
  int read_timeout_s = 10;             // a client silent this long is dropped
  bool access_log = true;
};

class HttpServer {
 public:
  explicit HttpServer(HttpOptions opts);
  httplib::Server& routes() { return server_; }

  // Binds (throws std::runtime_error naming host:port on failure); returns the port. Call it
  // after the routes are added: it adds the catch-all POST and PUT routes.
  int bind();
  int port() const { return port_; }
  // Serves until stop() or SIGTERM/SIGINT (when `handle_signals`); returns after the requests
  // in progress have finished.
  void run(bool handle_signals = true);
  void stop() { server_.stop(); }

 private:
  HttpOptions opts_;
  httplib::Server server_;
  int port_ = 0;
};

// Blocks SIGTERM, SIGINT (and SIGUSR1, used internally) in the calling thread and so in every
// thread it starts afterwards; run() then receives them with sigwait. Call it before starting
// any thread, or a thread without the mask may take the signal and end the process.
void block_shutdown_signals();

// Writes a DALI error document with `status` to `res`.
void send_error(httplib::Response& res, int status, const std::string& message);

}  // namespace astrolake::service
