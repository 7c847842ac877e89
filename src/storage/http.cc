#include "storage/http.h"

#include <curl/curl.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "storage/source.h"

namespace astrolake::storage {
namespace {

std::atomic<uint64_t> g_requests{0};
std::atomic<uint64_t> g_bytes{0};
bool g_trace = false;  // ASTROLAKE_HTTP_STATS=2: one stderr line per request

// ASTROLAKE_HTTP_STATS=1: print the process's request and byte counts to stderr at exit.
void print_stats() {
  std::fprintf(stderr, "http: %llu requests, %llu bytes received\n", (unsigned long long)g_requests.load(),
               (unsigned long long)g_bytes.load());
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char* v = std::getenv("ASTROLAKE_HTTP_STATS");
    if (v && *v && std::string(v) != "0") std::atexit(print_stats);
    g_trace = v && std::string(v) == "2";
  });
}

// Connections, DNS answers and TLS sessions shared by every handle of the process, so that
// the short-lived threads that fetch ranges in parallel reuse open connections instead of
// each opening its own.
struct Share {
  CURLSH* sh = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];
  Share() {
    sh = curl_share_init();
    if (!sh) return;
    curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, +[](CURL*, curl_lock_data d, curl_lock_access, void* u) {
      static_cast<Share*>(u)->locks[d].lock();
    });
    curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, +[](CURL*, curl_lock_data d, void* u) {
      static_cast<Share*>(u)->locks[d].unlock();
    });
    curl_share_setopt(sh, CURLSHOPT_USERDATA, this);
    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
};

CURLSH* shared_connections() {
  static Share* share = [] {
    global_init();
    return new Share();  // never freed: handles of exiting threads may still point at it
  }();
  return share->sh;
}

// One easy handle per thread (its options are reset per request); connections come from the
// process-wide share.
struct Handle {
  CURL* curl = nullptr;
  Handle() {
    global_init();
    curl = curl_easy_init();
  }
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

size_t on_body(char* p, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(p, size * n);
  return size * n;
}

size_t on_header(char* p, size_t size, size_t n, void* user) {
  std::string line(p, size * n);
  auto* h = static_cast<std::map<std::string, std::string>*>(user);
  if (line.rfind("HTTP/", 0) == 0) h->clear();  // a new response (after 100-continue or a redirect)
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
    (*h)[name] = value;
  }
  return size * n;
}

struct Upload {
  const std::string* body;
  size_t pos = 0;
};

size_t on_read(char* p, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  size_t len = std::min(size * n, u->body->size() - u->pos);
  std::memcpy(p, u->body->data() + u->pos, len);
  u->pos += len;
  return len;
}

bool retryable_status(long s) { return s == 429 || s == 500 || s == 502 || s == 503 || s == 504; }

long env_long(const char* name, long dflt) {
  const char* v = std::getenv(name);
  if (!v || !*v) return dflt;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  return (end && *end == 0 && x >= 0) ? x : dflt;
}

}  // namespace

HttpOptions HttpOptions::from_env() {
  HttpOptions o;
  o.timeout_ms = env_long("ASTROLAKE_HTTP_TIMEOUT_S", 60) * 1000;
  o.retries = int(env_long("ASTROLAKE_HTTP_RETRIES", 4));
  return o;
}

uint64_t http_request_count() { return g_requests.load(); }

HttpResponse http_send(HttpRequest req, const HttpOptions& opts, const std::function<void(HttpRequest&)>& prepare) {
  thread_local Handle handle;
  if (!handle.curl) throw IoError(req.url + ": cannot initialise libcurl");
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string last_error;
  for (int attempt = 0;; ++attempt) {
    HttpRequest r = req;
    if (prepare) prepare(r);
    CURL* c = handle.curl;
    curl_easy_reset(c);
    HttpResponse resp;
    Upload up{&r.body};
    curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (CURLSH* sh = shared_connections()) curl_easy_setopt(c, CURLOPT_SHARE, sh);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, opts.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, opts.timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, r.method == "GET" || r.method == "HEAD" ? 1L : 0L);
    if (r.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (r.method == "PUT" || r.method == "POST") {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(c, CURLOPT_READDATA, &up);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, curl_off_t(r.body.size()));
      if (r.method == "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "POST");
    } else if (r.method != "GET") {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    curl_slist* list = nullptr;
    for (const auto& [k, v] : r.headers) list = curl_slist_append(list, (k + ": " + v).c_str());
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    ++g_requests;
    auto t0 = std::chrono::steady_clock::now();
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(list);
    g_bytes += resp.body.size();
    if (g_trace) {
      std::string range;
      for (const auto& [k, v] : r.headers)
        if (k == "Range") range = " " + v;
      long status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "http: %s %s%s -> %ld, %zu bytes, %.1f ms\n", r.method.c_str(), r.url.c_str(),
                   range.c_str(), status, resp.body.size(), ms);
    }
    if (rc == CURLE_OK) {
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
      if (!retryable_status(resp.status)) return resp;
      last_error = "HTTP " + std::to_string(resp.status);
    } else {
      last_error = curl_easy_strerror(rc);
    }
    if (attempt >= opts.retries)
      throw IoError(req.method + " " + req.url + ": " + last_error + " (after " + std::to_string(attempt + 1) +
                    " attempts)");
    // Exponential backoff with full jitter, capped at 5 s.
    long cap = std::min<long>(5000, opts.backoff_ms << std::min(attempt, 10));
    std::uniform_int_distribution<long> d(cap / 2, cap);
    std::this_thread::sleep_for(std::chrono::milliseconds(d(rng)));
  }
}

}  // namespace astrolake::storage
