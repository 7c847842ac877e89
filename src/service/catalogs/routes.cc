#include "service/catalogs/routes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "service/http/json.h"
#include "service/http/send_file.h"
#include "service/tap/error.h"

namespace astrolake::service {

namespace {

// The components of `rest` ("/a/b.parquet"); 403 for a traversal-shaped one, 404 for a name
// no HATS catalog has.
std::vector<std::string> components(const std::string& name, const std::string& rest) {
  std::vector<std::string> parts;
  size_t start = rest.empty() ? 0 : 1;
  while (start < rest.size()) {
    size_t slash = rest.find('/', start);
    if (slash == std::string::npos) slash = rest.size();
    std::string p = rest.substr(start, slash - start);
    std::string where = "/catalogs/" + name + rest.substr(0, 200);
    if (p.empty() || p[0] == '.')
      throw DaliError(403, "path outside the catalog: '" + where + "': empty, '.' or '..' components are refused");
    for (char c : p) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                c == '-' || c == '=' || c == '+' || c == ',';
      if (!ok)
        throw DaliError(403, "path outside the catalog: '" + where +
                                 "': only A-Z a-z 0-9 . _ - = + , are served (no '%', '\\', control or non-ASCII)");
    }
    parts.push_back(p);
    start = slash + 1;
  }
  return parts;
}

// Opens parts under `dir`, never following a link below it; -1 with errno set on failure.
int open_under(const std::string& dir, const std::vector<std::string>& parts) {
  int cur = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (size_t i = 0; cur >= 0 && i < parts.size(); i++) {
    bool last = i + 1 == parts.size();
    int next = ::openat(cur, parts[i].c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? O_NONBLOCK : O_DIRECTORY));
    int err = errno;
    ::close(cur);
    errno = err;
    cur = next;
  }
  return cur;
}

}  // namespace

void add_catalog_file_routes(httplib::Server& s, const CatalogRoot& root) {
  s.Get(R"(/catalogs/([^/]+)(/.*)?)", [&root](const httplib::Request& q, httplib::Response& r) {
    json_guard(r, [&] {
      std::string name = q.matches[1].str(), rest = q.matches[2].str();
      TableEntry t;
      try {
        t = root.find(name);
      } catch (const NoSuchTable&) {
        throw DaliError(404, "no catalog '" + name + "'");
      }
      std::vector<std::string> parts = components(name, rest);
      int fd = open_under(t.dir, parts);
      struct stat st {};
      if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) ::close(fd);
        throw DaliError(404, "no file /catalogs/" + name + rest + " (directories are not listed)");
      }
      r.set_header("Cache-Control", "public, max-age=60");
      send_file(r, fd, uint64_t(st.st_size), "application/octet-stream");
    });
  });
}

}  // namespace astrolake::service
