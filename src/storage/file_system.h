// The file-system interface every reader and writer of catalog bytes goes through: local disk,
// HTTP(S) (read-only) and S3 implement it, and file_system_for() picks one from the path.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "storage/source.h"

namespace astrolake::storage {

struct FileInfo {
  std::string name;  // the entry's name inside the listed directory (no slashes)
  uint64_t size = 0;
  bool is_dir = false;
};

// A file being written. Nothing is visible under its name until commit(); a file destroyed
// without commit() leaves nothing behind (its temporary file or multipart upload is dropped).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual void append(std::span<const uint8_t> bytes) = 0;
  virtual void commit() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Opens for reading; throws IoError naming the path when it is missing or unreadable.
  virtual std::shared_ptr<ByteSource> open(const std::string& path) = 0;
  // Opens for reading when the caller will read from `offset` to the end (the column chunks
  // it needs and the footer of a Parquet file): an object store fetches all of that with its
  // first request instead of the object's last 64 KiB. Local files ignore the hint.
  virtual std::shared_ptr<ByteSource> open_from(const std::string& path, uint64_t offset) { return open(path); }
  // Starts writing a file (parent directories are implied).
  virtual std::unique_ptr<WritableFile> create(const std::string& path) = 0;
  // The direct children of a directory (or key prefix), sorted by name; empty when it has none.
  virtual std::vector<FileInfo> list(const std::string& dir) = 0;
  // The size of a file, or nullopt when there is no file at path.
  virtual std::optional<uint64_t> stat(const std::string& path) = 0;
  // Removes one file; removing a missing file is not an error.
  virtual void remove(const std::string& path) = 0;
  // Removes a directory and everything under it.
  virtual void remove_all(const std::string& dir) = 0;

  // Writes a whole file atomically (create, append, commit).
  void write_file(const std::string& path, std::span<const uint8_t> bytes);
  void write_file(const std::string& path, const std::string& text);
  // Reads a whole file.
  std::string read_file(const std::string& path);
};

// True for s3:// and http(s):// locations.
bool is_url(const std::string& path);
// dir + "/" + name, without doubling a trailing slash.
std::string join_path(const std::string& dir, const std::string& name);
// The last component of a path or URL (trailing slashes ignored).
std::string base_name(const std::string& path);

// The file system serving `path`: S3 for s3://bucket/key, HTTP for http(s)://, else local.
// Instances are shared per process (S3 configuration is read once per endpoint).
std::shared_ptr<FileSystem> file_system_for(const std::string& path);

// Shorthands for file_system_for(path)->open(path) etc.
std::shared_ptr<ByteSource> open(const std::string& path);
bool exists(const std::string& path);

std::shared_ptr<FileSystem> local_file_system();
std::shared_ptr<FileSystem> http_file_system();
std::shared_ptr<FileSystem> s3_file_system();

}  // namespace astrolake::storage
