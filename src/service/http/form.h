// Request parameters from the query string and the body (application/x-www-form-urlencoded
// or multipart/form-data), read here rather than by httplib so that form bodies may be as
// large as the service's body limit (httplib caps form bodies at 8 KiB), and the limit that
// every body held in memory obeys.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include <httplib.h>

namespace astrolake::service {

// Bodies held in memory (forms, TAP uploads, inline MyDB imports) are at most this large;
// files of any size go to storage through PUT /storage/put, which streams them to disk.
constexpr size_t kMaxMemoryBody = size_t(64) << 20;
// After a body is refused, up to this much more of it is read and dropped, so that a client
// that is still sending reads the answer rather than a reset connection.
constexpr uint64_t kMaxDrain = uint64_t(1) << 30;

// Counts the bytes of a body as they arrive. keep(n) says whether to keep the next n bytes
// (false once the total passes the cap); more() whether to read on (false once a refused body
// has been drained kMaxDrain bytes further).
class BodyLimit {
 public:
  explicit BodyLimit(size_t cap = kMaxMemoryBody) : cap_(cap) {}
  bool keep(size_t n) {
    seen_ += n;
    return seen_ <= cap_;
  }
  bool more() const { return seen_ <= cap_ + kMaxDrain; }
  bool over() const { return seen_ > cap_; }
  // Throws DaliError(413) naming the cap when the body was larger.
  void check() const;
  // Reads the rest of the body through `reader` and drops it (bounded by more()).
  void drain(const httplib::Request& req, const httplib::ContentReader& reader);

 private:
  size_t cap_;
  uint64_t seen_ = 0;
};

// Wraps a POST or PUT handler so that a body it did not read (it answered first, e.g. 401) is
// read and dropped afterwards: the connection stays in step with the client, and a client
// that is still sending reads the answer rather than a reset. Every POST and PUT route uses it.
httplib::Server::HandlerWithContentReader reads_body(httplib::Server::HandlerWithContentReader handler);

// The whole body (not multipart) in memory: 413 past kMaxMemoryBody, 400 when it ends early.
std::string read_body(const httplib::ContentReader& reader);

struct RequestParams {
  std::map<std::string, std::string> values;                // upper-case name -> first value
  std::map<std::string, httplib::MultipartFormData> files;  // multipart parts with a filename
};

// `reader` is null for GET. Throws DaliError(400) for a body that cannot be read or decoded,
// 413 for one larger than kMaxMemoryBody.
RequestParams read_params(const httplib::Request& req, const httplib::ContentReader* reader);

// The content of the multipart part `name` (case-insensitive) that carries a file, or of a
// plain parameter of that name; throws DaliError(400) when the request has neither.
std::string request_part(const RequestParams& p, const std::string& name);

// Decodes %XX and '+' (form encoding). Throws DaliError(400) on a bad escape.
std::string form_decode(const std::string& s);

}  // namespace astrolake::service
