// Bytes already in memory: tests, fuzzers, and objects fetched whole over the network.
#include <cstring>
#include <string>

#include "storage/source.h"

namespace astrolake::storage {
namespace {

class MemorySource : public ByteSource {
 public:
  MemorySource(std::vector<uint8_t> bytes, std::string name) : bytes_(std::move(bytes)), name_(std::move(name)) {}

  uint64_t size() const override { return bytes_.size(); }
  const std::string& name() const override { return name_; }

  void read(uint64_t offset, std::span<uint8_t> out) const override {
    check(offset, out.size());
    if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
  }
  std::span<const uint8_t> view(uint64_t offset, uint64_t len) const override {
    check(offset, len);
    return {bytes_.data() + offset, size_t(len)};
  }

 private:
  void check(uint64_t offset, uint64_t len) const {
    if (offset > bytes_.size() || len > bytes_.size() - offset)
      throw IoError(name_ + ": read of " + std::to_string(len) + " bytes at offset " + std::to_string(offset) +
                    " is past the end (size " + std::to_string(bytes_.size()) + ")");
  }
  std::vector<uint8_t> bytes_;
  std::string name_;
};

}  // namespace

std::shared_ptr<ByteSource> memory_source(std::vector<uint8_t> bytes, std::string name) {
  return std::make_shared<MemorySource>(std::move(bytes), std::move(name));
}

}  // namespace astrolake::storage
