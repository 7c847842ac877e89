#include "service/files/routes.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "service/http/form.h"
#include "service/http/json.h"
#include "service/http/send_file.h"
#include "service/tap/error.h"

namespace astrolake::service {

namespace {

using Req = httplib::Request;
using Res = httplib::Response;
using json = nlohmann::json;

json entry_json(const Entry& e) {
  return {{"name", e.name}, {"path", e.path}, {"type", e.dir ? "dir" : "file"}, {"size", e.size}, {"mtime", e.mtime}};
}

json stat_json(const Entry& e) {
  json j = entry_json(e);
  // public: inside the owner's public/ folder (vos://public/... or vos://~OWNER/public/...).
  size_t at = e.path.find("://");
  std::string rest = e.path.substr(at + 3);
  if (!rest.empty() && rest[0] == '~') rest = rest.substr(std::min(rest.size(), rest.find('/') + 1));
  j["public"] = rest == "public" || rest.rfind("public/", 0) == 0;
  return j;
}

void send_json(Res& r, const json& j, int status = 200) {
  r.status = status;
  r.set_content(j.dump() + "\n", "application/json");
}

// Served files are downloads, never pages of this site (no script in a user's upload runs here).
std::string mime_of(const std::string& name) {
  auto ends = [&](const char* ext) {
    std::string e = ext;
    return name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".csv")) return "text/csv";
  if (ends(".parquet")) return "application/vnd.apache.parquet";
  if (ends(".vot") || ends(".xml")) return "application/x-votable+xml";
  if (ends(".json")) return "application/json";
  if (ends(".txt")) return "text/plain";
  if (ends(".png")) return "image/png";
  if (ends(".fits")) return "application/fits";
  return "application/octet-stream";
}

std::string need(const RequestParams& p, const std::string& key) {
  auto it = p.values.find(key);
  if (it == p.values.end() || it->second.empty()) throw DaliError(400, "the parameter '" + key + "' is missing");
  return it->second;
}

}  // namespace

void add_storage_routes(httplib::Server& s, Storage& st, Accounts& acc) {
  s.Get("/storage/ls", [&](const Req& q, Res& r) {
    json_guard(r, [&] {
      std::string who = acc.require_user(q).name;
      json out = json::array();
      for (const Entry& e : st.ls(who, q.has_param("name") ? q.get_param_value("name") : "vos://"))
        out.push_back(entry_json(e));
      send_json(r, out);
    });
  });
  s.Get("/storage/stat", [&](const Req& q, Res& r) {
    json_guard(r, [&] {
      std::string who = acc.require_user(q).name;
      send_json(r, stat_json(st.stat(who, q.get_param_value("name"))));
    });
  });
  s.Get("/storage/usage", [&](const Req& q, Res& r) {
    json_guard(r, [&] {
      std::string who = acc.require_user(q).name;
      int64_t used = st.used(who), quota = st.quota(who);
      send_json(r, json{{"user", who}, {"used", used}, {"quota", quota}, {"free", std::max<int64_t>(0, quota - used)}});
    });
  });
  s.Get("/storage/get", [&](const Req& q, Res& r) {
    json_guard(r, [&] {
      std::string who = acc.require_user(q).name;
      Entry e;
      int fd = st.open_read(who, q.get_param_value("name"), e);
      if (e.dir) {
        ::close(fd);
        throw DaliError(400, "'" + e.path + "' is a directory (use /storage/ls)");
      }
      r.set_header("Content-Disposition", "attachment; filename=\"" + e.name + "\"");
      r.set_header("X-Content-Type-Options", "nosniff");
      send_file(r, fd, uint64_t(e.size), mime_of(e.name));  // a later put does not change it
    });
  });
  // The body streams to a temporary file in the caller's area, checked against the quota as it
  // arrives; the file takes its name only when the body is complete. An upload that is refused
  // (quota) is discarded at once and the rest of its body read and dropped, so the client reads
  // the 413 rather than a reset.
  auto put = [&](const Req& q, Res& r, const httplib::ContentReader& body) {
    json_guard(r, [&] {
      std::string who = acc.require_user(q).name;
      std::string name = q.get_param_value("name");
      if (name.empty()) throw DaliError(400, "the parameter 'name' is missing");
      std::unique_ptr<Upload> up = st.put(who, name);
      // Errors inside httplib's callbacks are kept and raised after it returns.
      std::exception_ptr err;
      BodyLimit rest(0);  // counts what is dropped after a refusal
      bool got_file = !q.is_multipart_form_data();
      auto sink = [&](const char* d, size_t n) {
        if (!err) {
          try {
            up->write(d, n);
            return true;
          } catch (...) {
            err = std::current_exception();
            up.reset();  // the partial file goes now
          }
        }
        rest.keep(n);
        return rest.more();
      };
      // A body whose length is known and does not fit is refused before a byte is written.
      if (!q.is_multipart_form_data() && q.has_header("Content-Length")) {
        try {
          uint64_t len = q.get_header_value<uint64_t>("Content-Length");
          st.check_fits(who, int64_t(std::min<uint64_t>(len, uint64_t(INT64_MAX))));
        } catch (...) {
          err = std::current_exception();
          up.reset();
        }
      }
      bool complete;
      if (q.is_multipart_form_data()) {
        std::string field;
        complete = body(
            [&](const httplib::MultipartFormData& f) {
              field = f.name;
              if (field == "file") got_file = true;
              return true;
            },
            [&](const char* d, size_t n) { return field != "file" || sink(d, n); });
      } else {
        complete = body(sink);
      }
      if (err) std::rethrow_exception(err);
      // A body that ended early (the client went away) is discarded, never committed.
      if (!complete) throw DaliError(400, "the upload ended before its body was complete; nothing was stored");
      if (!got_file) throw DaliError(400, "the multipart form has no field 'file'");
      send_json(r, stat_json(up->commit()), 201);
    });
  };
  s.Put("/storage/put", reads_body(put));
  s.Post("/storage/put", reads_body(put));
  auto post = [&](const char* path, std::function<void(const std::string&, const RequestParams&, Res&)> fn) {
    s.Post(path, reads_body([&, fn](const Req& q, Res& r, const httplib::ContentReader& body) {
      json_guard(r, [&] {
        std::string who = acc.require_user(q).name;
        fn(who, read_params(q, &body), r);
      });
    }));
  };
  post("/storage/mkdir", [&](const std::string& who, const RequestParams& p, Res& r) {
    st.mkdir(who, need(p, "DIR"));
    send_json(r, stat_json(st.stat(who, need(p, "DIR"))), 201);
  });
  post("/storage/mv", [&](const std::string& who, const RequestParams& p, Res& r) {
    st.mv(who, need(p, "FROM"), need(p, "TO"));
    send_json(r, stat_json(st.stat(who, need(p, "TO"))));
  });
  post("/storage/cp", [&](const std::string& who, const RequestParams& p, Res& r) {
    send_json(r, stat_json(st.cp(who, need(p, "FROM"), need(p, "TO"))), 201);
  });
  post("/storage/rm", [&](const std::string& who, const RequestParams& p, Res& r) {
    auto rec = p.values.find("RECURSIVE");
    st.rm(who, need(p, "FILE"), rec != p.values.end() && (rec->second == "1" || rec->second == "true"));
    send_json(r, json{{"removed", need(p, "FILE")}});
  });
}

}  // namespace astrolake::service
