#include "service/uws/routes.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "service/http/form.h"
#include "service/http/server.h"
#include "service/tap/error.h"
#include "votable/writer.h"

namespace fs = std::filesystem;

namespace astrolake::service {

namespace {

using votable::xml_escape;

const char* kUwsNs =
    "xmlns:uws=\"http://www.ivoa.net/xml/UWS/v1.0\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";

std::string time_or_nil(const char* element, int64_t t) {
  if (t == 0) return std::string("<uws:") + element + " xsi:nil=\"true\"/>\n";
  return std::string("<uws:") + element + ">" + iso_time(t) + "</uws:" + element + ">\n";
}

std::string results_xml(const Job& j, const std::string& base) {
  std::string s = "<uws:results>\n";
  if (j.phase == "COMPLETED")
    s += "<uws:result id=\"result\" xlink:href=\"" + xml_escape(base + "/async/" + j.id + "/results/result") +
         "\" mime-type=\"" + xml_escape(j.result_mime) + "\"/>\n";
  return s + "</uws:results>\n";
}

std::string parameters_xml(const Job& j) {
  std::string s = "<uws:parameters>\n";
  for (const auto& [k, v] : j.params)
    s += "<uws:parameter id=\"" + xml_escape(k) + "\">" + xml_escape(v) + "</uws:parameter>\n";
  return s + "</uws:parameters>\n";
}

std::string job_xml(const Job& j, const std::string& base) {
  std::string s = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<uws:job ") + kUwsNs +
                  " version=\"1.1\">\n<uws:jobId>" + xml_escape(j.id) + "</uws:jobId>\n";
  if (!j.run_id.empty()) s += "<uws:runId>" + xml_escape(j.run_id) + "</uws:runId>\n";
  s += j.owner.empty() ? "<uws:ownerId xsi:nil=\"true\"/>\n" : "<uws:ownerId>" + xml_escape(j.owner) + "</uws:ownerId>\n";
  s += "<uws:phase>" + j.phase + "</uws:phase>\n";
  s += time_or_nil("creationTime", j.creation_time);
  s += time_or_nil("startTime", j.start_time);
  s += time_or_nil("endTime", j.end_time);
  s += "<uws:executionDuration>" + std::to_string(j.execution_duration) + "</uws:executionDuration>\n";
  s += time_or_nil("destruction", j.destruction_time);
  s += parameters_xml(j) + results_xml(j, base);
  if (j.phase == "ERROR")
    s += "<uws:errorSummary type=\"fatal\" hasDetail=\"true\">\n<uws:message>" + xml_escape(j.error) +
         "</uws:message>\n</uws:errorSummary>\n";
  return s + "</uws:job>\n";
}

std::string jobs_xml(const std::vector<Job>& jobs, const std::string& base) {
  std::string s = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<uws:jobs ") + kUwsNs +
                  " version=\"1.1\">\n";
  for (const Job& j : jobs) {
    s += "<uws:jobref id=\"" + xml_escape(j.id) + "\" xlink:href=\"" + xml_escape(base + "/async/" + j.id) + "\">\n";
    if (!j.run_id.empty()) s += "<uws:runId>" + xml_escape(j.run_id) + "</uws:runId>\n";
    s += "<uws:phase>" + j.phase + "</uws:phase>\n" + time_or_nil("creationTime", j.creation_time) + "</uws:jobref>\n";
  }
  return s + "</uws:jobs>\n";
}

void redirect(httplib::Response& res, const std::string& url) {
  res.status = 303;
  res.set_header("Location", url);
}

// Job list filters (UWS 1.1): PHASE (repeatable), AFTER (creation time), LAST (most recent N).
std::vector<Job> filtered(std::vector<Job> jobs, const httplib::Request& req) {
  std::vector<std::string> phases;
  for (size_t i = 0; i < req.get_param_value_count("PHASE"); i++) phases.push_back(req.get_param_value("PHASE", i));
  if (!phases.empty())
    jobs.erase(std::remove_if(jobs.begin(), jobs.end(),
                              [&](const Job& j) {
                                return std::find(phases.begin(), phases.end(), j.phase) == phases.end();
                              }),
               jobs.end());
  else  // ARCHIVED jobs are listed only when asked for
    jobs.erase(std::remove_if(jobs.begin(), jobs.end(), [](const Job& j) { return j.phase == "ARCHIVED"; }), jobs.end());
  if (req.has_param("AFTER")) {
    int64_t after = parse_iso_time(req.get_param_value("AFTER"));
    jobs.erase(std::remove_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.creation_time <= after; }),
               jobs.end());
  }
  if (req.has_param("LAST")) {
    long long last = -1;
    try {
      last = std::stoll(req.get_param_value("LAST"));
    } catch (const std::exception&) {
    }
    if (last < 0) throw DaliError(400, "LAST must be a non-negative integer");
    std::stable_sort(jobs.begin(), jobs.end(),
                     [](const Job& a, const Job& b) { return a.creation_time > b.creation_time; });
    if (jobs.size() > size_t(last)) jobs.resize(size_t(last));
  }
  return jobs;
}

std::string value_of(const RequestParams& p, const std::string& key) {
  auto it = p.values.find(key);
  return it == p.values.end() ? "" : it->second;
}

}  // namespace

void add_async_routes(httplib::Server& s, JobManager& jobs, std::function<std::string(const httplib::Request&)> base,
                      std::function<std::string(const httplib::Request&)> caller) {
  using Req = httplib::Request;
  using Res = httplib::Response;
  using Body = httplib::ContentReader;
  auto guard = [](Res& res, const std::function<void()>& fn) {
    try {
      fn();
    } catch (const DaliError& e) {
      send_error(res, e.status(), e.what());
    } catch (const std::exception& e) {
      send_error(res, 500, std::string("internal error: ") + e.what());
    }
  };
  const std::string job = R"(/tap/async/([0-9a-f]+))";
  // The job a request names, when it is the caller's (same message as for no job at all).
  auto own = [&jobs, caller](const Req& q) {
    std::string who = caller(q), id = q.matches[1].str();
    Job j = jobs.get(id);
    if (j.owner != who) throw DaliError(404, "no job '" + id + "'");
    return j;
  };

  s.Get("/tap/async", [=, &jobs](const Req& q, Res& r) {
    guard(r, [&] {
      std::string who = caller(q);
      std::vector<Job> mine = jobs.list();
      mine.erase(std::remove_if(mine.begin(), mine.end(), [&](const Job& j) { return j.owner != who; }), mine.end());
      r.set_content(jobs_xml(filtered(mine, q), base(q)), "text/xml");
    });
  });
  s.Post("/tap/async", reads_body([=, &jobs](const Req& q, Res& r, const Body& b) {
    guard(r, [&] {
      std::string who = caller(q);
      RequestParams p = read_params(q, &b);
      std::map<std::string, std::string> parts;
      for (auto& [name, part] : p.files) parts[name] = std::move(part.content);
      Job j = jobs.create(p.values, parts, who);
      if (value_of(p, "PHASE") == "RUN") jobs.run(j.id);
      redirect(r, base(q) + "/async/" + j.id);
    });
  }));
  s.Get(job, [=, &jobs](const Req& q, Res& r) {
    guard(r, [&] {
      Job j = own(q);
      std::string id = j.id;
      if (q.has_param("WAIT")) {
        double wait = -1;
        try {
          wait = std::stod(q.get_param_value("WAIT"));
        } catch (const std::exception&) {
          throw DaliError(400, "WAIT must be a number of seconds");
        }
        if (wait < 0 || wait > 60) wait = 60;  // the service's longest blocking wait
        j = jobs.wait(id, wait, q.get_param_value("PHASE"));
      }
      r.set_content(job_xml(j, base(q)), "text/xml");
    });
  });
  auto remove = [=, &jobs](const Req& q, Res& r) {
    jobs.destroy(own(q).id);
    redirect(r, base(q) + "/async");
  };
  s.Delete(job, [=](const Req& q, Res& r) { guard(r, [&] { remove(q, r); }); });
  // More parameters for a pending job (POST to the job or to its parameters).
  auto set_params = [=, &jobs](const Req& q, Res& r, const RequestParams& p) {
    Job j = own(q);
    if (j.phase != "PENDING") throw DaliError(400, "parameters can change only while the job is PENDING");
    for (const auto& [k, v] : p.values) {
      if (k == "RUNID") j.run_id = v;
      else j.params[k] = v;
    }
    std::map<std::string, std::string> parts;
    for (const auto& [name, part] : p.files) parts[name] = part.content;
    jobs.keep_parts(j.id, parts);
    jobs.update(j);
    redirect(r, base(q) + "/async/" + j.id);
  };
  s.Post(job + "/parameters", reads_body([=](const Req& q, Res& r, const Body& b) {
    guard(r, [&] { set_params(q, r, read_params(q, &b)); });
  }));
  s.Post(job, reads_body([=, &jobs](const Req& q, Res& r, const Body& b) {
    guard(r, [&] {
      RequestParams p = read_params(q, &b);
      if (value_of(p, "ACTION") == "DELETE") return remove(q, r);
      if (!p.values.count("ACTION")) return set_params(q, r, p);
      throw DaliError(400, "unknown ACTION '" + value_of(p, "ACTION") + "' (use ACTION=DELETE)");
    });
  }));
  s.Get(job + "/phase", [=, &jobs](const Req& q, Res& r) {
    guard(r, [&] { r.set_content(own(q).phase, "text/plain"); });
  });
  s.Post(job + "/phase", reads_body([=, &jobs](const Req& q, Res& r, const Body& b) {
    guard(r, [&] {
      std::string id = own(q).id, phase = value_of(read_params(q, &b), "PHASE");
      if (phase == "RUN") jobs.run(id);
      else if (phase == "ABORT") jobs.abort(id);
      else throw DaliError(400, "PHASE must be RUN or ABORT, not '" + phase + "'");
      redirect(r, base(q) + "/async/" + id);
    });
  }));
  s.Get(job + "/executionduration", [=, &jobs](const Req& q, Res& r) {
    guard(r, [&] { r.set_content(std::to_string(own(q).execution_duration), "text/plain"); });
  });
  s.Post(job + "/executionduration", reads_body([=, &jobs](const Req& q, Res& r, const Body& b) {
    guard(r, [&] {
      Job j = own(q);
      std::string v = value_of(read_params(q, &b), "EXECUTIONDURATION");
      long long d = -1;
      try {
        d = std::stoll(v);
      } catch (const std::exception&) {
      }
      if (d < 0) throw DaliError(400, "EXECUTIONDURATION must be a non-negative number of seconds, not '" + v + "'");
      if (j.phase != "PENDING") throw DaliError(400, "executionduration can change only while the job is PENDING");
      j.execution_duration = d;
      jobs.update(j);
      redirect(r, base(q) + "/async/" + j.id);
    });
  }));
  s.Get(job + "/destruction", [=, &jobs](const Req& q, Res& r) {
    guard(r, [&] { r.set_content(iso_time(own(q).destruction_time), "text/plain"); });
  });
  s.Post(job + "/destruction", reads_body([=, &jobs](const Req& q, Res& r, const Body& b) {
    guard(r, [&] {
      Job j = own(q);
      j.destruction_time = parse_iso_time(value_of(read_params(q, &b), "DESTRUCTION"));
      jobs.update(j);
      redirect(r, base(q) + "/async/" + j.id);
    });
  }));
  s.Get(job + "/quote", [=, &jobs](const Req& q, Res& r) {
    // No estimate is made: an empty quote means "unknown" (UWS 1.1).
    guard(r, [&] {
      own(q);
      r.set_content("", "text/plain");
    });
  });
  s.Get(job + "/owner", [=, &jobs](const Req& q, Res& r) {
    guard(r, [&] {
      r.set_content(own(q).owner, "text/plain");
    });
  });
  s.Get(job + "/error", [=, &jobs](const Req& q, Res& r) {
    guard(r, [&] {
      Job j = own(q);
      if (j.phase != "ERROR") throw DaliError(404, "job " + j.id + " has no error (it is " + j.phase + ")");
      r.set_content(votable::error_document(j.error), "application/x-votable+xml");
    });
  });
  s.Get(job + "/parameters", [=, &jobs](const Req& q, Res& r) {
    guard(r, [&] {
      r.set_content(std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") +
                        parameters_xml(own(q)).insert(15, std::string(" ") + kUwsNs),
                    "text/xml");
    });
  });
  s.Get(job + "/results", [=, &jobs](const Req& q, Res& r) {
    guard(r, [&] {
      std::string doc = results_xml(own(q), base(q));
      r.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + doc.insert(12, std::string(" ") + kUwsNs),
                    "text/xml");
    });
  });
  s.Get(job + "/results/result", [=, &jobs](const Req& q, Res& r) {
    guard(r, [&] {
      Job j = own(q);
      if (j.phase != "COMPLETED") throw DaliError(404, "job " + j.id + " has no result (it is " + j.phase + ")");
      std::string path = jobs.job_dir(j.id) + "/" + j.result_file;
      auto file = std::make_shared<std::ifstream>(path, std::ios::binary);
      if (!*file) throw DaliError(404, "the result of job " + j.id + " is gone");
      size_t size = fs::file_size(path);
      r.set_content_provider(size, j.result_mime, [file](size_t offset, size_t length, httplib::DataSink& sink) {
        std::string buf(std::min<size_t>(length, 1 << 20), '\0');
        file->seekg(std::streamoff(offset));
        file->read(buf.data(), std::streamsize(buf.size()));
        return sink.write(buf.data(), size_t(file->gcount()));
      });
    });
  });
}

}  // namespace astrolake::service
