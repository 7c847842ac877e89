#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>

#include "storage/s3.h"
#include "storage/source.h"

namespace astrolake::storage {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// The keys of one [section] of an INI-style AWS file. Indented "key = value" lines (the nested
// "s3 =" block of ~/.aws/config) count as keys of the section too.
std::map<std::string, std::string> ini_section(const std::string& path, const std::string& section) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      inside = trim(t.substr(1, t.size() - 2)) == section;
      continue;
    }
    if (!inside) continue;
    auto eq = t.find('=');
    if (eq == std::string::npos) continue;
    std::string k = trim(t.substr(0, eq)), v = trim(t.substr(eq + 1));
    if (!v.empty()) out[k] = v;
  }
  return out;
}

std::string home_file(const char* override_var, const char* rel) {
  std::string p = env(override_var);
  if (!p.empty()) return p;
  std::string home = env("HOME");
  return home.empty() ? std::string() : home + "/" + rel;
}

bool truthy(const std::string& v) { return v == "1" || v == "true" || v == "TRUE" || v == "True" || v == "yes"; }

}  // namespace

S3Config load_s3_config() {
  S3Config c;
  std::string profile = env("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  auto creds_file = ini_section(home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"), profile);
  auto config_file = ini_section(home_file("AWS_CONFIG_FILE", ".aws/config"),
                                 profile == "default" ? "default" : "profile " + profile);
  auto pick = [&](std::initializer_list<std::string> vals) {
    for (const auto& v : vals)
      if (!v.empty()) return v;
    return std::string();
  };
  c.region = pick({env("AWS_REGION"), env("AWS_DEFAULT_REGION"), config_file["region"], "us-east-1"});
  std::string endpoint = pick({env("AWS_ENDPOINT_URL_S3"), env("AWS_ENDPOINT_URL"), config_file["endpoint_url"]});
  bool custom = !endpoint.empty();
  if (!custom) endpoint = "https://s3." + c.region + ".amazonaws.com";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.find("://") == std::string::npos) endpoint = "https://" + endpoint;
  c.endpoint = endpoint;
  std::string style = pick({env("ASTROLAKE_S3_ADDRESSING"), config_file["addressing_style"]});
  if (style == "path") c.path_style = true;
  else if (style == "virtual") c.path_style = false;
  else if (style.empty() || style == "auto") c.path_style = custom;
  else throw IoError("S3 addressing style '" + style + "' is not one of path, virtual, auto");

  if (!env("AWS_ACCESS_KEY_ID").empty()) {
    c.creds.access_key = env("AWS_ACCESS_KEY_ID");
    c.creds.secret_key = env("AWS_SECRET_ACCESS_KEY");
    c.creds.session_token = env("AWS_SESSION_TOKEN");
  } else {
    for (auto* m : {&creds_file, &config_file}) {
      if ((*m)["aws_access_key_id"].empty()) continue;
      c.creds.access_key = (*m)["aws_access_key_id"];
      c.creds.secret_key = (*m)["aws_secret_access_key"];
      c.creds.session_token = (*m)["aws_session_token"];
      break;
    }
  }
  if (!c.creds.access_key.empty() && c.creds.secret_key.empty())
    throw IoError("S3 credentials for access key " + c.creds.access_key + " have no secret key "
                  "(set AWS_SECRET_ACCESS_KEY or aws_secret_access_key)");
  if (truthy(env("AWS_NO_SIGN_REQUEST"))) c.creds = {};
  std::string mb = env("ASTROLAKE_S3_PART_MB");
  if (!mb.empty()) {
    long v = std::strtol(mb.c_str(), nullptr, 10);
    if (v < 5 || v > 5000) throw IoError("ASTROLAKE_S3_PART_MB=" + mb + ": must be 5..5000 (S3's part size limits)");
    c.part_size = size_t(v) << 20;
  }
  return c;
}

std::string s3_environment() {
  std::string all;
  for (const char* name : {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION",
                           "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                           "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "HOME", "AWS_NO_SIGN_REQUEST",
                           "ASTROLAKE_S3_ADDRESSING", "ASTROLAKE_S3_PART_MB"}) {
    all += env(name);
    all += '\0';
  }
  return all;
}

}  // namespace astrolake::storage
