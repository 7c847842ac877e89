// `astrolake xmatch LEFT RIGHT --radius-arcsec R [--k K|all] [--how inner|left] -o OUT`:
// positional cross-match (engine/xmatch.h). Columns are suffixed with each catalog's name, as
// LSDB does, plus `_dist_arcsec`.
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "catalog/catalog.h"
#include "catalog/import.h"
#include "catalog/progress.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "engine/query_context.h"
#include "engine/xmatch.h"

namespace astrolake::cli {
namespace {

struct XmatchArgs {
  std::string left, right, root, output, format, k = "1", how = "inner";
  std::string left_columns, right_columns, right_margin, left_suffix, right_suffix, memory_budget = "2GiB";
  double radius_arcsec = -1;
  bool overwrite = false, quiet = false, keep_self = false, no_margin = false;
  int threads = 0;
};

void run_xmatch(const XmatchArgs& a) {
  std::string root = a.root.empty() ? default_root() : a.root;
  engine::XmatchOptions o;
  o.radius_arcsec = a.radius_arcsec;
  if (a.k == "all") {
    o.k = 0;
  } else {
    size_t used = 0;
    int k = 0;
    try {
      k = std::stoi(a.k, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != a.k.size() || k < 1) throw std::invalid_argument("--k: expected a count >= 1 or 'all', got '" + a.k + "'");
    o.k = k;
  }
  if (a.how != "inner" && a.how != "left")
    throw std::invalid_argument("--how: expected inner or left, got '" + a.how + "'");
  o.left_join = a.how == "left";
  o.left_columns = split_names(a.left_columns);
  o.right_columns = split_names(a.right_columns);
  o.left_suffix = a.left_suffix;
  o.right_suffix = a.right_suffix;
  o.exclude_self = !a.keep_self;
  o.use_margin = !a.no_margin;
  o.threads = a.threads;
  o.progress = a.quiet ? 0 : -1;
  engine::QueryContext ctx;
  uint64_t budget = catalog::parse_byte_size(a.memory_budget);
  if (budget == 0) throw std::invalid_argument("--memory-budget must be more than 0 bytes");
  ctx.set_memory_budget(budget);
  o.ctx = &ctx;

  if (confine_to_root_env() && a.right_margin.find('/') != std::string::npos)
    throw std::invalid_argument("--right-margin: only a margin name of the collection is allowed when catalog names "
                                "are confined to the root");
  catalog::Catalog left = catalog::Catalog::open(resolve_catalog(a.left, root), {false, ""});
  catalog::Catalog right =
      catalog::Catalog::open(resolve_catalog(a.right, root), {!a.no_margin, a.right_margin});
  std::vector<parquet::Field> schema = engine::xmatch_schema(left, right, o);
  OutputSpec spec;
  spec.path = a.output;
  spec.format = a.format;
  // A HATS output is partitioned on the left catalog's ra/dec, as suffixed in the schema.
  std::string first = o.left_columns.empty() ? left.schema().at(0).name : o.left_columns[0];
  std::string ls = schema[0].name.substr(first.size());
  spec.ra_column = left.ra_column() + ls;
  spec.dec_column = left.dec_column() + ls;
  spec.overwrite = a.overwrite;
  catalog::install_cancel_handlers();
  engine::XmatchStats st;
  try {
    std::unique_ptr<ResultWriter> w = open_output(spec, schema);
    if (const parquet::WriteOptions* enc = w->encoding())  // Parquet: encoded on the workers
      st = engine::crossmatch_encoded(left, right, o, *enc, [&](parquet::EncodedRowGroups&& e) { w->append(std::move(e)); });
    else
      st = engine::crossmatch(left, right, o, [&](parquet::Table&& t) { w->write(t); });
    w->close();
  } catch (const catalog::Cancelled&) {
    throw std::runtime_error(cancelled_message(a.output));
  }
  if (!a.quiet)
    std::fprintf(summary_stream(a.output), "%lld rows -> %s (%s; %lld right rows indexed)\n", (long long)st.pairs, a.output.c_str(),
                st.used_margin ? "right margin used" : "neighbouring right partitions read",
                (long long)st.right_rows_read);
}

}  // namespace

void add_xmatch(CLI::App& app) {
  auto a = std::make_shared<XmatchArgs>();
  CLI::App* sub = app.add_subcommand("xmatch", "Cross-match two catalogs by position (k nearest within a radius)");
  sub->add_option("left", a->left, "Left catalog (directory or name under the root)")->required();
  sub->add_option("right", a->right, "Right catalog (directory or name under the root)")->required();
  sub->add_option("--radius-arcsec", a->radius_arcsec, "Match radius, arcsec")->required();  // validated by the engine
  sub->add_option("--k", a->k, "Nearest neighbours per left row, or 'all'")->capture_default_str();
  sub->add_option("--how", a->how, "inner (matched rows only) or left (every left row)")->capture_default_str();
  sub->add_option("-o,--output", a->output, "Result: .csv, .parquet, a directory with --format hats, or - (standard output)")->required();
  sub->add_option("--format", a->format, "Output format: csv, parquet or hats (default: by extension)");
  sub->add_option("--left-columns", a->left_columns, "Comma-separated left columns (default: all)");
  sub->add_option("--right-columns", a->right_columns, "Comma-separated right columns (default: all)");
  sub->add_option("--left-suffix", a->left_suffix, "Suffix of left columns (default: _<left name>)");
  sub->add_option("--right-suffix", a->right_suffix, "Suffix of right columns (default: _<right name>)");
  sub->add_option("--right-margin", a->right_margin, "Margin catalog of the right side (path or collection margin name)");
  sub->add_flag("--no-margin", a->no_margin, "Ignore the right margin (neighbouring partitions are read instead)");
  sub->add_flag("--keep-self", a->keep_self, "Same catalog on both sides: let a row match itself");
  sub->add_option("--root", a->root, "Catalog root (default $ASTROLAKE_ROOT or ./catalogs)");
  sub->add_option("--memory-budget", a->memory_budget, "Memory for matched pairs not yet written, e.g. 512MiB")
      ->capture_default_str();
  sub->add_option("--threads", a->threads, "Most worker threads this cross-match uses (0: all of the shared pool)")
      ->check(number_in(0, kMaxThreads));
  sub->add_flag("--overwrite", a->overwrite, "Replace an existing output");
  sub->add_flag("-q,--quiet", a->quiet, "No progress bar or summary");
  sub->callback([a] { run_xmatch(*a); });
}

}  // namespace astrolake::cli
