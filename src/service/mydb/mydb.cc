#include "service/mydb/mydb.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "catalog/catalog.h"
#include "catalog/import.h"
#include "service/tap/error.h"

namespace fs = std::filesystem;

namespace astrolake::service {

namespace {

// Bytes of the regular files under `dir` (links not followed).
int64_t tree_bytes(const std::string& dir) {
  int64_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) n += int64_t(it->file_size(ec));
  return n;
}

}  // namespace

void check_table_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (ok) return;
  const std::string rule = "table names are 1 to 64 of a-z, 0-9 and '_', starting with a letter";
  // A name shaped like a path ('.', '/', '\\', '%', '~', non-ASCII) tries to reach outside the
  // caller's tables: 403, as for storage names.
  for (char c : name)
    if (c == '.' || c == '/' || c == '\\' || c == '%' || c == '~' || static_cast<unsigned char>(c) >= 0x80)
      throw DaliError(403, "path outside your MyDB: '" + name.substr(0, 100) + "': " + rule);
  throw DaliError(400, "'" + name.substr(0, 100) + "': " + rule);
}

void import_for_user(const std::string& input, const std::string& output, const std::string& name,
                     const std::string& ra, const std::string& dec, double margin_arcsec, const std::string& what) {
  catalog::ImportOptions o;
  o.inputs = {input};
  o.output = output;
  o.name = name;
  o.ra_column = ra;
  o.dec_column = dec;
  o.margin_arcsec = margin_arcsec;
  o.threads = 1;
  o.progress = 0;
  o.memory_budget = uint64_t(512) << 20;
  try {
    catalog::import_catalog(o);
  } catch (const std::exception& e) {
    throw DaliError(400, what + ": " + e.what());
  }
}

std::string MyDb::root(const std::string& user) const {
  std::string r = dir_ + "/" + user + "/mydb";
  fs::create_directories(r);
  return r;
}

nlohmann::json MyDb::describe(const std::string& user, const std::string& table) const {
  check_table_name(table);
  std::string path = root(user) + "/" + table;
  if (!fs::is_directory(fs::symlink_status(path))) throw DaliError(404, "no table mydb." + table);
  catalog::Catalog cat = catalog::Catalog::open(path);
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& f : cat.schema()) {
    if (f.name.rfind("_healpix", 0) == 0 || f.name == "Norder" || f.name == "Dir" || f.name == "Npix") continue;
    cols.push_back({{"name", f.name}, {"type", parquet::type_name(f.type)}});
  }
  return {{"name", table}, {"rows", cat.rows()}, {"columns", cols}};
}

nlohmann::json MyDb::list(const std::string& user) const {
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(root(user)))
    if (e.is_directory() && !e.is_symlink() && e.path().filename().string()[0] != '.')
      names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    try {
      out.push_back(describe(user, n));
    } catch (const std::exception&) {
      // a table that cannot be read is left out of the list
    }
  }
  return out;
}

nlohmann::json MyDb::import(const std::string& user, const std::string& table, const std::string& input,
                            const std::string& ra, const std::string& dec) {
  check_table_name(table);
  std::string target = root(user) + "/" + table;
  if (fs::exists(fs::symlink_status(target))) throw DaliError(409, "mydb." + table + " exists (drop it first)");
  static std::atomic<uint64_t> counter{0};
  // Built beside the target and renamed into place, so a table is there whole or not at all.
  std::string tmp = root(user) + "/.import-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  struct Cleanup {
    std::string p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{tmp};
  import_for_user(input, tmp, table, ra.empty() ? "ra" : ra, dec.empty() ? "dec" : dec, margin_arcsec,
                  "cannot import the table");
  int64_t bytes = tree_bytes(tmp);
  storage_.charge(user, bytes);  // 413 when it does not fit; the cleanup removes the build
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    storage_.credit(user, bytes);
    throw DaliError(409, "mydb." + table + " exists (drop it first)");
  }
  return describe(user, table);
}

void MyDb::drop(const std::string& user, const std::string& table) {
  check_table_name(table);
  std::string target = root(user) + "/" + table;
  if (!fs::is_directory(fs::symlink_status(target))) throw DaliError(404, "no table mydb." + table);
  // Renamed out of the way first, so a query never sees half a table.
  static std::atomic<uint64_t> counter{0};
  std::string gone = root(user) + "/.drop-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  storage_.used(user);  // counted before the change, so the change is not counted twice
  fs::rename(target, gone);
  int64_t bytes = tree_bytes(gone);
  fs::remove_all(gone);
  storage_.credit(user, bytes);
}

}  // namespace astrolake::service
