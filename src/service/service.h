// `astrolake serve`: the TAP service over the catalogs under a root. Routes (TAP base /tap):
//   /tap/sync                       GET/POST (form or multipart): run ADQL, stream the result
//   /tap/async[/ID[/...]]           UWS 1.1 jobs (state in SQLite under --state)
//   /tap/capabilities, /tap/availability, /tap/tables[/NAME]   VOSI
//   /auth/...                       accounts and tokens (auth/routes.h)
//   /storage/...                    personal storage (files/routes.h)
//   /mydb/...                       personal tables (mydb/routes.h)
//   /query/...                      Data Lab-style aliases over sync/async
//   /, /web/skymap.png              the web page and its sky maps (web/routes.h)
// Accounts, storage, MyDB, the web page and the Python client are described in docs/platform.md.
// Every error is a DALI error document with its HTTP status.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "service/http/server.h"
#include "service/tap/query.h"

namespace astrolake::service {

struct ServiceOptions {
  std::string root;                // catalogs
  std::string state;               // jobs and temporary results
  HttpOptions http;
  QueryLimits limits;
  int max_running = 0;             // queries at once (0: the number of cores, at least 2)
  int max_queued = 16;             // more wait; beyond that 503
  int queue_wait_s = 30;           // longest wait for a slot
  int64_t token_lifetime_s = 7 * 86400;  // login tokens expire after this
};

class Service {
 public:
  explicit Service(ServiceOptions opts);
  ~Service();
  // Binds; returns the port (useful with port 0).
  int bind();
  // Serves until SIGTERM/SIGINT (or stop()).
  void run(bool handle_signals = true);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace astrolake::service
