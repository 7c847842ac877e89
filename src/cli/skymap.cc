// `astrolake skymap CATALOG --order K [--agg count|sum:COL|mean:COL|min:COL|max:COL] -o map.fits
// [--png map.png]`: a HEALPix map of the catalog (healpy-readable FITS) and a Mollweide image.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "catalog/progress.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "engine/skymap.h"

namespace astrolake::cli {
namespace {

struct SkymapArgs {
  std::string catalog, root, agg = "count", output, png, title;
  int order = 6, threads = 0;
  bool overwrite = false, quiet = false;
};

void run_skymap(const SkymapArgs& a) {
  if (a.output.empty() && a.png.empty()) throw std::invalid_argument("skymap: give -o map.fits and/or --png map.png");
  for (const std::string& p : {a.output, a.png})
    if (!p.empty()) check_output_path(p, a.overwrite);
  std::string root = a.root.empty() ? default_root() : a.root;
  catalog::Catalog cat = catalog::Catalog::open(resolve_catalog(a.catalog, root), {false, ""});
  engine::SkymapOptions o;
  o.order = a.order;
  o.agg = engine::parse_skymap_agg(a.agg, o.column);
  o.threads = a.threads;
  o.progress = a.quiet ? 0 : -1;
  catalog::install_cancel_handlers();
  engine::SkymapResult m;
  try {
    m = engine::compute_skymap(cat, o);
  } catch (const catalog::Cancelled&) {
    throw std::runtime_error("cancelled; nothing was written");
  }
  std::string col = o.agg == engine::SkymapAgg::Count ? "COUNT" : a.agg;
  for (char& ch : col) ch = ch == ':' ? '_' : char(std::toupper(static_cast<unsigned char>(ch)));
  if (!a.output.empty()) engine::write_skymap_fits_double(a.output, m.order, m.values, col);
  if (!a.png.empty()) {
    std::string title = a.title.empty() ? cat.name() + ": " + a.agg + " per pixel" : a.title;
    try {
      engine::write_mollweide_png(a.png, m, title);
    } catch (...) {
      // All or nothing: a FITS map without the PNG asked for is a half-done command.
      std::error_code ec;
      if (!a.output.empty()) std::filesystem::remove(a.output, ec);
      throw;
    }
  }
  if (!a.quiet) {
    int64_t nonempty = 0;
    for (int64_t c : m.counts) nonempty += c > 0;
    std::printf("%lld rows in %lld of %zu pixels at order %d -> %s%s%s\n", (long long)m.rows, (long long)nonempty,
                m.counts.size(), m.order, a.output.c_str(), a.output.empty() || a.png.empty() ? "" : ", ",
                a.png.c_str());
  }
}

}  // namespace

void add_skymap(CLI::App& app) {
  auto a = std::make_shared<SkymapArgs>();
  CLI::App* sub = app.add_subcommand("skymap", "HEALPix map of counts or a column aggregate (FITS and PNG)");
  sub->add_option("catalog", a->catalog, "Catalog directory, or a name under the root")->required();
  sub->add_option("--order", a->order, "HEALPix order of the map")
      ->capture_default_str()
      ->check(CLI::Range(0, engine::kSkymapMaxOrder));
  sub->add_option("--agg", a->agg, "count, sum:COL, mean:COL, min:COL or max:COL")->capture_default_str();
  sub->add_option("-o,--output", a->output, "HEALPix FITS map to write (healpy.read_map(..., nest=True))");
  sub->add_option("--png", a->png, "Mollweide PNG to write");
  sub->add_option("--title", a->title, "PNG title (default: catalog name and aggregate)");
  sub->add_option("--root", a->root, "Catalog root (default $ASTROLAKE_ROOT or ./catalogs)");
  sub->add_option("--threads", a->threads, "Most worker threads this job uses (0: all of the shared pool)")
      ->check(number_in(0, kMaxThreads));
  sub->add_flag("--overwrite", a->overwrite, "Replace existing outputs");
  sub->add_flag("-q,--quiet", a->quiet, "No progress bar or summary");
  sub->callback([a] { run_skymap(*a); });
}

}  // namespace astrolake::cli
