#include "service/uws/job_store.h"

#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace astrolake::service {

namespace {

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("job store: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt* get() { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

std::string text(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? reinterpret_cast<const char*>(t) : "";
}

Job row(sqlite3_stmt* s) {
  Job j;
  j.id = text(s, 0);
  j.phase = text(s, 1);
  j.owner = text(s, 2);
  j.run_id = text(s, 3);
  j.creation_time = sqlite3_column_int64(s, 4);
  j.start_time = sqlite3_column_int64(s, 5);
  j.end_time = sqlite3_column_int64(s, 6);
  j.destruction_time = sqlite3_column_int64(s, 7);
  j.execution_duration = sqlite3_column_int64(s, 8);
  j.params = nlohmann::json::parse(text(s, 9)).get<std::map<std::string, std::string>>();
  j.error = text(s, 10);
  j.result_file = text(s, 11);
  j.result_mime = text(s, 12);
  return j;
}

constexpr const char* kColumns =
    "id, phase, owner, run_id, creation_time, start_time, end_time, destruction_time, execution_duration, "
    "params, error, result_file, result_mime";

}  // namespace

JobStore::JobStore(const std::string& path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("cannot open job database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, phase TEXT, owner TEXT, run_id TEXT, "
       "creation_time INTEGER, start_time INTEGER, end_time INTEGER, destruction_time INTEGER, "
       "execution_duration INTEGER, params TEXT, error TEXT, result_file TEXT, result_mime TEXT)");
}

JobStore::~JobStore() { sqlite3_close(db_); }

void JobStore::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("job store: " + msg);
  }
}

void JobStore::put(const Job& j) {
  std::lock_guard lk(mu_);
  Stmt st(db_, "INSERT OR REPLACE INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
  sqlite3_stmt* s = st.get();
  std::string params = nlohmann::json(j.params).dump();
  const std::string* texts[] = {&j.id, &j.phase, &j.owner, &j.run_id};
  for (int i = 0; i < 4; i++) sqlite3_bind_text(s, i + 1, texts[i]->c_str(), -1, SQLITE_TRANSIENT);
  int64_t ints[] = {j.creation_time, j.start_time, j.end_time, j.destruction_time, j.execution_duration};
  for (int i = 0; i < 5; i++) sqlite3_bind_int64(s, i + 5, ints[i]);
  sqlite3_bind_text(s, 10, params.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 11, j.error.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 12, j.result_file.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 13, j.result_mime.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s) != SQLITE_DONE) throw std::runtime_error(std::string("job store: ") + sqlite3_errmsg(db_));
}

std::optional<Job> JobStore::get(const std::string& id) const {
  std::lock_guard lk(mu_);
  Stmt st(db_, (std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?").c_str());
  sqlite3_bind_text(st.get(), 1, id.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.get()) != SQLITE_ROW) return std::nullopt;
  return row(st.get());
}

std::vector<Job> JobStore::list() const {
  std::lock_guard lk(mu_);
  Stmt st(db_, (std::string("SELECT ") + kColumns + " FROM jobs ORDER BY creation_time, id").c_str());
  std::vector<Job> out;
  while (sqlite3_step(st.get()) == SQLITE_ROW) out.push_back(row(st.get()));
  return out;
}

void JobStore::remove(const std::string& id) {
  std::lock_guard lk(mu_);
  Stmt st(db_, "DELETE FROM jobs WHERE id = ?");
  sqlite3_bind_text(st.get(), 1, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_step(st.get());
}

int JobStore::mark_interrupted(int64_t now) {
  std::lock_guard lk(mu_);
  Stmt st(db_,
          "UPDATE jobs SET phase = 'ERROR', end_time = ?, error = 'the service stopped while this job was running' "
          "WHERE phase IN ('QUEUED', 'EXECUTING')");
  sqlite3_bind_int64(st.get(), 1, now);
  sqlite3_step(st.get());
  return sqlite3_changes(db_);
}

}  // namespace astrolake::service
