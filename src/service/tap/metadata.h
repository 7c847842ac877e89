// What the service says about its tables, in one model that /tables (VOSI) and TAP_SCHEMA
// are both generated from, so the two always agree: the catalogs under the root (schema
// "astrolake", named by directory) and the TAP_SCHEMA tables themselves.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "parquet/table.h"
#include "service/tap/catalogs.h"
#include "votable/writer.h"

namespace astrolake::service {

constexpr const char* kSchemaName = "astrolake";

struct ColumnInfo {
  std::string name;  // as ADQL needs it: delimited ("_healpix_29") when not a regular identifier
  votable::VotType type;
  std::string unit, ucd, description;
  bool nullable = true;
};

struct ForeignKey {
  std::string id, target_table, from_column, target_column;
};

struct TableInfo {
  std::string schema, name, description;
  std::vector<ColumnInfo> columns;
  std::vector<ForeignKey> keys;
};

// Catalogs that cannot be opened (being written, broken) are left out. `mydb` (optional): the
// caller's personal tables, listed as schema "mydb", names "mydb.NAME".
std::vector<TableInfo> service_tables(const CatalogRoot& root, const CatalogRoot* mydb = nullptr);
// One catalog's table. Throws NoSuchTable.
TableInfo catalog_table(const TableEntry& t);

// `name` as an ADQL identifier: unchanged if regular, else in double quotes.
std::string adql_name(const std::string& name);

// The five TAP_SCHEMA tables (schemas, tables, columns, keys, key_columns), for the planner's
// memory_tables hook: `names` as written in FROM; null when not a TAP_SCHEMA table.
std::shared_ptr<const parquet::Table> tap_schema_table(const std::vector<std::string>& names, const CatalogRoot& root,
                                                       const CatalogRoot* mydb = nullptr);
// True if `names` ({"TAP_SCHEMA", "columns"}) names one of them (case-insensitive).
bool is_tap_schema_name(const std::vector<std::string>& names);

}  // namespace astrolake::service
