// Request parameters from the query string and the body (application/x-www-form-urlencoded
// or multipart/form-data), read here rather than by httplib so that form bodies may be as
// large as the service's body limit (httplib caps form bodies at 8 KiB).
#pragma once
#include <map>
#include <string>

#include <httplib.h>

namespace astrolake::service {

struct RequestParams {
  std::map<std::string, std::string> values;                // upper-case name -> first value
  std::map<std::string, httplib::MultipartFormData> files;  // multipart parts with a filename
};

// `reader` is null for GET. Throws DaliError(400) for a body that cannot be read or decoded.
RequestParams read_params(const httplib::Request& req, const httplib::ContentReader* reader);

// The content of the multipart part `name` (case-insensitive) that carries a file, or of a
// plain parameter of that name; throws DaliError(400) when the request has neither.
std::string request_part(const RequestParams& p, const std::string& name);

// Decodes %XX and '+' (form encoding). Throws DaliError(400) on a bad escape.
std::string form_decode(const std::string& s);

}  // namespace astrolake::service
