#include "service/files/vos_path.h"

#include "service/auth/accounts.h"
#include "service/tap/error.h"

namespace astrolake::service {

namespace {

bool allowed(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == '+' || c == '=' || c == ',' || c == '@';
}

// A name shaped to reach outside the caller's area: 403, the message naming what was wrong.
[[noreturn]] void outside(const std::string& name, const std::string& why) {
  throw DaliError(403, "path outside your storage area: '" + name.substr(0, 200) + "': " + why);
}

void check_part(const std::string& p, const std::string& name) {
  if (p.empty()) outside(name, "empty path component (an absolute path or '//')");
  if (p[0] == '.') outside(name, "path components may not start with '.' ('.', '..' and hidden names are refused)");
  if (p.size() > 255) throw DaliError(400, "'" + name + "': a path component is longer than 255 bytes");
  for (char c : p) {
    if (c == '%') outside(name, "'%' is refused (no percent-encoded names, so no encoded '..')");
    if (c == '\\') outside(name, "'\\' is refused (not a path separator here)");
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      outside(name, "control and non-ASCII characters are refused (no look-alikes of '.', '/' or names)");
    if (!allowed(c))
      throw DaliError(400, "'" + name.substr(0, 200) + "': names may hold only A-Z a-z 0-9 . _ - + = , @");
  }
}

}  // namespace

std::string VosPath::text() const {
  std::string s = foreign ? "vos://~" + owner : "vos:/";
  for (const auto& p : parts) s += "/" + p;
  return parts.empty() && !foreign ? "vos://" : s;
}

VosPath parse_vos(const std::string& name, const std::string& caller) {
  const std::string scheme = "vos://";
  if (name.compare(0, scheme.size(), scheme) != 0) {
    // A file system path or another scheme is an attempt at files outside the area.
    if (!name.empty() && (name[0] == '/' || name[0] == '\\' || name.find(':') != std::string::npos))
      outside(name, "only vos:// names reach storage (not file system paths or other schemes)");
    throw DaliError(400, "'" + name.substr(0, 200) + "' is not a vos:// name");
  }
  if (name.size() > 1024) throw DaliError(400, "vos:// names are at most 1024 bytes");
  std::string rest = name.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  VosPath v;
  v.owner = caller;
  if (rest.empty()) return v;
  if (rest[0] == '/') outside(name, "absolute paths are refused");
  size_t start = 0;
  bool first = true;
  while (true) {
    size_t slash = rest.find('/', start);
    std::string part = rest.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (first && !part.empty() && part[0] == '~') {
      std::string owner = part.substr(1);
      try {
        check_user_name(owner);
      } catch (const DaliError& e) {
        outside(name, "'~" + owner.substr(0, 40) + "' is not a user's folder (" + e.what() + ")");
      }
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
