// Java-style .properties files: the key=value metadata of HATS (`hats.properties`,
// `properties`, `collection.properties`). Keys keep their file order so that a file we
// rewrite diffs cleanly against the one we read.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace astrolake::catalog {

class Properties {
 public:
  // Parses the text of a properties file: '#'/'!' comments, '=', ':' or whitespace
  // separators, backslash line continuations and escapes (\t \n \r \f \uXXXX, \x -> x).
  // `origin` names the file in error messages.
  static Properties parse(std::string_view text, const std::string& origin = "<properties>");
  // Reads and parses a file; throws storage::IoError if it cannot be read.
  static Properties read(const std::string& path);

  // Serializes with escapes so that parse(serialize()) gives the same entries. `comment`
  // (if non-empty) becomes a leading "#comment" line, e.g. "HATS catalog".
  std::string serialize(const std::string& comment = "") const;
  // Atomic write (temp name, fsync, rename).
  void write(const std::string& path, const std::string& comment = "") const;

  bool has(const std::string& key) const;
  std::optional<std::string> find(const std::string& key) const;
  std::string get(const std::string& key, const std::string& fallback = "") const;
  // Numeric getters throw std::runtime_error naming the key and value when the value is
  // present but not a number.
  int64_t get_int(const std::string& key, int64_t fallback) const;
  double get_double(const std::string& key, double fallback) const;

  // Replaces the value of an existing key in place, or appends a new one.
  void set(const std::string& key, const std::string& value);
  void erase(const std::string& key);

  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  const std::string& origin() const { return origin_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
  std::string origin_;
};

// Splits a space-separated property list ("ra dec id"); empty tokens dropped.
std::vector<std::string> split_words(std::string_view s);

}  // namespace astrolake::catalog
