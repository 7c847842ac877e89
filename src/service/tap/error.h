// The one error type of the service layer: a message and the HTTP status it is answered
// with (400 bad request or query, 404 no such resource, 413 too large, 503 overloaded).
#pragma once
#include <stdexcept>
#include <string>

namespace astrolake::service {

class DaliError : public std::runtime_error {
 public:
  DaliError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

}  // namespace astrolake::service
