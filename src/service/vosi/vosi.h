// VOSI documents of the TAP service: capabilities (TAPRegExt), availability, and the table
// set (VODataService 1.1) generated from the catalogs under the root.
#pragma once
#include <string>

#include "service/tap/catalogs.h"
#include "service/tap/metadata.h"
#include "service/tap/query.h"

namespace astrolake::service {

// `base` is the TAP base URL, e.g. "http://127.0.0.1:8080/tap".
std::string capabilities_xml(const std::string& base, const QueryLimits& limits);
std::string availability_xml(bool available, const std::string& note);
// All tables; `detail_min` leaves out the columns (VOSI-tables detail=min).
std::string tableset_xml(const CatalogRoot& root, bool detail_min, const CatalogRoot* mydb = nullptr);
// DALI examples (XHTML + RDFa) written for the catalogs under the root.
std::string examples_xhtml(const CatalogRoot& root);
// One table as a vosi:table document. Throws NoSuchTable.
std::string table_xml(const CatalogRoot& root, const std::string& name);

}  // namespace astrolake::service
