// Error handling for the JSON endpoints (/auth, /storage, /mydb): a DaliError becomes
// {"error": message} with its status; anything else 500.
#pragma once
#include <functional>
#include <string>

#include <httplib.h>

namespace astrolake::service {

void send_json_error(httplib::Response& res, int status, const std::string& message);
// Runs `fn`, answering errors as JSON.
void json_guard(httplib::Response& res, const std::function<void()>& fn);

}  // namespace astrolake::service
