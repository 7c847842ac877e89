// `astrolake query "ADQL" [-o OUT] [--format csv|parquet|hats|table]`: runs an ADQL query over
// the catalogs under the root (adql/planner.h). Results stream to the writer batch by batch;
// without -o they go to stdout, as an aligned table on a terminal and as CSV otherwise.
// `EXPLAIN <query>` prints the plan tree and what the scans will touch.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "adql/parser.h"
#include "adql/planner.h"
#include "catalog/import.h"
#include "catalog/progress.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/text_table.h"
#include "engine/column_ops.h"
#include "engine/query_context.h"

namespace astrolake::cli {
namespace {

struct QueryArgs {
  std::string adql, root, output, format, memory_budget = "2GiB";
  double timeout_s = 0;
  int threads = 0;
  size_t max_rows = 100;
  bool overwrite = false, quiet = false, confine = false;
};

// Ctrl-C sets the catalog layer's cancel flag (async-signal-safe); this watcher turns it into a
// QueryContext cancel, which every operator and worker checks between batches.
class CancelWatcher {
 public:
  explicit CancelWatcher(engine::QueryContext& ctx) : ctx_(ctx) {
    catalog::reset_cancel();
    catalog::install_cancel_handlers();
    thread_ = std::thread([this] {
      while (!done_.load()) {
        if (catalog::cancelled()) ctx_.cancel();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  ~CancelWatcher() {
    done_ = true;
    thread_.join();
  }

 private:
  engine::QueryContext& ctx_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

void print_table_stdout(engine::Operator& op, size_t max_rows) {
  std::vector<parquet::Table> pieces;
  size_t rows = 0;
  bool more = false;
  while (auto t = op.next()) {
    if (rows >= max_rows) {
      more |= t->rows() > 0;
      if (more) break;  // enough to show; stop pulling (the scan is cancelled when op dies)
      continue;
    }
    rows += t->rows();
    pieces.push_back(std::move(*t));
  }
  if (pieces.empty()) pieces.push_back(engine::empty_table(op.schema()));
  print_tables(stdout, pieces, max_rows);
  if (more || rows > max_rows)
    std::printf("(first %zu rows shown; write every row with -o FILE or --format csv)\n", max_rows);
  else
    std::printf("(%zu row%s)\n", rows, rows == 1 ? "" : "s");
}

void run_query(const QueryArgs& a) {
  adql::PlanOptions po;
  po.root = a.root.empty() ? default_root() : a.root;
  po.threads = a.threads;
  po.confine_to_root = a.confine || confine_to_root_env();
  bool tty = isatty(2);
  po.progress = a.quiet ? 0 : -1;
  engine::QueryContext ctx;
  if (a.timeout_s > 0) ctx.set_time_limit(a.timeout_s);
  if (!a.memory_budget.empty()) {
    uint64_t budget = catalog::parse_byte_size(a.memory_budget);
    if (budget == 0) throw std::invalid_argument("--memory-budget must be more than 0 bytes");  // 0 would mean no limit
    ctx.set_memory_budget(budget);
  }
  po.ctx = &ctx;
  std::unique_ptr<catalog::Progress> bar;
  size_t reported = 0;
  if (tty && !a.quiet)
    ctx.set_progress([&](size_t done, size_t total) {
      if (!bar) bar = std::make_unique<catalog::Progress>("query: partitions", int64_t(total), -1);
      if (done > reported) bar->add(int64_t(done - reported));
      reported = done;
    });
  CancelWatcher watch(ctx);
  adql::Plan plan = adql::plan(adql::parse(a.adql), po);
  if (plan.explain) {
    std::printf("%s", plan.explain_text().c_str());
    return;
  }
  std::string format = a.format;
  if (format.empty() && a.output.empty()) format = isatty(1) ? "table" : "csv";
  try {
    if (a.output.empty() && format == "table") {
      print_table_stdout(*plan.root, a.max_rows);
    } else if (a.output.empty() && format != "csv") {
      throw std::invalid_argument("--format " + format + " needs -o OUT (-o - for standard output)");
    } else {
      if (format == "table") throw std::invalid_argument("--format table prints to the terminal; drop -o");
      OutputSpec spec;
      spec.path = a.output.empty() ? "-" : a.output;
      spec.format = format;
      spec.overwrite = a.overwrite;
      if (!plan.ra_column.empty()) spec.ra_column = plan.ra_column;
      if (!plan.dec_column.empty()) spec.dec_column = plan.dec_column;
      std::unique_ptr<ResultWriter> w = open_output(spec, plan.schema);
      while (auto t = plan.root->next())
        if (t->rows()) w->write(*t);
      w->close();
      if (bar) bar->finish();
      if (!a.quiet && !a.output.empty())
        std::fprintf(stderr, "%lld rows -> %s\n", (long long)w->rows(), a.output.c_str());
    }
  } catch (const engine::QueryError& e) {
    if (ctx.cancelled()) throw std::runtime_error(cancelled_message(a.output));
    throw;
  }
}

}  // namespace

void add_query(CLI::App& app) {
  auto a = std::make_shared<QueryArgs>();
  CLI::App* sub = app.add_subcommand("query", "Run an ADQL query (EXPLAIN <query> shows the plan)");
  sub->add_option("adql", a->adql, "The query, e.g. \"SELECT TOP 10 * FROM gaia WHERE phot_g_mean_mag < 12\"")
      ->required();
  sub->add_option("--root", a->root, "Catalog root (default $ASTROLAKE_ROOT or ./catalogs)");
  sub->add_option("-o,--output", a->output,
                  "Write the result: .csv, .parquet, a directory with --format hats, or - (standard output)");
  sub->add_option("--format", a->format,
                  "csv, parquet, hats or table (default: by extension; without -o a table on a terminal, else csv)");
  sub->add_option("--timeout", a->timeout_s, "Stop the query after this many seconds (0: no limit)")
      ->check(number_in(0, 1e9));
  sub->add_option("--memory-budget", a->memory_budget, "Memory for sorts, aggregates and joins, e.g. 512MiB")
      ->capture_default_str();
  sub->add_option("--threads", a->threads, "Most worker threads this query uses (0: all of the shared pool)")
      ->check(number_in(0, kMaxThreads));
  sub->add_option("--max-rows", a->max_rows, "Rows shown by --format table")->capture_default_str()->check(number_in(0, 1e12));
  sub->add_flag("--overwrite", a->overwrite, "Replace an existing output");
  sub->add_flag("--confine-to-root", a->confine,
                "Catalog names (quoted paths too) must resolve inside the root, as a served deployment requires "
                "(also $ASTROLAKE_CONFINE_TO_ROOT=1)");
  sub->add_flag("-q,--quiet", a->quiet, "No progress bar or summary");
  sub->callback([a] { run_query(*a); });
}

}  // namespace astrolake::cli
