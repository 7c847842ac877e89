// The web page's static files, compiled into the binary from src/service/web/static (a C++
// source generated at build time by embed.cmake).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace astrolake::service {

struct WebAsset {
  const char* path;  // "/index.html", "/app.js", ...
  const unsigned char* data;
  size_t size;
};

const std::vector<WebAsset>& web_assets();

}  // namespace astrolake::service
