// astrolake: one binary, one subcommand per job. Errors print one line and exit non-zero.
// Exit status: 0 success; 1 an error (one line on stderr); 128+N cancelled by signal N
// (SIGINT, SIGTERM, SIGHUP) after cleaning up; 141 standard output's reader went away (as a
// process killed by SIGPIPE would report, but after cleaning up, and without a message).
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <sstream>

#include "catalog/catalog.h"
#include "catalog/progress.h"
#include "cli/commands.h"
#include "storage/output.h"

namespace astrolake::cli {

std::string default_root() {
  const char* env = std::getenv("ASTROLAKE_ROOT");
  return env && *env ? env : "catalogs";
}

std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

CLI::Validator number_in(double lo, double hi) {
  auto check = [lo, hi](std::string& text) -> std::string {
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end) return "'" + text + "' is not a number";
    if (!std::isfinite(v)) return "'" + text + "' is not a finite number";
    if (v < lo || v > hi) {
      char b[128];
      if (hi == HUGE_VAL) std::snprintf(b, sizeof b, "must be >= %.15g, got %s", lo, text.c_str());
      else if (lo == -HUGE_VAL) std::snprintf(b, sizeof b, "must be <= %.15g, got %s", hi, text.c_str());
      else std::snprintf(b, sizeof b, "must be in [%.15g, %.15g], got %s", lo, hi, text.c_str());
      return b;
    }
    return "";
  };
  return CLI::Validator(check, "");
}

bool confine_to_root_env() {
  const char* v = std::getenv("ASTROLAKE_CONFINE_TO_ROOT");
  return v && *v && std::string(v) != "0";
}

std::string resolve_catalog(const std::string& name_or_path, const std::string& root) {
  std::error_code ec;
  if (confine_to_root_env()) {
    std::string p = astrolake::catalog::confined_catalog_path(root, name_or_path);
    return p.empty() ? (std::filesystem::path(root) / name_or_path).string() : p;
  }
  if (std::filesystem::is_directory(name_or_path, ec)) return name_or_path;
  std::string under = (std::filesystem::path(root) / name_or_path).string();
  if (std::filesystem::is_directory(under, ec)) return under;
  return name_or_path;  // let the opener report "no catalog at ..."
}

}  // namespace astrolake::cli

namespace {

constexpr int kBrokenPipeStatus = 128 + SIGPIPE;

// Everything printed to stdout with stdio (tables, info, summaries) is checked here once: a
// failed flush, or an error stdio recorded earlier, is a failed command.
int finish_stdout(int status) {
  errno = 0;
  bool bad = std::fflush(stdout) != 0 || std::ferror(stdout);
  int err = errno;
  if (bad) {
    if (err == EPIPE) return status ? status : kBrokenPipeStatus;
    std::fprintf(stderr, "astrolake: error: cannot write to standard output: %s\n",
                 err ? std::strerror(err) : "write error");
    return status ? status : 1;
  }
  // A failed write to stderr (a summary, a progress bar) cannot be reported, but it still fails the command.
  if (std::fflush(stderr) != 0 || std::ferror(stderr)) return status ? status : 1;
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace astrolake::cli;
  CLI::App app{"astrolake: analyse HEALPix-partitioned (HATS) astronomical catalogs next to the data"};
  app.require_subcommand(1);
  // One line, like every other error (CLI11 adds a "Run with --help" line by default).
  app.failure_message([](const CLI::App*, const CLI::Error& e) { return "astrolake: error: " + std::string(e.what()) + "\n"; });
  add_generate(app);
  add_import(app);
  add_info(app);
  add_head(app);
  add_spatial(app);
  add_xmatch(app);
  add_skymap(app);
  add_query(app);
  add_functions(app);
  add_serve(app);
  add_user(app);
  // A closed pipe is an error return (EPIPE) handled like any other write error, so that work
  // stops and temp files are removed, instead of a SIGPIPE killing the process mid-write.
  std::signal(SIGPIPE, SIG_IGN);
  int status = 0;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    status = app.exit(e);
  } catch (const astrolake::storage::BrokenPipe&) {
    status = kBrokenPipeStatus;
  } catch (const std::exception& e) {
    int sig = astrolake::catalog::cancel_signal();
    if (sig) {
      const char* name = sigabbrev_np(sig);
      std::fprintf(stderr, "astrolake: error: %s (SIG%s)\n", e.what(), name ? name : "?");
      status = 128 + sig;
    } else {
      std::fprintf(stderr, "astrolake: error: %s\n", e.what());
      status = 1;
    }
  }
  return finish_stdout(status);
}
