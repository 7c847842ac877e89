// `astrolake serve --root CATALOGS --state DIR [--host H] [--port P]`: the TAP service
// (service/service.h) over the catalogs under the root, until SIGTERM or Ctrl-C.
#include <cstdio>
#include <memory>

#include "catalog/import.h"
#include "cli/commands.h"
#include "service/service.h"

namespace astrolake::cli {

namespace {

struct ServeArgs {
  std::string root, state, memory = "2GiB";
  service::ServiceOptions opts;
};

void run_serve(ServeArgs& a) {
  a.opts.root = a.root.empty() ? default_root() : a.root;
  a.opts.state = a.state;
  a.opts.limits.memory_budget = catalog::parse_byte_size(a.memory);
  service::block_shutdown_signals();  // before the service starts its threads
  service::Service svc(a.opts);
  int port = svc.bind();
  std::fprintf(stderr, "{\"event\":\"listening\",\"url\":\"http://%s:%d/tap\"}\n", a.opts.http.host.c_str(), port);
  svc.run();
  std::fprintf(stderr, "{\"event\":\"stopped\"}\n");
}

}  // namespace

void add_serve(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* sub = app.add_subcommand("serve", "Run the TAP service over the catalogs under the root");
  sub->add_option("--root", a->root, "Catalog root (default $ASTROLAKE_ROOT or ./catalogs)");
  sub->add_option("--state", a->state, "Directory for jobs and temporary results")->required();
  sub->add_option("--host", a->opts.http.host, "Address to listen on")->capture_default_str();
  sub->add_option("--port", a->opts.http.port, "Port (0: any free port)")->capture_default_str();
  sub->add_option("--max-running", a->opts.max_running, "Queries run at once (0: one per core)")->capture_default_str();
  sub->add_option("--max-queued", a->opts.max_queued, "Queries that may wait for a slot; more get 503")
      ->capture_default_str();
  sub->add_option("--query-threads", a->opts.limits.threads, "Engine threads per query")->capture_default_str();
  sub->add_option("--query-timeout", a->opts.limits.time_limit_s, "Seconds a query may run")->capture_default_str();
  sub->add_option("--query-memory", a->memory, "Memory budget per query")->capture_default_str();
  sub->add_option("--maxrec", a->opts.limits.default_maxrec, "Default MAXREC (rows)")->capture_default_str();
  sub->add_option("--max-maxrec", a->opts.limits.max_maxrec, "Hard row limit")->capture_default_str();
  sub->add_option("--read-timeout", a->opts.http.read_timeout_s, "Seconds a silent client is kept")
      ->capture_default_str();
  sub->add_option("--token-lifetime", a->opts.token_lifetime_s, "Seconds a login token stays valid")
      ->capture_default_str();
  sub->callback([a] { run_serve(*a); });
}

}  // namespace astrolake::cli
