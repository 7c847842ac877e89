// The catalogs under the service's root, served read-only as files over HTTP, so that
// astrolake's HTTP file system (and so the Python Catalog API, Dask workers, any HATS reader
// that reads over HTTP) can open them: GET or HEAD /catalogs/NAME/PATH, with Range (206).
//
// Only files inside a catalog the service offers (CatalogRoot::find: a plain name under the
// root) are served; nothing is listed (a directory is 404), paths are checked component by
// component before any file is touched (no '..', no hidden names, no '%' or non-ASCII: 403)
// and opened with O_NOFOLLOW below the catalog's directory, so a link inside a catalog is
// never followed. Anonymous callers may read them, as they may query them.
#pragma once
#include <httplib.h>

#include "service/tap/catalogs.h"

namespace astrolake::service {

void add_catalog_file_routes(httplib::Server& s, const CatalogRoot& root);

}  // namespace astrolake::service
