#include "service/service.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "service/auth/accounts.h"
#include "service/auth/routes.h"
#include "service/files/query_out.h"
#include "service/files/routes.h"
#include "service/http/form.h"
#include "service/http/json.h"
#include "service/catalogs/routes.h"
#include "service/mydb/routes.h"
#include "service/tap/admission.h"
#include "service/tap/catalogs.h"
#include "service/tap/error.h"
#include "service/uws/routes.h"
#include "service/vosi/vosi.h"
#include "service/web/routes.h"

namespace fs = std::filesystem;

namespace astrolake::service {

namespace {

std::string base_url(const httplib::Request& req, int port) {
  std::string host = req.get_header_value("Host");
  if (host.empty()) host = "127.0.0.1:" + std::to_string(port);
  return "http://" + host + "/tap";
}

}  // namespace

struct Service::Impl {
  ServiceOptions opts;
  CatalogRoot root;
  Admission admission;
  HttpServer http;
  JobManager jobs;
  Accounts accounts;
  Storage storage;
  MyDb mydb;
  std::atomic<uint64_t> temp_counter{0};

  explicit Impl(ServiceOptions o)
      : opts(std::move(o)),
        root(opts.root),
        admission(opts.max_running, opts.max_queued, std::chrono::seconds(opts.queue_wait_s)),
        http(opts.http),
        jobs(opts.state, root, opts.limits, admission),
        accounts(opts.state),
        storage(opts.state + "/users", accounts.store()),
        mydb(opts.state + "/users", storage) {
    accounts.token_lifetime_s = opts.token_lifetime_s;
  }

  // Runs `fn`, turning DaliError (and anything else) into an error document.
  template <class Fn>
  static void guard(httplib::Response& res, Fn fn) {
    try {
      fn();
    } catch (const DaliError& e) {
      send_error(res, e.status(), e.what());
    } catch (const NoSuchTable& e) {
      send_error(res, 404, e.what());
    } catch (const std::exception& e) {
      send_error(res, 500, std::string("internal error: ") + e.what());
    }
  }
  template <class Fn>
  httplib::Server::Handler guarded(Fn fn) {
    return [fn](const httplib::Request& req, httplib::Response& res) { guard(res, [&] { fn(req, res); }); };
  }
  // POST handlers read their body themselves (http/form.h).
  template <class Fn>
  httplib::Server::HandlerWithContentReader guarded_post(Fn fn) {
    return reads_body([fn](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& body) {
      guard(res, [&] { fn(req, res, &body); });
    });
  }

  // The `mydb` schema of a caller's queries: their own tables, or an empty folder for
  // anonymous callers (so mydb.X never falls through to a public catalog).
  std::string mydb_root(const std::string& user) {
    if (!user.empty()) return mydb.root(user);
    std::string none = opts.state + "/no-mydb";
    fs::create_directories(none);
    return none;
  }
  static std::string param_or(const ParamMap& p, const std::string& key, const std::string& dflt) {
    auto it = p.find(key);
    return it == p.end() || it->second.empty() ? dflt : it->second;
  }

  // Writes a result to a temporary Parquet file under the state, hands its path to `use` (which
  // makes a catalog of it), and removes the file whether or not `use` succeeds.
  void with_result_file(ResultStream& stream, const std::function<void(const std::string&)>& use) {
    std::string path = opts.state + "/tmp/result-" + std::to_string(getpid()) + "-" +
                       std::to_string(temp_counter++) + ".parquet";
    struct Remove {
      std::string path;
      ~Remove() {
        std::error_code ec;
        fs::remove(path, ec);
      }
    } remove{path};
    stream.write_parquet(path);
    use(path);
  }

  void sync(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader* body) {
    Caller caller = accounts.identify(req);  // a bad token is refused even where anonymous callers are welcome
    RequestParams params = read_params(req, body);
    run_sync(caller, params.values, res, &params);
  }

  // `request`: the whole request when it may carry uploaded parts (UPLOAD=name,param:PART).
  void run_sync(const Caller& caller, const ParamMap& params, httplib::Response& res,
                const RequestParams* request = nullptr) {
    TapParams tp = parse_tap_params(params, opts.limits);
    UploadTables uploads = load_uploads(tp.uploads, [request](const std::string& name) -> std::string {
      if (!request) throw DaliError(400, "UPLOAD names part '" + name + "', which the request does not have");
      return request_part(*request, name);
    }, opts.limits.upload);
    std::string out = params.count("OUT") ? params.at("OUT") : "";
    if (!out.empty()) {
      if (caller.anonymous()) throw DaliError(401, "OUT= writes into personal storage: log in first");
      format_for_out(out, tp);
    }
    tp.schema_roots["mydb"] = mydb_root(caller.name);
    std::shared_ptr<void> slot = admission.enter();
    std::shared_ptr<ResultStream> stream;
    try {
      stream = std::make_shared<ResultStream>(tp, root, opts.limits, nullptr, uploads);
    } catch (const NoSuchTable& e) {
      throw DaliError(400, e.what());
    }
    res.status = 200;
    if (out.rfind("mydb://", 0) == 0) {
      nlohmann::json t;
      with_result_file(*stream, [&](const std::string& path) {
        t = mydb.import(caller.name, out.substr(7), path, param_or(params, "RA", "ra"), param_or(params, "DEC", "dec"));
      });
      res.set_content(nlohmann::json{{"out", out}, {"table", t}}.dump() + "\n", "application/json");
      return;
    }
    if (!out.empty() && out.back() == '/') {
      Entry e;
      with_result_file(*stream, [&](const std::string& path) {
        e = write_hats(storage, caller.name, out, path, param_or(params, "RA", "ra"), param_or(params, "DEC", "dec"));
      });
      res.set_content(nlohmann::json{{"out", e.path}, {"size", e.size}, {"rows", stream->rows_sent()}}.dump() + "\n",
                      "application/json");
      return;
    }
    if (!out.empty()) {
      Entry e = write_out(storage, caller.name, out, *stream, tp, opts.state + "/tmp");
      res.set_content(nlohmann::json{{"out", e.path}, {"size", e.size}, {"rows", stream->rows_sent()}}.dump() + "\n",
                      "application/json");
      return;
    }
    if (tp.parquet) {
      // Parquet needs its footer at the end: the result is written to a file, then sent.
      std::string path = opts.state + "/tmp/sync-" + std::to_string(getpid()) + "-" +
                         std::to_string(temp_counter++) + ".parquet";
      stream->write_parquet(path);
      slot.reset();
      auto file = std::make_shared<std::ifstream>(path, std::ios::binary);
      size_t size = fs::file_size(path);
      res.set_content_provider(
          size, result_mime(tp),
          [file](size_t offset, size_t length, httplib::DataSink& sink) {
            std::string buf(std::min<size_t>(length, 1 << 20), '\0');
            file->seekg(std::streamoff(offset));
            file->read(buf.data(), std::streamsize(buf.size()));
            return sink.write(buf.data(), size_t(file->gcount()));
          },
          [path](bool) {
            std::error_code ec;
            fs::remove(path, ec);
          });
      return;
    }
    res.set_chunked_content_provider(result_mime(tp), [stream, slot](size_t, httplib::DataSink& sink) {
      bool ok = stream->write_all([&](const std::string& b) { return sink.write(b.data(), b.size()); });
      if (ok) sink.done();
      return ok;
    });
  }

  // Data Lab's query service, as thin aliases: /query/query runs ADQL (adql=, ofmt=, out=,
  // async=true for a job id), /query/status|results|abort?jobid= act on the caller's jobs.
  void add_query_aliases(httplib::Server& s) {
    auto job_of = [this](const httplib::Request& q) {
      std::string who = accounts.identify(q).name, id = q.get_param_value("jobid");
      Job j = jobs.get(id);
      if (j.owner != who) throw DaliError(404, "no job '" + id + "'");
      return j;
    };
    auto query = [this](const httplib::Request& q, httplib::Response& r, const httplib::ContentReader* body) {
      json_guard(r, [&] {
        Caller caller = accounts.identify(q);
        ParamMap in = read_params(q, body).values, p{{"REQUEST", "doQuery"}, {"LANG", "ADQL"}};
        p["QUERY"] = param_or(in, "ADQL", param_or(in, "SQL", ""));
        if (p["QUERY"].empty()) throw DaliError(400, "the parameter 'adql' is missing");
        std::string ofmt = param_or(in, "OFMT", "csv");
        p["RESPONSEFORMAT"] = ofmt == "votable" ? "votable" : ofmt;
        for (const char* k : {"OUT", "MAXREC", "RA", "DEC"})
          if (in.count(k)) p[k] = in[k];
        std::string async = param_or(in, "ASYNC", "false");
        if (async == "true" || async == "1") {
          Job j = jobs.create(p, {}, caller.name);
          jobs.run(j.id);
          r.set_content(j.id, "text/plain");
          return;
        }
        run_sync(caller, p, r);
      });
    };
    s.Get("/query/query", [query](const httplib::Request& q, httplib::Response& r) { query(q, r, nullptr); });
    s.Post("/query/query", reads_body([query](const httplib::Request& q, httplib::Response& r,
                                              const httplib::ContentReader& b) { query(q, r, &b); }));
    s.Get("/query/status", [job_of](const httplib::Request& q, httplib::Response& r) {
      json_guard(r, [&] { r.set_content(job_of(q).phase, "text/plain"); });
    });
    s.Get("/query/abort", [this, job_of](const httplib::Request& q, httplib::Response& r) {
      json_guard(r, [&] {
        jobs.abort(job_of(q).id);
        r.set_content("OK", "text/plain");
      });
    });
    s.Get("/query/results", [this, job_of](const httplib::Request& q, httplib::Response& r) {
      json_guard(r, [&] {
        Job j = job_of(q);
        if (j.phase == "ERROR") throw DaliError(400, "job " + j.id + " failed: " + j.error);
        if (j.phase != "COMPLETED") throw DaliError(404, "job " + j.id + " has no result (it is " + j.phase + ")");
        std::string path = jobs.job_dir(j.id) + "/" + j.result_file;
        auto file = std::make_shared<std::ifstream>(path, std::ios::binary);
        if (!*file) throw DaliError(404, "the result of job " + j.id + " is gone");
        r.set_content_provider(fs::file_size(path), j.result_mime,
                               [file](size_t offset, size_t length, httplib::DataSink& sink) {
                                 std::string buf(std::min<size_t>(length, 1 << 20), '\0');
                                 file->seekg(std::streamoff(offset));
                                 file->read(buf.data(), std::streamsize(buf.size()));
                                 return sink.write(buf.data(), size_t(file->gcount()));
                               });
      });
    });
  }

  void routes() {
    httplib::Server& s = http.routes();
    s.Get("/tap/sync", guarded([this](const httplib::Request& q, httplib::Response& r) { sync(q, r, nullptr); }));
    s.Post("/tap/sync", guarded_post([this](const httplib::Request& q, httplib::Response& r,
                                            const httplib::ContentReader* body) { sync(q, r, body); }));
    s.Get("/tap/capabilities", guarded([this](const httplib::Request& q, httplib::Response& r) {
      r.set_content(capabilities_xml(base_url(q, http.port()), opts.limits), "text/xml");
    }));
    s.Get("/tap/availability", guarded([this](const httplib::Request&, httplib::Response& r) {
      r.set_content(availability_xml(true, "serving " + std::to_string(root.list().size()) + " tables, " +
                                               std::to_string(admission.running()) + " queries running"),
                    "text/xml");
    }));
    s.Get("/tap/tables", guarded([this](const httplib::Request& q, httplib::Response& r) {
      std::string who = accounts.identify(q).name;
      std::unique_ptr<CatalogRoot> mine;
      if (!who.empty()) mine = std::make_unique<CatalogRoot>(mydb.root(who));
      r.set_content(tableset_xml(root, q.get_param_value("detail") == "min", mine.get()), "text/xml");
    }));
    s.Get(R"(/tap/tables/([^/]+))", guarded([this](const httplib::Request& q, httplib::Response& r) {
      r.set_content(table_xml(root, q.matches[1].str()), "text/xml");
    }));
    s.Get("/tap/examples", guarded([this](const httplib::Request&, httplib::Response& r) {
      r.set_content(examples_xhtml(root), "application/xhtml+xml");
    }));
    jobs.deliver = [this](const Job& j, const std::string& path) {
      auto out = j.params.find("OUT");
      if (out == j.params.end() || out->second.empty()) return;
      if (out->second.back() == '/')
        write_hats(storage, j.owner, out->second, path, param_or(j.params, "RA", "ra"), param_or(j.params, "DEC", "dec"));
      else if (out->second.rfind("mydb://", 0) == 0)
        mydb.import(j.owner, out->second.substr(7), path, param_or(j.params, "RA", "ra"), param_or(j.params, "DEC", "dec"));
      else
        copy_out(storage, j.owner, out->second, path);
    };
    jobs.shape = [this](const Job& j, TapParams& tp) {
      tp.schema_roots["mydb"] = mydb_root(j.owner);
      auto out = j.params.find("OUT");
      if (out == j.params.end() || out->second.empty()) return;
      if (j.owner.empty()) throw DaliError(401, "OUT= writes into personal storage: log in first");
      format_for_out(out->second, tp);
    };
    add_async_routes(
        s, jobs, [this](const httplib::Request& q) { return base_url(q, http.port()); },
        [this](const httplib::Request& q) { return accounts.identify(q).name; });
    add_auth_routes(s, accounts);
    add_query_aliases(s);
    add_mydb_routes(s, mydb, storage, accounts, opts.state + "/tmp");
    add_storage_routes(s, storage, accounts);
    add_catalog_file_routes(s, root);
    auto landing = [this](const httplib::Request& q, httplib::Response& r) {
      std::string base = base_url(q, http.port());
      r.set_content("astrolake TAP service\n\nTAP base URL: " + base + "\nsync: " + base + "/sync\ntables: " + base +
                        "/tables\ncapabilities: " + base + "/capabilities\n",
                    "text/plain");
    };
    s.Get("/tap", guarded(landing));
    add_web_routes(s, root, admission, opts.state + "/tmp");
  }
};

Service::Service(ServiceOptions opts) {
  if (opts.max_running <= 0) opts.max_running = int(std::max(2u, std::thread::hardware_concurrency()));
  if (opts.limits.threads <= 0) opts.limits.threads = 1;
  // Connection threads: every running and queued query holds one, plus room for metadata.
  opts.http.threads = std::max(opts.http.threads, opts.max_running + opts.max_queued + 8);
  if (opts.state.empty()) throw std::invalid_argument("--state DIR is required");
  fs::create_directories(fs::path(opts.state) / "tmp");
  opts.state = fs::canonical(opts.state).string();
  // Temporary results an earlier run left behind.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(opts.state) / "tmp", ec)) fs::remove_all(e.path(), ec);
  impl_ = std::make_unique<Impl>(std::move(opts));
  // The planner reads a quoted table name without '/' relative to the working directory when
  // such a directory exists there; working in the root makes that the root too.
  if (chdir(impl_->root.path().c_str()) != 0) throw std::runtime_error("cannot enter " + impl_->root.path());
  impl_->routes();
}

Service::~Service() = default;

int Service::bind() { return impl_->http.bind(); }

void Service::run(bool handle_signals) { impl_->http.run(handle_signals); }

void Service::stop() { impl_->http.stop(); }

}  // namespace astrolake::service
