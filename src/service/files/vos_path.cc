#include "service/files/vos_path.h"

#include "service/auth/accounts.h"
#include "service/tap/error.h"

namespace astrolake::service {

namespace {

bool allowed(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == '+' || c == '=' || c == ',' || c == '@';
}

void check_part(const std::string& p, const std::string& name) {
  if (p.empty()) throw DaliError(400, "'" + name + "': empty path component (absolute path or '//')");
  if (p[0] == '.') throw DaliError(400, "'" + name + "': path components may not start with '.' ('..' is refused)");
  if (p.size() > 255) throw DaliError(400, "'" + name + "': a path component is longer than 255 bytes");
  for (char c : p)
    if (!allowed(c))
      throw DaliError(400, "'" + name.substr(0, 200) +
                               "': names may hold only A-Z a-z 0-9 . _ - + = , @ (no '%', '\\', spaces, "
                               "control or non-ASCII characters)");
}

}  // namespace

std::string VosPath::text() const {
  std::string s = foreign ? "vos://~" + owner : "vos:/";
  for (const auto& p : parts) s += "/" + p;
  return parts.empty() && !foreign ? "vos://" : s;
}

VosPath parse_vos(const std::string& name, const std::string& caller) {
  const std::string scheme = "vos://";
  if (name.compare(0, scheme.size(), scheme) != 0) throw DaliError(400, "'" + name.substr(0, 200) + "' is not a vos:// name");
  if (name.size() > 1024) throw DaliError(400, "vos:// names are at most 1024 bytes");
  std::string rest = name.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  VosPath v;
  v.owner = caller;
  if (rest.empty()) return v;
  if (rest[0] == '/') throw DaliError(400, "'" + name + "': absolute paths are not accepted");
  size_t start = 0;
  bool first = true;
  while (true) {
    size_t slash = rest.find('/', start);
    std::string part = rest.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (first && !part.empty() && part[0] == '~') {
      std::string owner = part.substr(1);
      check_user_name(owner);
      if (owner != caller) {
        v.owner = owner;
        v.foreign = true;
      }
    } else {
      check_part(part, name);
      v.parts.push_back(part);
    }
    first = false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (v.parts.size() > 32) throw DaliError(400, "'" + name + "': more than 32 levels");
  // Of another user's area only public/ exists for the caller (and the same answer whether
  // or not the rest does).
  if (v.foreign && (v.parts.empty() || v.parts[0] != "public")) throw DaliError(404, "no such file '" + name + "'");
  return v;
}

}  // namespace astrolake::service
