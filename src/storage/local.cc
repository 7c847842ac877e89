// Local files: memory-mapped when possible (zero-copy views for the Parquet reader), with a
// pread fallback for files that cannot be mapped (special files, some network mounts).
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "storage/output.h"
#include "storage/source.h"

namespace astrolake::storage {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw IoError(what + " " + path + ": " + std::strerror(err));
}

void check_range(const std::string& name, uint64_t size, uint64_t offset, uint64_t len) {
  if (offset > size || len > size - offset)
    throw IoError(name + ": read of " + std::to_string(len) + " bytes at offset " + std::to_string(offset) +
                  " is past the end (size " + std::to_string(size) + ")");
}

// ASTROLAKE_NO_MMAP=1 forces pread: for file systems where mapping is unwise (some network
// mounts, where a truncated file turns a mapped read into SIGBUS) and to test that path.
bool mmap_disabled() {
  const char* v = std::getenv("ASTROLAKE_NO_MMAP");
  return v && *v && std::string(v) != "0";
}

class FileSource : public ByteSource {
 public:
  FileSource(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {
    if (size_ > 0 && !mmap_disabled()) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (p != MAP_FAILED) map_ = static_cast<const uint8_t*>(p);
    }
    // Keep the descriptor only when pread is the way in; a mapping outlives its fd.
    if (map_ || size_ == 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FileSource() override {
    if (map_) ::munmap(const_cast<uint8_t*>(map_), size_);
    if (fd_ >= 0) ::close(fd_);
  }

  uint64_t size() const override { return size_; }
  const std::string& name() const override { return path_; }

  void read(uint64_t offset, std::span<uint8_t> out) const override {
    check_range(path_, size_, offset, out.size());
    if (out.empty()) return;
    if (map_) {
      std::memcpy(out.data(), map_ + offset, out.size());
      return;
    }
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, off_t(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("cannot read", path_, errno);
      }
      if (n == 0) throw IoError(path_ + ": file shrank while reading (offset " + std::to_string(offset + done) + ")");
      done += size_t(n);
    }
  }

  std::span<const uint8_t> view(uint64_t offset, uint64_t len) const override {
    if (!map_) return {};
    check_range(path_, size_, offset, len);
    return {map_ + offset, size_t(len)};
  }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
  const uint8_t* map_ = nullptr;
};

}  // namespace

std::shared_ptr<ByteSource> open_file(const std::string& path) {
  int fd;
  do fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) fail("cannot open", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    fail("cannot stat", path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw IoError("cannot open " + path + ": is a directory");
  }
  return std::make_shared<FileSource>(path, fd, uint64_t(st.st_size));
}

std::vector<std::string> list_dir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) fail("cannot list", path, errno);
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
    errno = 0;
  }
  int err = errno;
  ::closedir(d);
  if (err) fail("cannot list", path, err);
  std::sort(names.begin(), names.end());
  return names;
}

void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes) {
  // A per-process counter keeps concurrent writers in one process off each other's temp file.
  static std::atomic<uint64_t> counter{0};
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  int fd;
  do fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) fail("cannot create", tmp, errno);
  auto abandon = [&](const char* what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(what, tmp, err);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      abandon("cannot write", errno);
    }
    done += size_t(n);
  }
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail("cannot close", tmp, err);
  }
  publish_file(tmp, path);
}

}  // namespace astrolake::storage
