#include "service/uws/jobs.h"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

#include "service/tap/error.h"

namespace fs = std::filesystem;

namespace astrolake::service {

int64_t unix_now() { return int64_t(std::time(nullptr)); }

std::string iso_time(int64_t t) {
  std::time_t tt = std::time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int64_t parse_iso_time(const std::string& s) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    throw DaliError(400, "'" + s + "' is not an ISO 8601 time (YYYY-MM-DDThh:mm:ssZ)");
  std::string rest = s.substr(size_t(consumed));
  if (!rest.empty() && rest[0] == '.') rest = rest.substr(rest.find_first_not_of("0123456789", 1) == std::string::npos
                                                              ? rest.size()
                                                              : rest.find_first_not_of("0123456789", 1));
  if (!(rest.empty() || rest == "Z" || rest == "+00:00"))
    throw DaliError(400, "'" + s + "': only UTC times are accepted");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return int64_t(timegm(&tm));
}

namespace {

std::string new_job_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  static std::mutex mu;
  std::lock_guard lk(mu);
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)rng());
  return buf;
}

bool active(const std::string& phase) { return phase == "QUEUED" || phase == "EXECUTING"; }

}  // namespace

JobManager::JobManager(const std::string& state_dir, const CatalogRoot& root, const QueryLimits& limits,
                       Admission& admission)
    : dir_(state_dir + "/jobs"), root_(root), limits_(limits), admission_(admission), store_(state_dir + "/jobs.db") {
  fs::create_directories(dir_);
  store_.mark_interrupted(unix_now());
  sweeper_ = std::thread([this] { sweep(); });
}

JobManager::~JobManager() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    for (auto& [id, ctx] : running_) ctx->cancel();
  }
  changed_.notify_all();
  sweeper_.join();
  std::map<std::string, std::thread> threads;
  {
    std::lock_guard lk(mu_);
    threads.swap(threads_);
  }
  for (auto& [id, t] : threads)
    if (t.joinable()) t.join();
}

std::string JobManager::job_dir(const std::string& id) const { return dir_ + "/" + id; }

Job JobManager::create(const std::map<std::string, std::string>& params, const std::string& owner) {
  Job j;
  j.id = new_job_id();
  j.owner = owner;
  j.creation_time = unix_now();
  j.destruction_time = j.creation_time + default_destruction_s;
  j.execution_duration = int64_t(limits_.time_limit_s);
  j.params = params;
  j.params.erase("PHASE");
  auto run_id = params.find("RUNID");
  if (run_id != params.end()) {
    j.run_id = run_id->second;
    j.params.erase("RUNID");
  }
  if (shape) {
    TapParams tp;
    shape(j, tp);  // checks OUT= and the like before the job exists
  }
  store_.put(j);
  return j;
}

Job JobManager::get(const std::string& id) const {
  std::optional<Job> j = store_.get(id);
  if (!j) throw DaliError(404, "no job '" + id + "'");
  return *j;
}

void JobManager::set_phase(Job& j, const std::string& phase) {
  j.phase = phase;
  store_.put(j);
  changed_.notify_all();
}

void JobManager::run(const std::string& id) {
  std::lock_guard lk(mu_);
  Job j = get(id);
  if (j.phase != "PENDING" && j.phase != "HELD") {
    if (active(j.phase) || j.phase == "COMPLETED") return;  // already running or done: nothing to do
    throw DaliError(400, "job " + id + " is " + j.phase + " and cannot be run");
  }
  auto ctx = std::make_shared<engine::QueryContext>();
  running_[id] = ctx;
  set_phase(j, "QUEUED");
  // Threads of jobs that have finished (no longer in running_) are joined here, so they do
  // not pile up in a long-running service.
  for (auto it = threads_.begin(); it != threads_.end();) {
    if (running_.count(it->first) && it->first != id) {
      ++it;
      continue;
    }
    if (it->second.joinable()) it->second.join();
    it = threads_.erase(it);
  }
  threads_[id] = std::thread([this, id] { execute(id); });
}

void JobManager::abort(const std::string& id) {
  std::lock_guard lk(mu_);
  Job j = get(id);
  auto it = running_.find(id);
  if (it != running_.end()) it->second->cancel();
  if (j.phase == "PENDING" || j.phase == "HELD" || active(j.phase)) {
    j.end_time = unix_now();
    set_phase(j, "ABORTED");
  }
}

void JobManager::destroy(const std::string& id) {
  {
    std::lock_guard lk(mu_);
    get(id);
    auto it = running_.find(id);
    if (it != running_.end()) it->second->cancel();
    store_.remove(id);
  }
  changed_.notify_all();
  std::error_code ec;
  fs::remove_all(job_dir(id), ec);
}

Job JobManager::wait(const std::string& id, double seconds, const std::string& phase) {
  std::unique_lock lk(mu_);
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  Job j = get(id);
  std::string from = phase.empty() ? j.phase : phase;
  if (!(j.phase == "PENDING" || active(j.phase)) || j.phase != from) return j;
  changed_.wait_until(lk, until, [&] {
    std::optional<Job> now = store_.get(id);
    return stopping_ || !now || now->phase != from;
  });
  return get(id);
}

void JobManager::execute(std::string id) {
  std::shared_ptr<engine::QueryContext> ctx;
  {
    std::lock_guard lk(mu_);
    ctx = running_[id];
  }
  std::string error;
  std::string phase = "COMPLETED";
  std::string file, mime;
  try {
    std::shared_ptr<void> slot;
    while (!slot && !ctx->cancelled()) {
      try {
        slot = admission_.enter();
      } catch (const DaliError&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    Job j = get(id);
    if (ctx->cancelled() || j.phase != "QUEUED") throw engine::QueryError("cancelled");
    j.start_time = unix_now();
    {
      std::lock_guard lk(mu_);
      set_phase(j, "EXECUTING");
    }
    QueryLimits lim = limits_;
    if (j.execution_duration > 0) lim.time_limit_s = double(j.execution_duration);
    TapParams tp = parse_tap_params(j.params, lim);
    if (shape) shape(j, tp);
    fs::create_directories(job_dir(id));
    file = tp.parquet ? "result.parquet" : "result.dat";
    mime = result_mime(tp);
    std::string path = job_dir(id) + "/" + file;
    ResultStream stream(tp, root_, lim, ctx);  // an abort cancels ctx, planning included
    if (tp.parquet) {
      stream.write_parquet(path);
    } else {
      std::ofstream out(path + ".tmp", std::ios::binary);
      stream.write_all([&](const std::string& b) { return bool(out.write(b.data(), std::streamsize(b.size()))); });
      out.close();
      if (!out) throw std::runtime_error("cannot write " + path);
      if (!stream.stream_error().empty()) throw std::runtime_error(stream.stream_error());
      fs::rename(path + ".tmp", path);
    }
    if (ctx->cancelled()) throw engine::QueryError("cancelled");
    if (deliver) deliver(j, path);
  } catch (const std::exception& e) {
    phase = ctx->cancelled() ? "ABORTED" : "ERROR";
    error = e.what();
  }
  std::lock_guard lk(mu_);
  running_.erase(id);
  std::optional<Job> j = store_.get(id);
  if (!j) {  // destroyed while running
    std::error_code ec;
    fs::remove_all(job_dir(id), ec);
    return;
  }
  if (j->phase == "ABORTED") return;
  j->end_time = unix_now();
  if (phase == "COMPLETED") {
    j->result_file = file;
    j->result_mime = mime;
  } else {
    j->error = error;
  }
  set_phase(*j, phase);
}

void JobManager::sweep() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    changed_.wait_for(lk, std::chrono::seconds(1));
    if (stopping_) break;
    int64_t now = unix_now();
    for (const Job& j : store_.list()) {
      if (j.destruction_time > 0 && j.destruction_time <= now) {
        auto it = running_.find(j.id);
        if (it != running_.end()) it->second->cancel();
        store_.remove(j.id);
        std::error_code ec;
        fs::remove_all(job_dir(j.id), ec);
      }
    }
  }
}

}  // namespace astrolake::service
