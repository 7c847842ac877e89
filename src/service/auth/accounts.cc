#include "service/auth/accounts.h"

#include <sodium.h>

#include <ctime>
#include <stdexcept>

#include "service/tap/error.h"

namespace astrolake::service {

namespace {

void init_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
}

std::string hex(const unsigned char* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::string token_hash(const std::string& token) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return hex(h, sizeof h);
}

bool well_formed_token(const std::string& t) {
  if (t.size() != 64) return false;
  for (char c : t)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

int64_t now_s() { return int64_t(std::time(nullptr)); }

}  // namespace

std::string hash_password(const std::string& password) {
  init_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("out of memory while hashing a password");
  return out;
}

bool verify_password(const std::string& hash, const std::string& password) {
  init_sodium();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void check_user_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 32 && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  if (!ok) throw DaliError(400, "user names are 1 to 32 of a-z, 0-9, '_' and '-', starting with a letter");
}

Accounts::Accounts(const std::string& state_dir) : store_(state_dir + "/users.db") {
  dummy_hash_ = hash_password("no such user");
}

bool Accounts::limited(std::deque<int64_t>& failures, int max, int64_t now) {
  while (!failures.empty() && failures.front() <= now - 60) failures.pop_front();
  return int(failures.size()) >= max;
}

std::string Accounts::login(const std::string& name, const std::string& password, const std::string& address) {
  int64_t now = now_s();
  {
    std::lock_guard lk(mu_);
    // Guessing many names or from many addresses must not grow these maps without bound.
    for (auto* m : {&user_failures_, &address_failures_})
      if (m->size() > 10000)
        for (auto it = m->begin(); it != m->end();)
          it = it->second.empty() || it->second.back() <= now - 60 ? m->erase(it) : std::next(it);
    if (limited(user_failures_[name], max_failures_per_user, now) ||
        limited(address_failures_[address], max_failures_per_address, now))
      throw DaliError(429, "too many failed logins; try again in a minute");
  }
  std::optional<User> u = store_.get(name);
  bool ok = verify_password(u ? u->password_hash : dummy_hash_, password) && u;
  if (!ok) {
    std::lock_guard lk(mu_);
    user_failures_[name].push_back(now);
    address_failures_[address].push_back(now);
    throw DaliError(401, "wrong user name or password");
  }
  if (u->disabled) throw DaliError(403, "user '" + name + "' is disabled");
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  std::string token = hex(raw, sizeof raw);
  sodium_memzero(raw, sizeof raw);
  store_.add_token(token_hash(token), name, now + token_lifetime_s);
  return token;
}

void Accounts::logout(const std::string& token) {
  if (well_formed_token(token)) store_.revoke(token_hash(token));
}

std::optional<std::string> Accounts::token_user(const std::string& token) const {
  // Looked up by its hash: the database never sees the token, and the lookup's timing
  // depends only on the hash.
  if (!well_formed_token(token)) return std::nullopt;
  return store_.token_user(token_hash(token), now_s());
}

std::string Accounts::request_token(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  const std::string bearer = "Bearer ";
  if (auth.size() > bearer.size() && auth.compare(0, bearer.size(), bearer) == 0) return auth.substr(bearer.size());
  return req.get_header_value("X-DL-AuthToken");
}

Caller Accounts::identify(const httplib::Request& req) const {
  std::string token = request_token(req);
  if (token.empty()) {
    if (req.has_header("Authorization") && !req.get_header_value("Authorization").empty())
      throw DaliError(401, "the Authorization header must be 'Bearer TOKEN'");
    return {};
  }
  std::optional<std::string> name = token_user(token);
  if (!name) throw DaliError(401, "the token is not valid (unknown, expired or logged out)");
  std::optional<User> u = store_.get(*name);
  if (!u) throw DaliError(401, "the token's user no longer exists");
  if (u->disabled) throw DaliError(403, "user '" + *name + "' is disabled");
  return {*name};
}

Caller Accounts::require_user(const httplib::Request& req) const {
  Caller c = identify(req);
  if (c.anonymous()) throw DaliError(401, "log in first: this needs a token (Authorization: Bearer TOKEN)");
  return c;
}

}  // namespace astrolake::service
