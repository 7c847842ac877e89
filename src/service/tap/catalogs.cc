#include "service/tap/catalogs.h"

#include "service/tap/error.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

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
  fs::path real = fs::canonical(fs::path(root_) / chosen, ec);
  if (ec) throw NoSuchTable("no table '" + name + "'");
  // Symlinks are followed, but the target must stay under the root.
  fs::path rel = real.lexically_relative(root_);
  if (rel.empty() || *rel.begin() == ".." || rel.is_absolute())
    throw NoSuchTable("table '" + name + "' leads outside the catalog root");
  if (!fs::is_directory(real) || !is_catalog_dir(real.string())) throw NoSuchTable("no table '" + name + "'");
  return {chosen, (fs::path(root_) / chosen).string()};
}

void CatalogRoot::check_statement(const adql::Statement& stmt) const {
  using namespace adql;
  std::set<std::string> ctes;  // WITH names (lower case): not directories
  std::function<void(const Query&)> query;
  std::function<void(const Expr&)> expr;
  std::function<void(const TableRef&)> table = [&](const TableRef& t) {
    if (t.kind == TableRefKind::Table) {
      const Identifier& last = t.names.back();
      std::string lower = last.name;
      for (char& c : lower) c = char(std::tolower(c));
      if (t.names.size() == 1 && ctes.count(lower)) return;
      std::vector<std::string> names;
      for (const auto& n : t.names) names.push_back(n.name);
      if (is_tap_schema_name(names)) return;
      // mydb.NAME: the caller's own tables, resolved by the planner under their root
      // (adql::PlanOptions::schema_roots); only a plain name may reach it.
      if (t.names.size() >= 2 && t.names[t.names.size() - 2].matches("mydb")) {
        bool plain = !last.name.empty() && last.name.size() <= 64;
        for (char c : last.name) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
        if (!plain) throw DaliError(400, "mydb table names are letters, digits and '_'");
        return;
      }
      find(last.name);
    } else if (t.kind == TableRefKind::Subquery) {
      if (t.subquery) query(*t.subquery);
    } else {
      if (t.left) table(*t.left);
      if (t.right) table(*t.right);
      if (t.on) expr(*t.on);
    }
  };
  expr = [&](const Expr& e) {
    if (e.subquery) query(*e.subquery);
    if (e.else_result) expr(*e.else_result);
    for (const auto& a : e.args)
      if (a) expr(*a);
  };
  query = [&](const Query& q) {
    for (const auto& w : q.with) {
      std::string lower = w.name.name;
      for (char& c : lower) c = char(std::tolower(c));
      ctes.insert(lower);
      if (w.query) query(*w.query);
    }
    if (q.left) query(*q.left);
    if (q.right) query(*q.right);
    for (const auto& i : q.items)
      if (i.expr) expr(*i.expr);
    for (const auto& f : q.from)
      if (f) table(*f);
    if (q.where) expr(*q.where);
    if (q.having) expr(*q.having);
    for (const auto& g : q.group_by)
      if (g) expr(*g);
    for (const auto& o : q.order_by)
      if (o.expr) expr(*o.expr);
  };
  if (stmt.query) query(*stmt.query);
}

}  // namespace astrolake::service
