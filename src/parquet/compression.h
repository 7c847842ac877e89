// Page compression codecs: UNCOMPRESSED, SNAPPY, GZIP, ZSTD; LZ4_RAW can be read but not
// written; LZO/BROTLI/LZ4 (Hadoop framing) are rejected with a clear error.
// Codec ids are the Parquet thrift CompressionCodec values.
#pragma once
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

namespace astrolake::parquet {

class CompressionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parquet thrift CompressionCodec: 0 UNCOMPRESSED, 1 SNAPPY, 2 GZIP, 3 LZO, 4 BROTLI, 5 LZ4,
// 6 ZSTD, 7 LZ4_RAW.
const char* codec_name(int codec);
// Decompresses into exactly `out.size()` bytes (the page header's uncompressed size); throws
// CompressionError if the data is corrupt, the size disagrees, or the codec is unsupported.
void decompress(int codec, std::span<const uint8_t> in, std::span<uint8_t> out);
// Appends the compressed bytes of `in` to `out`.
void compress(int codec, std::span<const uint8_t> in, std::vector<uint8_t>& out, int level = 1);

}  // namespace astrolake::parquet
