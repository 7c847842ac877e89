// `astrolake info CATALOG`: what a catalog holds, read from its metadata only.
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "cli/commands.h"
#include "cli/text_table.h"

namespace astrolake::cli {
namespace {

struct InfoArgs {
  std::string catalog;
  std::string root;
  bool json = false;
};

std::string human_bytes(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = double(b);
  int u = 0;
  while (v >= 1024 && u < 5) { v /= 1024; u++; }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

// Partitions per order; non-spatial partitions (index files) under order -1.
std::map<int, int64_t> order_histogram(const catalog::Catalog& c) {
  std::map<int, int64_t> h;
  for (const auto& p : c.partitions()) h[p.order]++;
  return h;
}

nlohmann::json info_json(const catalog::Catalog& c) {
  nlohmann::json j;
  j["name"] = c.name();
  j["type"] = catalog::type_name(c.type());
  j["path"] = c.dir();
  j["rows"] = c.rows();
  j["partitions"] = c.partitions().size();
  nlohmann::json orders = nlohmann::json::object();
  for (auto [o, n] : order_histogram(c)) orders[o < 0 ? "none" : std::to_string(o)] = n;
  j["orders"] = orders;
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& f : c.schema())
    cols.push_back({{"name", f.name}, {"type", field_type_string(f)}, {"nullable", f.nullable}});
  j["columns"] = cols;
  j["bytes"] = c.bytes_on_disk();
  j["coverage_fraction"] = c.sky_fraction();
  j["coverage_sq_deg"] = c.sky_area_deg2();
  if (!c.ra_column().empty()) j["ra_column"] = c.ra_column();
  if (!c.dec_column().empty()) j["dec_column"] = c.dec_column();
  if (!c.healpix_column().empty()) {
    j["healpix_column"] = c.healpix_column();
    j["healpix_order"] = c.healpix_order();
  }
  if (!c.default_columns().empty()) j["default_columns"] = c.default_columns();
  if (c.type() == catalog::CatalogType::Margin) j["margin_threshold_arcsec"] = c.margin_threshold_arcsec();
  if (const catalog::Catalog* m = c.margin()) {
    j["margin"] = {{"name", m->name()},
                   {"rows", m->rows()},
                   {"partitions", m->partitions().size()},
                   {"threshold_arcsec", m->margin_threshold_arcsec()}};
  }
  return j;
}

void print_info(const catalog::Catalog& c) {
  std::printf("name:        %s\n", c.name().c_str());
  std::printf("type:        %s%s\n", catalog::type_name(c.type()), c.legacy() ? " (legacy hipscat)" : "");
  std::printf("path:        %s\n", c.dir().c_str());
  if (c.rows() >= 0) std::printf("rows:        %lld\n", static_cast<long long>(c.rows()));
  else std::printf("rows:        unknown\n");
  std::string hist;
  for (auto [o, n] : order_histogram(c)) {
    if (!hist.empty()) hist += ", ";
    hist += (o < 0 ? std::string("unpartitioned") : "order " + std::to_string(o)) + ": " + std::to_string(n);
  }
  std::printf("partitions:  %zu%s\n", c.partitions().size(), hist.empty() ? "" : (" (" + hist + ")").c_str());
  if (!c.ra_column().empty())
    std::printf("ra/dec:      %s, %s\n", c.ra_column().c_str(), c.dec_column().c_str());
  if (!c.healpix_column().empty())
    std::printf("index:       %s (order %d)\n", c.healpix_column().c_str(), c.healpix_order());
  if (c.type() == catalog::CatalogType::Margin)
    std::printf("threshold:   %g arcsec\n", c.margin_threshold_arcsec());
  std::printf("bytes:       %llu (%s)\n", static_cast<unsigned long long>(c.bytes_on_disk()),
              human_bytes(c.bytes_on_disk()).c_str());
  std::printf("coverage:    %.4f%% of sky, %.2f sq deg\n", 100 * c.sky_fraction(), c.sky_area_deg2());
  if (const catalog::Catalog* m = c.margin())
    std::printf("margin:      %s (%g arcsec, %lld rows, %zu partitions)\n", m->name().c_str(),
                m->margin_threshold_arcsec(), static_cast<long long>(m->rows()), m->partitions().size());
  std::printf("columns:     %zu\n", c.schema().size());
  size_t w = 0;
  for (const auto& f : c.schema()) w = std::max(w, f.name.size());
  for (const auto& f : c.schema()) {
    bool is_default = false;
    for (const auto& d : c.default_columns()) is_default |= d == f.name;
    std::printf("  %-*s  %s%s\n", int(w), f.name.c_str(), field_type_string(f).c_str(),
                is_default ? "  (default)" : "");
  }
}

}  // namespace

void add_info(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* sub = app.add_subcommand("info", "Show a catalog's size, partitions, columns and sky coverage");
  sub->add_option("catalog", args->catalog, "Catalog directory, or a name under the root")->required();
  sub->add_option("--root", args->root, "Catalog root (default $ASTROLAKE_ROOT or ./catalogs)");
  sub->add_flag("--json", args->json, "Print one JSON object");
  sub->callback([args] {
    std::string root = args->root.empty() ? default_root() : args->root;
    catalog::Catalog c = catalog::Catalog::open(resolve_catalog(args->catalog, root));
    if (args->json) std::printf("%s\n", info_json(c).dump().c_str());
    else print_info(c);
  });
}

}  // namespace astrolake::cli
