// The web page: the single-page app's static files at / and the sky-map picture
// GET /web/skymap.png?catalog=NAME&order=K (a Mollweide PNG of the catalog's row density,
// drawn by the engine's sky-map code).
#pragma once
#include <string>

#include <httplib.h>

#include "service/tap/admission.h"
#include "service/tap/catalogs.h"

namespace astrolake::service {

constexpr int kWebSkymapMaxOrder = 8;

void add_web_routes(httplib::Server& s, const CatalogRoot& root, Admission& admission, const std::string& tmp_dir);

}  // namespace astrolake::service
