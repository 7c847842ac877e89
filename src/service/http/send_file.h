// Streams an open file as a response body. Sending from the descriptor (not the name) means a
// later rename over the name does not change a download already under way; httplib answers
// Range requests by asking for the pieces it needs.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <string>

namespace astrolake::service {

// Takes ownership of fd (closed when the response is done, also when the client goes away).
void send_file(httplib::Response& r, int fd, uint64_t size, const std::string& mime);

}  // namespace astrolake::service
