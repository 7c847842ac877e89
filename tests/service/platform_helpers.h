// Helpers of the platform tests: accounts through the CLI, logins, and storage requests with a
// bearer token, against a ServiceProcess.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>

#include "service_harness.h"

namespace al_service_test {

inline void add_user(const ServiceProcess& svc, const std::string& name, const std::string& pw, const std::string& quota = "") {
  std::string cmd = std::string(AL_BINARY) + " user add " + name + " --state " + svc.state() +
                    (quota.empty() ? "" : " --quota " + quota) + " >/dev/null";
  FILE* p = ::popen(cmd.c_str(), "w");
  ASSERT_NE(p, nullptr);
  std::fprintf(p, "%s\n", pw.c_str());
  ASSERT_EQ(::pclose(p), 0) << cmd;
}

inline int admin(const ServiceProcess& svc, const std::string& args) {
  std::string cmd = std::string(AL_BINARY) + " user " + args + " --state " + svc.state() + " >/dev/null 2>&1";
  return std::system(cmd.c_str());
}

inline std::string login(const ServiceProcess& svc, const std::string& user, const std::string& pw) {
  auto c = svc.client();
  auto r = c.Post("/auth/login", httplib::Params{{"username", user}, {"password", pw}});
  EXPECT_TRUE(r);
  if (!r) return "";
  EXPECT_EQ(r->status, 200) << r->body;
  return r->status == 200 ? r->body : "";
}

inline httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// The job document once the job has left PENDING/QUEUED/EXECUTING (WAIT returns at each change).
inline std::string wait_done(const ServiceProcess& svc, const std::string& token, const std::string& job) {
  auto c = svc.client();
  std::string body;
  for (int i = 0; i < 20; i++) {
    body = c.Get(("/tap/async/" + job + "?WAIT=10").c_str(), bearer(token))->body;
    if (body.find("EXECUTING") == std::string::npos && body.find("QUEUED") == std::string::npos) break;
  }
  return body;
}

inline std::string q(const std::string& s) { return httplib::detail::encode_query_param(s); }

inline httplib::Result put(const ServiceProcess& svc, const std::string& token, const std::string& name,
                    const std::string& body) {
  auto c = svc.client();
  return c.Put(("/storage/put?name=" + q(name)).c_str(), bearer(token), body, "application/octet-stream");
}

inline httplib::Result get(const ServiceProcess& svc, const std::string& token, const std::string& path) {
  auto c = svc.client();
  return c.Get(path.c_str(), bearer(token));
}

inline httplib::Result post(const ServiceProcess& svc, const std::string& token, const std::string& path) {
  auto c = svc.client();
  return c.Post(path.c_str(), bearer(token), "", "application/x-www-form-urlencoded");
}

}  // namespace al_service_test
