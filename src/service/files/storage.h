// Personal storage: each user's files under users/NAME/files, reached only through directory
// file descriptors opened component by component with O_NOFOLLOW (a symbolic link anywhere in
// an area is never followed). Uploads go to users/NAME/tmp and are renamed into place when
// complete (a reader sees the old file or the new one; an interrupted upload leaves nothing,
// and leftovers are cleared at start). Quotas count committed files, the user's MyDB tables
// (users/NAME/mydb) and uploads in flight.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "service/auth/user_store.h"
#include "service/files/vos_path.h"

namespace astrolake::service {

struct Entry {
  std::string name, path;  // leaf name, full vos:// name
  bool dir = false;
  int64_t size = 0, mtime = 0;
};

class Storage;

// Bytes counted against `user`'s quota, read from disk: the files under users_dir/USER/files
// plus the MyDB tables under users_dir/USER/mydb (links not followed). No side effects, so
// `astrolake user list` may call it while the service runs.
int64_t usage_bytes(const std::string& users_dir, const std::string& user);

// A streamed upload; the destructor discards it unless commit() ran.
class Upload {
 public:
  ~Upload();
  void write(const char* data, size_t n);  // 413 past the quota
  Entry commit();

 private:
  friend class Storage;

// Bytes counted against `user`'s quota, read from disk: the files under users_dir/USER/files
// plus the MyDB tables under users_dir/USER/mydb (links not followed). No side effects, so
// `astrolake user list` may call it while the service runs.
int64_t usage_bytes(const std::string& users_dir, const std::string& user);
  Upload(Storage& s, VosPath target, std::string tmp, int fd, int64_t quota)
      : s_(s), target_(std::move(target)), tmp_(std::move(tmp)), fd_(fd), quota_(quota) {}
  Storage& s_;
  VosPath target_;
  std::string tmp_;
  int fd_;
  int64_t quota_;
  int64_t written_ = 0;
  bool done_ = false;
};

class Storage {
 public:
  Storage(std::string users_dir, UserStore& users);

  std::vector<Entry> ls(const std::string& caller, const std::string& name);
  Entry stat(const std::string& caller, const std::string& name);
  // An open descriptor of the file (caller closes it) and its entry.
  int open_read(const std::string& caller, const std::string& name, Entry& entry);
  std::unique_ptr<Upload> put(const std::string& caller, const std::string& name);
  // A directory the service built (e.g. a HATS catalog) under tmp_dir(caller), moved into
  // place as `name` whole; 409 when the name exists, 413 past the quota.
  Entry put_tree(const std::string& caller, const std::string& name, const std::string& built);
  std::string tmp_dir(const std::string& user) { return area(user), dir_ + "/" + user + "/tmp"; }
  void mkdir(const std::string& caller, const std::string& name);
  void mv(const std::string& caller, const std::string& from, const std::string& to);
  Entry cp(const std::string& caller, const std::string& from, const std::string& to);
  void rm(const std::string& caller, const std::string& name, bool recursive);
  // Bytes counted against the user's quota: files plus MyDB tables.
  int64_t used(const std::string& user);
  int64_t quota(const std::string& user);
  // For space outside the files area (a MyDB table built beside its place): charge() counts
  // `bytes` as used, or throws 413 when they do not fit; credit() gives bytes back (a table
  // dropped, or a charged one that could not be moved into place).
  void charge(const std::string& user, int64_t bytes);
  // Throws 413 unless `bytes` more would fit now (an upload whose size is known up front).
  void check_fits(const std::string& user, int64_t bytes);
  void credit(const std::string& user, int64_t bytes);

 private:
  friend class Upload;
  VosPath own(const std::string& caller, const std::string& name, bool write);
  std::string area(const std::string& user);  // users/NAME/files, created when missing
  int64_t used_locked(const std::string& user);  // mu_ held
  void reserve(const std::string& user, int64_t n, int64_t limit);  // 413 when it does not fit
  void release(const std::string& user, int64_t reserved, int64_t committed_delta);

  std::string dir_;
  UserStore& users_;
  std::mutex mu_;
  std::map<std::string, int64_t> used_, reserved_;  // per user; used_ computed on first need
  uint64_t counter_ = 0;
};

}  // namespace astrolake::service
