// Each subcommand lives in its own file and registers itself on the CLI11 app.
#pragma once
#include <CLI/CLI.hpp>
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

// Catalog root for commands that name catalogs: --root, else $ASTROLAKE_ROOT, else ./catalogs.
std::string default_root();
// "a, b,c" -> {"a", "b", "c"}: the comma-separated column lists of --columns options.
std::vector<std::string> split_names(const std::string& s);
// A path if it exists as a directory, else `root/name`.
std::string resolve_catalog(const std::string& name_or_path, const std::string& root);

}  // namespace astrolake::cli
