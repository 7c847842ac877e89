#include "catalog/properties.h"

#include <cerrno>
#include <cstdlib>
#include <span>
#include <stdexcept>

#include "storage/file_system.h"
#include "storage/source.h"
#include "storage/utf8.h"

namespace astrolake::catalog {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\f'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads 4 hex digits at s[i..i+4); throws on anything else.
uint32_t read_hex4(std::string_view s, size_t i, const std::string& origin, int line) {
  if (i + 4 > s.size())
    throw std::runtime_error(origin + ": line " + std::to_string(line) + ": truncated \\u escape");
  uint32_t v = 0;
  for (size_t k = 0; k < 4; k++) {
    int h = hex_value(s[i + k]);
    if (h < 0)
      throw std::runtime_error(origin + ": line " + std::to_string(line) + ": malformed \\u escape");
    v = v * 16 + uint32_t(h);
  }
  return v;
}

// Decodes escapes of one logical-line segment (key or value).
std::string unescape(std::string_view s, const std::string& origin, int line) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    if (c != '\\' || i + 1 == s.size()) {  // a lone trailing backslash is dropped by Java too
      if (c != '\\') out += c;
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        uint32_t cp = read_hex4(s, i + 1, origin, line);
        i += 4;
        // Surrogate pair written as two \u escapes.
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u') {
          uint32_t lo = read_hex4(s, i + 3, origin, line);
          if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        storage::append_utf8(out, cp);
        break;
      }
      default: out += e;
    }
  }
  return out;
}

// True when the line ends in an odd number of backslashes (a continuation).
bool continues(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[line.size() - 1 - n] == '\\') n++;
  return n % 2 == 1;
}

void escape_into(std::string_view s, bool is_key, std::string& out) {
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\f': out += "\\f"; break;
      case ' ':
        // Keys end at whitespace; values lose leading whitespace when parsed.
        if (is_key || i == 0) out += '\\';
        out += ' ';
        break;
      case '=': case ':':
        if (is_key) out += '\\';
        out += c;
        break;
      case '#': case '!':
        if (is_key && i == 0) out += '\\';
        out += c;
        break;
      default: out += c;
    }
  }
}

// Splits text into natural lines at \n, \r\n or \r.
std::vector<std::string_view> natural_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end;
    if (pos == text.size()) break;
    bool cr = text[pos] == '\r';
    pos++;
    if (cr && pos < text.size() && text[pos] == '\n') pos++;
  }
  return lines;
}

std::string_view trim_left(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) i++;
  return s.substr(i);
}

}  // namespace

Properties Properties::parse(std::string_view text, const std::string& origin) {
  Properties p;
  p.origin_ = origin;
  std::vector<std::string_view> lines = natural_lines(text);
  for (size_t i = 0; i < lines.size(); i++) {
    int line_no = int(i) + 1;
    std::string_view nat = trim_left(lines[i]);
    if (nat.empty() || nat[0] == '#' || nat[0] == '!') continue;
    // A logical line continues while a natural line ends in an odd number of backslashes;
    // the next line's leading whitespace is dropped.
    std::string logical;
    while (continues(nat) && i + 1 < lines.size()) {
      logical.append(nat.substr(0, nat.size() - 1));
      nat = trim_left(lines[++i]);
    }
    logical.append(nat);
    // Key: up to an unescaped '=', ':' or whitespace.
    size_t k = 0;
    while (k < logical.size()) {
      char c = logical[k];
      if (c == '\\') { k += 2; continue; }
      if (c == '=' || c == ':' || is_space(c)) break;
      k++;
    }
    if (k > logical.size()) k = logical.size();
    std::string_view lv(logical);
    std::string key = unescape(lv.substr(0, k), origin, line_no);
    size_t v = k;
    while (v < lv.size() && is_space(lv[v])) v++;
    if (v < lv.size() && (lv[v] == '=' || lv[v] == ':')) v++;
    while (v < lv.size() && is_space(lv[v])) v++;
    p.set(key, unescape(lv.substr(v), origin, line_no));  // repeated key: last value wins
  }
  return p;
}

Properties Properties::read(const std::string& path) {
  auto src = storage::open(path);
  std::string text(src->size(), '\0');
  if (!text.empty())
    src->read(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(text.data()), text.size()));
  return parse(text, path);
}

std::string Properties::serialize(const std::string& comment) const {
  std::string out;
  if (!comment.empty()) out += "#" + comment + "\n";
  for (const auto& [k, v] : entries_) {
    escape_into(k, true, out);
    out += '=';
    escape_into(v, false, out);
    out += '\n';
  }
  return out;
}

void Properties::write(const std::string& path, const std::string& comment) const {
  std::string text = serialize(comment);
  storage::write_file_atomic(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()),
                                                            text.size()));
}

bool Properties::has(const std::string& key) const { return find(key).has_value(); }

std::optional<std::string> Properties::find(const std::string& key) const {
  for (const auto& [k, v] : entries_)
    if (k == key) return v;
  return std::nullopt;
}

std::string Properties::get(const std::string& key, const std::string& fallback) const {
  auto v = find(key);
  return v ? *v : fallback;
}

int64_t Properties::get_int(const std::string& key, int64_t fallback) const {
  auto v = find(key);
  if (!v || v->empty()) return fallback;
  errno = 0;
  char* end = nullptr;
  long long x = std::strtoll(v->c_str(), &end, 10);
  while (end && is_space(*end)) end++;
  if (errno || end == v->c_str() || *end)
    throw std::runtime_error(origin_ + ": " + key + "='" + *v + "' is not an integer");
  return x;
}

double Properties::get_double(const std::string& key, double fallback) const {
  auto v = find(key);
  if (!v || v->empty()) return fallback;
  errno = 0;
  char* end = nullptr;
  double x = std::strtod(v->c_str(), &end);
  while (end && is_space(*end)) end++;
  if (errno || end == v->c_str() || *end)
    throw std::runtime_error(origin_ + ": " + key + "='" + *v + "' is not a number");
  return x;
}

void Properties::set(const std::string& key, const std::string& value) {
  for (auto& [k, v] : entries_)
    if (k == key) { v = value; return; }
  entries_.emplace_back(key, value);
}

void Properties::erase(const std::string& key) {
  for (size_t i = 0; i < entries_.size(); i++)
    if (entries_[i].first == key) { entries_.erase(entries_.begin() + long(i)); return; }
}

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (is_space(s[i]) || s[i] == '\n' || s[i] == '\r')) i++;
    size_t j = i;
    while (j < s.size() && !(is_space(s[j]) || s[j] == '\n' || s[j] == '\r')) j++;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace astrolake::catalog
