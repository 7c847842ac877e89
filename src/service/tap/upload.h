// TAP_UPLOAD (TAP 1.1 section 2.5.7): UPLOAD=name,URI[;name,URI...] where URI is "param:PART"
// (a part of a multipart request) or an http:// or https:// URL that the service fetches. Each upload is a
// VOTable, read with votable::read_votable, and becomes the table TAP_UPLOAD.name of the query.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "parquet/table.h"

namespace astrolake::service {

struct UploadSpec {
  std::string name;  // the table name (an ADQL identifier)
  std::string uri;   // "param:PART", "http://..." or "https://..."
  bool is_param() const { return uri.rfind("param:", 0) == 0; }
  std::string param() const { return uri.substr(6); }  // PART of "param:PART"
};

struct UploadLimits {
  uint64_t max_bytes = uint64_t(16) << 20;  // all of a query's documents together; more: 413
  double fetch_timeout_s = 30;              // a URL upload, connection to last byte
};

// What the planner gets (adql::PlanOptions::uploads and upload_xtypes).
struct UploadTables {
  std::map<std::string, std::shared_ptr<const parquet::Table>> tables;
  std::map<std::string, std::vector<std::string>> xtypes;
};

// Parses the UPLOAD value. Throws DaliError(400) naming what is wrong.
std::vector<UploadSpec> parse_upload_param(const std::string& value);

// The bytes of multipart part `name` (as given after "param:"); throws DaliError(400) when the
// request has no such part.
using PartLookup = std::function<std::string(const std::string& name)>;

// Reads every upload. Throws DaliError: 413 for a document over the limit, 400 for an invalid
// VOTable, a missing part or a URL that cannot be fetched.
UploadTables load_uploads(const std::vector<UploadSpec>& specs, const PartLookup& part, const UploadLimits& limits);

// Fetches an http(s) URL into memory, at most `limits.max_bytes` (413 beyond) within
// `limits.fetch_timeout_s` (400 beyond; a server that sends slowly is cut off at that time).
std::string fetch_url(const std::string& url, const UploadLimits& limits);

}  // namespace astrolake::service
