// libFuzzer target for the page decoders and codecs alone: the first input byte picks a
// decoder and its parameters, the rest is the encoded stream. Decoders must return or throw
// EncodingError / CompressionError; they must never read or write out of bounds. Where a
// decoder succeeds, re-encoding and decoding again must give the same values.
#include <cstring>
#include <vector>

#include "parquet/compression.h"
#include "parquet/encoding.h"

using namespace astrolake::parquet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int op = data[0] % 10;
  const int param = data[1];
  std::span<const uint8_t> in(data + 2, size - 2);
  const size_t count = size_t(param) * 4 + 1;  // up to ~1000 values
  try {
    switch (op) {
      case 0: {
        int bw = param % 33;
        std::vector<uint32_t> out(count);
        rle_decode(in, bw, out.data(), count);
        std::vector<uint8_t> enc;
        rle_encode(out.data(), count, bw, enc);
        std::vector<uint32_t> again(count);
        rle_decode(enc, bw, again.data(), count);
        if (again != out) __builtin_trap();
        break;
      }
      case 1: case 2: {
        std::vector<int64_t> out(count / 4);
        if (op == 1) {
          delta_binary_decode<int64_t>(in, out.data(), out.size());
        } else {
          std::vector<int32_t> o32(out.size());
          delta_binary_decode<int32_t>(in, o32.data(), o32.size());
          for (size_t i = 0; i < o32.size(); i++) out[i] = o32[i];
        }
        std::vector<uint8_t> enc;
        delta_binary_encode<int64_t>(out.data(), out.size(), enc);
        std::vector<int64_t> again(out.size());
        delta_binary_decode<int64_t>(enc, again.data(), again.size());
        if (again != out) __builtin_trap();
        break;
      }
      case 3: case 4: case 5: {
        std::vector<int64_t> offs;
        std::vector<uint8_t> chars;
        size_t n = count / 8;
        if (op == 3) delta_length_decode(in, n, offs, chars);
        else if (op == 4) delta_byte_array_decode(in, n, offs, chars);
        else plain_byte_array_decode(in, n, offs, chars);
        if (offs.size() != n || (n && size_t(offs.back()) != chars.size())) __builtin_trap();
        break;
      }
      case 6: {
        size_t width = 1 + param % 16;
        std::vector<uint8_t> out(width * (in.size() / width));
        byte_stream_split_decode(in, width, in.size() / width, out.data());
        break;
      }
      case 7: {
        std::vector<uint8_t> out(count);
        plain_bool_decode(in, count, out.data());
        break;
      }
      default: {
        const int codecs[] = {1, 2, 6, 7};
        std::vector<uint8_t> out(size_t(param) * 64);
        decompress(codecs[param % 4], in, out);
        break;
      }
    }
  } catch (const EncodingError&) {
  } catch (const CompressionError&) {
  }
  return 0;
}
