// The fast path of a GROUP BY on one fixed-width key: evaluating the key without a fresh
// column per batch, and finding each row's group by the key's value, through a direct array
// when the keys seen fall in a small range (a partition's HEALPix pixels at a coarser order
// are one contiguous range; FLOOR(magnitude) bins are few) and a hash map otherwise.
#pragma once
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "engine/expr.h"

namespace astrolake::engine {

// The key `e` over `batch`, as evaluate() gives it, for the shapes a GROUP BY key usually has:
// a column (returned in place), FLOOR of a float/double column, an integer column divided by
// a non-zero integer literal other than -1 (written into `buf`, whose memory is reused from
// batch to batch). Null for any other expression: the caller evaluates it the usual way.
const parquet::Column* evaluate_key_fast(const Expr& e, const parquet::Table& batch, parquet::Column& buf);

// Groups of one fixed-width key, found by value. Equal values give one group; for doubles
// -0.0 is 0.0 and every NaN is one value, as the encoded key of the generic path has it.
class FixedKeyIndex {
 public:
  explicit FixedKeyIndex(parquet::Type type, size_t width) : type_(type), width_(width) {}
  // Sets gid[r] for each row of `c` (its first n rows): add(r) for a key not seen before
  // (which returns the new group's number), null(r) for a NULL key (which returns its group).
  void assign(const parquet::Column& c, size_t n, size_t groups, std::vector<size_t>& gid,
              const std::function<size_t(size_t)>& add, const std::function<size_t(size_t)>& null);
  // Memory held by the index.
  uint64_t bytes() const { return dir_.size() * sizeof(uint32_t) + hash_.size() * 48; }

 private:
  // The integer the direct array files a key of hash_ (its bits) under; false when it has
  // none (a double that is not an integer, or a type the array does not serve).
  bool slot_of_raw(uint64_t raw, int64_t& k) const;
  // Widens the direct array to cover the keys of rows [from, n) of c when the range stays small.
  void widen(const parquet::Column& c, size_t from, size_t n, size_t groups);

  parquet::Type type_;
  size_t width_;
  int64_t lo_ = 0;
  std::vector<uint32_t> dir_;  // group + 1 of key lo_ + i; 0: not seen
  std::unordered_map<uint64_t, size_t> hash_;  // keys outside the array, by their bits
};

}  // namespace astrolake::engine
