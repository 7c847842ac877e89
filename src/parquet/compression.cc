// Page codecs over the system libraries (snappy, zlib, zstd), plus a small LZ4 block decoder
// for LZ4_RAW pages (DuckDB and newer pyarrow can write them; no liblz4 on our machines).
// Every path checks that the output is exactly the size the page header promised.
#include "parquet/compression.h"

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace astrolake::parquet {

namespace {

[[noreturn]] void fail(int codec, const std::string& what) {
  throw CompressionError(std::string(codec_name(codec)) + ": " + what);
}

std::string sizes(size_t got, size_t want) {
  return "decompressed to " + std::to_string(got) + " bytes, page header says " + std::to_string(want);
}

void snappy_decompress(std::span<const uint8_t> in, std::span<uint8_t> out) {
  const char* src = reinterpret_cast<const char*>(in.data());
  size_t len = 0;
  if (snappy_uncompressed_length(src, in.size(), &len) != SNAPPY_OK) fail(1, "corrupt header");
  if (len != out.size()) fail(1, sizes(len, out.size()));
  // snappy_uncompress validates as it goes and never writes past `len`.
  size_t out_len = out.size();
  if (snappy_uncompress(src, in.size(), reinterpret_cast<char*>(out.data()), &out_len) != SNAPPY_OK)
    fail(1, "corrupt data");
  if (out_len != out.size()) fail(1, sizes(out_len, out.size()));
}

// Parquet's GZIP is gzip-framed (RFC 1952); windowBits 15+32 also accepts a zlib stream, which
// some old writers produced. Concatenated gzip members are decoded one after the other.
void gzip_decompress(std::span<const uint8_t> in, std::span<uint8_t> out) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 15 + 32) != Z_OK) fail(2, "inflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = uInt(in.size());
  uint8_t dummy = 0;  // zlib rejects a null output pointer even for an empty page
  zs.next_out = out.empty() ? &dummy : out.data();
  zs.avail_out = uInt(out.size());
  if (in.size() > UINT32_MAX || out.size() > UINT32_MAX) {
    inflateEnd(&zs);
    fail(2, "page larger than 4 GiB");
  }
  for (;;) {
    int rc = inflate(&zs, Z_FINISH);
    if (rc == Z_STREAM_END) {
      // Another member may follow (skip trailing zero padding, which some tools append).
      while (zs.avail_in > 0 && *zs.next_in == 0) {
        zs.next_in++;
        zs.avail_in--;
      }
      if (zs.avail_in == 0) break;
      if (inflateReset(&zs) != Z_OK) break;
      continue;
    }
    std::string msg = zs.msg ? zs.msg : ("zlib error " + std::to_string(rc));
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) msg = "output larger than the page header says";
    else if (rc == Z_BUF_ERROR || rc == Z_OK) msg = "data truncated";
    inflateEnd(&zs);
    fail(2, msg);
  }
  size_t got = out.size() - zs.avail_out;
  inflateEnd(&zs);
  if (got != out.size()) fail(2, sizes(got, out.size()));
}

// One decompression context per thread, reused for every page: ZSTD_decompress would
// allocate and free a fresh ~100 KB context per call, which shows up on 1 MB pages.
struct DCtxHolder {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  ~DCtxHolder() { ZSTD_freeDCtx(ctx); }
};

void zstd_decompress(std::span<const uint8_t> in, std::span<uint8_t> out) {
  thread_local DCtxHolder holder;
  if (!holder.ctx) fail(6, "cannot allocate a decompression context");
  size_t rc = ZSTD_decompressDCtx(holder.ctx, out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(rc)) fail(6, ZSTD_getErrorName(rc));
  if (rc != out.size()) fail(6, sizes(rc, out.size()));
}

// LZ4 block format: sequences of (token, literals, 2-byte offset, match); the last sequence
// has literals only.
void lz4_raw_decompress(std::span<const uint8_t> in, std::span<uint8_t> out) {
  size_t ip = 0, op = 0;
  const size_t n = in.size(), m = out.size();
  auto ext_len = [&](size_t len) {
    if (len != 15) return len;
    for (;;) {
      if (ip >= n) fail(7, "truncated length");
      uint8_t b = in[ip++];
      len += b;
      if (len > m + 15) fail(7, "length exceeds page size");
      if (b != 255) return len;
    }
  };
  while (ip < n) {
    uint8_t token = in[ip++];
    size_t lit = ext_len(token >> 4);
    if (lit > n - ip) fail(7, "literals run past input");
    if (lit > m - op) fail(7, "output larger than the page header says");
    std::memcpy(out.data() + op, in.data() + ip, lit);
    ip += lit;
    op += lit;
    if (ip == n) break;  // last sequence
    if (n - ip < 2) fail(7, "truncated match offset");
    size_t offset = size_t(in[ip]) | (size_t(in[ip + 1]) << 8);
    ip += 2;
    if (offset == 0 || offset > op) fail(7, "match offset out of range");
    size_t len = ext_len(token & 15) + 4;
    if (len > m - op) fail(7, "output larger than the page header says");
    const uint8_t* src = out.data() + op - offset;
    uint8_t* dst = out.data() + op;
    for (size_t i = 0; i < len; i++) dst[i] = src[i];  // may overlap: byte by byte on purpose
    op += len;
  }
  if (op != m) fail(7, sizes(op, m));
}

}  // namespace

const char* codec_name(int codec) {
  switch (codec) {
    case 0: return "UNCOMPRESSED";
    case 1: return "SNAPPY";
    case 2: return "GZIP";
    case 3: return "LZO";
    case 4: return "BROTLI";
    case 5: return "LZ4";
    case 6: return "ZSTD";
    case 7: return "LZ4_RAW";
    default: return "unknown codec";
  }
}

void decompress(int codec, std::span<const uint8_t> in, std::span<uint8_t> out) {
  switch (codec) {
    case 0:
      if (in.size() != out.size()) fail(codec, "page is " + std::to_string(in.size()) + " bytes, header says " +
                                                   std::to_string(out.size()));
      if (!in.empty()) std::memcpy(out.data(), in.data(), in.size());
      return;
    case 1:
    case 2:
    case 6:
    case 7:
      // An empty page may be stored as zero bytes by some writers whatever the codec.
      if (in.empty() && out.empty()) return;
      if (codec == 1) snappy_decompress(in, out);
      else if (codec == 2) gzip_decompress(in, out);
      else if (codec == 6) zstd_decompress(in, out);
      else lz4_raw_decompress(in, out);
      return;
    default:
      throw CompressionError(std::string("unsupported compression codec ") + codec_name(codec) + " (" +
                             std::to_string(codec) + ")");
  }
}

void compress(int codec, std::span<const uint8_t> in, std::vector<uint8_t>& out, int level) {
  size_t base = out.size();
  switch (codec) {
    case 0:
      out.insert(out.end(), in.begin(), in.end());
      return;
    case 1: {
      size_t cap = snappy_max_compressed_length(in.size());
      out.resize(base + cap);
      size_t len = cap;
      if (snappy_compress(reinterpret_cast<const char*>(in.data()), in.size(),
                          reinterpret_cast<char*>(out.data() + base), &len) != SNAPPY_OK) {
        out.resize(base);
        fail(codec, "compression failed");
      }
      out.resize(base + len);
      return;
    }
    case 2: {
      if (in.size() > UINT32_MAX) fail(codec, "page larger than 4 GiB");
      z_stream zs;
      std::memset(&zs, 0, sizeof(zs));
      int lvl = level <= 0 ? Z_DEFAULT_COMPRESSION : std::min(level, 9);
      // windowBits 15+16: write a gzip header and trailer, as the Parquet spec asks.
      if (deflateInit2(&zs, lvl, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) fail(codec, "deflateInit2 failed");
      size_t cap = deflateBound(&zs, uLong(in.size()));
      out.resize(base + cap);
      zs.next_in = const_cast<Bytef*>(in.data());
      zs.avail_in = uInt(in.size());
      zs.next_out = out.data() + base;
      zs.avail_out = uInt(cap);
      int rc = deflate(&zs, Z_FINISH);
      size_t len = cap - zs.avail_out;
      deflateEnd(&zs);
      if (rc != Z_STREAM_END) {
        out.resize(base);
        fail(codec, "deflate failed");
      }
      out.resize(base + len);
      return;
    }
    case 6: {
      size_t cap = ZSTD_compressBound(in.size());
      out.resize(base + cap);
      size_t rc = ZSTD_compress(out.data() + base, cap, in.data(), in.size(), level);
      if (ZSTD_isError(rc)) {
        out.resize(base);
        fail(codec, ZSTD_getErrorName(rc));
      }
      out.resize(base + rc);
      return;
    }
    default:
      throw CompressionError(std::string("cannot write compression codec ") + codec_name(codec) + " (" +
                             std::to_string(codec) + ")");
  }
}

}  // namespace astrolake::parquet
