// `astrolake head CATALOG`: the first rows, in spatial-index order, as an aligned table.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "catalog/catalog.h"
#include "cli/commands.h"
#include "cli/text_table.h"

namespace astrolake::cli {
namespace {

struct HeadArgs {
  std::string catalog;
  std::string root;
  int64_t n = 10;
  std::string columns;
};

void run_head(const HeadArgs& a) {
  if (a.n < 0) throw std::runtime_error("head: -n must be >= 0, got " + std::to_string(a.n));
  std::string root = a.root.empty() ? default_root() : a.root;
  catalog::Catalog c = catalog::Catalog::open(resolve_catalog(a.catalog, root), {false, ""});
  std::vector<std::string> cols = a.columns.empty() ? c.default_columns() : split_names(a.columns);
  for (const auto& name : cols) {
    bool found = false;
    for (const auto& f : c.schema()) found |= f.name == name;
    if (!found) throw std::runtime_error(c.dir() + ": no column '" + name + "'");
  }
  // Read partitions in spatial order until n rows are gathered.
  std::vector<parquet::Table> pieces;
  size_t have = 0, want = size_t(a.n);
  for (size_t i = 0; i < c.partitions().size() && have < want; i++) {
    parquet::Table t = c.read_partition(i, cols);
    if (t.rows() == 0) continue;
    have += t.rows();
    pieces.push_back(std::move(t));
  }
  if (pieces.empty()) {
    // No rows: still show the header so the columns are visible.
    parquet::Table empty;
    for (const auto& f : c.schema())
      if (cols.empty() || std::find(cols.begin(), cols.end(), f.name) != cols.end())
        empty.columns.emplace_back(f);
    pieces.push_back(std::move(empty));
  }
  print_tables(stdout, pieces, want);
}

}  // namespace

void add_head(CLI::App& app) {
  auto args = std::make_shared<HeadArgs>();
  CLI::App* sub = app.add_subcommand("head", "Print the first rows of a catalog");
  sub->add_option("catalog", args->catalog, "Catalog directory, or a name under the root")->required();
  sub->add_option("--root", args->root, "Catalog root (default $ASTROLAKE_ROOT or ./catalogs)");
  sub->add_option("-n,--rows", args->n, "Number of rows to show")->capture_default_str();
  sub->add_option("--columns", args->columns, "Comma-separated columns (default: the catalog's default columns)");
  sub->callback([args] { run_head(*args); });
}

}  // namespace astrolake::cli
