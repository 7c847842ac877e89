// Users, passwords and tokens. Passwords are hashed with argon2id (libsodium crypto_pwhash);
// a login returns a random 256-bit token (64 hex digits) of which only the SHA-256 is kept,
// valid for `token_lifetime_s`. Failed logins are counted per user name and per client
// address over a sliding minute; past the limit a login answers 429 without checking the
// password.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <httplib.h>

#include "service/auth/user_store.h"

namespace astrolake::service {

std::string hash_password(const std::string& password);
bool verify_password(const std::string& hash, const std::string& password);
// Throws DaliError(400) unless `name` is 1-32 of [a-z0-9_-], starting with a letter.
void check_user_name(const std::string& name);

// The caller of a request: empty name for anonymous.
struct Caller {
  std::string name;
  bool anonymous() const { return name.empty(); }
};

class Accounts {
 public:
  explicit Accounts(const std::string& state_dir);
  UserStore& store() { return store_; }

  int64_t token_lifetime_s = 7 * 86400;
  int max_failures_per_user = 5;      // per minute
  int max_failures_per_address = 20;  // per minute

  // Throws DaliError 401 (bad credentials), 403 (disabled), 429 (rate-limited).
  std::string login(const std::string& user, const std::string& password, const std::string& address);
  void logout(const std::string& token);
  // The user of a valid token, or nothing (unknown, expired, revoked, malformed).
  std::optional<std::string> token_user(const std::string& token) const;

  // The token a request carries (Authorization: Bearer, or X-DL-AuthToken); empty when none.
  static std::string request_token(const httplib::Request& req);
  // The caller of a request. A token that is present but not valid is 401 and a disabled
  // user 403 (DaliError); no token is anonymous.
  Caller identify(const httplib::Request& req) const;
  // As identify(), but anonymous is 401 too.
  Caller require_user(const httplib::Request& req) const;

 private:
  bool limited(std::deque<int64_t>& failures, int max, int64_t now);
  UserStore store_;
  std::string dummy_hash_;  // verified against for unknown users, so timing does not tell
  std::mutex mu_;
  std::map<std::string, std::deque<int64_t>> user_failures_, address_failures_;
};

}  // namespace astrolake::service
