// UWS 1.1 jobs for /tap/async: creation, the phase machine (PENDING -> QUEUED -> EXECUTING ->
// COMPLETED | ERROR | ABORTED), blocking waits, and destruction. State is in the JobStore;
// results are files under state/jobs/<id>/. A job runs on its own thread and takes a query
// slot from the same Admission as /sync (waiting in QUEUED while none is free).
#pragma once
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/query_context.h"
#include "service/tap/admission.h"
#include "service/tap/catalogs.h"
#include "service/tap/query.h"
#include "service/uws/job_store.h"

namespace astrolake::service {

int64_t unix_now();
std::string iso_time(int64_t t);  // "2026-12-01T01:40:00Z"
// Parses ISO 8601 UTC ("YYYY-MM-DDThh:mm:ss[.fff][Z]"); throws DaliError(400).
int64_t parse_iso_time(const std::string& s);

class JobManager {
 public:
  JobManager(const std::string& state_dir, const CatalogRoot& root, const QueryLimits& limits, Admission& admission);
  ~JobManager();  // stops the sweeper; running jobs are cancelled and waited for

  Job create(const std::map<std::string, std::string>& params, const std::string& owner = "");
  Job get(const std::string& id) const;  // throws DaliError(404)
  std::vector<Job> list() const { return store_.list(); }
  void update(const Job& job) { store_.put(job); }

  void run(const std::string& id);    // PENDING (or HELD) -> QUEUED; otherwise 400 unless already running/done
  void abort(const std::string& id);  // cancels a queued or running job
  void destroy(const std::string& id);
  // Blocks up to `seconds` while the job's phase equals `phase` (its current one when empty)
  // and is PENDING, QUEUED or EXECUTING. Returns the job.
  Job wait(const std::string& id, double seconds, const std::string& phase);

  std::string job_dir(const std::string& id) const;
  int64_t default_destruction_s = 7 * 86400;
  // Called with a job and its result file once written (e.g. to copy it where OUT= says);
  // an exception makes the job ERROR.
  std::function<void(const Job&, const std::string&)> deliver;
  // Called with a job and its TAP parameters before it runs, and at creation to check them
  // (throws DaliError); e.g. OUT= decides the result format.
  std::function<void(const Job&, TapParams&)> shape;

 private:
  void execute(std::string id);
  void sweep();
  void set_phase(Job& j, const std::string& phase);

  std::string dir_;
  const CatalogRoot& root_;
  QueryLimits limits_;
  Admission& admission_;
  JobStore store_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, std::shared_ptr<engine::QueryContext>> running_;
  std::map<std::string, std::thread> threads_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace astrolake::service
