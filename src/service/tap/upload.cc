#include "service/tap/upload.h"

#include <chrono>
#include <set>

#include <httplib.h>

#include "service/tap/error.h"
#include "votable/reader.h"

namespace astrolake::service {

namespace {

bool is_identifier(const std::string& s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string too_big(const std::string& name, uint64_t limit) {
  return "upload '" + name + "' makes the uploads larger than the upload limit of " + std::to_string(limit) + " bytes";
}

}  // namespace

std::vector<UploadSpec> parse_upload_param(const std::string& value) {
  std::vector<UploadSpec> out;
  std::set<std::string> seen;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t end = value.find(';', pos);
    if (end == std::string::npos) end = value.size();
    std::string item = trim(value.substr(pos, end - pos));
    pos = end + 1;
    if (item.empty()) continue;
    size_t comma = item.find(',');
    if (comma == std::string::npos)
      throw DaliError(400, "UPLOAD '" + item + "' must be name,URI (e.g. t,param:file or t,http://host/t.xml)");
    UploadSpec s{trim(item.substr(0, comma)), trim(item.substr(comma + 1))};
    if (!is_identifier(s.name))
      throw DaliError(400, "UPLOAD table name '" + s.name + "' must be a letter followed by letters, digits or _");
    if (!seen.insert(lower(s.name)).second) throw DaliError(400, "UPLOAD names table '" + s.name + "' twice");
    if (s.is_param()) {
      std::string p = s.param();
      if (p.empty() || p[0] == '.' || p.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
                           std::string::npos)
        throw DaliError(400, "UPLOAD '" + item + "': the part name after param: must be letters, digits, _, . or - (not starting with .)");
    } else if (s.uri.rfind("http://", 0) != 0 && s.uri.rfind("https://", 0) != 0) {
      throw DaliError(400, "UPLOAD '" + item + "': the URI must be param:PART or an http(s):// URL");
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string fetch_url(const std::string& url, const UploadLimits& limits) {
  // Debian's cpp-httplib is built with OpenSSL: "https://host" gets a TLS client that verifies
  // the server's certificate against the system's CAs.
  size_t slash = url.find('/', url.find("://") + 3);
  std::string host = url.substr(0, slash), path = slash == std::string::npos ? "/" : url.substr(slash);
  httplib::Client client(host);
  client.enable_server_certificate_verification(true);
  if (!client.is_valid()) throw DaliError(400, "upload URL '" + url + "' is not a valid http(s) URL");
  auto timeout = std::chrono::duration<double>(limits.fetch_timeout_s);
  auto secs = std::chrono::duration_cast<std::chrono::microseconds>(timeout);
  client.set_connection_timeout(secs.count() / 1000000, secs.count() % 1000000);
  client.set_read_timeout(secs.count() / 1000000, secs.count() % 1000000);
  auto deadline = std::chrono::steady_clock::now() + secs;
  std::string body;
  bool over = false, late = false;
  auto res = client.Get(path, [&](const char* data, size_t n) {
    if (body.size() + n > limits.max_bytes) return !(over = true);
    if (std::chrono::steady_clock::now() > deadline) return !(late = true);  // a slow drip
    body.append(data, n);
    return true;
  });
  if (over) throw DaliError(413, "the document at upload URL '" + url + "' is larger than the upload limit (" +
                                     std::to_string(limits.max_bytes) + " bytes left)");
  if (late || (!res && res.error() == httplib::Error::Read))
    throw DaliError(400, "fetching upload URL '" + url + "' took longer than " +
                             std::to_string(int(limits.fetch_timeout_s)) + " s");
  if (!res) throw DaliError(400, "cannot fetch upload URL '" + url + "': " + httplib::to_string(res.error()));
  if (res->status != 200)
    throw DaliError(400, "upload URL '" + url + "' answered HTTP " + std::to_string(res->status));
  return body;
}

UploadTables load_uploads(const std::vector<UploadSpec>& specs, const PartLookup& part, const UploadLimits& limits) {
  UploadTables out;
  UploadLimits left = limits;  // the limit is for all of a query's uploads together
  for (const UploadSpec& s : specs) {
    std::string doc = s.is_param() ? part(s.param()) : fetch_url(s.uri, left);
    if (doc.size() > left.max_bytes) throw DaliError(413, too_big(s.name, limits.max_bytes));
    left.max_bytes -= doc.size();
    votable::ReadLimits rl;
    rl.max_bytes = limits.max_bytes;
    votable::VoTable vt;
    try {
      vt = votable::read_votable(doc, rl);
    } catch (const votable::VotableError& e) {
      throw DaliError(400, "upload '" + s.name + "' is not a valid VOTable: " + e.what());
    }
    std::vector<std::string>& xt = out.xtypes[s.name];
    for (const votable::FieldInfo& f : vt.fields) xt.push_back(f.xtype);
    out.tables[s.name] = std::make_shared<const parquet::Table>(std::move(vt.table));
  }
  return out;
}

}  // namespace astrolake::service
