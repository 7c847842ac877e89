// Accounts and login tokens in SQLite (state/users.db): the narrow interface the service and
// the `astrolake user` commands use, small enough that another database could stand behind it.
// Tokens are stored only as hashes; a token row holds its user and expiry time.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace astrolake::service {

struct User {
  std::string name;
  std::string password_hash;  // libsodium crypto_pwhash_str (argon2id)
  bool disabled = false;
  int64_t quota_bytes = int64_t(10) << 30;
  int64_t created = 0;  // Unix seconds
};

class UserStore {
 public:
  explicit UserStore(const std::string& path);  // creates the database if needed
  ~UserStore();
  UserStore(const UserStore&) = delete;
  UserStore& operator=(const UserStore&) = delete;

  bool add(const User& u);  // false when the name is taken
  std::optional<User> get(const std::string& name) const;
  std::vector<User> list() const;
  void update(const User& u);

  void add_token(const std::string& token_hash, const std::string& user, int64_t expires);
  // The user of an unexpired token, or nothing.
  std::optional<std::string> token_user(const std::string& token_hash, int64_t now) const;
  void revoke(const std::string& token_hash);
  void revoke_all(const std::string& user);

 private:
  void exec(const char* sql) const;
  sqlite3* db_ = nullptr;
  mutable std::mutex mu_;
};

}  // namespace astrolake::service
