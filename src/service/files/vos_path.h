// vos:// names. `vos://a/b.csv` is in the caller's own area; `vos://~OWNER/public/...` is
// OWNER's shared folder (read-only for others). Names are checked as bytes before any file
// is touched: no absolute paths, empty, "." or ".." components, no hidden (leading '.')
// names, and only the characters A-Z a-z 0-9 . _ - + = , @ — so no '%' (encoded traversal),
// backslash, NUL, control characters or non-ASCII look-alikes reach the file system. Names
// shaped to reach outside the caller's area (those, file system paths, other schemes, a '~'
// that names no possible user) answer 403 "path outside your storage area: ..."; other
// malformed names (a space, too long) 400.
#pragma once
#include <string>
#include <vector>

namespace astrolake::service {

struct VosPath {
  std::string owner;               // whose area
  std::vector<std::string> parts;  // components under the owner's area (empty: its top)
  bool foreign = false;            // owner is not the caller (read-only, public/ only)
  std::string text() const;        // the name as the caller would write it
};

// Throws DaliError 403 for a name shaped to reach outside the caller's area, 400 for another
// malformed name, 404 for another user's non-public path.
VosPath parse_vos(const std::string& name, const std::string& caller);

}  // namespace astrolake::service
