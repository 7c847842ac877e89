// `astrolake cone|box|polygon CATALOG ... -o OUT`: the rows of a catalog inside a sky region,
// written to CSV, Parquet or a new HATS catalog (cli/output.h).
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "catalog/catalog.h"
#include "catalog/progress.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "engine/spatial_search.h"

namespace astrolake::cli {
namespace {

struct SpatialArgs {
  std::string catalog, root, columns, output, format;
  bool overwrite = false, quiet = false;
  int threads = 0;
  double ra = 0, dec = 0, radius_arcsec = -1;
  double ra_min = 0, ra_max = 0, dec_min = -90, dec_max = 90;
  std::string vertices;
};

std::vector<double> parse_numbers(const std::string& s, const char* what) {
  std::vector<double> out;
  for (const std::string& item : split_names(s)) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size()) throw std::invalid_argument(std::string(what) + ": '" + item + "' is not a number");
    out.push_back(v);
  }
  return out;
}

void add_common(CLI::App* sub, SpatialArgs& a) {
  sub->add_option("catalog", a.catalog, "Catalog directory, or a name under the root")->required();
  sub->add_option("-o,--output", a.output, "Result: .csv, .parquet, a directory with --format hats, or - (standard output)")->required();
  sub->add_option("--format", a.format, "Output format: csv, parquet or hats (default: by extension)");
  sub->add_option("--columns", a.columns, "Comma-separated columns (default: all)");
  sub->add_option("--root", a.root, "Catalog root (default $ASTROLAKE_ROOT or ./catalogs)");
  sub->add_option("--threads", a.threads, "Most worker threads this job uses (0: all of the shared pool)")
      ->check(number_in(0, kMaxThreads));
  sub->add_flag("--overwrite", a.overwrite, "Replace an existing output");
  sub->add_flag("-q,--quiet", a.quiet, "No progress bar or summary");
}

void run_search(const SpatialArgs& a, const engine::Region& region) {
  std::string root = a.root.empty() ? default_root() : a.root;
  catalog::Catalog cat = catalog::Catalog::open(resolve_catalog(a.catalog, root), {false, ""});
  engine::SearchOptions o;
  o.columns = split_names(a.columns);
  o.threads = a.threads;
  o.progress = a.quiet ? 0 : -1;
  OutputSpec spec;
  spec.path = a.output;
  spec.format = a.format;
  spec.ra_column = cat.ra_column();
  spec.dec_column = cat.dec_column();
  spec.overwrite = a.overwrite;
  catalog::install_cancel_handlers();
  engine::SearchStats st;
  try {
    std::unique_ptr<ResultWriter> w = open_output(spec, engine::select_fields(cat, o.columns));
    st = engine::spatial_search(cat, region, o, [&](parquet::Table&& t) { w->write(t); });
    w->close();
  } catch (const catalog::Cancelled&) {
    throw std::runtime_error(cancelled_message(a.output));
  }
  if (!a.quiet)
    std::fprintf(summary_stream(a.output), "%lld rows in %s -> %s (read %lld of %lld partitions, %lld of %lld row groups)\n",
                (long long)st.rows_out, region.describe().c_str(), a.output.c_str(), (long long)st.partitions_read,
                (long long)st.partitions, (long long)st.row_groups_read, (long long)st.row_groups);
}

}  // namespace

// Region coordinates and radii are validated (NaN and infinity too) by engine::Region, with
// the value in the message.
void add_spatial(CLI::App& app) {
  {
    auto a = std::make_shared<SpatialArgs>();
    CLI::App* sub = app.add_subcommand("cone", "Rows within a radius of a point");
    add_common(sub, *a);
    sub->add_option("--ra", a->ra, "Centre RA, degrees")->required();
    sub->add_option("--dec", a->dec, "Centre Dec, degrees")->required();
    sub->add_option("--radius-arcsec", a->radius_arcsec, "Radius, arcsec")->required();
    sub->callback([a] { run_search(*a, engine::Region::cone(a->ra, a->dec, a->radius_arcsec / 3600.0)); });
  }
  {
    auto a = std::make_shared<SpatialArgs>();
    CLI::App* sub = app.add_subcommand("box", "Rows inside an RA/Dec box (RA may wrap through 0)");
    add_common(sub, *a);
    sub->add_option("--ra-min", a->ra_min, "RA lower bound, degrees (ra-min == ra-max: every RA)")->required();
    sub->add_option("--ra-max", a->ra_max, "RA upper bound, degrees (< ra-min wraps through 0)")->required();
    sub->add_option("--dec-min", a->dec_min, "Dec lower bound, degrees")->capture_default_str();
    sub->add_option("--dec-max", a->dec_max, "Dec upper bound, degrees")->capture_default_str();
    sub->callback([a] { run_search(*a, engine::Region::box(a->ra_min, a->ra_max, a->dec_min, a->dec_max)); });
  }
  {
    auto a = std::make_shared<SpatialArgs>();
    CLI::App* sub = app.add_subcommand("polygon", "Rows inside a convex polygon with great-circle edges");
    add_common(sub, *a);
    sub->add_option("--vertices", a->vertices, "\"ra1,dec1,ra2,dec2,...\" in degrees, >= 3 vertices")->required();
    sub->callback([a] {
      std::vector<double> v = parse_numbers(a->vertices, "--vertices");
      if (v.size() % 2) throw std::invalid_argument("--vertices: needs ra,dec pairs, got an odd count of numbers");
      std::vector<double> ra, dec;
      for (size_t i = 0; i < v.size(); i += 2) {
        ra.push_back(v[i]);
        dec.push_back(v[i + 1]);
      }
      run_search(*a, engine::Region::polygon(ra, dec));
    });
  }
}

}  // namespace astrolake::cli
