// The web room of `astrolake serve`: the page's files at / and the sky-map picture, against the
// real binary (service_harness.h). The picture must be the engine's own rendering of the map.
#include <fstream>
#include <regex>
#include <sstream>

#include "catalog/catalog.h"
#include "engine/skymap.h"
#include "service_harness.h"

using al_service_test::fixture;
using al_service_test::ServiceProcess;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(Web, PageAndEveryFileItNamesAreServed) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  // The page is the file in the source tree, byte for byte.
  EXPECT_EQ(page->body, slurp(std::string(AL_SOURCE_DIR) + "/src/service/web/static/index.html"));
  std::regex ref(R"re((?:href|src)="(/[^"]+)")re");
  int files = 0;
  for (std::sregex_iterator it(page->body.begin(), page->body.end(), ref), end; it != end; ++it, ++files) {
    std::string path = (*it)[1];
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->body, slurp(std::string(AL_SOURCE_DIR) + "/src/service/web/static" + path)) << path;
  }
  EXPECT_EQ(files, 2);  // app.css, app.js
  EXPECT_EQ(c.Get("/app.js")->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(c.Get("/nothing-here.js")->status, 404);
  EXPECT_EQ(c.Get("/../CMakeLists.txt")->status, 404);
}

TEST(Web, SkymapIsTheEnginesRendering) {
  ServiceProcess svc({"small_sky", "small_sky_order1_collection"});
  auto c = svc.client();
  auto r = c.Get("/web/skymap.png?catalog=small_sky&order=4");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/png");

  namespace engine = astrolake::engine;
  auto cat = astrolake::catalog::Catalog::open(fixture("small_sky"), {false, ""});
  engine::SkymapOptions o;
  o.order = 4;
  o.progress = 0;
  engine::SkymapResult m = engine::compute_skymap(cat, o);
  std::string path = (fs::temp_directory_path() / ("al_web_skymap_" + std::to_string(::getpid()) + ".png")).string();
  engine::write_mollweide_png(path, m, "small_sky: rows per pixel (order 4)", 1000);
  EXPECT_EQ(r->body, slurp(path));
  fs::remove(path);

  // Asked again: the same picture (from the cache). A collection is drawn from its main catalog.
  EXPECT_EQ(c.Get("/web/skymap.png?catalog=small_sky&order=4")->body, r->body);
  auto coll = c.Get("/web/skymap.png?catalog=small_sky_order1_collection");
  EXPECT_EQ(coll->status, 200);
  EXPECT_EQ(coll->body.substr(1, 3), "PNG");
}

TEST(Web, SkymapRefusesBadRequestsWithJsonErrors) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  struct Case {
    const char* query;
    int status;
    const char* says;
  };
  for (const Case& k : {Case{"", 400, "catalog=NAME"}, Case{"catalog=nosuch", 404, "nosuch"},
                        Case{"catalog=..%2Fsmall_sky", 404, "plain name"}, Case{"catalog=%2Fetc", 404, "plain name"},
                        Case{"catalog=small_sky&order=9", 400, "order"}, Case{"catalog=small_sky&order=-1", 400, "order"},
                        Case{"catalog=small_sky&order=4x", 400, "order"}, Case{"catalog=small_sky&order=", 400, "order"}}) {
    auto r = c.Get(std::string("/web/skymap.png?") + k.query);
    ASSERT_TRUE(r) << k.query;
    EXPECT_EQ(r->status, k.status) << k.query;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << k.query;
    EXPECT_NE(r->body.find(k.says), std::string::npos) << k.query << ": " << r->body;
  }
}
