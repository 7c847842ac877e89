#include "service/http/json.h"

#include <nlohmann/json.hpp>

#include "service/tap/error.h"

namespace astrolake::service {

void send_json_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump() + "\n", "application/json");
}

void json_guard(httplib::Response& res, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const DaliError& e) {
    send_json_error(res, e.status(), e.what());
  } catch (const std::exception& e) {
    send_json_error(res, 500, std::string("internal error: ") + e.what());
  }
}

}  // namespace astrolake::service
