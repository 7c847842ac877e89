#include "service/auth/routes.h"

#include "service/http/form.h"
#include "service/http/json.h"
#include "service/tap/error.h"

namespace astrolake::service {

namespace {

std::string param(const RequestParams& p, const std::string& upper) {
  auto it = p.values.find(upper);
  return it == p.values.end() ? "" : it->second;
}

}  // namespace

void add_auth_routes(httplib::Server& s, Accounts& accounts) {
  using Req = httplib::Request;
  using Res = httplib::Response;
  s.Post("/auth/login", reads_body([&accounts](const Req& q, Res& r, const httplib::ContentReader& body) {
    json_guard(r, [&] {
      RequestParams p = read_params(q, &body);
      std::string user = param(p, "USERNAME"), password = param(p, "PASSWORD");
      if (user.empty()) throw DaliError(400, "the form field 'username' is missing");
      r.set_content(accounts.login(user, password, q.remote_addr), "text/plain");
    });
  }));
  s.Get("/auth/login", [&accounts](const Req& q, Res& r) {
    json_guard(r, [&] {
      // Data Lab's client: the name in the query, the password in a header (never in a URL).
      std::string user = q.get_param_value("username");
      if (user.empty()) throw DaliError(400, "the parameter 'username' is missing");
      if (!q.has_header("X-DL-Password")) throw DaliError(400, "the password goes in the X-DL-Password header");
      r.set_content(accounts.login(user, q.get_header_value("X-DL-Password"), q.remote_addr), "text/plain");
    });
  });
  s.Get("/auth/logout", [&accounts](const Req& q, Res& r) {
    json_guard(r, [&] {
      accounts.require_user(q);
      accounts.logout(Accounts::request_token(q));
      r.set_content("OK", "text/plain");
    });
  });
  s.Get("/auth/whoAmI", [&accounts](const Req& q, Res& r) {
    json_guard(r, [&] {
      Caller c = accounts.identify(q);
      r.set_content(c.anonymous() ? "anonymous" : c.name, "text/plain");
    });
  });
  s.Get("/auth/isValidToken", [&accounts](const Req& q, Res& r) {
    json_guard(r, [&] {
      std::string token = q.has_param("token") ? q.get_param_value("token") : Accounts::request_token(q);
      r.set_content(accounts.token_user(token) ? "True" : "False", "text/plain");
    });
  });
}

}  // namespace astrolake::service
