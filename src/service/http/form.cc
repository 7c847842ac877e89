#include "service/http/form.h"

#include <cctype>

#include "service/tap/error.h"

namespace astrolake::service {

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

void parse_form(const std::string& body, RequestParams& out) {
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find('&', pos);
    if (end == std::string::npos) end = body.size();
    std::string pair = body.substr(pos, end - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string name = form_decode(pair.substr(0, eq));
      std::string value = eq == std::string::npos ? "" : form_decode(pair.substr(eq + 1));
      out.values.emplace(upper(name), value);
    }
    pos = end + 1;
  }
}

}  // namespace

std::string form_decode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
        throw DaliError(400, "malformed percent escape in form data at byte " + std::to_string(i));
      out += char(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void BodyLimit::check() const {
  if (over())
    throw DaliError(413, "the request body is larger than " + std::to_string(cap_ >> 20) +
                             " MiB, the limit for bodies held in memory (files of any size go through "
                             "PUT /storage/put; large MyDB imports through from=vos://...)");
}

void BodyLimit::drain(const httplib::Request& req, const httplib::ContentReader& reader) {
  auto drop = [this](const char*, size_t n) {
    keep(n);
    return more();
  };
  if (req.is_multipart_form_data()) reader([](const httplib::MultipartFormData&) { return true; }, drop);
  else reader(drop);
}

httplib::Server::HandlerWithContentReader reads_body(httplib::Server::HandlerWithContentReader handler) {
  return [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res,
                                        const httplib::ContentReader& body) {
    bool used = false;
    httplib::ContentReader tracked(
        [&](httplib::ContentReceiver receiver) {
          used = true;
          return body(std::move(receiver));
        },
        [&](httplib::MultipartContentHeader header, httplib::ContentReceiver receiver) {
          used = true;
          return body(std::move(header), std::move(receiver));
        });
    // httplib sets the status to 400 when a read stops early (a body past the drain bound, a
    // malformed multipart header): the handler's answer stands.
    auto drop_unread = [&] {
      if (used) return;
      int status = res.status;
      BodyLimit(0).drain(req, body);
      res.status = status;
    };
    try {
      handler(req, res, tracked);
    } catch (...) {
      drop_unread();
      throw;
    }
    drop_unread();
  };
}

std::string read_body(const httplib::ContentReader& reader) {
  BodyLimit limit;
  std::string body;
  bool ok = reader([&](const char* data, size_t n) {
    if (limit.keep(n)) body.append(data, n);
    return limit.more();
  });
  limit.check();
  if (!ok) throw DaliError(400, "the request body ended before it was complete");
  return body;
}

std::string request_part(const RequestParams& p, const std::string& name) {
  auto f = p.files.find(upper(name));
  if (f != p.files.end()) return f->second.content;
  auto v = p.values.find(upper(name));
  if (v != p.values.end()) return v->second;
  throw DaliError(400, "UPLOAD names part '" + name + "', which the request does not have");
}

RequestParams read_params(const httplib::Request& req, const httplib::ContentReader* reader) {
  RequestParams out;
  for (const auto& [k, v] : req.params) out.values.emplace(upper(k), v);  // query string
  if (!reader) return out;
  if (req.is_multipart_form_data()) {
    httplib::MultipartFormDataItems parts;
    BodyLimit limit;
    bool ok = (*reader)(
        [&](const httplib::MultipartFormData& header) {
          parts.push_back(header);
          return true;
        },
        [&](const char* data, size_t n) {
          if (limit.keep(n)) parts.back().content.append(data, n);
          return limit.more();
        });
    limit.check();
    if (!ok) throw DaliError(400, "malformed multipart/form-data body");
    for (auto& p : parts) {
      if (p.filename.empty()) out.values.emplace(upper(p.name), p.content);
      else out.files.emplace(upper(p.name), std::move(p));
    }
    return out;
  }
  std::string body = read_body(*reader);
  std::string type = req.get_header_value("Content-Type");
  if (type.empty() || type.find("application/x-www-form-urlencoded") != std::string::npos) parse_form(body, out);
  else if (!body.empty()) throw DaliError(400, "unsupported request body type '" + type + "' (use a form)");
  return out;
}

}  // namespace astrolake::service
