#include "service/tap/metadata.h"
#include "service/vosi/vosi.h"
#include "votable/writer.h"

namespace astrolake::service {

namespace {

using votable::xml_escape;

// The <table> element (`element` is "table" inside a tableset, "vosi:table" as a document).
std::string table_element(const TableInfo& t, bool with_columns, const std::string& element, const std::string& ns) {
  std::string s = "<" + element + ns + " type=\"table\">\n<name>" + xml_escape(t.name) + "</name>\n<description>" +
                  xml_escape(t.description) + "</description>\n";
  if (with_columns) {
    for (const auto& c : t.columns) {
      s += "<column>\n<name>" + xml_escape(c.name) + "</name>\n";
      if (!c.description.empty()) s += "<description>" + xml_escape(c.description) + "</description>\n";
      if (!c.unit.empty()) s += "<unit>" + xml_escape(c.unit) + "</unit>\n";
      if (!c.ucd.empty()) s += "<ucd>" + xml_escape(c.ucd) + "</ucd>\n";
      s += "<dataType xsi:type=\"vs:VOTableType\"";
      if (!c.type.arraysize.empty()) s += " arraysize=\"" + c.type.arraysize + "\"";
      if (!c.type.xtype.empty()) s += " extendedType=\"" + c.type.xtype + "\"";
      s += ">" + c.type.datatype + "</dataType>\n";
      if (c.nullable) s += "<flag>nullable</flag>\n";
      s += "</column>\n";
    }
    for (const auto& k : t.keys)
      s += "<foreignKey>\n<targetTable>" + xml_escape(k.target_table) + "</targetTable>\n<fkColumn>\n<fromColumn>" +
           xml_escape(k.from_column) + "</fromColumn>\n<targetColumn>" + xml_escape(k.target_column) +
           "</targetColumn>\n</fkColumn>\n</foreignKey>\n";
  }
  return s + "</" + element + ">\n";
}

const char* kNamespaces =
    " xmlns:vosi=\"http://www.ivoa.net/xml/VOSITables/v1.0\""
    " xmlns:vs=\"http://www.ivoa.net/xml/VODataService/v1.1\""
    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";

}  // namespace

std::string tableset_xml(const CatalogRoot& root, bool detail_min, const CatalogRoot* mydb) {
  std::string s = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vosi:tableset") + kNamespaces + ">\n";
  std::string schema;
  for (const auto& t : service_tables(root, mydb)) {
    if (t.schema != schema) {
      if (!schema.empty()) s += "</schema>\n";
      schema = t.schema;
      s += "<schema>\n<name>" + xml_escape(schema) + "</name>\n";
    }
    s += table_element(t, !detail_min, "table", "");
  }
  if (!schema.empty()) s += "</schema>\n";
  return s + "</vosi:tableset>\n";
}

std::string table_xml(const CatalogRoot& root, const std::string& name) {
  std::string head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  size_t dot = name.find('.');
  if (dot != std::string::npos && is_tap_schema_name({name.substr(0, dot), name.substr(dot + 1)})) {
    for (const auto& t : service_tables(root))
      if (t.schema == "TAP_SCHEMA" && t.name == "TAP_SCHEMA." + name.substr(dot + 1))
        return head + table_element(t, true, "vosi:table", kNamespaces);
  }
  std::string plain = name;
  if (dot != std::string::npos && name.substr(0, dot) == kSchemaName) plain = name.substr(dot + 1);
  return head + table_element(catalog_table(root.find(plain)), true, "vosi:table", kNamespaces);
}

}  // namespace astrolake::service
