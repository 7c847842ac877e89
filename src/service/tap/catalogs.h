// The tables a TAP service offers: the catalogs (and collections, whose main catalog is the
// table) directly under the root, named by their directory as in the CLI. Listed afresh on
// each call, so a catalog added while the service runs appears without a restart.
//
// Names are confined to the root: a table name must be a plain directory name (no '/', no
// "." or "..", not absolute) and, with symlinks resolved, must stay under the root
// (catalog::confined_catalog_path, the check the planner makes for queries too).
#pragma once
#include <stdexcept>
#include <string>
#include <vector>


namespace astrolake::service {

// A name that is not a table of this service (HTTP 404 for /tables/NAME, 400 in a query).
class NoSuchTable : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct TableEntry {
  std::string name;  // directory name
  std::string dir;   // full path
};

class CatalogRoot {
 public:
  // `root` must exist; it is made absolute and canonical here.
  explicit CatalogRoot(const std::string& root);
  const std::string& path() const { return root_; }

  // Directories under the root that hold a HATS catalog or collection, sorted by name.
  std::vector<TableEntry> list() const;
  // The directory of table `name` (exact name, else the only case-insensitive match). Throws
  // NoSuchTable naming it when it is not a plain name under the root or not a catalog.
  TableEntry find(const std::string& name) const;

 private:
  std::string root_;
};

// True if `dir` looks like a HATS catalog, collection or legacy hipscat catalog.
bool is_catalog_dir(const std::string& dir);

}  // namespace astrolake::service
