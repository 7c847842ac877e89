// A ByteSource over HTTP range requests, shared by the HTTP and S3 file systems.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "storage/http.h"
#include "storage/source.h"

namespace astrolake::storage {

// Sends a GET for the object with an optional Range header value ("" for the whole object).
using RangeGet = std::function<HttpResponse(const std::string& range)>;

// Opens the object with one request: a suffix range GET for its last 64 KiB, which gives the
// size (from Content-Range) and the Parquet footer or the whole of a small file, kept in memory.
// Later reads are single range GETs whose length is checked, so a short or overlong answer is
// an IoError naming the URL, never wrong bytes.
std::shared_ptr<ByteSource> open_remote(const std::string& url, RangeGet get);

// "404 NoSuchKey: The specified key does not exist." from an S3-style XML error body, or the
// status alone.
std::string describe_error(const HttpResponse& resp);

// The text of every <tag>...</tag> in an XML document, entities decoded.
std::vector<std::string> xml_values(const std::string& xml, const std::string& tag);

}  // namespace astrolake::storage
