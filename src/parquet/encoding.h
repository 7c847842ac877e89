// Parquet value and level encodings (see the Parquet spec, Encodings.md). Decoders are bounds-
// checked: malformed input throws FormatError-compatible std::runtime_error subclasses
// (EncodingError) with a short reason, never reads out of range.
#pragma once
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

namespace astrolake::parquet {

class EncodingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// --- RLE / bit-packed hybrid (levels, dictionary indices, booleans) ---------------------
// Decodes exactly `count` values of `bit_width` bits from `in` (no length prefix) into out.
// Returns the number of input bytes consumed.
size_t rle_decode(std::span<const uint8_t> in, int bit_width, uint32_t* out, size_t count);
// Encodes values (each < 2^bit_width) without a length prefix, appending to out.
void rle_encode(const uint32_t* values, size_t count, int bit_width, std::vector<uint8_t>& out);
int bit_width_for(uint64_t max_value);  // 0 for 0, else floor(log2)+1

// --- DELTA_BINARY_PACKED (INT32/INT64) -------------------------------------------------
// Decodes the first `count` values (the stream must hold at least that many; throws otherwise)
// and returns the bytes taken by the whole stream. T is int32_t or int64_t; arithmetic wraps.
// Encoding uses blocks of 128 values in 4 miniblocks (what pyarrow and parquet-java write).
template <class T> size_t delta_binary_decode(std::span<const uint8_t> in, T* out, size_t count);
template <class T> void delta_binary_encode(const T* values, size_t count, std::vector<uint8_t>& out);

// --- DELTA_LENGTH_BYTE_ARRAY: lengths (delta packed) then concatenated bytes -------------
// Appends `count` strings: offsets gets count entries appended (each the end offset relative
// to chars' start, continuing from offsets.back() if non-empty), chars gets the bytes.
size_t delta_length_decode(std::span<const uint8_t> in, size_t count, std::vector<int64_t>& offsets,
                           std::vector<uint8_t>& chars);
// --- DELTA_BYTE_ARRAY (prefix lengths + suffixes), same output convention -----------------
size_t delta_byte_array_decode(std::span<const uint8_t> in, size_t count, std::vector<int64_t>& offsets,
                               std::vector<uint8_t>& chars);
// Encoders for the byte-array encodings take `count` strings as count+1 offsets into chars
// (offsets[0] need not be 0).
void delta_length_encode(const int64_t* offsets, const uint8_t* chars, size_t count, std::vector<uint8_t>& out);
void delta_byte_array_encode(const int64_t* offsets, const uint8_t* chars, size_t count,
                             std::vector<uint8_t>& out);

// --- BYTE_STREAM_SPLIT (FLOAT/DOUBLE, also INT32/INT64 in newer files) -----------------
// `in` holds count*width bytes split into `width` streams; writes count*width bytes to out.
void byte_stream_split_decode(std::span<const uint8_t> in, size_t width, size_t count, uint8_t* out);
// `in` holds count values of `width` bytes; appends count*width bytes to out.
void byte_stream_split_encode(const uint8_t* in, size_t width, size_t count, std::vector<uint8_t>& out);

// --- PLAIN BYTE_ARRAY: 4-byte little-endian length + bytes, repeated -------------------
size_t plain_byte_array_decode(std::span<const uint8_t> in, size_t count, std::vector<int64_t>& offsets,
                               std::vector<uint8_t>& chars);
void plain_byte_array_encode(const int64_t* offsets, const uint8_t* chars, size_t count,
                             std::vector<uint8_t>& out);
// PLAIN BOOLEAN: bit-packed LSB first.
size_t plain_bool_decode(std::span<const uint8_t> in, size_t count, uint8_t* out);
void plain_bool_encode(const uint8_t* values, size_t count, std::vector<uint8_t>& out);

// --- ULEB128 / zigzag varints (shared with the Thrift compact protocol) ----------------
uint64_t read_uleb128(std::span<const uint8_t> in, size_t& pos);  // throws on overrun / >10 bytes
void write_uleb128(uint64_t v, std::vector<uint8_t>& out);
inline int64_t zigzag_decode(uint64_t v) { return int64_t(v >> 1) ^ -int64_t(v & 1); }
inline uint64_t zigzag_encode(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }

}  // namespace astrolake::parquet
