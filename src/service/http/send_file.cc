#include "service/http/send_file.h"

#include <unistd.h>

#include <algorithm>
#include <memory>

namespace astrolake::service {

void send_file(httplib::Response& r, int fd, uint64_t size, const std::string& mime) {
  auto owned = std::make_shared<int>(fd);
  r.set_header("Accept-Ranges", "bytes");
  r.set_content_provider(
      size_t(size), mime,
      [owned](size_t offset, size_t length, httplib::DataSink& sink) {
        std::string buf(std::min<size_t>(length, 1 << 20), '\0');
        ssize_t n = ::pread(*owned, buf.data(), buf.size(), off_t(offset));
        if (n <= 0) return false;
        return sink.write(buf.data(), size_t(n));
      },
      [owned](bool) { ::close(*owned); });
}

}  // namespace astrolake::service
