// One HTTP exchange with retries, over libcurl. Shared by the HTTP and S3 file systems.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace astrolake::storage {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Timeouts and retries; defaults may be changed with ASTROLAKE_HTTP_TIMEOUT_S (per request,
// default 60), ASTROLAKE_HTTP_RETRIES (attempts after the first, default 4).
struct HttpOptions {
  long connect_timeout_ms = 10000;
  long timeout_ms = 60000;
  int retries = 4;
  long backoff_ms = 100;  // first delay; doubles each attempt, with full jitter
  static HttpOptions from_env();
};

// Sends the request. `prepare` runs before every attempt (a signer adds its date and
// Authorization headers there, so each retry is signed afresh). Connection failures,
// timeouts, truncated bodies and statuses 429/500/502/503/504 are retried with backoff;
// any other status is returned for the caller to judge. Throws IoError naming the URL when
// the attempts run out.
HttpResponse http_send(HttpRequest req, const HttpOptions& opts,
                       const std::function<void(HttpRequest&)>& prepare = {});

// Number of HTTP requests this process has sent (attempts included), for tests and
// benchmarks; ASTROLAKE_HTTP_STATS=1 prints it and the bytes received at exit, and
// ASTROLAKE_HTTP_STATS=2 also prints one line per request (method, URL, range, status, bytes).
uint64_t http_request_count();

}  // namespace astrolake::storage
