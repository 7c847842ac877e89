// Parquet encodings, written from the spec (parquet-format Encodings.md). Every decoder checks
// each read against the input size; a malformed stream throws EncodingError and never reads
// past `in`.
#include "parquet/encoding.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>

namespace astrolake::parquet {

namespace {

[[noreturn]] void fail(const std::string& what) { throw EncodingError(what); }

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian host assumed (x86-64 / aarch64), as the whole project does
}

// Unpacks 8 values of BW bits (LSB-first) from `p`, which must have BW + 8 readable bytes
// (callers copy the group into a padded scratch buffer). BW is a template parameter so the
// compiler turns each width into straight-line shifts and masks.
template <int BW>
inline void unpack8(const uint8_t* p, uint32_t* out) {
  if constexpr (BW == 0) {
    for (int i = 0; i < 8; i++) out[i] = 0;
  } else {
    constexpr uint64_t mask = BW == 32 ? 0xffffffffull : ((1ull << BW) - 1);
    for (int i = 0; i < 8; i++) {
      const int bit = i * BW;
      out[i] = uint32_t((load64(p + bit / 8) >> (bit % 8)) & mask);
    }
  }
}

// Unpacks n values of BW bits starting at p, where only `avail` bytes may be read (the caller
// has checked that ceil(n*BW/8) <= avail). Whole groups with 8 spare bytes behind them are
// read in place; the rest go through a zero-padded scratch copy.
template <int BW>
void unpack_run(const uint8_t* p, size_t avail, uint32_t* out, size_t n) {
  size_t i = 0, byte = 0;
  while (i + 8 <= n && byte + BW + 8 <= avail) {
    unpack8<BW>(p + byte, out + i);
    i += 8;
    byte += BW;
  }
  uint8_t scratch[48];
  uint32_t tmp[8];
  while (i < n) {
    size_t take = std::min<size_t>(BW, avail > byte ? avail - byte : 0);
    std::memset(scratch, 0, sizeof(scratch));
    if (take) std::memcpy(scratch, p + byte, take);
    unpack8<BW>(scratch, tmp);
    size_t k = std::min<size_t>(8, n - i);
    std::memcpy(out + i, tmp, k * sizeof(uint32_t));
    i += k;
    byte += BW;
  }
}

using UnpackFn = void (*)(const uint8_t*, size_t, uint32_t*, size_t);

template <int... W>
constexpr auto make_unpack_table(std::integer_sequence<int, W...>) {
  return std::array<UnpackFn, sizeof...(W)>{&unpack_run<W>...};
}
// One specialised loop per width 0..32, chosen once per run rather than per value.
constexpr auto kUnpack = make_unpack_table(std::make_integer_sequence<int, 33>{});

inline void unpack32(const uint8_t* p, size_t avail, int bw, uint32_t* out, size_t n) {
  kUnpack[bw](p, avail, out, n);
}

// Unpacks n values of up to 64 bits; used by DELTA_BINARY_PACKED for widths > 32.
void unpack64(const uint8_t* p, size_t avail, int bw, uint64_t* out, size_t n) {
  unsigned __int128 acc = 0;
  int bits = 0;
  size_t pos = 0;
  const uint64_t mask = bw == 64 ? ~0ull : ((1ull << bw) - 1);
  for (size_t i = 0; i < n; i++) {
    while (bits < bw) {
      uint8_t b = pos < avail ? p[pos] : 0;
      pos++;
      acc |= (unsigned __int128)b << bits;
      bits += 8;
    }
    out[i] = uint64_t(acc) & mask;
    acc >>= bw;
    bits -= bw;
  }
}

// Appends n values (n a multiple of 8) of bw bits, LSB first: exactly n*bw/8 bytes.
void pack_bits(const uint64_t* v, size_t n, int bw, std::vector<uint8_t>& out) {
  if (bw == 0) return;
  size_t base = out.size();
  out.resize(base + n * size_t(bw) / 8);
  uint8_t* dst = out.data() + base;
  unsigned __int128 acc = 0;
  int bits = 0;
  const uint64_t mask = bw == 64 ? ~0ull : ((1ull << bw) - 1);
  for (size_t i = 0; i < n; i++) {
    acc |= (unsigned __int128)(v[i] & mask) << bits;
    bits += bw;
    if (bits >= 64) {
      uint64_t w = uint64_t(acc);
      std::memcpy(dst, &w, 8);
      dst += 8;
      acc >>= 64;
      bits -= 64;
    }
  }
  for (; bits > 0; bits -= 8) {
    *dst++ = uint8_t(acc);
    acc >>= 8;
  }
}

// --- DELTA_BINARY_PACKED header ------------------------------------------------------

struct DeltaHeader {
  uint64_t block_size = 0, miniblocks = 0, total = 0, per_mini = 0;
  int64_t first = 0;
};

DeltaHeader read_delta_header(std::span<const uint8_t> in, size_t& pos) {
  DeltaHeader h;
  h.block_size = read_uleb128(in, pos);
  h.miniblocks = read_uleb128(in, pos);
  h.total = read_uleb128(in, pos);
  h.first = zigzag_decode(read_uleb128(in, pos));
  // The spec asks for block sizes that are multiples of 128 and miniblocks of multiples of 32
  // values; we accept any miniblock size that is a multiple of 8 (the spec's own examples use
  // 8) because that is all the unpacking needs.
  if (h.block_size == 0 || h.block_size > (1u << 20) || h.miniblocks == 0 || h.miniblocks > h.block_size ||
      h.block_size % h.miniblocks != 0 || (h.block_size / h.miniblocks) % 8 != 0)
    fail("delta: bad header (block size " + std::to_string(h.block_size) + ", miniblocks " +
         std::to_string(h.miniblocks) + ")");
  h.per_mini = h.block_size / h.miniblocks;
  // Every block takes at least 1 + miniblocks bytes, so a short stream cannot claim more values
  // than that allows; this stops a corrupt count from driving huge allocations in callers.
  uint64_t left = in.size() - pos;
  uint64_t max_blocks = left / (1 + h.miniblocks);
  if (h.total > 1 && (h.total - 1 + h.block_size - 1) / h.block_size > max_blocks)
    fail("delta: header claims " + std::to_string(h.total) + " values but only " + std::to_string(left) +
         " bytes follow");
  return h;
}

template <class T>
size_t delta_decode_impl(std::span<const uint8_t> in, T* out, size_t count) {
  using U = std::make_unsigned_t<T>;
  constexpr int kBits = int(sizeof(T) * 8);
  size_t pos = 0;
  DeltaHeader h = read_delta_header(in, pos);
  if (h.total < count)
    fail("delta: stream holds " + std::to_string(h.total) + " values, expected " + std::to_string(count));
  if (h.total == 0) return pos;
  U last = U(h.first);
  if (count > 0) out[0] = T(last);
  size_t produced = 1;
  uint64_t remaining = h.total - 1;
  uint32_t buf32[256];
  uint64_t buf64[256];
  while (remaining > 0) {
    U min_delta = U(zigzag_decode(read_uleb128(in, pos)));
    if (in.size() - pos < h.miniblocks) fail("delta: truncated miniblock widths");
    const uint8_t* widths = in.data() + pos;
    pos += h.miniblocks;
    for (uint64_t m = 0; m < h.miniblocks && remaining > 0; m++) {
      int bw = widths[m];
      if (bw > kBits) fail("delta: miniblock bit width " + std::to_string(bw) + " too large");
      uint64_t n = std::min<uint64_t>(h.per_mini, remaining);
      uint64_t full_bytes = h.per_mini * bw / 8;
      uint64_t need = (n * bw + 7) / 8;
      size_t avail = in.size() - pos;
      if (need > avail) fail("delta: truncated miniblock");
      const uint8_t* p = in.data() + pos;
      size_t p_avail = std::min<uint64_t>(avail, full_bytes);
      // Unpack in chunks of up to 256 values; chunk starts stay byte aligned (multiples of 8).
      for (uint64_t done = 0; done < n;) {
        size_t k = std::min<uint64_t>(256, n - done);
        size_t off = done * bw / 8;
        if (bw <= 32) {
          unpack32(p + off, p_avail - off, bw, buf32, k);
          for (size_t j = 0; j < k; j++) {
            last = U(last + min_delta + U(buf32[j]));
            if (produced < count) out[produced] = T(last);
            produced++;
          }
        } else {
          unpack64(p + off, p_avail - off, bw, buf64, k);
          for (size_t j = 0; j < k; j++) {
            last = U(last + min_delta + U(buf64[j]));
            if (produced < count) out[produced] = T(last);
            produced++;
          }
        }
        done += k;
      }
      pos += std::min<uint64_t>(full_bytes, avail);
      remaining -= n;
    }
  }
  return pos;
}

template <class T>
void delta_encode_impl(const T* values, size_t count, std::vector<uint8_t>& out) {
  using U = std::make_unsigned_t<T>;
  constexpr size_t kBlock = 128, kMinis = 4, kPer = kBlock / kMinis;
  write_uleb128(kBlock, out);
  write_uleb128(kMinis, out);
  write_uleb128(count, out);
  write_uleb128(zigzag_encode(count ? int64_t(values[0]) : 0), out);
  if (count <= 1) return;
  U prev = U(values[0]);
  U deltas[kBlock];
  uint64_t packed[kPer];
  for (size_t i = 1; i < count; i += kBlock) {
    size_t n = std::min(kBlock, count - i);
    T min_delta = 0;
    for (size_t j = 0; j < n; j++) {
      U v = U(values[i + j]);
      deltas[j] = U(v - prev);  // wraps: the decoder adds back in the same unsigned domain
      prev = v;
      T d = T(deltas[j]);
      if (j == 0 || d < min_delta) min_delta = d;
    }
    write_uleb128(zigzag_encode(int64_t(min_delta)), out);
    uint8_t widths[kMinis] = {0, 0, 0, 0};
    for (size_t m = 0; m * kPer < n; m++) {
      U mx = 0;
      for (size_t j = m * kPer; j < std::min(n, (m + 1) * kPer); j++) mx = std::max<U>(mx, U(deltas[j] - U(min_delta)));
      widths[m] = uint8_t(bit_width_for(mx));
    }
    out.insert(out.end(), widths, widths + kMinis);
    for (size_t m = 0; m * kPer < n; m++) {
      for (size_t j = 0; j < kPer; j++) {
        size_t k = m * kPer + j;
        packed[j] = k < n ? uint64_t(U(deltas[k] - U(min_delta))) : 0;
      }
      pack_bits(packed, kPer, widths[m], out);
    }
  }
}

// Appends strings given by lengths + a contiguous run of bytes; shared by the byte-array
// decoders. `lens` come from untrusted input.
size_t append_strings(const int32_t* lens, size_t count, std::span<const uint8_t> data,
                      std::vector<int64_t>& offsets, std::vector<uint8_t>& chars) {
  uint64_t total = 0;
  for (size_t i = 0; i < count; i++) {
    if (lens[i] < 0) fail("negative string length " + std::to_string(lens[i]));
    total += uint64_t(lens[i]);
  }
  if (total > data.size())
    fail("string data truncated: need " + std::to_string(total) + " bytes, have " + std::to_string(data.size()));
  int64_t base = offsets.empty() ? 0 : offsets.back();
  offsets.reserve(offsets.size() + count);
  for (size_t i = 0; i < count; i++) {
    base += lens[i];
    offsets.push_back(base);
  }
  chars.insert(chars.end(), data.begin(), data.begin() + total);
  return size_t(total);
}

}  // namespace

// --- ULEB128 ---------------------------------------------------------------------------

uint64_t read_uleb128(std::span<const uint8_t> in, size_t& pos) {
  uint64_t v = 0;
  for (int i = 0; i < 10; i++) {
    if (pos >= in.size()) fail("varint truncated");
    uint8_t b = in[pos++];
    if (i == 9 && b > 1) fail("varint overflows 64 bits");
    v |= uint64_t(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return v;
  }
  fail("varint longer than 10 bytes");
}

void write_uleb128(uint64_t v, std::vector<uint8_t>& out) {
  while (v >= 0x80) {
    out.push_back(uint8_t(v) | 0x80);
    v >>= 7;
  }
  out.push_back(uint8_t(v));
}

int bit_width_for(uint64_t max_value) { return max_value == 0 ? 0 : 64 - std::countl_zero(max_value); }

// --- RLE / bit-packed hybrid -------------------------------------------------------------

size_t rle_decode(std::span<const uint8_t> in, int bit_width, uint32_t* out, size_t count) {
  if (bit_width < 0 || bit_width > 32) fail("RLE: bit width " + std::to_string(bit_width) + " out of range");
  const size_t vbytes = size_t(bit_width + 7) / 8;
  size_t pos = 0, done = 0;
  while (done < count) {
    if (pos >= in.size()) {
      // Width 0 carries no information; some writers emit no runs at all for it.
      if (bit_width == 0) {
        std::fill(out + done, out + count, 0u);
        return pos;
      }
      fail("RLE: data ends after " + std::to_string(done) + " of " + std::to_string(count) + " values");
    }
    uint64_t header = read_uleb128(in, pos);
    if (header & 1) {
      uint64_t groups = header >> 1;
      size_t avail = in.size() - pos;
      // Values in this run; capped by what we still need (a corrupt header can say anything).
      uint64_t n = std::min<uint64_t>(groups > (1ull << 60) ? (1ull << 63) : groups * 8, count - done);
      uint64_t need = (n * bit_width + 7) / 8;
      if (need > avail) fail("RLE: bit-packed run truncated");
      uint64_t run_bytes = groups > avail ? avail : std::min<uint64_t>(groups * bit_width, avail);
      unpack32(in.data() + pos, size_t(run_bytes), bit_width, out + done, size_t(n));
      pos += size_t(run_bytes);
      done += size_t(n);
    } else {
      uint64_t run = header >> 1;
      if (in.size() - pos < vbytes) fail("RLE: repeated value truncated");
      uint32_t v = 0;
      for (size_t b = 0; b < vbytes; b++) v |= uint32_t(in[pos + b]) << (8 * b);
      pos += vbytes;
      if (bit_width < 32 && (v >> bit_width) != 0)
        fail("RLE: value " + std::to_string(v) + " wider than " + std::to_string(bit_width) + " bits");
      size_t n = size_t(std::min<uint64_t>(run, count - done));
      std::fill(out + done, out + done + n, v);
      done += n;
    }
  }
  return pos;
}

void rle_encode(const uint32_t* values, size_t count, int bit_width, std::vector<uint8_t>& out) {
  if (bit_width < 0 || bit_width > 32) fail("RLE: bit width " + std::to_string(bit_width) + " out of range");
  const size_t vbytes = size_t(bit_width + 7) / 8;
  // Runs must stay below 2^31 values (spec); keep bit-packed runs to whole groups of 8.
  constexpr size_t kMaxRun = (1u << 31) - 1;
  constexpr size_t kMaxLiteralGroups = kMaxRun / 8;
  uint64_t group[8];
  auto emit_literal = [&](size_t from, size_t to) {  // [from, to) padded with zeros to 8s
    while (from < to) {
      size_t groups = std::min((to - from + 7) / 8, kMaxLiteralGroups);
      write_uleb128((uint64_t(groups) << 1) | 1, out);
      for (size_t g = 0; g < groups; g++) {
        for (size_t k = 0; k < 8; k++) {
          size_t i = from + g * 8 + k;
          group[k] = i < to ? values[i] : 0;
        }
        pack_bits(group, 8, bit_width, out);
      }
      from = std::min(to, from + groups * 8);
    }
  };
  auto emit_run = [&](uint32_t v, size_t len) {
    while (len > 0) {
      size_t n = std::min(len, kMaxRun);
      write_uleb128(uint64_t(n) << 1, out);
      for (size_t b = 0; b < vbytes; b++) out.push_back(uint8_t(v >> (8 * b)));
      len -= n;
    }
  };
  size_t lit_start = 0, i = 0;
  while (i < count) {
    size_t r = 1;
    while (i + r < count && values[i + r] == values[i]) r++;
    if (r >= 8) {
      size_t pending = i - lit_start;
      if (pending > 0) {
        // A bit-packed run in the middle must hold a multiple of 8 values: borrow some of the
        // repeated values to fill the last group, if enough of the run is left to be worth it.
        size_t pad = (8 - pending % 8) % 8;
        if (r - pad < 8) {
          i += r;
          continue;
        }
        i += pad;
        r -= pad;
        emit_literal(lit_start, i);
      }
      emit_run(values[i], r);
      i += r;
      lit_start = i;
    } else {
      i += r;
    }
  }
  emit_literal(lit_start, count);
}

// --- DELTA_BINARY_PACKED -------------------------------------------------------------------

template <class T>
size_t delta_binary_decode(std::span<const uint8_t> in, T* out, size_t count) {
  return delta_decode_impl<T>(in, out, count);
}
template <class T>
void delta_binary_encode(const T* values, size_t count, std::vector<uint8_t>& out) {
  delta_encode_impl<T>(values, count, out);
}
template size_t delta_binary_decode<int32_t>(std::span<const uint8_t>, int32_t*, size_t);
template size_t delta_binary_decode<int64_t>(std::span<const uint8_t>, int64_t*, size_t);
template void delta_binary_encode<int32_t>(const int32_t*, size_t, std::vector<uint8_t>&);
template void delta_binary_encode<int64_t>(const int64_t*, size_t, std::vector<uint8_t>&);

// --- DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY --------------------------------------------

size_t delta_length_decode(std::span<const uint8_t> in, size_t count, std::vector<int64_t>& offsets,
                           std::vector<uint8_t>& chars) {
  // Parse the header first so a corrupt count cannot make us allocate before failing.
  size_t hpos = 0;
  DeltaHeader h = read_delta_header(in, hpos);
  if (h.total < count)
    fail("delta length: stream holds " + std::to_string(h.total) + " lengths, expected " + std::to_string(count));
  std::vector<int32_t> lens(count);
  size_t pos = delta_binary_decode<int32_t>(in, lens.data(), count);
  pos += append_strings(lens.data(), count, in.subspan(pos), offsets, chars);
  return pos;
}

size_t delta_byte_array_decode(std::span<const uint8_t> in, size_t count, std::vector<int64_t>& offsets,
                               std::vector<uint8_t>& chars) {
  size_t hpos = 0;
  DeltaHeader h = read_delta_header(in, hpos);
  if (h.total < count)
    fail("delta byte array: stream holds " + std::to_string(h.total) + " prefixes, expected " +
         std::to_string(count));
  std::vector<int32_t> prefix(count);
  size_t pos = delta_binary_decode<int32_t>(in, prefix.data(), count);
  std::vector<int64_t> soff;
  std::vector<uint8_t> schars;
  pos += delta_length_decode(in.subspan(pos), count, soff, schars);
  // Rebuild each value as (prefix of the previous value) + suffix.
  int64_t base = offsets.empty() ? 0 : offsets.back();
  size_t prev_start = chars.size(), prev_len = 0;
  offsets.reserve(offsets.size() + count);
  for (size_t i = 0; i < count; i++) {
    if (prefix[i] < 0 || size_t(prefix[i]) > prev_len)
      fail("delta byte array: prefix length " + std::to_string(prefix[i]) + " exceeds previous value (" +
           std::to_string(prev_len) + " bytes) at value " + std::to_string(i));
    size_t s0 = i == 0 ? 0 : size_t(soff[i - 1]);
    size_t slen = size_t(soff[i]) - s0;
    size_t start = chars.size();
    size_t p = size_t(prefix[i]);
    chars.resize(start + p + slen);
    if (p) std::memmove(chars.data() + start, chars.data() + prev_start, p);
    if (slen) std::memcpy(chars.data() + start + p, schars.data() + s0, slen);
    prev_start = start;
    prev_len = p + slen;
    base += int64_t(prev_len);
    offsets.push_back(base);
  }
  return pos;
}

void delta_length_encode(const int64_t* offsets, const uint8_t* chars, size_t count, std::vector<uint8_t>& out) {
  std::vector<int32_t> lens(count);
  for (size_t i = 0; i < count; i++) lens[i] = int32_t(offsets[i + 1] - offsets[i]);
  delta_binary_encode<int32_t>(lens.data(), count, out);
  if (count) out.insert(out.end(), chars + offsets[0], chars + offsets[count]);
}

void delta_byte_array_encode(const int64_t* offsets, const uint8_t* chars, size_t count,
                             std::vector<uint8_t>& out) {
  std::vector<int32_t> prefix(count), suffix_len(count);
  std::vector<uint8_t> suffixes;
  for (size_t i = 0; i < count; i++) {
    const uint8_t* s = chars + offsets[i];
    size_t len = size_t(offsets[i + 1] - offsets[i]);
    size_t p = 0;
    if (i > 0) {
      const uint8_t* prev = chars + offsets[i - 1];
      size_t plen = size_t(offsets[i] - offsets[i - 1]);
      size_t lim = std::min(plen, len);
      while (p < lim && prev[p] == s[p]) p++;
    }
    prefix[i] = int32_t(p);
    suffix_len[i] = int32_t(len - p);
    suffixes.insert(suffixes.end(), s + p, s + len);
  }
  delta_binary_encode<int32_t>(prefix.data(), count, out);
  delta_binary_encode<int32_t>(suffix_len.data(), count, out);
  out.insert(out.end(), suffixes.begin(), suffixes.end());
}

// --- BYTE_STREAM_SPLIT ------------------------------------------------------------------

void byte_stream_split_decode(std::span<const uint8_t> in, size_t width, size_t count, uint8_t* out) {
  if (width == 0 || width > 16) fail("byte stream split: bad width " + std::to_string(width));
  if (count > in.size() / width)
    fail("byte stream split: need " + std::to_string(count) + " x " + std::to_string(width) + " bytes, have " +
         std::to_string(in.size()));
  const uint8_t* src = in.data();
  if (width == 4) {
    for (size_t i = 0; i < count; i++) {
      out[4 * i] = src[i];
      out[4 * i + 1] = src[count + i];
      out[4 * i + 2] = src[2 * count + i];
      out[4 * i + 3] = src[3 * count + i];
    }
    return;
  }
  for (size_t k = 0; k < width; k++) {
    const uint8_t* s = src + k * count;
    for (size_t i = 0; i < count; i++) out[i * width + k] = s[i];
  }
}

void byte_stream_split_encode(const uint8_t* in, size_t width, size_t count, std::vector<uint8_t>& out) {
  size_t base = out.size();
  out.resize(base + width * count);
  uint8_t* dst = out.data() + base;
  for (size_t k = 0; k < width; k++)
    for (size_t i = 0; i < count; i++) dst[k * count + i] = in[i * width + k];
}

// --- PLAIN BYTE_ARRAY / BOOLEAN -----------------------------------------------------------

size_t plain_byte_array_decode(std::span<const uint8_t> in, size_t count, std::vector<int64_t>& offsets,
                               std::vector<uint8_t>& chars) {
  size_t pos = 0;
  int64_t base = offsets.empty() ? 0 : offsets.back();
  // Each value takes at least its 4-byte length, which bounds a sane reservation.
  offsets.reserve(offsets.size() + std::min(count, in.size() / 4));
  for (size_t i = 0; i < count; i++) {
    if (in.size() - pos < 4)
      fail("plain byte array: length of value " + std::to_string(i) + " of " + std::to_string(count) + " truncated");
    uint32_t len;
    std::memcpy(&len, in.data() + pos, 4);
    pos += 4;
    if (len > in.size() - pos)
      fail("plain byte array: value " + std::to_string(i) + " of " + std::to_string(len) + " bytes overruns page");
    chars.insert(chars.end(), in.data() + pos, in.data() + pos + len);
    pos += len;
    base += len;
    offsets.push_back(base);
  }
  return pos;
}

void plain_byte_array_encode(const int64_t* offsets, const uint8_t* chars, size_t count,
                             std::vector<uint8_t>& out) {
  for (size_t i = 0; i < count; i++) {
    uint32_t len = uint32_t(offsets[i + 1] - offsets[i]);
    const uint8_t* l = reinterpret_cast<const uint8_t*>(&len);
    out.insert(out.end(), l, l + 4);
    out.insert(out.end(), chars + offsets[i], chars + offsets[i + 1]);
  }
}

size_t plain_bool_decode(std::span<const uint8_t> in, size_t count, uint8_t* out) {
  size_t bytes = count / 8 + (count % 8 != 0);
  if (bytes > in.size())
    fail("plain boolean: need " + std::to_string(bytes) + " bytes for " + std::to_string(count) + " values, have " +
         std::to_string(in.size()));
  for (size_t i = 0; i < count; i++) out[i] = (in[i >> 3] >> (i & 7)) & 1;
  return bytes;
}

void plain_bool_encode(const uint8_t* values, size_t count, std::vector<uint8_t>& out) {
  size_t base = out.size();
  out.resize(base + count / 8 + (count % 8 != 0), 0);
  for (size_t i = 0; i < count; i++)
    if (values[i]) out[base + (i >> 3)] |= uint8_t(1u << (i & 7));
}

}  // namespace astrolake::parquet
