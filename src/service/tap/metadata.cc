#include "service/tap/metadata.h"

#include <cctype>
#include <set>

#include "catalog/catalog.h"

namespace astrolake::service {

using parquet::Column;
using parquet::Field;
using parquet::Type;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const std::set<std::string>& reserved_words() {
  static const std::set<std::string> words = {
      "abs", "acos", "all", "and", "any", "area", "as", "asc", "asin", "atan", "atan2", "avg", "between", "box",
      "by", "case", "cast", "ceiling", "centroid", "circle", "contains", "coord1", "coord2", "coordsys", "cos",
      "cot", "count", "cross", "degrees", "desc", "distance", "distinct", "else", "end", "except", "exists", "exp",
      "false", "floor", "from", "full", "group", "having", "in", "inner", "intersect", "intersects", "is", "join",
      "left", "like", "log", "log10", "lower", "max", "min", "mod", "natural", "not", "null", "offset", "on", "or",
      "order", "outer", "pi", "point", "polygon", "power", "radians", "rand", "region", "right", "round", "select",
      "sin", "size", "sqrt", "sum", "tan", "then", "top", "true", "truncate", "union", "upper", "user", "using",
      "value", "when", "where", "with", "date", "time", "timestamp", "position", "first", "last", "key", "index"};
  return words;
}

ColumnInfo col(const std::string& name, const char* datatype, const char* arraysize, const std::string& desc,
               bool nullable = true) {
  ColumnInfo c;
  c.name = name;
  c.type.datatype = datatype;
  c.type.arraysize = arraysize;
  c.description = desc;
  c.nullable = nullable;
  return c;
}

std::vector<TableInfo> tap_schema_info() {
  const char* S = "char";
  const char* V = "*";
  std::vector<TableInfo> t(5);
  for (auto& x : t) x.schema = "TAP_SCHEMA";
  t[0].name = "TAP_SCHEMA.schemas";
  t[0].description = "The schemas of this service";
  t[0].columns = {col("schema_name", S, V, "schema name", false), col("utype", S, V, "utype"),
                  col("description", S, V, "description"), col("schema_index", "int", "", "display order")};
  t[1].name = "TAP_SCHEMA.tables";
  t[1].description = "The tables of this service";
  t[1].columns = {col("schema_name", S, V, "schema the table is in", false),
                  col("table_name", S, V, "table name as used in ADQL", false),
                  col("table_type", S, V, "table or view", false), col("utype", S, V, "utype"),
                  col("description", S, V, "description"), col("table_index", "int", "", "display order")};
  t[2].name = "TAP_SCHEMA.columns";
  t[2].description = "The columns of every table";
  t[2].columns = {col("table_name", S, V, "table the column belongs to", false),
                  col("column_name", S, V, "column name as used in ADQL", false),
                  col("datatype", S, V, "VOTable datatype", false), col("arraysize", S, V, "VOTable arraysize"),
                  col("xtype", S, V, "VOTable xtype"), col("\"size\"", "int", "", "deprecated: use arraysize"),
                  col("description", S, V, "description"), col("utype", S, V, "utype"), col("unit", S, V, "unit"),
                  col("ucd", S, V, "UCD"), col("indexed", "int", "", "1 if indexed", false),
                  col("principal", "int", "", "1 if principal", false), col("std", "int", "", "1 if standard", false),
                  col("column_index", "int", "", "display order")};
  t[3].name = "TAP_SCHEMA.keys";
  t[3].description = "Foreign keys between tables";
  t[3].columns = {col("key_id", S, V, "key id", false), col("from_table", S, V, "table with the key", false),
                  col("target_table", S, V, "table referenced", false), col("description", S, V, "description"),
                  col("utype", S, V, "utype")};
  t[4].name = "TAP_SCHEMA.key_columns";
  t[4].description = "Columns of the foreign keys";
  t[4].columns = {col("key_id", S, V, "key id", false), col("from_column", S, V, "column in from_table", false),
                  col("target_column", S, V, "column in target_table", false)};
  // The links TAP 1.1 defines between the TAP_SCHEMA tables.
  t[1].keys = {{"tables_schema", "TAP_SCHEMA.schemas", "schema_name", "schema_name"}};
  t[2].keys = {{"columns_table", "TAP_SCHEMA.tables", "table_name", "table_name"}};
  t[3].keys = {{"keys_from", "TAP_SCHEMA.tables", "from_table", "table_name"},
               {"keys_target", "TAP_SCHEMA.tables", "target_table", "table_name"}};
  t[4].keys = {{"key_columns_key", "TAP_SCHEMA.keys", "key_id", "key_id"}};
  return t;
}

// Builds an in-memory table column by column.
struct Builder {
  parquet::Table t;
  void add_string(const std::string& name) { t.columns.emplace_back(Field{name, Type::String, true}); }
  void add_int(const std::string& name) { t.columns.emplace_back(Field{name, Type::Int32, true}); }
  Column& operator[](size_t i) { return t.columns[i]; }
  void str(size_t i, const std::string& v) {
    if (v.empty()) t.columns[i].push_null();
    else t.columns[i].push_string(v);
  }
  void num(size_t i, int32_t v) { t.columns[i].push<int32_t>(v); }
};

}  // namespace

std::string adql_name(const std::string& name) {
  bool regular = !name.empty() && std::isalpha(static_cast<unsigned char>(name[0])) &&
                 !reserved_words().count(lower(name));
  for (char c : name) regular = regular && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (regular) return name;
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

TableInfo catalog_table(const TableEntry& t) {
  catalog::Catalog cat = catalog::Catalog::open(t.dir);
  TableInfo info;
  info.schema = kSchemaName;
  info.name = adql_name(t.name);
  info.description = cat.properties().get("obs_title");
  if (info.description.empty())
    info.description = "HATS " + std::string(catalog::type_name(cat.type())) + " catalog " + cat.name() + " (" +
                       std::to_string(cat.rows()) + " rows)";
  for (const auto& f : cat.schema()) {
    ColumnInfo c;
    c.name = adql_name(f.name);
    c.type = votable::votable_type(f);
    c.nullable = f.nullable;
    // HATS records which columns hold the position; other units and UCDs are not recorded.
    if (f.name == cat.ra_column()) {
      c.unit = "deg";
      c.ucd = "pos.eq.ra;meta.main";
    } else if (f.name == cat.dec_column()) {
      c.unit = "deg";
      c.ucd = "pos.eq.dec;meta.main";
    }
    info.columns.push_back(std::move(c));
  }
  return info;
}

std::vector<TableInfo> service_tables(const CatalogRoot& root, const CatalogRoot* mydb) {
  std::vector<TableInfo> out;
  for (const auto& t : root.list()) {
    try {
      out.push_back(catalog_table(t));
    } catch (const std::exception&) {
    }
  }
  if (mydb)
    for (const auto& t : mydb->list()) {
      if (t.name.empty() || t.name[0] == '.') continue;  // imports and drops in progress
      try {
        TableInfo info = catalog_table(t);
        info.schema = "mydb";
        info.name = "mydb." + info.name;
        out.push_back(std::move(info));
      } catch (const std::exception&) {
      }
    }
  for (auto& t : tap_schema_info()) out.push_back(std::move(t));
  return out;
}

bool is_tap_schema_name(const std::vector<std::string>& names) {
  if (names.size() != 2 || lower(names[0]) != "tap_schema") return false;
  std::string n = lower(names[1]);
  return n == "schemas" || n == "tables" || n == "columns" || n == "keys" || n == "key_columns";
}

std::shared_ptr<const parquet::Table> tap_schema_table(const std::vector<std::string>& names, const CatalogRoot& root,
                                                       const CatalogRoot* mydb) {
  if (!is_tap_schema_name(names)) return nullptr;
  std::string which = lower(names[1]);
  auto out = std::make_shared<parquet::Table>();
  Builder b;
  if (which == "schemas") {
    for (const char* c : {"schema_name", "utype", "description"}) b.add_string(c);
    b.add_int("schema_index");
    b.str(0, kSchemaName), b.str(1, ""), b.str(2, "The catalogs under the service's root"), b.num(3, 0);
    b.str(0, "TAP_SCHEMA"), b.str(1, ""), b.str(2, "Metadata of this service (TAP 1.1)"), b.num(3, 1);
    // Listed only when it holds a table, as /tables lists only schemas with tables (taplint
    // checks that the two agree).
    if (mydb && !mydb->list().empty())
      b.str(0, "mydb"), b.str(1, ""), b.str(2, "Your personal tables"), b.num(3, 2);
  } else if (which == "tables") {
    for (const char* c : {"schema_name", "table_name", "table_type", "utype", "description"}) b.add_string(c);
    b.add_int("table_index");
    int32_t i = 0;
    for (const auto& t : service_tables(root, mydb))
      b.str(0, t.schema), b.str(1, t.name), b.str(2, "table"), b.str(3, ""), b.str(4, t.description), b.num(5, i++);
  } else if (which == "columns") {
    for (const char* c : {"table_name", "column_name", "datatype", "arraysize", "xtype"}) b.add_string(c);
    b.add_int("size");
    for (const char* c : {"description", "utype", "unit", "ucd"}) b.add_string(c);
    for (const char* c : {"indexed", "principal", "std", "column_index"}) b.add_int(c);
    for (const auto& t : service_tables(root, mydb)) {
      int32_t i = 0;
      for (const auto& c : t.columns) {
        b.str(0, t.name), b.str(1, c.name), b.str(2, c.type.datatype), b.str(3, c.type.arraysize);
        b.str(4, c.type.xtype);
        b[5].push_null();
        b.str(6, c.description), b.str(7, ""), b.str(8, c.unit), b.str(9, c.ucd);
        b.num(10, 0), b.num(11, 1), b.num(12, t.schema == "TAP_SCHEMA"), b.num(13, i++);
      }
    }
  } else if (which == "keys") {
    for (const char* c : {"key_id", "from_table", "target_table", "description", "utype"}) b.add_string(c);
    for (const auto& t : tap_schema_info())
      for (const auto& k : t.keys) b.str(0, k.id), b.str(1, t.name), b.str(2, k.target_table), b.str(3, ""), b.str(4, "");
  } else {
    for (const char* c : {"key_id", "from_column", "target_column"}) b.add_string(c);
    for (const auto& t : tap_schema_info())
      for (const auto& k : t.keys) b.str(0, k.id), b.str(1, k.from_column), b.str(2, k.target_column);
  }
  *out = std::move(b.t);
  return out;
}

}  // namespace astrolake::service
