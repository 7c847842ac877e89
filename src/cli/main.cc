// astrolake: one binary, one subcommand per job. Errors print one line and exit non-zero.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <sstream>

#include "cli/commands.h"

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

std::string resolve_catalog(const std::string& name_or_path, const std::string& root) {
  if (std::filesystem::is_directory(name_or_path)) return name_or_path;
  std::string under = (std::filesystem::path(root) / name_or_path).string();
  if (std::filesystem::is_directory(under)) return under;
  return name_or_path;  // let the opener report "no catalog at ..."
}

}  // namespace astrolake::cli

int main(int argc, char** argv) {
  using namespace astrolake::cli;
  CLI::App app{"astrolake: analyse HEALPix-partitioned (HATS) astronomical catalogs next to the data"};
  app.require_subcommand(1);
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "astrolake: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
