#include "storage/block_cache.h"

#include <cstdlib>

namespace astrolake::storage {

BlockCache& BlockCache::shared() {
  static BlockCache cache([] {
    const char* v = std::getenv("ASTROLAKE_CACHE_MB");
    char* end = nullptr;
    long mb = v && *v ? std::strtol(v, &end, 10) : 256;
    if (v && *v && (*end != 0 || mb < 0)) mb = 256;
    return uint64_t(mb) << 20;
  }());
  return cache;
}

Bytes BlockCache::find(const std::string& object, uint64_t offset, uint64_t len, uint64_t& block_start) {
  std::lock_guard<std::mutex> lock(mu_);
  auto obj = objects_.find(object);
  if (obj != objects_.end()) {
    // The block starting at or before offset with the highest start: blocks of one object
    // rarely overlap, so that is the one to hold the range if any does.
    auto it = obj->second.upper_bound(offset);
    if (it != obj->second.begin()) {
      --it;
      if (offset + len <= it->first + it->second.bytes->size()) {
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        ++hits_;
        block_start = it->first;
        return it->second.bytes;
      }
    }
  }
  ++misses_;
  return nullptr;
}

void BlockCache::insert(const std::string& object, uint64_t offset, Bytes bytes) {
  if (!bytes || bytes->empty() || bytes->size() > budget_) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto& blocks = objects_[object];
  auto it = blocks.find(offset);
  if (it != blocks.end()) {  // a refetch of the same start: keep the longer
    if (it->second.bytes->size() >= bytes->size()) return;
    size_ -= it->second.bytes->size();
    lru_.erase(it->second.lru);
    blocks.erase(it);
  }
  lru_.emplace_front(object, offset);
  blocks.emplace(offset, Entry{bytes, lru_.begin()});
  size_ += bytes->size();
  evict_locked();
}

void BlockCache::evict_locked() {
  while (size_ > budget_ && !lru_.empty()) {
    auto [object, offset] = lru_.back();
    lru_.pop_back();
    auto obj = objects_.find(object);
    auto it = obj->second.find(offset);
    size_ -= it->second.bytes->size();
    obj->second.erase(it);
    if (obj->second.empty()) objects_.erase(obj);
  }
}

uint64_t BlockCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return size_;
}
uint64_t BlockCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}
uint64_t BlockCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

}  // namespace astrolake::storage
