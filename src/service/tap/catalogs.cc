#include "service/tap/catalogs.h"

#include "service/tap/error.h"

#include <algorithm>
#include <filesystem>

#include "catalog/catalog.h"
#include "service/tap/metadata.h"

namespace fs = std::filesystem;

namespace astrolake::service {

bool is_catalog_dir(const std::string& dir) {
  std::error_code ec;
  for (const char* f : {"hats.properties", "properties", "collection.properties", "catalog_info.json"})
    if (fs::is_regular_file(fs::path(dir) / f, ec)) return true;
  return false;
}

CatalogRoot::CatalogRoot(const std::string& root) {
  std::error_code ec;
  fs::path p = fs::canonical(root, ec);
  if (ec || !fs::is_directory(p)) throw std::invalid_argument("catalog root " + root + " is not a directory");
  root_ = p.string();
}

std::vector<TableEntry> CatalogRoot::list() const {
  std::vector<TableEntry> out;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(root_, ec)) {
    std::string name = d.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    try {
      out.push_back(find(name));
    } catch (const NoSuchTable&) {
    }
  }
  std::sort(out.begin(), out.end(), [](const TableEntry& a, const TableEntry& b) { return a.name < b.name; });
  return out;
}

namespace {

bool iequal(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

}  // namespace

TableEntry CatalogRoot::find(const std::string& name) const {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos)
    throw NoSuchTable("table name '" + name + "' is not a plain name under the catalog root");
  std::error_code ec;
  std::string chosen = name;
  if (!fs::exists(fs::path(root_) / name, ec)) {
    // Unquoted ADQL names are case-insensitive: accept the only directory matching that way.
    int matches = 0;
    for (const auto& d : fs::directory_iterator(root_, ec))
      if (iequal(d.path().filename().string(), name)) {
        chosen = d.path().filename().string();
        matches++;
      }
    if (matches != 1) throw NoSuchTable("no table '" + name + "'");
  }
  // Symlinks are followed, but the target must stay under the root: the planner's check
  // (PlanOptions::confine_to_root), so listing and querying agree.
  std::string real;
  try {
    real = catalog::confined_catalog_path(root_, chosen);
  } catch (const std::invalid_argument& e) {
    throw NoSuchTable(e.what());
  }
  if (real.empty() || !fs::is_directory(real) || !is_catalog_dir(real)) throw NoSuchTable("no table '" + name + "'");
  return {chosen, (fs::path(root_) / chosen).string()};
}

}  // namespace astrolake::service
