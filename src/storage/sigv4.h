// AWS Signature Version 4 for S3 requests (header-based authentication), written from the
// published specification. Kept apart from the HTTP code so it can be checked against the
// example signatures in the AWS documentation.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace astrolake::storage {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // temporary credentials only
  bool anonymous() const { return access_key.empty(); }
};

std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string to_hex(std::string_view bytes);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters kept, everything else
// %XX (upper case); '/' kept only when encode_slash is false (object key paths).
std::string uri_encode(std::string_view s, bool encode_slash);

struct SignInput {
  std::string method;          // GET, PUT, ...
  std::string canonical_uri;   // already encoded path, e.g. /bucket/key%20name
  std::vector<std::pair<std::string, std::string>> query;    // raw (unencoded) names and values
  std::vector<std::pair<std::string, std::string>> headers;  // names any case; must include host
  std::string payload_hash;    // hex SHA-256 of the body, or UNSIGNED-PAYLOAD
  std::string amz_date;        // YYYYMMDDTHHMMSSZ
  std::string region;
  std::string service = "s3";
};

// The canonical query string: names and values encoded, sorted by name then value.
std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query);

// The value of the Authorization header for the request.
std::string sigv4_authorization(const Credentials& creds, const SignInput& in);

}  // namespace astrolake::storage
