// The real servers the remote-storage tests run against, started once per test process on
// 127.0.0.1 and stopped at the end: radosgw (S3, via ../s3_server.sh) and nginx serving the
// HATS fixtures directory for HTTP range reads.
#pragma once
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "storage/s3.h"

namespace astrolake::test {

inline const std::string kBucket = "astrolake-test";
inline const std::string kAccessKey = "astrolake-test";
inline const std::string kSecretKey = "astrolake-test-secret";

inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Runs a shell command with its output in a log file (daemons it starts must not hold a pipe).
inline void run(const std::string& cmd, const std::string& log) {
  int rc = std::system((cmd + " </dev/null >" + log + " 2>&1").c_str());
  if (rc != 0) {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    throw std::runtime_error(cmd + " failed (status " + std::to_string(rc) + "): " + text);
  }
}

struct Servers : ::testing::Environment {
  static inline int s3_port = 0, http_port = 0;
  static inline std::string dir;
  static std::string s3_endpoint() { return "http://127.0.0.1:" + std::to_string(s3_port); }
  static std::string http_base() { return "http://127.0.0.1:" + std::to_string(http_port); }
  static std::string served_dir() { return std::string(AL_TEST_DATA) + "/hats"; }
  static storage::S3Config s3_config() {
    storage::S3Config c;
    c.endpoint = s3_endpoint();
    c.path_style = true;
    c.creds = {kAccessKey, kSecretKey, ""};
    return c;
  }

  void SetUp() override {
    dir = (std::filesystem::temp_directory_path() / ("al_remote_" + std::to_string(::getpid()))).string();
    std::filesystem::create_directories(dir);
    s3_port = free_port();
    try {
      run("bash " AL_SOURCE_DIR "/tests/storage/s3_server.sh start " + dir + "/s3 " + std::to_string(s3_port),
          dir + "/s3-start.log");
    } catch (...) {
      TearDown();  // gtest skips TearDown when SetUp throws: stop what did start
      throw;
    }
    http_port = free_port();
    std::ofstream(dir + "/nginx.conf")
        << (::getuid() == 0 ? "user root;\n" : "") << "worker_processes 1;\npid " << dir << "/nginx.pid;\n"
        << "error_log " << dir << "/nginx-error.log;\nevents { worker_connections 256; }\n"
        << "http { access_log off; sendfile on; keepalive_requests 100000;\n"
        << "  client_body_temp_path " << dir << "/nginx-tmp; proxy_temp_path " << dir << "/nginx-tmp;\n"
        << "  fastcgi_temp_path " << dir << "/nginx-tmp; uwsgi_temp_path " << dir << "/nginx-tmp;\n"
        << "  scgi_temp_path " << dir << "/nginx-tmp;\n"
        << "  server { listen 127.0.0.1:" << http_port << "; root " << served_dir() << "; } }\n";
    run("nginx -c " + dir + "/nginx.conf -p " + dir, dir + "/nginx-start.log");
    // The process-wide S3 file system (used by catalogs and the CLI) reads the environment.
    ::setenv("AWS_ENDPOINT_URL", s3_endpoint().c_str(), 1);
    ::setenv("AWS_ACCESS_KEY_ID", kAccessKey.c_str(), 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", kSecretKey.c_str(), 1);
    ::setenv("AWS_REGION", "us-east-1", 1);
  }
  void TearDown() override {
    std::system(("kill $(cat " + dir + "/nginx.pid) 2>/dev/null").c_str());
    std::system(("bash " AL_SOURCE_DIR "/tests/storage/s3_server.sh stop " + dir + "/s3").c_str());
    std::filesystem::remove_all(dir);
  }
};

}  // namespace astrolake::test
