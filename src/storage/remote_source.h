// A ByteSource over HTTP range requests, shared by the HTTP and S3 file systems.
#pragma once
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <memory>
#include <string>

#include "storage/http.h"
#include "storage/source.h"

namespace astrolake::storage {

// The object does not exist (HTTP 404/410).
class NotFoundError : public IoError {
 public:
  using IoError::IoError;
};

// Sends a GET for the object with an optional Range header value ("" for the whole object).
using RangeGet = std::function<HttpResponse(const std::string& range)>;

// Opens the object with one request: a suffix range GET for its last 64 KiB, which gives the
// size (from Content-Range) and the Parquet footer or the whole of a small file, kept in memory.
// Later reads are single range GETs whose length is checked, so a short or overlong answer is
// an IoError naming the URL, never wrong bytes.
// With `from`, the first request asks for everything from that offset to the end instead
// (FileSystem::open_from); an offset past the end falls back to the last 64 KiB.
std::shared_ptr<ByteSource> open_remote(const std::string& url, RangeGet get,
                                        std::optional<uint64_t> from = std::nullopt);

// Existence tests on an object store are followed by an open of the same object (a catalog's
// properties, partition_info.csv, ...). stat() therefore opens the object (one request, which
// also fetches its tail) and parks the source here; the next open() of that URL takes it, so
// test-then-read costs one request instead of two. Parked sources are taken at most once.
class ProbeCache {
 public:
  std::optional<uint64_t> stat(const std::string& url, const std::function<std::shared_ptr<ByteSource>()>& open);
  std::shared_ptr<ByteSource> take(const std::string& url);
  void clear();

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<ByteSource>> parked_;
};

// "404 NoSuchKey: The specified key does not exist." from an S3-style XML error body, or the
// status alone.
std::string describe_error(const HttpResponse& resp);

// The text of every <tag>...</tag> in an XML document, entities decoded.
std::vector<std::string> xml_values(const std::string& xml, const std::string& tag);

}  // namespace astrolake::storage
