// Byte ranges fetched from object stores, shared by every reader in the process (a service
// runs many queries over the same catalogs). Keyed by the object's identity (URL, size, ETag
// and Last-Modified, so a changed object never serves old bytes) and the range's offset; least
// recently used ranges are dropped beyond a byte budget.
#pragma once
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace astrolake::storage {

using Bytes = std::shared_ptr<const std::string>;

class BlockCache {
 public:
  explicit BlockCache(uint64_t budget_bytes) : budget_(budget_bytes) {}
  // The process's cache; its budget is ASTROLAKE_CACHE_MB megabytes (default 256; 0 turns it off).
  static BlockCache& shared();

  // A cached block of `object` holding [offset, offset+len), and where that block starts;
  // nullptr when none does.
  Bytes find(const std::string& object, uint64_t offset, uint64_t len, uint64_t& block_start);
  // Keeps bytes fetched at offset (unless they alone exceed the budget).
  void insert(const std::string& object, uint64_t offset, Bytes bytes);

  uint64_t budget() const { return budget_; }
  uint64_t size() const;
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  struct Entry {
    Bytes bytes;
    std::list<std::pair<std::string, uint64_t>>::iterator lru;
  };
  void evict_locked();
  const uint64_t budget_;
  mutable std::mutex mu_;
  uint64_t size_ = 0, hits_ = 0, misses_ = 0;
  std::unordered_map<std::string, std::map<uint64_t, Entry>> objects_;
  std::list<std::pair<std::string, uint64_t>> lru_;  // most recently used first
};

}  // namespace astrolake::storage
