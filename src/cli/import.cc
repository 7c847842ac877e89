// `astrolake import INPUT... --ra COL --dec COL -o CATALOG`: builds a HATS catalog (and with
// --margin-arcsec a collection holding the catalog and its margin) from CSV, FITS and
// Parquet files. Ctrl-C cancels cleanly: nothing is left behind.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "catalog/import.h"
#include "catalog/progress.h"
#include "cli/commands.h"
#include "storage/output.h"

namespace astrolake::cli {
namespace {

struct ImportArgs {
  catalog::ImportOptions opts;
  std::string memory = "2GiB";
  std::string root;
  bool quiet = false;
};

// A bare name (no '/') goes under the catalog root; a path is used as given.
std::string output_path(const std::string& out, const std::string& root) {
  if (out.find('/') != std::string::npos || out == "." || out == "..") return out;
  return (std::filesystem::path(root.empty() ? default_root() : root) / out).string();
}

}  // namespace

void add_import(CLI::App& app) {
  auto args = std::make_shared<ImportArgs>();
  auto& o = args->opts;
  CLI::App* sub = app.add_subcommand("import", "Build a HATS catalog from CSV, FITS or Parquet files");
  sub->add_option("inputs", o.inputs, "Input files (.csv, .fits, .parquet)")->required();
  sub->add_option("--ra", o.ra_column, "RA column, degrees")->capture_default_str();
  sub->add_option("--dec", o.dec_column, "Dec column, degrees")->capture_default_str();
  sub->add_option("-o,--output", o.output, "Catalog directory to create (a bare name goes under the root)")
      ->required();
  sub->add_option("--name", o.name, "Catalog name (obs_collection); default: the output directory's name");
  sub->add_option("--max-rows", o.max_rows, "Most rows per partition")->capture_default_str()->check(number_in(1, 1e15));
  sub->add_option("--highest-order", o.highest_order, "Finest HEALPix order for partitions")
      ->capture_default_str()->check(CLI::Range(0, 19));
  sub->add_option("--lowest-order", o.lowest_order, "Coarsest HEALPix order for partitions")
      ->capture_default_str()->check(CLI::Range(0, 19));
  sub->add_flag("--drop-empty-siblings", o.drop_empty_siblings,
                "Keep a lone non-empty pixel at its own order instead of merging it with empty siblings");
  sub->add_option("--margin-arcsec", o.margin_arcsec,
                  "Also build a margin catalog of this width; the output becomes a collection")
      ->check(number_in(0, kMaxArcsec));
  sub->add_option("--memory-budget", args->memory, "Memory to stay within, e.g. 2GiB, 512MiB")
      ->capture_default_str();
  sub->add_option("--threads", o.threads, "Most worker threads this job uses (0: all of the shared pool)")
      ->capture_default_str()->check(number_in(0, kMaxThreads));
  sub->add_option("--root", args->root, "Catalog root (default $ASTROLAKE_ROOT or ./catalogs)");
  sub->add_flag("--overwrite", o.overwrite, "Replace an existing catalog at the output path");
  sub->add_flag("-q,--quiet", args->quiet, "No progress bars or summary");
  sub->callback([args] {
    auto& o = args->opts;
    o.memory_budget = catalog::parse_byte_size(args->memory);
    if (o.memory_budget < (16u << 20)) throw std::invalid_argument("--memory-budget must be at least 16MiB");
    o.output = output_path(o.output, args->root);
    if (args->quiet) o.progress = 0;
    for (const std::string& note : storage::clean_leftovers(o.output))
      std::fprintf(stderr, "astrolake: note: %s\n", note.c_str());
    catalog::install_cancel_handlers();
    catalog::ImportResult r;
    try {
      r = catalog::import_catalog(o);
    } catch (const catalog::Cancelled&) {
      throw std::runtime_error("import cancelled; nothing was written");
    }
    if (!args->quiet) {
      std::printf("imported %lld rows into %zu partitions: %s\n", static_cast<long long>(r.rows),
                  r.partitions.size(), r.catalog_dir.c_str());
      if (!r.margin_dir.empty())
        std::printf("margin: %lld rows in %zu partitions: %s\n", static_cast<long long>(r.margin_rows),
                    r.margin_partitions.size(), r.margin_dir.c_str());
    }
  });
}

}  // namespace astrolake::cli
