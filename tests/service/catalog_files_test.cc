// GET /catalogs/NAME/PATH: the catalogs under the service's root served read-only as files, with
// Range; nothing outside them (no listing, no traversal, no links followed), and the engine's
// HTTP file system opens a catalog served that way.
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "service_harness.h"

namespace al_service_test {
namespace {

std::string file_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string run(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 512> buf{};
  while (p && std::fgets(buf.data(), int(buf.size()), p)) out += buf.data();
  if (p) ::pclose(p);
  return out;
}

TEST(CatalogFiles, ServedReadOnlyWithRanges) {
  ServiceProcess svc({"small_sky", "small_sky_order1_collection"});
  auto c = svc.client();
  fs::path cat = fs::path(svc.root()) / "small_sky";
  std::string props = file_bytes(cat / "properties");
  auto r = c.Get("/catalogs/small_sky/properties");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body, props);
  EXPECT_EQ(r->get_header_value("Accept-Ranges"), "bytes");
  auto part = c.Get("/catalogs/small_sky/properties", {{"Range", "bytes=5-14"}});
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, props.substr(5, 10));
  EXPECT_EQ(part->get_header_value("Content-Range"), "bytes 5-14/" + std::to_string(props.size()));
  auto head = c.Head("/catalogs/small_sky/properties");
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("Content-Length"), std::to_string(props.size()));
  // A file deep in a collection.
  fs::path pinfo = fs::path(svc.root()) / "small_sky_order1_collection/small_sky_order1/partition_info.csv";
  EXPECT_EQ(c.Get("/catalogs/small_sky_order1_collection/small_sky_order1/partition_info.csv")->body, file_bytes(pinfo));
  // Writes are not routes.
  EXPECT_EQ(c.Put("/catalogs/small_sky/properties", "x", "text/plain")->status, 404);
  EXPECT_EQ(file_bytes(cat / "properties"), props);
}

TEST(CatalogFiles, NothingOutsideTheCatalogs) {
  ServiceProcess svc({"small_sky"});
  auto c = svc.client();
  fs::path root = svc.root();
  // Planted by someone with shell access: a link inside a catalog to a secret, a directory
  // under the root that is no catalog, and a link to a catalog outside the root.
  std::ofstream(fs::path(svc.state()) / "secret.txt") << "the state's secret";
  fs::create_symlink(fs::path(svc.state()) / "secret.txt", root / "small_sky/leak.txt");
  fs::create_directories(root / "notes");
  std::ofstream(root / "notes/todo.txt") << "not a catalog";
  fs::create_directories(fs::path(svc.state()) / "elsewhere");
  fs::copy(fixture("small_sky"), fs::path(svc.state()) / "elsewhere/small_sky", fs::copy_options::recursive);
  fs::create_directory_symlink(fs::path(svc.state()) / "elsewhere/small_sky", root / "outside");
  auto refused = [&](const std::string& path, int status) {
    auto r = c.Get(path.c_str());
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, status) << path << " " << r->body;
    EXPECT_EQ(r->body.find("secret"), std::string::npos) << path;
    EXPECT_EQ(r->body.find("not a catalog"), std::string::npos) << path;
  };
  refused("/catalogs/small_sky/leak.txt", 404);
  refused("/catalogs/small_sky/", 404);         // no listing
  refused("/catalogs/small_sky/dataset", 404);  // a directory
  refused("/catalogs/small_sky", 404);
  refused("/catalogs/notes/todo.txt", 404);
  refused("/catalogs/outside/properties", 404);
  refused("/catalogs/nosuch/properties", 404);
  refused("/catalogs/small_sky/../notes/todo.txt", 403);
  refused("/catalogs/small_sky/%2e%2e/notes/todo.txt", 403);
  refused("/catalogs/small_sky/%252e%252e/notes/todo.txt", 403);
  refused("/catalogs/small_sky/.hidden", 403);
  refused("/catalogs/small_sky//properties", 403);
  refused("/catalogs/small_sky/properties%00.txt", 403);
  refused("/catalogs/small_sky/dataset\\..\\properties", 403);
  refused("/catalogs/..%2fstate/secret.txt", 404);
  refused("/catalogs/%2e%2e/state/secret.txt", 404);
  auto r = c.Get("/catalogs/small_sky/../notes/todo.txt");
  EXPECT_NE(r->body.find("path outside the catalog"), std::string::npos) << r->body;
}

TEST(CatalogFiles, TheEngineOpensAServedCatalog) {
  ServiceProcess svc({"small_sky", "small_sky_order1_collection"});
  std::string url = "http://127.0.0.1:" + std::to_string(svc.port()) + "/catalogs/";
  std::string bin = AL_BINARY;
  for (std::string name : {"small_sky", "small_sky_order1_collection"}) {
    std::string web = run(bin + " info " + url + name + " 2>&1");
    std::string local = run(bin + " info " + svc.root() + "/" + name + " 2>&1");
    ASSERT_NE(web.find("rows:        131"), std::string::npos) << web;
    // Everything but the path and the bytes on disk (which over HTTP, with no listing, counts
    // the data files only) is the same.
    auto strip = [](std::string s) {
      for (const char* key : {"path:", "bytes:"}) {
        size_t at = s.find(key);
        if (at != std::string::npos) s.erase(at, s.find('\n', at) - at);
      }
      return s;
    };
    EXPECT_EQ(strip(web), strip(local));
  }
}

}  // namespace
}  // namespace al_service_test
