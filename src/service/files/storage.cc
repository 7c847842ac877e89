#include "service/files/storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <filesystem>

#include "service/tap/error.h"

namespace fs = std::filesystem;

namespace astrolake::service {

namespace {

// Owns a file descriptor.
struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

[[noreturn]] void fail(int err, const std::string& name) {
  switch (err) {
    case ENOENT:
    case ENOTDIR: throw DaliError(404, "no such file or directory '" + name + "'");
    case ELOOP: throw DaliError(403, "'" + name + "' is a symbolic link; storage never follows links");
    case EEXIST:
    case ENOTEMPTY: throw DaliError(409, "'" + name + "' exists (or is a directory that is not empty)");
    case EISDIR: throw DaliError(409, "'" + name + "' is a directory");
    case EINVAL: throw DaliError(400, "'" + name + "': a directory cannot move into itself");
    case ENOSPC:
    case EDQUOT: throw DaliError(503, "the service's disk is full");
    default: throw DaliError(500, "'" + name + "': " + std::strerror(err));
  }
}

const int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// The directory parts[0..count) under `root`, one component at a time, never following a link.
Fd walk(int root, const VosPath& v, size_t count, bool create) {
  Fd cur(::dup(root));
  for (size_t i = 0; i < count; i++) {
    if (create && ::mkdirat(cur.fd, v.parts[i].c_str(), 0700) != 0 && errno != EEXIST) fail(errno, v.text());
    Fd next(::openat(cur.fd, v.parts[i].c_str(), kDirFlags));
    if (next.fd < 0) fail(errno, v.text());
    cur = std::move(next);
  }
  return cur;
}

// Lists a directory: (name, stat) of its entries, without following links.
std::vector<std::pair<std::string, struct stat>> entries(int dirfd) {
  std::vector<std::pair<std::string, struct stat>> out;
  DIR* d = ::fdopendir(::dup(dirfd));
  if (!d) throw DaliError(500, std::string("cannot list a directory: ") + std::strerror(errno));
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    struct stat st {};
    if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) out.emplace_back(e->d_name, st);
  }
  ::closedir(d);
  return out;
}

// Bytes of the regular files under a directory (links not followed).
int64_t tree_size(int dirfd) {
  int64_t n = 0;
  for (const auto& [name, st] : entries(dirfd)) {
    if (S_ISREG(st.st_mode)) n += st.st_size;
    if (!S_ISDIR(st.st_mode)) continue;
    Fd sub(::openat(dirfd, name.c_str(), kDirFlags));
    if (sub.fd >= 0) n += tree_size(sub.fd);
  }
  return n;
}

// Removes everything under a directory (links themselves, never their targets); returns the
// bytes of the regular files removed.
int64_t remove_tree(int dirfd, const std::string& name) {
  int64_t n = 0;
  for (const auto& [leaf, st] : entries(dirfd)) {
    if (S_ISDIR(st.st_mode)) {
      Fd sub(::openat(dirfd, leaf.c_str(), kDirFlags));
      if (sub.fd < 0) fail(errno, name);
      n += remove_tree(sub.fd, name);
      if (::unlinkat(dirfd, leaf.c_str(), AT_REMOVEDIR) != 0) fail(errno, name);
    } else {
      if (::unlinkat(dirfd, leaf.c_str(), 0) != 0) fail(errno, name);
      if (S_ISREG(st.st_mode)) n += st.st_size;
    }
  }
  return n;
}

Entry make_entry(const std::string& leaf, const std::string& path, const struct stat& st) {
  Entry e;
  e.name = leaf;
  e.path = path;
  e.dir = S_ISDIR(st.st_mode);
  e.size = e.dir ? 0 : int64_t(st.st_size);
  e.mtime = int64_t(st.st_mtime);
  return e;
}

// The entry parts.back() in `parent` (a link or special file is refused).
struct stat leaf_stat(int parent, const VosPath& v) {
  struct stat st {};
  if (::fstatat(parent, v.parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail(errno, v.text());
  if (S_ISLNK(st.st_mode)) fail(ELOOP, v.text());
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) fail(ENOENT, v.text());
  return st;
}

}  // namespace

int64_t usage_bytes(const std::string& users_dir, const std::string& user) {
  int64_t n = 0;
  Fd files(::open((users_dir + "/" + user + "/files").c_str(), kDirFlags));
  if (files.fd >= 0) n += tree_size(files.fd);
  // MyDB tables (not the '.'-named ones being built or dropped: the service charges or credits
  // those when they are renamed).
  Fd mydb(::open((users_dir + "/" + user + "/mydb").c_str(), kDirFlags));
  if (mydb.fd >= 0)
    for (const auto& [name, st] : entries(mydb.fd)) {
      if (name[0] == '.' || !S_ISDIR(st.st_mode)) continue;
      Fd table(::openat(mydb.fd, name.c_str(), kDirFlags));
      if (table.fd >= 0) n += tree_size(table.fd);
    }
  return n;
}

Storage::Storage(std::string users_dir, UserStore& users) : dir_(std::move(users_dir)), users_(users) {
  fs::create_directories(dir_);
  // Uploads an earlier run left unfinished.
  std::error_code ec;
  for (const auto& u : fs::directory_iterator(dir_, ec))
    for (const auto& t : fs::directory_iterator(u.path() / "tmp", ec)) fs::remove_all(t.path(), ec);
}

std::string Storage::area(const std::string& user) {
  std::string a = dir_ + "/" + user + "/files";
  fs::create_directories(a);
  fs::create_directories(dir_ + "/" + user + "/tmp");
  return a;
}

VosPath Storage::own(const std::string& caller, const std::string& name, bool write) {
  VosPath v = parse_vos(name, caller);
  if (v.foreign && write) throw DaliError(403, "'" + name + "' is another user's public folder: read-only");
  return v;
}

namespace {

Fd open_area(const std::string& path, const VosPath& v) {
  Fd root(::open(path.c_str(), kDirFlags));
  if (root.fd < 0) fail(ENOENT, v.text());
  return root;
}

}  // namespace

std::vector<Entry> Storage::ls(const std::string& caller, const std::string& name) {
  VosPath v = own(caller, name, false);
  if (v.foreign && !users_.get(v.owner)) fail(ENOENT, v.text());
  Fd root = open_area(v.foreign ? dir_ + "/" + v.owner + "/files" : area(caller), v);
  Fd d = walk(root.fd, v, v.parts.size(), false);
  std::vector<Entry> out;
  std::string prefix = v.text();
  if (prefix.back() != '/') prefix += "/";
  for (const auto& [leaf, st] : entries(d.fd))
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) out.push_back(make_entry(leaf, prefix + leaf, st));
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return out;
}

Entry Storage::stat(const std::string& caller, const std::string& name) {
  Entry e;
  Fd fd(open_read(caller, name, e));
  return e;
}

int Storage::open_read(const std::string& caller, const std::string& name, Entry& e) {
  VosPath v = own(caller, name, false);
  if (v.foreign && !users_.get(v.owner)) fail(ENOENT, v.text());
  Fd root = open_area(v.foreign ? dir_ + "/" + v.owner + "/files" : area(caller), v);
  if (v.parts.empty()) {
    struct stat st {};
    ::fstat(root.fd, &st);
    e = make_entry("", v.text(), st);
    return root.release();
  }
  Fd parent = walk(root.fd, v, v.parts.size() - 1, false);
  Fd f(::openat(parent.fd, v.parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (f.fd < 0) fail(errno, v.text());
  struct stat st {};
  ::fstat(f.fd, &st);
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) fail(ENOENT, v.text());
  e = make_entry(v.parts.back(), v.text(), st);
  return f.release();
}

int64_t Storage::quota(const std::string& user) {
  std::optional<User> u = users_.get(user);
  return u ? u->quota_bytes : 0;
}

int64_t Storage::used(const std::string& user) {
  std::lock_guard lk(mu_);
  return used_locked(user);
}

int64_t Storage::used_locked(const std::string& user) {
  auto it = used_.find(user);
  if (it != used_.end()) return it->second;
  area(user);
  int64_t n = usage_bytes(dir_, user);
  return used_[user] = n;
}

void Storage::charge(const std::string& user, int64_t bytes) {
  reserve(user, bytes, quota(user));
  release(user, bytes, bytes);
}

void Storage::check_fits(const std::string& user, int64_t bytes) {
  reserve(user, bytes, quota(user));
  release(user, bytes, 0);
}

void Storage::credit(const std::string& user, int64_t bytes) { release(user, 0, -bytes); }

void Storage::reserve(const std::string& user, int64_t n, int64_t limit) {
  // One lock for the check and the reservation: a commit in between cannot be missed.
  std::lock_guard lk(mu_);
  int64_t now = used_locked(user);
  if (n > limit - now - reserved_[user])  // (no overflow for any n)
    throw DaliError(413, "storage quota exceeded: the quota is " + std::to_string(limit) + " bytes, " +
                             std::to_string(now) + " are used by files and MyDB tables, " +
                             std::to_string(reserved_[user]) + " by uploads in progress, and " + std::to_string(n) +
                             " more were asked for; nothing was stored");
  reserved_[user] += n;
}

void Storage::release(const std::string& user, int64_t reserved, int64_t committed_delta) {
  std::lock_guard lk(mu_);
  used_locked(user);
  reserved_[user] -= reserved;
  used_[user] += committed_delta;
}

std::unique_ptr<Upload> Storage::put(const std::string& caller, const std::string& name) {
  VosPath v = own(caller, name, true);
  if (v.parts.empty()) throw DaliError(400, "put needs a file name, not the top of the area");
  area(caller);
  std::string tmp;
  {
    std::lock_guard lk(mu_);
    tmp = dir_ + "/" + caller + "/tmp/upload-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++);
  }
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) fail(errno, v.text());
  return std::unique_ptr<Upload>(new Upload(*this, v, tmp, fd, quota(caller)));
}

Upload::~Upload() {
  if (fd_ >= 0) ::close(fd_);
  if (!done_) {
    ::unlink(tmp_.c_str());
    s_.release(target_.owner, written_, 0);
  }
}

void Upload::write(const char* data, size_t n) {
  s_.reserve(target_.owner, int64_t(n), quota_);
  written_ += int64_t(n);
  while (n > 0) {
    ssize_t w = ::write(fd_, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) fail(errno, target_.text());
    data += w;
    n -= size_t(w);
  }
}

Entry Upload::commit() {
  if (::fsync(fd_) != 0) fail(errno, target_.text());
  ::close(fd_);
  fd_ = -1;
  Fd root = open_area(s_.area(target_.owner), target_);
  Fd parent = walk(root.fd, target_, target_.parts.size() - 1, true);
  const char* leaf = target_.parts.back().c_str();
  int64_t old = 0;
  struct stat st {};
  if (::fstatat(parent.fd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode)) fail(EISDIR, target_.text());
    if (S_ISREG(st.st_mode)) old = st.st_size;
  }
  if (::renameat(AT_FDCWD, tmp_.c_str(), parent.fd, leaf) != 0) fail(errno, target_.text());
  done_ = true;
  ::fsync(parent.fd);
  s_.release(target_.owner, written_, written_ - old);
  ::fstatat(parent.fd, leaf, &st, AT_SYMLINK_NOFOLLOW);
  return make_entry(target_.parts.back(), target_.text(), st);
}

Entry Storage::put_tree(const std::string& caller, const std::string& name, const std::string& built) {
  VosPath v = own(caller, name, true);
  if (v.parts.empty()) throw DaliError(400, "a directory result needs a name, not the top of the area");
  Fd src(::open(built.c_str(), kDirFlags));
  if (src.fd < 0) fail(errno, v.text());
  int64_t size = tree_size(src.fd);
  reserve(caller, size, quota(caller));
  try {
    Fd root = open_area(area(caller), v);
    Fd parent = walk(root.fd, v, v.parts.size() - 1, true);
    // renameat2(RENAME_NOREPLACE) is not in every libc: an existing name is checked first,
    // and rename() itself refuses to replace a non-empty directory.
    struct stat st {};
    if (::fstatat(parent.fd, v.parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) fail(EEXIST, v.text());
    if (::renameat(AT_FDCWD, built.c_str(), parent.fd, v.parts.back().c_str()) != 0) fail(errno, v.text());
    ::fsync(parent.fd);
    release(caller, size, size);
    ::fstatat(parent.fd, v.parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW);
    return make_entry(v.parts.back(), v.text(), st);
  } catch (...) {
    release(caller, size, 0);
    throw;
  }
}

void Storage::mkdir(const std::string& caller, const std::string& name) {
  VosPath v = own(caller, name, true);
  Fd root = open_area(area(caller), v);
  walk(root.fd, v, v.parts.size(), true);
}

void Storage::mv(const std::string& caller, const std::string& from, const std::string& to) {
  VosPath a = own(caller, from, true), b = own(caller, to, true);
  if (a.parts.empty() || b.parts.empty()) throw DaliError(400, "mv needs a file or directory on both sides");
  used(caller);  // counted before the change, so the change is not counted twice
  Fd root = open_area(area(caller), a);
  Fd pa = walk(root.fd, a, a.parts.size() - 1, false);
  leaf_stat(pa.fd, a);
  Fd pb = walk(root.fd, b, b.parts.size() - 1, true);
  struct stat old {};
  bool replaced = ::fstatat(pb.fd, b.parts.back().c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(old.st_mode);
  if (::renameat(pa.fd, a.parts.back().c_str(), pb.fd, b.parts.back().c_str()) != 0) fail(errno, b.text());
  if (replaced) release(caller, 0, -int64_t(old.st_size));
}

Entry Storage::cp(const std::string& caller, const std::string& from, const std::string& to) {
  Entry src;
  Fd in(open_read(caller, from, src));
  if (src.dir) throw DaliError(400, "cp copies files; '" + from + "' is a directory");
  std::unique_ptr<Upload> up = put(caller, to);
  std::string buf(1 << 20, '\0');
  while (true) {
    ssize_t n = ::read(in.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(errno, from);
    if (n == 0) break;
    up->write(buf.data(), size_t(n));
  }
  return up->commit();
}

void Storage::rm(const std::string& caller, const std::string& name, bool recursive) {
  VosPath v = own(caller, name, true);
  if (v.parts.empty()) throw DaliError(400, "rm needs a file or directory, not the top of the area");
  used(caller);  // counted before the change, so the change is not counted twice
  Fd root = open_area(area(caller), v);
  Fd parent = walk(root.fd, v, v.parts.size() - 1, false);
  const char* leaf = v.parts.back().c_str();
  struct stat st {};
  if (::fstatat(parent.fd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) fail(errno, v.text());
  int64_t freed = 0;
  if (S_ISDIR(st.st_mode)) {
    if (recursive) {
      Fd d(::openat(parent.fd, leaf, kDirFlags));
      if (d.fd < 0) fail(errno, v.text());
      freed = remove_tree(d.fd, v.text());
    }
    if (::unlinkat(parent.fd, leaf, AT_REMOVEDIR) != 0) fail(errno, v.text());
  } else {
    if (::unlinkat(parent.fd, leaf, 0) != 0) fail(errno, v.text());
    if (S_ISREG(st.st_mode)) freed = st.st_size;
  }
  release(caller, 0, -freed);
}

}  // namespace astrolake::service
