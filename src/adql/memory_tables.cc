#include "adql/memory_tables.h"

namespace astrolake::adql {

std::shared_ptr<Planned> memory_table(const TableRef& t, const PlanOptions& opts) {
  if (!opts.memory_tables || t.kind != TableRefKind::Table) return nullptr;
  std::vector<std::string> names;
  for (const Identifier& i : t.names) names.push_back(i.name);
  std::shared_ptr<const parquet::Table> table = opts.memory_tables(names);
  if (!table) return nullptr;
  auto p = std::make_shared<Planned>();
  for (const auto& c : table->columns) p->schema.push_back(c.field);
  p->op = std::make_unique<engine::TableSource>(*table, engine::kDefaultBatchRows, opts.ctx);
  std::string full;
  for (const auto& n : names) full += (full.empty() ? "" : ".") + n;
  p->tree.label = "memory table " + full + " (" + std::to_string(table->rows()) + " rows)";
  return p;
}

}  // namespace astrolake::adql
