// UWS job state in SQLite (state/jobs.db): the narrow interface the job manager uses. Each
// put() is one transaction, so a job's record is either the old or the new one after a crash.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace astrolake::service {

struct Job {
  std::string id, phase = "PENDING", owner, run_id;
  int64_t creation_time = 0, start_time = 0, end_time = 0, destruction_time = 0;  // Unix seconds; 0: none
  int64_t execution_duration = 0;                                                 // seconds; 0: unlimited
  std::map<std::string, std::string> params;                                      // upper-case names
  std::string error;                    // the message when phase is ERROR
  std::string result_file, result_mime; // under the job's directory, when COMPLETED
};

class JobStore {
 public:
  explicit JobStore(const std::string& path);  // creates the database if needed
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  void put(const Job& job);
  std::optional<Job> get(const std::string& id) const;
  std::vector<Job> list() const;  // by creation time
  void remove(const std::string& id);
  // Jobs left QUEUED or EXECUTING by a service that stopped: set to ERROR. Returns how many.
  int mark_interrupted(int64_t now);

 private:
  void exec(const std::string& sql) const;
  sqlite3* db_ = nullptr;
  mutable std::mutex mu_;
};

}  // namespace astrolake::service
