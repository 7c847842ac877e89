// A byte source: the narrow interface every reader of catalog bytes goes through.
// Local files now; HTTP range requests and S3 later implement the same three calls,
// which is why nothing above this layer ever opens a file descriptor itself.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace astrolake::storage {

// Thrown for every I/O failure; the message names the path.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly out.size() bytes at offset; throws IoError if the range is past the end.
  virtual void read(uint64_t offset, std::span<uint8_t> out) const = 0;
  // A view of [offset, offset+len) that stays valid while the source lives, when the
  // source can give one without copying (a memory map); empty span otherwise.
  virtual std::span<const uint8_t> view(uint64_t offset, uint64_t len) const { return {}; }
  virtual const std::string& name() const = 0;
  // A hint that the byte ranges (offset, length) are about to be read. Sources over a network
  // fetch them now, coalesced and in parallel, and keep them until release(); local sources
  // ignore it. Reads outside prefetched ranges still work.
  virtual void prefetch(const std::vector<std::pair<uint64_t, uint64_t>>& ranges) const {}
  virtual void release() const {}
};

// Opens a local file read-only (memory-mapped). Throws IoError naming the path.
std::shared_ptr<ByteSource> open_file(const std::string& path);

// A source over bytes already in memory (tests, fuzzing, fetched objects).
std::shared_ptr<ByteSource> memory_source(std::vector<uint8_t> bytes, std::string name = "<memory>");

// Directory listing: entries (names only, not paths) sorted; throws IoError.
std::vector<std::string> list_dir(const std::string& path);

// Atomic whole-file write: write to a temp name beside path, fsync, rename over path.
void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace astrolake::storage
