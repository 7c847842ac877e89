// The local disk behind the FileSystem interface: reads are memory-mapped (open_file), writes go
// to a temporary file beside the target and are renamed over it on commit.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "storage/file_system.h"

namespace astrolake::storage {
namespace {
namespace fs = std::filesystem;

class LocalWritable : public WritableFile {
 public:
  explicit LocalWritable(std::string path) : path_(std::move(path)) {
    static std::atomic<uint64_t> counter{0};
    std::error_code ec;
    fs::path parent = fs::path(path_).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    tmp_ = path_ + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    do fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    while (fd_ < 0 && errno == EINTR);
    if (fd_ < 0) throw IoError("cannot create " + tmp_ + ": " + std::strerror(errno));
  }
  ~LocalWritable() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  void append(std::span<const uint8_t> bytes) override {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw IoError("cannot write " + tmp_ + ": " + std::strerror(errno));
      }
      done += size_t(n);
    }
  }
  void commit() override {
    if (::fsync(fd_) != 0) throw IoError("cannot fsync " + tmp_ + ": " + std::strerror(errno));
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) throw IoError("cannot close " + tmp_ + ": " + std::strerror(errno));
    if (::rename(tmp_.c_str(), path_.c_str()) != 0)
      throw IoError("cannot rename " + tmp_ + " to " + path_ + ": " + std::strerror(errno));
    committed_ = true;
    // The rename is durable only once the directory entry is on disk.
    std::string dir = fs::path(path_).parent_path().string();
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

class LocalFileSystem : public FileSystem {
 public:
  std::shared_ptr<ByteSource> open(const std::string& path) override { return open_file(path); }
  std::unique_ptr<WritableFile> create(const std::string& path) override {
    return std::make_unique<LocalWritable>(path);
  }
  std::vector<FileInfo> list(const std::string& dir) override {
    std::vector<FileInfo> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    for (const std::string& name : list_dir(dir)) {
      FileInfo fi;
      fi.name = name;
      fs::path p = fs::path(dir) / name;
      fi.is_dir = fs::is_directory(p, ec);
      if (!fi.is_dir) {
        auto s = fs::file_size(p, ec);
        fi.size = ec ? 0 : uint64_t(s);
      }
      out.push_back(std::move(fi));
    }
    return out;
  }
  std::optional<uint64_t> stat(const std::string& path) override {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return std::nullopt;
    auto s = fs::file_size(path, ec);
    if (ec) return std::nullopt;
    return uint64_t(s);
  }
  void remove(const std::string& path) override {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) throw IoError("cannot remove " + path + ": " + ec.message());
  }
  void remove_all(const std::string& dir) override {
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) throw IoError("cannot remove " + dir + ": " + ec.message());
  }
};

}  // namespace

std::shared_ptr<FileSystem> local_file_system() {
  static auto fs = std::make_shared<LocalFileSystem>();
  return fs;
}

}  // namespace astrolake::storage
