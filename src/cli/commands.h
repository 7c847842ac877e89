// Each subcommand lives in its own file and registers itself on the CLI11 app.
#pragma once
#include "base/scheduler.h"
#include <CLI/CLI.hpp>
#include <cmath>
#include <string>
#include <vector>

namespace astrolake::cli {

void add_generate(CLI::App& app);
void add_import(CLI::App& app);
void add_info(CLI::App& app);
void add_head(CLI::App& app);
void add_spatial(CLI::App& app);  // cone, box, polygon
void add_xmatch(CLI::App& app);
void add_skymap(CLI::App& app);
void add_query(CLI::App& app);      // ADQL
void add_functions(CLI::App& app);
void add_serve(CLI::App& app);      // the TAP service
void add_user(CLI::App& app);       // accounts of the service

// Catalog root for commands that name catalogs: --root, else $ASTROLAKE_ROOT, else ./catalogs.
std::string default_root();
// "a, b,c" -> {"a", "b", "c"}: the comma-separated column lists of --columns options.
std::vector<std::string> split_names(const std::string& s);
// A path if it exists as a directory, else `root/name`. With $ASTROLAKE_CONFINE_TO_ROOT set
// (not "0"), only names inside the root (catalog::confined_catalog_path).
std::string resolve_catalog(const std::string& name_or_path, const std::string& root);
bool confine_to_root_env();

// A numeric option's check: the value must be a finite number in [lo, hi] (CLI11's Range and
// NonNegativeNumber let NaN through). Use +-HUGE_VAL for an open end; infinity is refused.
CLI::Validator number_in(double lo, double hi);
// --threads: 0 (the whole shared pool) up to the pool's own limit.
constexpr int kMaxThreads = base::Scheduler::kMaxThreads;
// 180 degrees: the largest radius or margin that means anything on the sphere.
constexpr double kMaxArcsec = 648000;

}  // namespace astrolake::cli
