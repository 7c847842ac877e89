#include "catalog/catalog.h"
#include "service/vosi/vosi.h"
#include "votable/writer.h"

namespace astrolake::service {

namespace {

using votable::xml_escape;

// The <table> element of one catalog (`element` is "table" inside a tableset, "vosi:table"
// as a document of its own).
std::string table_element(const TableEntry& t, bool with_columns, const std::string& element, const std::string& ns) {
  catalog::Catalog cat = catalog::Catalog::open(t.dir);
  std::string desc = cat.properties().get("obs_title");
  if (desc.empty())
    desc = "HATS " + std::string(catalog::type_name(cat.type())) + " catalog " + cat.name() + " (" +
           std::to_string(cat.rows()) + " rows)";
  std::string s = "<" + element + ns + " type=\"table\">\n<name>" + xml_escape(t.name) + "</name>\n<description>" +
                  xml_escape(desc) + "</description>\n";
  if (with_columns) {
    for (const auto& f : cat.schema()) {
      votable::VotType vt = votable::votable_type(f);
      s += "<column>\n<name>" + xml_escape(f.name) + "</name>\n";
      if (f.name == cat.ra_column()) s += "<unit>deg</unit>\n<ucd>pos.eq.ra;meta.main</ucd>\n";
      else if (f.name == cat.dec_column()) s += "<unit>deg</unit>\n<ucd>pos.eq.dec;meta.main</ucd>\n";
      s += "<dataType xsi:type=\"vs:VOTableType\"";
      if (!vt.arraysize.empty()) s += " arraysize=\"" + vt.arraysize + "\"";
      if (!vt.xtype.empty()) s += " extendedType=\"" + vt.xtype + "\"";
      s += ">" + vt.datatype + "</dataType>\n";
      if (f.nullable) s += "<flag>nullable</flag>\n";
      s += "</column>\n";
    }
  }
  return s + "</" + element + ">\n";
}

const char* kNamespaces =
    " xmlns:vosi=\"http://www.ivoa.net/xml/VOSITables/v1.0\""
    " xmlns:vs=\"http://www.ivoa.net/xml/VODataService/v1.1\""
    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";

}  // namespace

std::string tableset_xml(const CatalogRoot& root, bool detail_min) {
  std::string s = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vosi:tableset") + kNamespaces +
                  ">\n<schema>\n<name>" + kSchemaName + "</name>\n<description>The catalogs under " +
                  xml_escape(root.path()) + "</description>\n";
  for (const auto& t : root.list()) {
    try {
      s += table_element(t, !detail_min, "table", "");
    } catch (const std::exception&) {
      // A catalog that cannot be opened (being written, broken) is left out of the listing.
    }
  }
  return s + "</schema>\n</vosi:tableset>\n";
}

std::string table_xml(const CatalogRoot& root, const std::string& name) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + table_element(root.find(name), true, "vosi:table", kNamespaces);
}

}  // namespace astrolake::service
