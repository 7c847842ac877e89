// `astrolake generate ztf|gaia --rows N --seed S -o OUT.parquet`: synthetic surveys for tests
// and benchmarks. Output depends only on the arguments (never on --threads), so a seed names
// a dataset. `generate gaia --seed S --match-ztf-rows N` overlaps `generate ztf --rows N
// --seed S`; --overlap-of picks a different ZTF seed.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "catalog/progress.h"
#include "catalog/synthetic.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace astrolake::cli {
namespace {

struct GenerateArgs {
  std::string survey;
  int64_t rows = 0;
  uint64_t seed = 1;
  std::string output;
  int threads = 0;
  int64_t chunk_rows = 0;
  int64_t overlap_of = -1;
  int64_t match_ztf_rows = -1;
  double match_fraction = 1.0;
  double offset_arcsec = 0.1;
  bool quiet = false;
};

}  // namespace

void add_generate(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  CLI::App* sub = app.add_subcommand("generate", "Write a synthetic ZTF-like or Gaia-like survey as one Parquet file");
  sub->add_option("survey", a->survey, "ztf (light curves, injected dips) or gaia (astrometry, overlaps ztf)")
      ->required()
      ->check(CLI::IsMember({"ztf", "gaia"}));
  sub->add_option("--rows", a->rows, "Number of rows")->required()->check(CLI::NonNegativeNumber);
  sub->add_option("--seed", a->seed, "Random seed; the same seed gives the same data")
      ->capture_default_str()
      ->check(number_in(0, HUGE_VAL));  // a negative seed would wrap to a huge one
  sub->add_option("-o,--output", a->output, "Output Parquet file, or - (standard output)")->required();
  sub->add_option("--threads", a->threads, "Generator threads (0: every core); output does not depend on it")
      ->capture_default_str()
      ->check(number_in(0, kMaxThreads));
  sub->add_option("--chunk-rows", a->chunk_rows, "Rows generated per chunk (0: 16Ki for ztf, 1Mi for gaia)")
      ->check(number_in(0, 1 << 26));  // a chunk is held in memory
  auto* ov = sub->add_option("--overlap-of", a->overlap_of, "gaia: seed of the ZTF catalog to overlap (default --seed)")
                 ->check(CLI::NonNegativeNumber);
  auto* mr = sub->add_option("--match-ztf-rows", a->match_ztf_rows,
                             "gaia: rows of that ZTF catalog that get counterparts (default --rows)")
                 ->check(CLI::NonNegativeNumber);
  auto* mf = sub->add_option("--match-fraction", a->match_fraction,
                             "gaia: fraction of bright-enough ZTF objects with a counterpart")
                 ->capture_default_str()
                 ->check(number_in(0, 1));
  auto* off = sub->add_option("--offset-arcsec", a->offset_arcsec, "gaia: rms per-axis offset of counterparts")
                  ->capture_default_str()
                  ->check(number_in(0, kMaxArcsec));
  sub->add_flag("-q,--quiet", a->quiet, "No progress line or summary");
  sub->callback([a, ov, mr, mf, off] {
    if (a->survey == "ztf") {
      for (CLI::Option* o : {ov, mr, mf, off})
        if (o->count()) throw std::invalid_argument(o->get_name() + " applies to 'generate gaia' only");
    }
    // A regular file at the path is replaced (generate has always done so); a link, a socket or
    // a device is not, and a pipe, a character device or `-` is streamed into.
    check_output_path(a->output, true, true);
    if (a->output == "-" && isatty(STDOUT_FILENO))
      throw std::invalid_argument("-o -: not writing Parquet to a terminal; redirect standard output");
    catalog::GenerateOptions gen;
    gen.rows = a->rows;
    gen.threads = a->threads;
    gen.chunk_rows = a->chunk_rows;
    auto progress = std::make_shared<catalog::Progress>("generate " + a->survey, a->rows, a->quiet ? 0 : -1);
    int64_t last = 0;
    gen.progress = [progress, &last](int64_t done) {
      progress->add(done - last);
      last = done;
    };
    catalog::install_cancel_handlers();
    auto t0 = std::chrono::steady_clock::now();
    try {
      if (a->survey == "ztf") {
        catalog::write_ztf(a->output, a->seed, gen);
      } else {
        catalog::GaiaOptions g;
        g.seed = a->seed;
        g.ztf_seed = a->overlap_of >= 0 ? uint64_t(a->overlap_of) : a->seed;
        g.match_ztf_rows = a->match_ztf_rows;
        g.match_fraction = a->match_fraction;
        g.offset_arcsec = a->offset_arcsec;
        catalog::write_gaia(a->output, g, gen);
      }
    } catch (const catalog::Cancelled&) {
      throw std::runtime_error("generate " + cancelled_message(a->output));
    }
    progress->finish();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!a->quiet)
      std::fprintf(summary_stream(a->output), "wrote %lld %s rows to %s (%.1f s)\n", static_cast<long long>(a->rows), a->survey.c_str(),
                  a->output.c_str(), s);
  });
}

}  // namespace astrolake::cli
