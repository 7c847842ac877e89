// Encodings: spec byte vectors (Encodings.md), round trips on random data for every bit
// width, and corrupt/truncated inputs that must throw instead of reading out of bounds.
#include "parquet/encoding.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace astrolake::parquet {
namespace {

using Bytes = std::vector<uint8_t>;

uint64_t mask_for(int bw) { return bw == 0 ? 0 : (bw >= 64 ? ~0ull : ((1ull << bw) - 1)); }

// --- ULEB128 / zigzag -------------------------------------------------------------------

TEST(Uleb128, KnownBytes) {
  Bytes out;
  write_uleb128(624485, out);  // the Wikipedia LEB128 example
  EXPECT_EQ(out, (Bytes{0xE5, 0x8E, 0x26}));
  size_t pos = 0;
  EXPECT_EQ(read_uleb128(out, pos), 624485u);
  EXPECT_EQ(pos, 3u);
}

TEST(Uleb128, RoundTripExtremes) {
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, (1ull << 63), ~0ull}) {
    Bytes out;
    write_uleb128(v, out);
    size_t pos = 0;
    EXPECT_EQ(read_uleb128(out, pos), v);
    EXPECT_EQ(pos, out.size());
  }
  EXPECT_EQ(zigzag_encode(0), 0u);
  EXPECT_EQ(zigzag_encode(-1), 1u);
  EXPECT_EQ(zigzag_encode(1), 2u);
  EXPECT_EQ(zigzag_decode(zigzag_encode(std::numeric_limits<int64_t>::min())), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(zigzag_decode(zigzag_encode(std::numeric_limits<int64_t>::max())), std::numeric_limits<int64_t>::max());
}

TEST(Uleb128, MalformedThrows) {
  size_t pos = 0;
  EXPECT_THROW(read_uleb128(Bytes{0x80, 0x80}, pos), EncodingError);  // truncated
  pos = 0;
  Bytes eleven(11, 0x80);
  EXPECT_THROW(read_uleb128(eleven, pos), EncodingError);  // too long
  pos = 0;
  Bytes over(9, 0xff);
  over.push_back(0x02);  // 10th byte may only carry one bit
  EXPECT_THROW(read_uleb128(over, pos), EncodingError);
  pos = 0;
  EXPECT_THROW(read_uleb128(Bytes{}, pos), EncodingError);
}

TEST(BitWidth, Values) {
  EXPECT_EQ(bit_width_for(0), 0);
  EXPECT_EQ(bit_width_for(1), 1);
  EXPECT_EQ(bit_width_for(7), 3);
  EXPECT_EQ(bit_width_for(8), 4);
  EXPECT_EQ(bit_width_for(~0ull), 64);
}

// --- RLE / bit-packed hybrid ------------------------------------------------------------

TEST(Rle, SpecBitPackedExample) {
  // Encodings.md: 0..7 with bit width 3 packs to 10001000 11000110 11111010.
  Bytes in = {0x03, 0x88, 0xC6, 0xFA};  // header: 1 group << 1 | 1
  uint32_t out[8];
  EXPECT_EQ(rle_decode(in, 3, out, 8), 4u);
  for (uint32_t i = 0; i < 8; i++) EXPECT_EQ(out[i], i);
  // Our encoder writes the same bytes for these values (no run of 8 repeats).
  uint32_t vals[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  Bytes enc;
  rle_encode(vals, 8, 3, enc);
  EXPECT_EQ(enc, in);
}

TEST(Rle, RepeatedRun) {
  // 100 copies of 5 at bit width 3: header 100<<1 = 200 -> ULEB C8 01, then one value byte.
  Bytes in = {0xC8, 0x01, 0x05};
  std::vector<uint32_t> out(100);
  EXPECT_EQ(rle_decode(in, 3, out.data(), 100), 3u);
  for (uint32_t v : out) EXPECT_EQ(v, 5u);
  std::vector<uint32_t> vals(100, 5);
  Bytes enc;
  rle_encode(vals.data(), 100, 3, enc);
  EXPECT_EQ(enc, in);
  // Width 17 stores the repeated value in 3 bytes.
  Bytes wide = {0x08, 0x01, 0x00, 0x01};
  uint32_t w[4];
  EXPECT_EQ(rle_decode(wide, 17, w, 4), 4u);
  for (uint32_t v : w) EXPECT_EQ(v, 65537u);
}

TEST(Rle, MixedRunsRoundTripEveryWidth) {
  std::mt19937_64 rng(42);
  for (int bw = 0; bw <= 32; bw++) {
    for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(8), size_t(9), size_t(1000), size_t(4099)}) {
      std::vector<uint32_t> vals(n);
      // Mix random literals with long runs so both run kinds and their boundaries appear.
      for (size_t i = 0; i < n;) {
        size_t len = (rng() % 3 == 0) ? 1 + rng() % 40 : 1;
        uint32_t v = uint32_t(rng() & mask_for(bw));
        for (size_t k = 0; k < len && i < n; k++) vals[i++] = v;
      }
      Bytes enc;
      rle_encode(vals.data(), n, bw, enc);
      std::vector<uint32_t> dec(n + 1, 0xdeadbeef);
      size_t used = rle_decode(enc, bw, dec.data(), n);
      EXPECT_EQ(used, enc.size()) << "bw " << bw << " n " << n;
      EXPECT_EQ(dec[n], 0xdeadbeef) << "wrote past count";
      dec.resize(n);
      ASSERT_EQ(dec, vals) << "bw " << bw << " n " << n;
    }
  }
}

TEST(Rle, PurelyRandomEveryWidth) {
  std::mt19937_64 rng(7);
  for (int bw = 1; bw <= 32; bw++) {
    size_t n = 777;
    std::vector<uint32_t> vals(n);
    for (auto& v : vals) v = uint32_t(rng() & mask_for(bw));
    vals[3] = uint32_t(mask_for(bw));  // the maximum value must survive
    Bytes enc;
    rle_encode(vals.data(), n, bw, enc);
    // Bit-packed only: header bytes + ceil(n/8) groups of bw bytes.
    EXPECT_LE(enc.size(), 3 + (n + 7) / 8 * size_t(bw));
    std::vector<uint32_t> dec(n);
    rle_decode(enc, bw, dec.data(), n);
    ASSERT_EQ(dec, vals) << "bw " << bw;
  }
}

TEST(Rle, DecodeFewerThanEncoded) {
  // Decoding a prefix stops early and reports the bytes it used.
  std::vector<uint32_t> vals(64);
  for (size_t i = 0; i < 64; i++) vals[i] = uint32_t(i % 5);
  Bytes enc;
  rle_encode(vals.data(), 64, 3, enc);
  uint32_t out[10];
  rle_decode(enc, 3, out, 10);
  for (size_t i = 0; i < 10; i++) EXPECT_EQ(out[i], vals[i]);
}

TEST(Rle, WidthZeroWithoutData) {
  uint32_t out[5] = {9, 9, 9, 9, 9};
  EXPECT_EQ(rle_decode(Bytes{}, 0, out, 5), 0u);
  for (uint32_t v : out) EXPECT_EQ(v, 0u);
}

TEST(Rle, MalformedThrows) {
  uint32_t out[64];
  EXPECT_THROW(rle_decode(Bytes{}, 3, out, 1), EncodingError);                 // no data
  EXPECT_THROW(rle_decode(Bytes{0x03, 0x88}, 3, out, 8), EncodingError);       // packed run cut
  EXPECT_THROW(rle_decode(Bytes{0x10}, 8, out, 8), EncodingError);             // value byte missing
  EXPECT_THROW(rle_decode(Bytes{0x10, 0x09}, 3, out, 8), EncodingError);       // value > 3 bits
  EXPECT_THROW(rle_decode(Bytes{0x04, 0x01}, 1, out, 8), EncodingError);       // runs end early
  EXPECT_THROW(rle_decode(Bytes{0x02, 0x01}, 33, out, 1), EncodingError);      // width too big
  EXPECT_THROW(rle_decode(Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00}, 8, out, 64),
               EncodingError);                                                 // huge packed run
  // Every truncation of a valid stream throws (never reads past the end).
  std::mt19937 rng(1);
  std::vector<uint32_t> vals(304);  // whole groups: no padding bytes a reader may do without
  for (auto& v : vals) v = rng() % 1000;
  Bytes enc;
  rle_encode(vals.data(), vals.size(), 10, enc);
  std::vector<uint32_t> dec(vals.size());
  for (size_t cut = 0; cut < enc.size(); cut++) {
    Bytes part(enc.begin(), enc.begin() + cut);
    EXPECT_THROW(rle_decode(part, 10, dec.data(), dec.size()), EncodingError) << "cut " << cut;
  }
}

// --- DELTA_BINARY_PACKED ------------------------------------------------------------------

TEST(DeltaBinary, SpecExample1) {
  // Encodings.md example 1 (block size 8, 1 miniblock): 1..5 -> header 8,1,5,zigzag(1)=2;
  // block: min delta zigzag(1)=2, width 0, no data.
  Bytes in = {8, 1, 5, 2, 2, 0};
  int32_t out[5];
  EXPECT_EQ(delta_binary_decode<int32_t>(in, out, 5), in.size());
  for (int i = 0; i < 5; i++) EXPECT_EQ(out[i], i + 1);
}

TEST(DeltaBinary, SpecExample2) {
  // Example 2: 7,5,3,1,2,3,4,5; min delta -2 (zigzag 3), width 2, relative deltas
  // 0,0,0,3,3,3,3 (+ one padding 0) bit-packed LSB first: 0xC0 0x3F.
  Bytes in = {8, 1, 8, 14, 3, 2, 0xC0, 0x3F};
  int64_t out[8];
  EXPECT_EQ(delta_binary_decode<int64_t>(in, out, 8), in.size());
  int64_t want[8] = {7, 5, 3, 1, 2, 3, 4, 5};
  for (int i = 0; i < 8; i++) EXPECT_EQ(out[i], want[i]);
}

TEST(DeltaBinary, KnownEncoderBytes) {
  // Our encoder: block 128, 4 miniblocks; 1,2,3,4,5 -> unused miniblock widths still present.
  int32_t vals[5] = {1, 2, 3, 4, 5};
  Bytes enc;
  delta_binary_encode<int32_t>(vals, 5, enc);
  EXPECT_EQ(enc, (Bytes{0x80, 0x01, 4, 5, 2, 2, 0, 0, 0, 0}));
}

template <class T>
void delta_round_trip(std::vector<T> vals, const std::string& what) {
  Bytes enc;
  delta_binary_encode<T>(vals.data(), vals.size(), enc);
  enc.push_back(0xAB);  // trailing bytes (e.g. string data) must not be consumed
  std::vector<T> dec(vals.size());
  size_t used = delta_binary_decode<T>(enc, dec.data(), dec.size());
  EXPECT_EQ(used, enc.size() - 1) << what;
  ASSERT_EQ(dec, vals) << what;
}

TEST(DeltaBinary, RoundTripEveryWidth) {
  std::mt19937_64 rng(3);
  // Values drawn so the deltas need exactly `bw` bits, for each width up to the type's.
  for (int bw = 0; bw <= 64; bw++) {
    for (size_t n : {size_t(1), size_t(2), size_t(33), size_t(128), size_t(129), size_t(1000)}) {
      std::vector<int64_t> v64(n);
      int64_t acc = int64_t(rng());
      for (auto& v : v64) {
        acc = int64_t(uint64_t(acc) + (rng() & mask_for(bw)));
        v = acc;
      }
      delta_round_trip<int64_t>(v64, "int64 bw " + std::to_string(bw) + " n " + std::to_string(n));
      if (bw <= 32) {
        std::vector<int32_t> v32(n);
        uint32_t a = uint32_t(rng());
        for (auto& v : v32) {
          a += uint32_t(rng() & mask_for(bw));
          v = int32_t(a);
        }
        delta_round_trip<int32_t>(v32, "int32 bw " + std::to_string(bw) + " n " + std::to_string(n));
      }
    }
  }
}

TEST(DeltaBinary, OverflowingDeltasWrap) {
  using L32 = std::numeric_limits<int32_t>;
  using L64 = std::numeric_limits<int64_t>;
  delta_round_trip<int32_t>({L32::max(), L32::min(), L32::max(), 0, -1, L32::min(), L32::min(), 5}, "int32 ext");
  delta_round_trip<int64_t>({L64::max(), L64::min(), L64::max(), 0, -1, L64::min(), L64::min(), 5}, "int64 ext");
  delta_round_trip<int64_t>({}, "empty");
  delta_round_trip<int32_t>({-42}, "single");
  std::mt19937_64 rng(11);
  std::vector<int64_t> r(5000);
  for (auto& v : r) v = int64_t(rng());
  delta_round_trip<int64_t>(r, "random int64");
  std::vector<int32_t> r32(5000);
  for (auto& v : r32) v = int32_t(rng());
  delta_round_trip<int32_t>(r32, "random int32");
}

TEST(DeltaBinary, MalformedThrows) {
  int64_t out[16];
  EXPECT_THROW(delta_binary_decode<int64_t>(Bytes{}, out, 1), EncodingError);
  EXPECT_THROW(delta_binary_decode<int64_t>(Bytes{0, 1, 1, 0}, out, 1), EncodingError);        // block 0
  EXPECT_THROW(delta_binary_decode<int64_t>(Bytes{8, 3, 1, 0}, out, 1), EncodingError);        // 8 % 3
  EXPECT_THROW(delta_binary_decode<int64_t>(Bytes{8, 1, 2, 0}, out, 5), EncodingError);        // too few
  EXPECT_THROW(delta_binary_decode<int64_t>(Bytes{8, 1, 3, 0, 0, 65}, out, 3), EncodingError); // width 65
  int32_t o32[3];
  EXPECT_THROW(delta_binary_decode<int32_t>(Bytes{8, 1, 3, 0, 0, 33, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                                                  15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
                                                  32, 33},
                                            o32, 3),
               EncodingError);  // int32 with 33-bit miniblock
  // Huge claimed count with no data must fail before anything is allocated or decoded.
  Bytes huge = {0x80, 0x01, 4, 0xff, 0xff, 0xff, 0xff, 0x07, 0};
  std::vector<int64_t> big(1);
  EXPECT_THROW(delta_binary_decode<int64_t>(huge, big.data(), 1), EncodingError);
  // Every truncation of a valid stream throws.
  std::mt19937_64 rng(5);
  std::vector<int64_t> vals(321);  // 320 deltas: whole miniblocks, no padding at the end
  for (auto& v : vals) v = int64_t(rng() % 100000);
  Bytes enc;
  delta_binary_encode<int64_t>(vals.data(), vals.size(), enc);
  std::vector<int64_t> dec(vals.size());
  for (size_t cut = 0; cut < enc.size(); cut++) {
    Bytes part(enc.begin(), enc.begin() + cut);
    EXPECT_THROW(delta_binary_decode<int64_t>(part, dec.data(), dec.size()), EncodingError) << "cut " << cut;
  }
}

// --- byte arrays --------------------------------------------------------------------------

struct Strings {
  std::vector<int64_t> offsets{0};
  std::vector<uint8_t> chars;
  void add(const std::string& s) {
    chars.insert(chars.end(), s.begin(), s.end());
    offsets.push_back(int64_t(chars.size()));
  }
  size_t size() const { return offsets.size() - 1; }
  std::string at(size_t i) const {
    return std::string(reinterpret_cast<const char*>(chars.data()) + offsets[i], size_t(offsets[i + 1] - offsets[i]));
  }
};

Strings random_strings(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Strings s;
  std::string prev;
  for (size_t i = 0; i < n; i++) {
    std::string v;
    if (rng() % 4 == 0) v = prev.substr(0, rng() % (prev.size() + 1));  // shared prefixes
    size_t len = rng() % 20;
    for (size_t k = 0; k < len; k++) v.push_back(char(rng() % 256));
    if (rng() % 10 == 0) v.clear();
    s.add(v);
    prev = v;
  }
  return s;
}

using Dec = size_t (*)(std::span<const uint8_t>, size_t, std::vector<int64_t>&, std::vector<uint8_t>&);
using Enc = void (*)(const int64_t*, const uint8_t*, size_t, std::vector<uint8_t>&);

void string_round_trip(Enc enc, Dec dec, const char* what) {
  for (size_t n : {size_t(0), size_t(1), size_t(5), size_t(200), size_t(3000)}) {
    Strings s = random_strings(n, n + 17);
    Bytes buf;
    enc(s.offsets.data(), s.chars.data(), n, buf);
    buf.push_back(0xEE);  // trailing page bytes are not consumed
    // Decoding appends after existing values, continuing offsets.
    std::vector<int64_t> offs{0, 3};
    std::vector<uint8_t> chars{'x', 'y', 'z'};
    size_t used = dec(buf, n, offs, chars);
    EXPECT_EQ(used, buf.size() - 1) << what << " n " << n;
    ASSERT_EQ(offs.size(), n + 2) << what;
    for (size_t i = 0; i < n; i++) {
      std::string got(reinterpret_cast<const char*>(chars.data()) + offs[i + 1], size_t(offs[i + 2] - offs[i + 1]));
      ASSERT_EQ(got, s.at(i)) << what << " value " << i;
    }
    // Every truncation (of the real stream) throws.
    if (n > 0 && n <= 200 && !s.chars.empty()) {
      for (size_t cut = 0; cut + 1 < buf.size(); cut++) {
        Bytes part(buf.begin(), buf.begin() + cut);
        std::vector<int64_t> o;
        std::vector<uint8_t> c;
        EXPECT_THROW(dec(part, n, o, c), EncodingError) << what << " cut " << cut;
      }
    }
  }
}

TEST(ByteArray, PlainRoundTrip) { string_round_trip(plain_byte_array_encode, plain_byte_array_decode, "plain"); }
TEST(ByteArray, DeltaLengthRoundTrip) { string_round_trip(delta_length_encode, delta_length_decode, "delta length"); }
TEST(ByteArray, DeltaByteArrayRoundTrip) {
  string_round_trip(delta_byte_array_encode, delta_byte_array_decode, "delta byte array");
}

TEST(ByteArray, PlainKnownBytes) {
  Bytes in = {2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0, 3, 0, 0, 0, 'a', 'b', 'c'};
  std::vector<int64_t> offs;
  std::vector<uint8_t> chars;
  EXPECT_EQ(plain_byte_array_decode(in, 3, offs, chars), in.size());
  EXPECT_EQ(offs, (std::vector<int64_t>{2, 2, 5}));
  EXPECT_EQ(std::string(chars.begin(), chars.end()), "hiabc");
  EXPECT_THROW(plain_byte_array_decode(in, 4, offs, chars), EncodingError);
  Bytes bad = {0xff, 0xff, 0xff, 0x7f, 'a'};
  EXPECT_THROW(plain_byte_array_decode(bad, 1, offs, chars), EncodingError);
}

TEST(ByteArray, SpecDeltaExamples) {
  // Encodings.md: "Hello","World","Foobar","ABCDEF" -> DeltaEncoding(5,5,6,6) + data, and
  // "axis","axle","babble","babyhood" -> prefixes (0,2,0,3), suffix lengths (4,2,6,5),
  // "axislebabbleyhood".
  Strings a;
  for (const char* s : {"Hello", "World", "Foobar", "ABCDEF"}) a.add(s);
  Bytes enc;
  delta_length_encode(a.offsets.data(), a.chars.data(), 4, enc);
  Bytes lens;
  int32_t l[4] = {5, 5, 6, 6};
  delta_binary_encode<int32_t>(l, 4, lens);
  ASSERT_LT(lens.size(), enc.size());
  EXPECT_TRUE(std::equal(lens.begin(), lens.end(), enc.begin()));
  EXPECT_EQ(std::string(enc.begin() + lens.size(), enc.end()), "HelloWorldFoobarABCDEF");

  Strings b;
  for (const char* s : {"axis", "axle", "babble", "babyhood"}) b.add(s);
  Bytes e2;
  delta_byte_array_encode(b.offsets.data(), b.chars.data(), 4, e2);
  Bytes want;
  int32_t pre[4] = {0, 2, 0, 3}, suf[4] = {4, 2, 6, 5};
  delta_binary_encode<int32_t>(pre, 4, want);
  delta_binary_encode<int32_t>(suf, 4, want);
  std::string tail = "axislebabbleyhood";
  want.insert(want.end(), tail.begin(), tail.end());
  EXPECT_EQ(e2, want);
  std::vector<int64_t> offs;
  std::vector<uint8_t> chars;
  delta_byte_array_decode(e2, 4, offs, chars);
  EXPECT_EQ(std::string(chars.begin(), chars.end()), "axisaxlebabblebabyhood");
  EXPECT_EQ(offs, (std::vector<int64_t>{4, 8, 14, 22}));
}

TEST(ByteArray, DeltaByteArrayBadPrefixThrows) {
  // Prefix of the first value must be 0; a prefix longer than the previous value is corrupt.
  Bytes enc;
  int32_t pre[2] = {0, 9}, suf[2] = {2, 1};
  delta_binary_encode<int32_t>(pre, 2, enc);
  delta_binary_encode<int32_t>(suf, 2, enc);
  enc.insert(enc.end(), {'a', 'b', 'c'});
  std::vector<int64_t> offs;
  std::vector<uint8_t> chars;
  EXPECT_THROW(delta_byte_array_decode(enc, 2, offs, chars), EncodingError);
  Bytes neg;
  int32_t nl[2] = {1, -3};
  delta_binary_encode<int32_t>(nl, 2, neg);
  neg.insert(neg.end(), {'a', 'b', 'c'});
  EXPECT_THROW(delta_length_decode(neg, 2, offs, chars), EncodingError);
}

// --- BYTE_STREAM_SPLIT / PLAIN BOOLEAN -----------------------------------------------------

TEST(ByteStreamSplit, SpecExample) {
  Bytes in = {0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4, 0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6};
  uint8_t out[12];
  byte_stream_split_decode(in, 4, 3, out);
  Bytes want = {0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6};
  EXPECT_EQ(Bytes(out, out + 12), want);
  Bytes enc;
  byte_stream_split_encode(want.data(), 4, 3, enc);
  EXPECT_EQ(enc, in);
}

TEST(ByteStreamSplit, RoundTripDoubles) {
  std::mt19937_64 rng(9);
  for (size_t width : {size_t(2), size_t(4), size_t(8), size_t(12)}) {
    Bytes vals(width * 1001);
    for (auto& b : vals) b = uint8_t(rng());
    Bytes enc;
    byte_stream_split_encode(vals.data(), width, 1001, enc);
    Bytes dec(vals.size());
    byte_stream_split_decode(enc, width, 1001, dec.data());
    EXPECT_EQ(dec, vals) << "width " << width;
    enc.pop_back();
    EXPECT_THROW(byte_stream_split_decode(enc, width, 1001, dec.data()), EncodingError);
  }
}

TEST(PlainBool, KnownBytesAndRoundTrip) {
  Bytes in = {0b00000101, 0b1};
  uint8_t out[9];
  EXPECT_EQ(plain_bool_decode(in, 9, out), 2u);
  uint8_t want[9] = {1, 0, 1, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(Bytes(out, out + 9), Bytes(want, want + 9));
  Bytes enc;
  plain_bool_encode(want, 9, enc);
  EXPECT_EQ(enc, in);
  EXPECT_THROW(plain_bool_decode(in, 17, out), EncodingError);
}

}  // namespace
}  // namespace astrolake::parquet
