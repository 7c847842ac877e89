#include "service/auth/user_store.h"

#include <sqlite3.h>

#include <stdexcept>

namespace astrolake::service {

namespace {

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("user store: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt& text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.c_str(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& num(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  bool row() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) throw std::runtime_error(std::string("user store: ") + sqlite3_errmsg(db_));
    return false;
  }
  std::string col_text(int i) {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  int64_t col_num(int i) { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

User user_row(Stmt& s) {
  User u;
  u.name = s.col_text(0);
  u.password_hash = s.col_text(1);
  u.disabled = s.col_num(2) != 0;
  u.quota_bytes = s.col_num(3);
  u.created = s.col_num(4);
  return u;
}

}  // namespace

UserStore::UserStore(const std::string& path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("cannot open user database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec("CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, "
       "disabled INTEGER NOT NULL, quota_bytes INTEGER NOT NULL, created INTEGER NOT NULL)");
  exec("CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, user TEXT NOT NULL, expires INTEGER NOT NULL)");
}

UserStore::~UserStore() { sqlite3_close(db_); }

void UserStore::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("user store: " + msg);
  }
}

bool UserStore::add(const User& u) {
  std::lock_guard lk(mu_);
  Stmt s(db_, "INSERT OR IGNORE INTO users VALUES (?,?,?,?,?)");
  s.text(1, u.name).text(2, u.password_hash).num(3, u.disabled).num(4, u.quota_bytes).num(5, u.created).row();
  return sqlite3_changes(db_) == 1;
}

std::optional<User> UserStore::get(const std::string& name) const {
  std::lock_guard lk(mu_);
  Stmt s(db_, "SELECT name, password_hash, disabled, quota_bytes, created FROM users WHERE name = ?");
  s.text(1, name);
  if (!s.row()) return std::nullopt;
  return user_row(s);
}

std::vector<User> UserStore::list() const {
  std::lock_guard lk(mu_);
  Stmt s(db_, "SELECT name, password_hash, disabled, quota_bytes, created FROM users ORDER BY name");
  std::vector<User> out;
  while (s.row()) out.push_back(user_row(s));
  return out;
}

void UserStore::update(const User& u) {
  std::lock_guard lk(mu_);
  Stmt s(db_, "UPDATE users SET password_hash = ?, disabled = ?, quota_bytes = ? WHERE name = ?");
  s.text(1, u.password_hash).num(2, u.disabled).num(3, u.quota_bytes).text(4, u.name).row();
}

void UserStore::add_token(const std::string& token_hash, const std::string& user, int64_t expires) {
  std::lock_guard lk(mu_);
  Stmt(db_, "DELETE FROM tokens WHERE expires <= strftime('%s','now')").row();
  Stmt s(db_, "INSERT INTO tokens VALUES (?,?,?)");
  s.text(1, token_hash).text(2, user).num(3, expires).row();
}

std::optional<std::string> UserStore::token_user(const std::string& token_hash, int64_t now) const {
  std::lock_guard lk(mu_);
  Stmt s(db_, "SELECT user FROM tokens WHERE hash = ? AND expires > ?");
  s.text(1, token_hash).num(2, now);
  if (!s.row()) return std::nullopt;
  return s.col_text(0);
}

void UserStore::revoke(const std::string& token_hash) {
  std::lock_guard lk(mu_);
  Stmt(db_, "DELETE FROM tokens WHERE hash = ?").text(1, token_hash).row();
}

void UserStore::revoke_all(const std::string& user) {
  std::lock_guard lk(mu_);
  Stmt(db_, "DELETE FROM tokens WHERE user = ?").text(1, user).row();
}

}  // namespace astrolake::service
