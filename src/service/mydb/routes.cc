#include "service/mydb/routes.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "parquet/writer.h"
#include "service/http/form.h"
#include "service/http/json.h"
#include "service/tap/error.h"
#include "votable/reader.h"

namespace fs = std::filesystem;

namespace astrolake::service {

namespace {

using Req = httplib::Request;
using Res = httplib::Response;

// The importer picks the reader by extension: the upload's file name, its Content-Type, or
// its first bytes decide which (".vot": a VOTable, converted before the import).
std::string extension_for(const std::string& filename, const std::string& mime, const std::string& head) {
  auto ends = [](const std::string& s, const char* e) {
    std::string x = e;
    return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  if (ends(filename, ".vot") || ends(filename, ".xml") || mime.find("votable") != std::string::npos ||
      head.rfind("<?xml", 0) == 0 || head.rfind("<VOTABLE", 0) == 0)
    return ".vot";
  if (ends(filename, ".parquet") || mime.find("parquet") != std::string::npos || head.rfind("PAR1", 0) == 0)
    return ".parquet";
  return ".csv";
}

// A temporary file removed when it goes out of scope.
struct TempFile {
  std::string path;
  ~TempFile() {
    if (!path.empty()) std::remove(path.c_str());
  }
};

}  // namespace

void add_mydb_routes(httplib::Server& s, MyDb& db, Storage& st, Accounts& acc, const std::string& tmp_dir) {
  s.Get("/mydb/list", [&](const Req& q, Res& r) {
    json_guard(r, [&] { r.set_content(db.list(acc.require_user(q).name).dump() + "\n", "application/json"); });
  });
  s.Get("/mydb/describe", [&](const Req& q, Res& r) {
    json_guard(r, [&] {
      std::string who = acc.require_user(q).name;
      r.set_content(db.describe(who, q.get_param_value("table")).dump() + "\n", "application/json");
    });
  });
  s.Post("/mydb/drop", reads_body([&](const Req& q, Res& r, const httplib::ContentReader& body) {
    json_guard(r, [&] {
      std::string who = acc.require_user(q).name;
      RequestParams p = read_params(q, &body);
      std::string table = p.values.count("TABLE") ? p.values["TABLE"] : "";
      db.drop(who, table);
      r.set_content(nlohmann::json{{"dropped", table}}.dump() + "\n", "application/json");
    });
  }));
  // The table's data comes from a file in the caller's storage (from=vos://..., copied to a
  // temporary file as it is read, any size) or from the request body (held in memory, so at
  // most kMaxMemoryBody).
  s.Post("/mydb/import", reads_body([&, tmp_dir](const Req& q, Res& r, const httplib::ContentReader& body) {
    json_guard(r, [&] {
      std::string who = acc.require_user(q).name;
      std::string table = q.get_param_value("table");
      check_table_name(table);
      static std::atomic<uint64_t> counter{0};
      std::string base = tmp_dir + "/mydb-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
      std::string data, filename, mime = q.get_header_value("Content-Type");
      TempFile copy;  // from=vos: the file's bytes
      if (q.has_param("from")) {
        Entry e;
        int fd = st.open_read(who, q.get_param_value("from"), e);
        if (e.dir) {
          ::close(fd);
          throw DaliError(400, "'" + e.path + "' is a directory");
        }
        std::unique_ptr<FILE, int (*)(FILE*)> in(::fdopen(fd, "rb"), &std::fclose);
        if (!in) {
          ::close(fd);
          throw DaliError(500, "cannot read '" + e.path + "'");
        }
        filename = e.name;
        copy.path = base + ".in";
        std::ofstream out(copy.path, std::ios::binary);
        std::string buf(1 << 20, '\0');
        size_t n;
        while ((n = std::fread(buf.data(), 1, buf.size(), in.get())) > 0) {
          if (data.empty()) data.assign(buf.data(), std::min<size_t>(n, 16));  // the head, for the type
          out.write(buf.data(), std::streamsize(n));
        }
        if (!out.flush()) throw DaliError(500, "cannot write a temporary file");
      } else if (q.is_multipart_form_data()) {
        std::string field;
        BodyLimit limit;
        body(
            [&](const httplib::MultipartFormData& f) {
              field = f.name;
              if (field == "file") {
                filename = f.filename;
                mime = f.content_type;
              }
              return true;
            },
            [&](const char* d, size_t n) {
              if (limit.keep(n) && field == "file") data.append(d, n);
              return limit.more();
            });
        limit.check();
      } else {
        data = read_body(body);
      }
      if (data.empty()) throw DaliError(400, "no table data (send CSV or Parquet as the body or field 'file')");
      std::string ext = extension_for(filename, mime, data.substr(0, 16));
      TempFile tmp{base + (ext == ".vot" ? ".parquet" : ext)};
      if (ext == ".vot") {
        // The importer reads CSV, FITS and Parquet: a VOTable becomes a Parquet file first
        // (read whole, so at most kMaxMemoryBody).
        if (!copy.path.empty()) {
          if (fs::file_size(copy.path) > kMaxMemoryBody)
            throw DaliError(413, "a VOTable to import is at most " + std::to_string(kMaxMemoryBody >> 20) +
                                     " MiB; import larger tables as CSV or Parquet");
          std::ifstream in(copy.path, std::ios::binary);
          data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        votable::VoTable vt;
        try {
          vt = votable::read_votable(data);
        } catch (const std::exception& e) {
          throw DaliError(400, std::string("cannot read the VOTable: ") + e.what());
        }
        parquet::write_table(tmp.path, vt.table);
      } else if (!copy.path.empty()) {
        fs::rename(copy.path, tmp.path);
        copy.path.clear();
      } else {
        std::ofstream out(tmp.path, std::ios::binary);
        out.write(data.data(), std::streamsize(data.size()));
        if (!out) throw DaliError(500, "cannot write a temporary file");
      }
      std::string ra = q.has_param("ra") ? q.get_param_value("ra") : "ra";
      std::string dec = q.has_param("dec") ? q.get_param_value("dec") : "dec";
      r.status = 201;
      r.set_content(db.import(who, table, tmp.path, ra, dec).dump() + "\n", "application/json");
    });
  }));
}

}  // namespace astrolake::service
