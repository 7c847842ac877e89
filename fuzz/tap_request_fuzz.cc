// libFuzzer target: the service's request parsing (ours; HTTP framing and multipart boundaries
// are cpp-httplib's, Debian's library). An input is one request's parameters, delivered the
// way httplib's server delivers them to read_params (src/service/http/form.cc):
//   byte 0: bit 0 set: multipart parts; clear: an x-www-form-urlencoded body
//   byte 1: the size of the pieces the body arrives in (1..64)
//   then, form: the query string's "name=value" pairs up to the first '\n', the body after it;
//         multipart: parts separated by "\n--\n", each "name\nfilename\ncontent".
// The parameters then go through parse_tap_params and, for UPLOAD=name,param:PART, through
// load_uploads (the VOTable reader); http(s) uploads are not fetched here. Every problem must
// be a DaliError; any other exception, a crash or a sanitizer report is a bug.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "service/http/form.h"
#include "service/tap/error.h"
#include "service/tap/query.h"

using namespace astrolake;
using namespace astrolake::service;

namespace {

std::vector<std::string> split(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t at = s.find(sep, pos);
    out.emplace_back(s.substr(pos, at == std::string_view::npos ? std::string_view::npos : at - pos));
    if (at == std::string_view::npos) return out;
    pos = at + sep.size();
  }
}

void check_params(const RequestParams& p) {
  for (const auto& [k, v] : p.values)
    for (char c : k)
      if (std::islower(static_cast<unsigned char>(c))) std::abort();  // names are upper-cased
  QueryLimits limits;
  limits.upload.max_bytes = 1 << 20;
  try {
    TapParams tp = parse_tap_params(p.values, limits);
    std::vector<UploadSpec> local;
    for (const auto& u : tp.uploads)
      if (u.is_param()) local.push_back(u);
    UploadTables t = load_uploads(local, [&p](const std::string& name) { return request_part(p, name); }, limits.upload);
    for (const auto& [name, table] : t.tables)
      for (const auto& c : table->columns)
        if (c.rows() != table->rows()) std::abort();
  } catch (const DaliError& e) {
    if (e.status() != 400 && e.status() != 413) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  bool multipart = data[0] & 1;
  size_t piece = 1 + data[1] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  httplib::Request req;
  auto feed = [piece](std::string_view body, const httplib::ContentReceiver& receiver) {
    for (size_t at = 0; at < body.size(); at += piece)
      if (!receiver(body.data() + at, std::min(piece, body.size() - at))) return false;
    return true;
  };
  std::vector<std::string> parts;
  std::string body;
  if (multipart) {
    req.headers.emplace("Content-Type", "multipart/form-data; boundary=x");
    parts = split(in, "\n--\n");
  } else {
    size_t nl = in.find('\n');
    for (const auto& pair : split(in.substr(0, nl), "&")) {
      size_t eq = pair.find('=');
      req.params.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
    }
    if (nl != std::string_view::npos) body = in.substr(nl + 1);
    req.headers.emplace("Content-Type", "application/x-www-form-urlencoded");
  }
  httplib::ContentReader reader(
      [&](httplib::ContentReceiver receiver) { return feed(body, receiver); },
      [&](httplib::MultipartContentHeader header, httplib::ContentReceiver receiver) {
        for (const auto& part : parts) {
          std::vector<std::string> f = split(part, "\n");
          httplib::MultipartFormData h;
          h.name = f[0];
          h.filename = f.size() > 1 ? f[1] : "";
          std::string content;
          for (size_t i = 2; i < f.size(); i++) content += (i > 2 ? "\n" : "") + f[i];
          if (!header(h) || !feed(content, receiver)) return false;
        }
        return true;
      });
  try {
    check_params(read_params(req, &reader));
  } catch (const DaliError& e) {
    if (e.status() != 400) std::abort();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort();
  }
  return 0;
}
