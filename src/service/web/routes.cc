#include "service/web/routes.h"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <list>
#include <mutex>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "engine/skymap.h"
#include "service/tap/error.h"
#include "service/web/assets.h"

namespace fs = std::filesystem;

namespace astrolake::service {

namespace {

std::string mime_of(const std::string& path) {
  auto ends = [&](const char* ext) { return path.size() >= std::strlen(ext) && path.ends_with(ext); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

// The page loads only its own files; an injected script or a frame around it does nothing.
void page_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
                 "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-cache");
}

void json_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
}

// Rendered maps, newest first, keyed by catalog directory, order and the directory's mtime
// (a catalog rewritten in place gets a new map). Small: a PNG is some 100 KB.
class SkymapCache {
 public:
  bool get(const std::string& key, std::string& png) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = items_.begin(); it != items_.end(); ++it)
      if (it->first == key) {
        png = it->second;
        items_.splice(items_.begin(), items_, it);
        return true;
      }
    return false;
  }
  void put(const std::string& key, std::string png) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.emplace_front(key, std::move(png));
    if (items_.size() > 32) items_.pop_back();
  }

 private:
  std::mutex mu_;
  std::list<std::pair<std::string, std::string>> items_;
};

std::string render_skymap(const TableEntry& t, int order, const std::string& tmp_dir) {
  catalog::Catalog cat = catalog::Catalog::open(t.dir, {false, ""});
  engine::SkymapOptions o;
  o.order = order;
  o.threads = 1;
  o.progress = 0;
  engine::SkymapResult m = engine::compute_skymap(cat, o);
  static std::atomic<uint64_t> counter{0};
  std::string path = tmp_dir + "/skymap-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".png";
  engine::write_mollweide_png(path, m, t.name + ": rows per pixel (order " + std::to_string(order) + ")", 1000);
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::error_code ec;
  fs::remove(path, ec);
  return ss.str();
}

}  // namespace

void add_web_routes(httplib::Server& s, const CatalogRoot& root, Admission& admission, const std::string& tmp_dir) {
  for (const WebAsset& a : web_assets()) {
    std::string body(reinterpret_cast<const char*>(a.data), a.size);
    std::string mime = mime_of(a.path);
    auto serve = [body, mime](const httplib::Request&, httplib::Response& res) {
      page_headers(res);
      res.set_content(body, mime);
    };
    s.Get(a.path, serve);
    if (std::string(a.path) == "/index.html") s.Get("/", serve);
  }

  auto cache = std::make_shared<SkymapCache>();
  s.Get("/web/skymap.png", [&root, &admission, tmp_dir, cache](const httplib::Request& req, httplib::Response& res) {
    try {
      std::string name = req.get_param_value("catalog");
      if (name.empty()) return json_error(res, 400, "give catalog=NAME");
      int order = 5;
      if (req.has_param("order")) {
        std::string v = req.get_param_value("order");
        size_t used = 0;
        try {
          order = std::stoi(v, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != v.size() || order < 0 || order > kWebSkymapMaxOrder)
          return json_error(res, 400, "order must be an integer from 0 to " + std::to_string(kWebSkymapMaxOrder));
      }
      TableEntry t = root.find(name);
      std::error_code ec;
      auto mtime = fs::last_write_time(t.dir, ec).time_since_epoch().count();
      std::string key = t.dir + "\n" + std::to_string(order) + "\n" + std::to_string(mtime);
      std::string png;
      if (!cache->get(key, png)) {
        std::shared_ptr<void> slot = admission.enter();  // a map reads the whole catalog, like a query
        png = render_skymap(t, order, tmp_dir);
        cache->put(key, png);
      }
      res.set_header("Cache-Control", "no-cache");
      res.set_content(png, "image/png");
    } catch (const NoSuchTable& e) {
      json_error(res, 404, e.what());
    } catch (const DaliError& e) {
      json_error(res, e.status(), e.what());
    } catch (const std::exception& e) {
      json_error(res, 500, std::string("sky map failed: ") + e.what());
    }
  });
}

}  // namespace astrolake::service
