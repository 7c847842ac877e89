// HTTP(S) servers as a read-only file system: range GETs for reads, HEAD for stat. A web server
// cannot list a directory in any standard way, so catalogs over HTTP are opened from their
// partition_info.csv (which HATS writes) rather than by listing.
#include "storage/file_system.h"
#include "storage/remote_source.h"

namespace astrolake::storage {
namespace {

class HttpFileSystem : public FileSystem {
 public:
  std::shared_ptr<ByteSource> open(const std::string& url) override {
    if (auto parked = probes_.take(url)) return parked;
    return open_new(url);
  }
  std::shared_ptr<ByteSource> open_from(const std::string& url, uint64_t offset) override {
    if (auto parked = probes_.take(url)) return parked;
    return open_new(url, offset);
  }
  std::shared_ptr<ByteSource> open_new(const std::string& url, std::optional<uint64_t> from = std::nullopt) {
    HttpOptions opts = opts_;
    return open_remote(url, [url, opts](const std::string& range) {
      HttpRequest req;
      req.url = url;
      if (!range.empty()) req.headers.emplace_back("Range", range);
      return http_send(req, opts);
    }, from);
  }
  std::unique_ptr<WritableFile> create(const std::string& url) override { read_only(url); }
  std::vector<FileInfo> list(const std::string& url) override {
    throw IoError("cannot list " + url + ": HTTP has no directory listing (open the catalog, which reads its "
                  "partition_info.csv)");
  }
  std::optional<uint64_t> stat(const std::string& url) override {
    return probes_.stat(url, [&] { return open_new(url); });
  }
  void remove(const std::string& url) override { read_only(url); }
  void remove_all(const std::string& url) override { read_only(url); }

 private:
  [[noreturn]] void read_only(const std::string& url) {
    throw IoError("cannot write " + url + ": HTTP locations are read-only (write to s3:// or a local path)");
  }
  HttpOptions opts_ = HttpOptions::from_env();
  ProbeCache probes_;
};

}  // namespace

std::shared_ptr<FileSystem> http_file_system() {
  static auto fs = std::make_shared<HttpFileSystem>();
  return fs;
}

}  // namespace astrolake::storage
