#include "storage/output.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace astrolake::storage {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw IoError(what + " " + path + ": " + std::strerror(err));
}

bool is_stream(mode_t m) { return S_ISFIFO(m) || S_ISCHR(m); }

std::string dir_of(const std::string& path) {
  std::string d = fs::path(path).parent_path().string();
  return d.empty() ? "." : d;
}

void fsync_dir(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// "123", "123-4" or "123.parquet" after a leftover prefix: the pid, else 0.
long leftover_pid(const std::string& rest) {
  size_t i = 0;
  while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') i++;
  if (i == 0 || i > 9) return 0;
  std::string tail = rest.substr(i);
  bool ok = tail.empty() || tail == ".parquet" ||
            (tail.size() > 1 && tail[0] == '-' && tail.find_first_not_of("0123456789", 1) == std::string::npos);
  return ok ? std::stol(rest.substr(0, i)) : 0;
}

}  // namespace

TargetKind output_target(const std::string& path) {
  if (path == "-") return TargetKind::Stream;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return TargetKind::Missing;  // the parent is reported by the caller
    fail("cannot inspect", path, errno);
  }
  if (S_ISREG(st.st_mode)) return TargetKind::Regular;
  if (S_ISDIR(st.st_mode)) return TargetKind::Directory;
  if (is_stream(st.st_mode)) return TargetKind::Stream;
  if (S_ISLNK(st.st_mode)) {
    // Following a link to a file would replace the link (rename) or write through it
    // non-atomically; neither is what a link's owner expects, so only streams are followed.
    struct stat t;
    if (::stat(path.c_str(), &t) == 0 && is_stream(t.st_mode)) return TargetKind::Stream;
    throw IoError(path + ": is a symbolic link; refusing to replace it (name its target instead)");
  }
  throw IoError(path + ": is a " + std::string(S_ISBLK(st.st_mode) ? "block device" : "socket or special file") +
                "; refusing to write to it");
}

int open_stream(const std::string& path) {
  int fd;
  if (path == "-") fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
  else
    do fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
  if (fd < 0) fail("cannot open", path == "-" ? "standard output" : path, errno);
  return fd;
}

void write_all(int fd, const void* data, size_t n, const std::string& name) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) throw BrokenPipe(name + ": the reader closed the pipe");
      fail("cannot write", name, errno);
    }
    p += w;
    n -= size_t(w);
  }
}

std::string temp_path(const std::string& path) { return path + ".tmp-" + std::to_string(::getpid()); }

void publish_file(const std::string& tmp, const std::string& path) {
  auto abandon = [&](const std::string& why) {
    ::unlink(tmp.c_str());
    throw IoError(why);
  };
  int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) abandon("cannot open " + tmp + ": " + std::strerror(errno));
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    abandon("cannot sync " + path + ": " + std::strerror(err));
  }
  ::close(fd);
  // Checked again here, not only when the command started: the path may have changed since.
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    abandon(path + ": is no longer a regular file; refusing to replace it");
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    abandon("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  fsync_dir(dir_of(path));
}

std::vector<std::string> clean_leftovers(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  std::vector<std::string> notes;
  if (p == "-" || p.empty()) return notes;
  std::string dir = dir_of(p), base = fs::path(p).filename().string();
  if (base.empty() || base == "." || base == "..") return notes;
  std::vector<std::string> names;
  try {
    names = list_dir(dir);
  } catch (const IoError&) {
    return notes;  // a missing directory is reported by the writer, with the path
  }
  for (const std::string& name : names) {
    if (name.compare(0, base.size() + 1, base + ".") != 0) continue;
    std::string rest = name.substr(base.size() + 1);
    long pid = 0;
    for (const char* kind : {"tmp-", "building-", "replaced-"}) {
      size_t k = std::strlen(kind);
      if (rest.compare(0, k, kind) == 0) pid = leftover_pid(rest.substr(k));
    }
    if (pid <= 0 || pid == long(::getpid())) continue;
    std::string full = (fs::path(dir) / name).string();
    if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) {
      notes.push_back(full + " belongs to process " + std::to_string(pid) + ", still running; left alone");
      continue;
    }
    std::error_code ec;
    if (rest.compare(0, 9, "replaced-") == 0 && !fs::exists(p, ec)) {
      // Killed between moving the old output aside and moving the new one in: put it back.
      fs::rename(full, p, ec);
      if (ec) notes.push_back(full + " holds the previous " + p + " (its process " + std::to_string(pid) + " died); cannot restore it: " + ec.message());
      else notes.push_back("restored " + p + " from " + full + ", left by process " + std::to_string(pid) + " (no longer running)");
      continue;
    }
    fs::remove_all(full, ec);
    if (ec) notes.push_back(full + " was left by process " + std::to_string(pid) + " (no longer running) but cannot be removed: " + ec.message());
    else notes.push_back("removed " + full + ", left by process " + std::to_string(pid) + " (no longer running)");
  }
  return notes;
}

}  // namespace astrolake::storage
