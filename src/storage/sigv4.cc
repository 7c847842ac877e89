#include "storage/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <map>

namespace astrolake::storage {

std::string to_hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), sizeof md));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string uri_encode(std::string_view s, bool encode_slash) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash)) {
      out.push_back(char(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  for (const auto& [k, v] : query) enc.emplace_back(uri_encode(k, true), uri_encode(v, true));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

namespace {

std::string trim_spaces(const std::string& v) {
  // Leading/trailing spaces dropped and inner runs of spaces collapsed to one.
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string sigv4_authorization(const Credentials& creds, const SignInput& in) {
  std::map<std::string, std::string> hdrs;  // sorted by lower-case name
  for (const auto& [k, v] : in.headers) {
    std::string name = k;
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    std::string value = trim_spaces(v);
    auto [it, fresh] = hdrs.emplace(name, value);
    if (!fresh) it->second += "," + value;
  }
  std::string canon_headers, signed_headers;
  for (const auto& [k, v] : hdrs) {
    canon_headers += k + ":" + v + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += k;
  }
  std::string request = in.method + "\n" + in.canonical_uri + "\n" + canonical_query(in.query) + "\n" +
                        canon_headers + "\n" + signed_headers + "\n" + in.payload_hash;
  std::string day = in.amz_date.substr(0, 8);
  std::string scope = day + "/" + in.region + "/" + in.service + "/aws4_request";
  std::string to_sign = "AWS4-HMAC-SHA256\n" + in.amz_date + "\n" + scope + "\n" + sha256_hex(request);
  std::string key = hmac_sha256("AWS4" + creds.secret_key, day);
  key = hmac_sha256(key, in.region);
  key = hmac_sha256(key, in.service);
  key = hmac_sha256(key, "aws4_request");
  std::string signature = to_hex(hmac_sha256(key, to_sign));
  return "AWS4-HMAC-SHA256 Credential=" + creds.access_key + "/" + scope + ",SignedHeaders=" + signed_headers +
         ",Signature=" + signature;
}

}  // namespace astrolake::storage
