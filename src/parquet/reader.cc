// Parquet reader: footer -> leaf columns (structs flattened to "parent.child", LIST columns
// kept as lists) -> pages decoded straight into Column buffers.
//
// Levels are handled generically: for a leaf with definition level d, a list leaf's list
// exists when d >= list_def (list_def = optional/repeated ancestors above the repeated
// node), is empty when d == list_def, and an element is present when d == max_def. For a
// flat leaf the value is present when d == max_def; anything lower is a null value or a null
// ancestor struct, which both read as null.
#include "parquet/reader.h"

#include "storage/file_system.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "parquet/compression.h"
#include "parquet/encoding.h"
#include "parquet/metadata.h"
#include "parquet/thrift.h"

namespace astrolake::parquet {
namespace {

using meta::ColumnChunk;
using meta::ColumnMetaData;
using meta::LogicalType;
using meta::PageHeader;
using meta::SchemaElement;

// Internal problem with no context; read_chunk adds file/column/row group.
class Corrupt : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr size_t kMaxPageBytes = size_t(1) << 30;
constexpr size_t kMaxPageValues = size_t(1) << 27;

struct Leaf {
  Field field;
  int chunk = 0;           // index among leaves = ColumnChunk index in a row group
  int32_t physical = 0;
  int32_t type_length = 0;
  int max_def = 0, max_rep = 0;
  int list_def = 0;        // list leaves: def level at which the list itself is present
  std::string unsupported; // non-empty: why this leaf cannot be read
  int decimal_scale = -1;  // DECIMAL: decoded as field.type (its storage), then made Double
  std::string full_path;   // every schema name from the root, dotted (for clashes)
};

// ---- schema ------------------------------------------------------------------------------

bool is_unsigned(const SchemaElement& e) {
  if (e.logical.kind == LogicalType::INTEGER) return !e.logical.is_signed;
  if (e.converted_type) {
    int c = *e.converted_type;
    return c == meta::CT_UINT_8 || c == meta::CT_UINT_16 || c == meta::CT_UINT_32 || c == meta::CT_UINT_64;
  }
  return false;
}

// Maps a leaf's physical + logical/converted type to our Type; sets `why` if unsupported.
Type map_type(const SchemaElement& e, std::string& why) {
  const LogicalType& lt = e.logical;
  int ct = e.converted_type.value_or(-1);
  switch (e.type.value_or(-1)) {
    case meta::BOOLEAN: return Type::Bool;
    case meta::INT32: {
      if (lt.kind == LogicalType::DATE || ct == meta::CT_DATE) return Type::Date32;
      int bits = 32;
      bool sign = true;
      if (lt.kind == LogicalType::INTEGER) { bits = lt.bit_width; sign = lt.is_signed; }
      else if (ct == meta::CT_INT_8) bits = 8;
      else if (ct == meta::CT_INT_16) bits = 16;
      else if (ct == meta::CT_UINT_8) { bits = 8; sign = false; }
      else if (ct == meta::CT_UINT_16) { bits = 16; sign = false; }
      else if (ct == meta::CT_UINT_32) sign = false;
      if (bits == 8) return sign ? Type::Int8 : Type::UInt8;
      if (bits == 16) return sign ? Type::Int16 : Type::UInt16;
      if (bits == 32) return sign ? Type::Int32 : Type::UInt32;
      why = "INT32 with integer bit width " + std::to_string(bits);
      return Type::Int32;
    }
    case meta::INT64: {
      if (lt.kind == LogicalType::TIMESTAMP) {
        if (lt.unit == LogicalType::MILLIS) return Type::TimestampMillis;
        if (lt.unit == LogicalType::MICROS) return Type::TimestampMicros;
        if (lt.unit == LogicalType::NANOS) return Type::TimestampNanos;
        why = "TIMESTAMP with unknown unit";
        return Type::Int64;
      }
      if (ct == meta::CT_TIMESTAMP_MILLIS) return Type::TimestampMillis;
      if (ct == meta::CT_TIMESTAMP_MICROS) return Type::TimestampMicros;
      return is_unsigned(e) ? Type::UInt64 : Type::Int64;
    }
    case meta::INT96: return Type::TimestampNanos;  // legacy Impala/Spark timestamps
    case meta::FLOAT: return Type::Float;
    case meta::DOUBLE: return Type::Double;
    case meta::BYTE_ARRAY:
      if (lt.kind == LogicalType::STRING || lt.kind == LogicalType::ENUM || lt.kind == LogicalType::JSON ||
          ct == meta::CT_UTF8 || ct == meta::CT_ENUM || ct == meta::CT_JSON)
        return Type::String;
      return Type::Binary;
    case meta::FIXED_LEN_BYTE_ARRAY:
      if (e.type_length.value_or(0) <= 0) why = "FIXED_LEN_BYTE_ARRAY without a positive type_length";
      return Type::Binary;
  }
  why = "unknown physical type " + std::to_string(e.type.value_or(-1));
  return Type::Binary;
}

struct SchemaWalker {
  const std::vector<SchemaElement>& els;
  std::vector<Leaf> leaves;
  std::vector<int> path;  // element indices from the root's child down
  size_t next = 1;

  void walk_children(int count, int depth) {
    if (depth > 64) throw Corrupt("schema nested too deeply");
    for (int c = 0; c < count; c++) {
      if (next >= els.size()) throw Corrupt("schema declares more children than it has elements");
      int idx = int(next++);
      const SchemaElement& e = els[size_t(idx)];
      path.push_back(idx);
      int n = e.num_children.value_or(0);
      if (n < 0) throw Corrupt("schema element '" + e.name + "' has negative num_children");
      if (n > 0 || !e.type) walk_children(n, depth + 1);
      else add_leaf();
      path.pop_back();
    }
  }

  void add_leaf() {
    Leaf l;
    const SchemaElement& e = els[size_t(path.back())];
    l.chunk = int(leaves.size());
    l.physical = *e.type;
    l.type_length = e.type_length.value_or(0);
    int rep_at = -1;
    for (size_t i = 0; i < path.size(); i++) {
      int r = els[size_t(path[i])].repetition.value_or(meta::REQUIRED);
      if (r == meta::REPEATED) {
        if (rep_at < 0) { rep_at = int(i); l.list_def = l.max_def; }
        l.max_def++;
        l.max_rep++;
      } else if (r == meta::OPTIONAL) {
        l.max_def++;
      }
    }
    std::string name;
    auto add = [&](size_t i) {
      if (!name.empty()) name += '.';
      name += els[size_t(path[i])].name;
    };
    if (rep_at < 0) {
      for (size_t i = 0; i < path.size(); i++) add(i);
    } else {
      for (size_t i = 0; i < size_t(rep_at); i++) add(i);
      if (rep_at == 0 || size_t(rep_at) + 1 == path.size()) {
        // A bare repeated field (no LIST wrapper) is named after itself; a legacy 2-level
        // list's repeated leaf is named after its LIST parent, already added.
        if (rep_at == 0) add(0);
      }
      // 3-level: skip the repeated group and its single "element"; deeper nodes (list of
      // struct) keep their names.
      for (size_t i = size_t(rep_at) + 2; i < path.size(); i++) add(i);
    }
    l.field.name = name;
    for (size_t i = 0; i < path.size(); i++) l.full_path += (i ? "." : "") + els[size_t(path[i])].name;
    l.field.type = map_type(e, l.unsupported);
    if (e.logical.kind == LogicalType::DECIMAL || e.converted_type.value_or(-1) == meta::CT_DECIMAL) {
      // Unscaled integers (INT32, INT64, or big-endian two's complement bytes) / 10^scale.
      l.decimal_scale = e.logical.kind == LogicalType::DECIMAL ? e.logical.scale : e.scale.value_or(0);
      if (l.decimal_scale < 0 || l.decimal_scale > 76) l.unsupported = "DECIMAL with scale " + std::to_string(l.decimal_scale);
      if (l.physical == meta::FIXED_LEN_BYTE_ARRAY && l.type_length > 16)
        l.unsupported = "DECIMAL stored in more than 16 bytes";
      if (rep_at >= 0) l.unsupported = "lists of DECIMAL";
    }
    if (l.max_rep > 1) l.unsupported = "nested lists (repetition level " + std::to_string(l.max_rep) + ")";
    if (l.max_rep == 0) {
      l.field.nullable = l.max_def > 0;
    } else {
      l.field.list = true;
      l.field.nullable = l.list_def > 0;
      l.field.element_nullable = l.max_def > l.list_def + 1;
    }
    if (l.physical == meta::INT96 && l.unsupported.empty() && l.type_length == 0) l.type_length = 12;
    leaves.push_back(std::move(l));
  }
};

// ---- statistics ----------------------------------------------------------------------------

template <class T> bool load(const std::string& s, T& v) {
  if (s.size() != sizeof(T)) return false;
  std::memcpy(&v, s.data(), sizeof(T));
  return true;
}

bool stat_to_double(const Leaf& l, const std::string& s, double& out) {
  switch (l.physical) {
    case meta::BOOLEAN: if (s.size() != 1) return false; out = s[0] ? 1 : 0; return true;
    case meta::INT32: {
      int32_t v;
      if (!load(s, v)) return false;
      out = is_integer(l.field.type) && l.field.type >= Type::UInt8 && l.field.type <= Type::UInt64 ? double(uint32_t(v)) : double(v);
      return true;
    }
    case meta::INT64: {
      int64_t v;
      if (!load(s, v)) return false;
      out = l.field.type == Type::UInt64 ? double(uint64_t(v)) : double(v);
      return true;
    }
    case meta::FLOAT: { float v; if (!load(s, v) || std::isnan(v)) return false; out = v; return true; }
    case meta::DOUBLE: { double v; if (!load(s, v) || std::isnan(v)) return false; out = v; return true; }
  }
  return false;
}

ColumnStats make_stats(const Leaf& l, const ColumnMetaData& m) {
  ColumnStats cs;
  if (!m.statistics) return cs;
  const meta::Statistics& s = *m.statistics;
  if (s.null_count) { cs.has_null_count = true; cs.null_count = *s.null_count; }
  if (l.decimal_scale >= 0) return cs;  // min/max are unscaled: no use to a Double column
  const std::string* mn = nullptr;
  const std::string* mx = nullptr;
  if (s.min_value && s.max_value) {
    mn = &*s.min_value;
    mx = &*s.max_value;
  } else if (s.min && s.max) {
    // Legacy min/max were computed with signed comparison: only trust them where the
    // column's sort order is signed (not unsigned ints, not byte arrays).
    bool signed_order = l.physical == meta::BOOLEAN || l.physical == meta::FLOAT || l.physical == meta::DOUBLE ||
                        ((l.physical == meta::INT32 || l.physical == meta::INT64) &&
                         !(l.field.type >= Type::UInt8 && l.field.type <= Type::UInt64));
    if (signed_order) { mn = &*s.min; mx = &*s.max; }
  }
  if (!mn) return cs;
  if (l.field.type == Type::String || l.field.type == Type::Binary) {
    cs.min_str = *mn;
    cs.max_str = *mx;
    cs.has_min_max = true;
  } else if (l.physical != meta::INT96) {
    cs.has_min_max = stat_to_double(l, *mn, cs.min) && stat_to_double(l, *mx, cs.max);
  }
  return cs;
}

// ---- value decoding ----------------------------------------------------------------------

uint32_t le32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }

bool single_run(std::span<const uint8_t> levels, int bw, size_t n, uint32_t value);

// Values of one column chunk's dictionary, already in the output representation.
struct Dict {
  bool present = false;
  size_t n = 0;
  Buffer fixed;                  // n * width bytes
  std::vector<int64_t> offsets;  // strings: n+1
  std::vector<uint8_t> chars;
};

// Decodes one chunk; scratch buffers live here so pages reuse them.
class ChunkDecoder {
 public:
  ChunkDecoder(const Leaf& l, int codec) : leaf_(l), codec_(codec), width_(type_width(l.field.type)) {}

  void run(std::span<const uint8_t> chunk, const ColumnMetaData& m, int64_t expect_rows, Column& out);

 private:
  void dictionary_page(const PageHeader& h, std::span<const uint8_t> body);
  void data_page(const PageHeader& h, std::span<const uint8_t> body, Column& out);
  std::span<const uint8_t> decompress(std::span<const uint8_t> in, size_t out_size, Buffer& buf);
  bool direct_page(std::span<const uint8_t> payload, size_t usize, size_t n, int encoding, Column& out);
  void check_count(size_t n);
  size_t decode_levels_v1(std::span<const uint8_t> in, int encoding, int max_level, size_t n, std::vector<uint32_t>& out,
                          bool& all_max);
  void assemble(size_t n, bool defs_all_max, Column& out, size_t& slots, size_t& present);
  void decode_fixed(int encoding, std::span<const uint8_t> in, size_t count, uint8_t* out);
  void decode_strings(int encoding, std::span<const uint8_t> in, size_t count, std::vector<int64_t>& offsets,
                      std::vector<uint8_t>& chars);
  void convert_physical(const uint8_t* phys, size_t count, uint8_t* out);
  std::span<const uint32_t> dict_indices(std::span<const uint8_t> in, size_t count);

  const Leaf& leaf_;
  int codec_;
  size_t width_;
  Dict dict_;
  Buffer page_buf_;  // not zero-filled: the codec writes every byte
  std::vector<uint8_t> tmp_;
  std::vector<uint32_t> def_, rep_, idx_;
  std::vector<uint8_t> present_;
  std::vector<int64_t> soff_;
  std::vector<uint8_t> schars_;
  std::vector<uint8_t> dense_;
  int64_t chunk_uncompressed_ = 0;
  int64_t values_total_ = 0, values_seen_ = 0, rows_seen_ = 0, elems_ = 0;
};

// Bytes a flat fixed-width chunk of `rows` rows decodes to, or 0 when the footer's sizes make
// that implausible (bounded by what the chunk could hold, so a lying row count cannot make
// us allocate wildly).
size_t chunk_value_bytes(const ColumnMetaData& m, int64_t rows, size_t width) {
  if (rows <= 0 || m.total_compressed_size <= 0) return 0;
  uint64_t want = uint64_t(rows) * width;
  uint64_t usize = m.total_uncompressed_size > 0 ? uint64_t(m.total_uncompressed_size) : 0;
  if (want > usize * 2 + (1u << 20) || want > uint64_t(m.total_compressed_size) * 4096ull) return 0;
  return size_t(want);
}

// The most bytes `in` stored bytes can decompress to: snappy emits at most 64 bytes per
// 3-byte copy, deflate at most 1032 per byte, LZ4 about 255 per byte, and a zstd block at
// least 4 bytes long at most 128 KiB. Generous margins: this only stops absurd headers.
uint64_t max_expansion(int codec, uint64_t in) {
  switch (codec) {
    case 1: return in * 32 + 1024;
    case 2: return in * 1100 + 1024;
    case 7: return in * 256 + 1024;
    case 6: return in * 32768 + (uint64_t(1) << 17);
  }
  return UINT64_MAX;
}

size_t phys_width(const Leaf& l) {
  switch (l.physical) {
    case meta::INT32: case meta::FLOAT: return 4;
    case meta::INT64: case meta::DOUBLE: return 8;
    case meta::INT96: return 12;
    case meta::FIXED_LEN_BYTE_ARRAY: return size_t(l.type_length);
  }
  return 0;
}

std::span<const uint8_t> ChunkDecoder::decompress(std::span<const uint8_t> in, size_t out_size, Buffer& buf) {
  if (codec_ == 0) {
    if (in.size() != out_size)
      throw Corrupt("uncompressed page size " + std::to_string(out_size) + " differs from its stored size " +
                    std::to_string(in.size()));
    return in;
  }
  // A page cannot be larger than its whole chunk; this bounds what a corrupt header can
  // make us allocate.
  if (out_size > kMaxPageBytes || (chunk_uncompressed_ > 0 && out_size > uint64_t(chunk_uncompressed_)))
    throw Corrupt("page claims " + std::to_string(out_size) + " uncompressed bytes");
  // No codec expands its input beyond a fixed ratio, so the stored page bounds what it can
  // decompress to; a header claiming more is damaged, and nothing is allocated for it.
  if (out_size > max_expansion(codec_, in.size()))
    throw Corrupt("page claims " + std::to_string(out_size) + " uncompressed bytes from " + std::to_string(in.size()) +
                  " stored bytes, more than " + codec_name(codec_) + " can expand to");
  buf.resize(out_size);
  parquet::decompress(codec_, in, std::span<uint8_t>(buf.data(), out_size));
  return {buf.data(), out_size};
}

// The hot case of every scan: a compressed PLAIN page of fixed-width values with no nulls
// (a required column, or a v2 page whose levels say "all present"). The codec then writes
// straight into the column buffer, saving a page-sized copy. Returns false when the page is
// not such a page; the general path then handles it (and its errors).
bool ChunkDecoder::direct_page(std::span<const uint8_t> payload, size_t usize, size_t n, int encoding, Column& out) {
  if (codec_ == 0 || encoding != meta::PLAIN || n == 0 || leaf_.max_rep != 0) return false;
  if (width_ == 0 || leaf_.field.type == Type::Bool || phys_width(leaf_) != width_) return false;
  if (usize != n * width_ || (chunk_uncompressed_ > 0 && usize > uint64_t(chunk_uncompressed_))) return false;
  size_t old = out.data.size();
  out.data.resize(old + usize);
  parquet::decompress(codec_, payload, std::span<uint8_t>(out.data.data() + old, usize));
  rows_seen_ += int64_t(n);
  values_seen_ += int64_t(n);
  if (!out.valid.empty()) out.valid.insert(out.valid.end(), n, 1);
  return true;
}

// Physical values (INT32 narrower targets, INT96) -> output representation.
void ChunkDecoder::convert_physical(const uint8_t* p, size_t count, uint8_t* out) {
  if (leaf_.physical == meta::INT96) {
    for (size_t i = 0; i < count; i++) {
      int64_t nod;
      int32_t jd;
      std::memcpy(&nod, p + 12 * i, 8);
      std::memcpy(&jd, p + 12 * i + 8, 4);
      int64_t ns = (int64_t(jd) - 2440588) * 86400LL * 1000000000LL + nod;
      std::memcpy(out + 8 * i, &ns, 8);
    }
    return;
  }
  // INT32 -> 1 or 2 bytes: keep the low bytes (values are in range for valid files).
  for (size_t i = 0; i < count; i++) {
    uint32_t v = le32(p + 4 * i);
    if (width_ == 1) out[i] = uint8_t(v);
    else { uint16_t s = uint16_t(v); std::memcpy(out + 2 * i, &s, 2); }
  }
}

std::span<const uint32_t> ChunkDecoder::dict_indices(std::span<const uint8_t> in, size_t count) {
  if (!dict_.present) throw Corrupt("dictionary-encoded page without a dictionary page");
  if (in.empty()) {
    if (count == 0) return {};
    throw Corrupt("dictionary page data is empty");
  }
  int bw = in[0];
  if (bw > 32) throw Corrupt("dictionary index bit width " + std::to_string(bw));
  idx_.resize(count);
  rle_decode(in.subspan(1), bw, idx_.data(), count);
  for (size_t i = 0; i < count; i++)
    if (idx_[i] >= dict_.n)
      throw Corrupt("dictionary index " + std::to_string(idx_[i]) + " >= dictionary size " + std::to_string(dict_.n));
  return {idx_.data(), count};
}

template <class T> void gather(const uint8_t* dict, const uint32_t* idx, size_t n, uint8_t* out) {
  const T* d = reinterpret_cast<const T*>(dict);
  T* o = reinterpret_cast<T*>(out);
  for (size_t i = 0; i < n; i++) o[i] = d[idx[i]];
}

// Decodes `count` non-null fixed-width values into out (count * width_ bytes).
void ChunkDecoder::decode_fixed(int encoding, std::span<const uint8_t> in, size_t count, uint8_t* out) {
  if (count == 0) return;  // an all-null page: nothing to decode (and `out` may be null)
  const Type t = leaf_.field.type;
  if (encoding == meta::PLAIN_DICTIONARY || encoding == meta::RLE_DICTIONARY) {
    auto idx = dict_indices(in, count);
    const uint8_t* d = dict_.fixed.data();
    switch (width_) {
      case 1: gather<uint8_t>(d, idx.data(), count, out); break;
      case 2: gather<uint16_t>(d, idx.data(), count, out); break;
      case 4: gather<uint32_t>(d, idx.data(), count, out); break;
      case 8: gather<uint64_t>(d, idx.data(), count, out); break;
    }
    return;
  }
  if (t == Type::Bool) {
    if (encoding == meta::PLAIN) {
      plain_bool_decode(in, count, out);
    } else if (encoding == meta::RLE) {
      if (in.size() < 4) throw Corrupt("RLE boolean data truncated");
      uint32_t len = le32(in.data());
      if (len > in.size() - 4) throw Corrupt("RLE boolean length runs past the page");
      idx_.resize(count);
      rle_decode(in.subspan(4, len), 1, idx_.data(), count);
      for (size_t i = 0; i < count; i++) out[i] = uint8_t(idx_[i] != 0);
    } else {
      throw Corrupt(std::string("unsupported encoding ") + meta::encoding_name(encoding) + " (" +
                    std::to_string(encoding) + ") for BOOLEAN");
    }
    return;
  }
  size_t pw = phys_width(leaf_);
  bool direct = pw == width_;
  uint8_t* dst = out;
  if (!direct) {
    if (count > kMaxPageValues) throw Corrupt("page holds too many values");
    tmp_.resize(count * pw);
    dst = tmp_.data();
  }
  switch (encoding) {
    case meta::PLAIN:
      if (in.size() / pw < count)
        throw Corrupt("PLAIN data holds " + std::to_string(in.size() / pw) + " values, page needs " + std::to_string(count));
      std::memcpy(dst, in.data(), count * pw);
      break;
    case meta::DELTA_BINARY_PACKED:
      if (leaf_.physical == meta::INT32) delta_binary_decode<int32_t>(in, reinterpret_cast<int32_t*>(dst), count);
      else if (leaf_.physical == meta::INT64) delta_binary_decode<int64_t>(in, reinterpret_cast<int64_t*>(dst), count);
      else throw Corrupt("DELTA_BINARY_PACKED on a non-integer column");
      break;
    case meta::BYTE_STREAM_SPLIT:
      if (in.size() / pw < count) throw Corrupt("BYTE_STREAM_SPLIT data too short");
      byte_stream_split_decode(in.subspan(0, count * pw), pw, count, dst);
      break;
    default:
      throw Corrupt(std::string("unsupported encoding ") + meta::encoding_name(encoding) + " (" + std::to_string(encoding) +
                    ") for " + meta::physical_type_name(leaf_.physical));
  }
  if (!direct) convert_physical(dst, count, out);
}

// Decodes `count` strings, appending end offsets (continuing offsets.back()) and chars.
void ChunkDecoder::decode_strings(int encoding, std::span<const uint8_t> in, size_t count, std::vector<int64_t>& offsets,
                                  std::vector<uint8_t>& chars) {
  if (count == 0) return;
  if (encoding == meta::PLAIN_DICTIONARY || encoding == meta::RLE_DICTIONARY) {
    auto idx = dict_indices(in, count);
    int64_t base = offsets.empty() ? 0 : offsets.back();
    for (uint32_t k : idx) {
      int64_t b = dict_.offsets[k], e = dict_.offsets[k + 1];
      chars.insert(chars.end(), dict_.chars.begin() + b, dict_.chars.begin() + e);
      base += e - b;
      offsets.push_back(base);
    }
    return;
  }
  if (leaf_.physical == meta::FIXED_LEN_BYTE_ARRAY) {
    size_t w = size_t(leaf_.type_length);
    if (encoding != meta::PLAIN && encoding != meta::BYTE_STREAM_SPLIT)
      throw Corrupt(std::string("unsupported encoding ") + meta::encoding_name(encoding) + " for FIXED_LEN_BYTE_ARRAY");
    if (in.size() / w < count) throw Corrupt("FIXED_LEN_BYTE_ARRAY data too short");
    size_t old = chars.size();
    chars.resize(old + count * w);
    if (encoding == meta::PLAIN) std::memcpy(chars.data() + old, in.data(), count * w);
    else byte_stream_split_decode(in.subspan(0, count * w), w, count, chars.data() + old);
    int64_t base = offsets.empty() ? 0 : offsets.back();
    for (size_t i = 0; i < count; i++) offsets.push_back(base + int64_t((i + 1) * w));
    return;
  }
  switch (encoding) {
    case meta::PLAIN: plain_byte_array_decode(in, count, offsets, chars); return;
    case meta::DELTA_LENGTH_BYTE_ARRAY: delta_length_decode(in, count, offsets, chars); return;
    case meta::DELTA_BYTE_ARRAY: delta_byte_array_decode(in, count, offsets, chars); return;
  }
  throw Corrupt(std::string("unsupported encoding ") + meta::encoding_name(encoding) + " (" + std::to_string(encoding) +
                ") for BYTE_ARRAY");
}

void ChunkDecoder::dictionary_page(const PageHeader& h, std::span<const uint8_t> body) {
  if (!h.dict) throw Corrupt("dictionary page without a dictionary page header");
  if (dict_.present) throw Corrupt("second dictionary page in one column chunk");
  int enc = h.dict->encoding;
  if (enc != meta::PLAIN && enc != meta::PLAIN_DICTIONARY)
    throw Corrupt(std::string("dictionary page encoding ") + meta::encoding_name(enc) + " (" + std::to_string(enc) + ")");
  if (h.dict->num_values < 0) throw Corrupt("dictionary page with negative value count");
  size_t n = size_t(h.dict->num_values);
  auto data = decompress(body, size_t(h.uncompressed_size), page_buf_);
  // Every dictionary entry takes at least one byte (booleans aside, which are not
  // dictionary-encoded), which bounds what a lying count can make us allocate.
  if (n > data.size() + 1) throw Corrupt("dictionary page claims " + std::to_string(n) + " values in " + std::to_string(data.size()) + " bytes");
  dict_.n = n;
  if (width_ == 0) {
    dict_.offsets.assign(1, 0);
    decode_strings(meta::PLAIN, data, n, dict_.offsets, dict_.chars);
  } else {
    dict_.fixed.resize(n * width_);
    decode_fixed(meta::PLAIN, data, n, dict_.fixed.data());
  }
  dict_.present = true;
}

// Reads one level run prefixed by its 4-byte length (data page v1, RLE encoding). Sets
// all_max when the levels are one run of max_level, the common no-nulls case, without
// expanding them.
size_t ChunkDecoder::decode_levels_v1(std::span<const uint8_t> in, int encoding, int max_level, size_t n,
                                      std::vector<uint32_t>& out, bool& all_max) {
  if (encoding != meta::RLE)
    throw Corrupt(std::string("unsupported level encoding ") + meta::encoding_name(encoding) + " (" + std::to_string(encoding) + ")");
  if (in.size() < 4) throw Corrupt("level data truncated");
  uint32_t len = le32(in.data());
  if (len > in.size() - 4) throw Corrupt("level length " + std::to_string(len) + " runs past the page");
  auto levels = in.subspan(4, len);
  int bw = bit_width_for(uint64_t(max_level));
  all_max = single_run(levels, bw, n, uint32_t(max_level));
  if (!all_max) {
    out.resize(n);
    rle_decode(levels, bw, out.data(), n);
  }
  return 4 + len;
}

// Turns this page's levels into slots (value positions in the column: rows for flat
// columns, elements for lists), list offsets/validity, and per-slot presence (present_).
void ChunkDecoder::assemble(size_t n, bool defs_all_max, Column& out, size_t& slots, size_t& present) {
  const int max_def = leaf_.max_def;
  if (leaf_.max_rep == 0) {
    slots = n;
    rows_seen_ += int64_t(n);
    if (defs_all_max) { present = n; return; }
    present_.resize(n);
    size_t p = 0;
    for (size_t i = 0; i < n; i++) {
      uint8_t f = def_[i] == uint32_t(max_def);
      present_[i] = f;
      p += f;
    }
    present = p;
    return;
  }
  const int list_def = leaf_.list_def;
  present_.clear();
  size_t p = 0;
  int64_t elems = elems_;
  for (size_t i = 0; i < n; i++) {
    int d = defs_all_max ? max_def : int(def_[i]);
    if (d > max_def) throw Corrupt("definition level " + std::to_string(d) + " above maximum " + std::to_string(max_def));
    if (rep_[i] > 1) throw Corrupt("repetition level " + std::to_string(rep_[i]) + " above maximum 1");
    if (rep_[i] == 0) {
      if (rows_seen_ > 0) out.list_offsets.push_back(elems);
      rows_seen_++;
      if (d < list_def) {
        if (out.list_valid.empty()) out.list_valid.assign(size_t(rows_seen_ - 1), 1);
        out.list_valid.push_back(0);
        continue;
      }
      if (!out.list_valid.empty()) out.list_valid.push_back(1);
      if (d == list_def) continue;  // empty list
    } else {
      if (rows_seen_ == 0) throw Corrupt("first value continues a list (repetition level 1)");
      if (d <= list_def) throw Corrupt("list element with definition level " + std::to_string(d));
    }
    uint8_t f = d == max_def;
    present_.push_back(f);
    p += f;
    elems++;
  }
  // The open row's end offset is pushed when the next row starts or the chunk ends.
  elems_ = elems;
  slots = present_.size();
  present = p;
}

// True when `levels` (RLE/bit-packed hybrid) starts with one RLE run of `value` covering n.
bool single_run(std::span<const uint8_t> levels, int bw, size_t n, uint32_t value) {
  size_t pos = 0;
  try {
    uint64_t hdr = read_uleb128(levels, pos);
    size_t vbytes = size_t((bw + 7) / 8);
    if ((hdr & 1) != 0 || (hdr >> 1) < n || levels.size() - pos < vbytes) return false;
    uint32_t v = 0;
    for (size_t b = 0; b < vbytes; b++) v |= uint32_t(levels[pos + b]) << (8 * b);
    return v == value;
  } catch (const std::exception&) {
    return false;
  }
}

void ChunkDecoder::check_count(size_t n) {
  if (n > kMaxPageValues) throw Corrupt("data page claims " + std::to_string(n) + " values");
  if (n > uint64_t(values_total_ - values_seen_))
    throw Corrupt("pages hold more values than the column chunk's " + std::to_string(values_total_));
}

void ChunkDecoder::data_page(const PageHeader& h, std::span<const uint8_t> body, Column& out) {
  const int max_def = leaf_.max_def, max_rep = leaf_.max_rep;
  size_t n;
  int enc;
  bool defs_all_max = max_def == 0;
  std::span<const uint8_t> values;
  if (h.type == meta::DATA_PAGE) {
    if (!h.data) throw Corrupt("data page without a data page header");
    if (h.data->num_values < 0) throw Corrupt("data page with negative value count");
    n = size_t(h.data->num_values);
    enc = h.data->encoding;
    check_count(n);
    if (max_rep == 0 && max_def == 0 && direct_page(body, size_t(h.uncompressed_size), n, enc, out)) return;
    auto data = decompress(body, size_t(h.uncompressed_size), page_buf_);
    size_t pos = 0;
    if (max_rep > 0) {
      bool all;
      pos += decode_levels_v1(data, h.data->rep_encoding, max_rep, n, rep_, all);
      if (all) rep_.assign(n, uint32_t(max_rep));
    }
    if (max_def > 0) pos += decode_levels_v1(data.subspan(pos), h.data->def_encoding, max_def, n, def_, defs_all_max);
    values = data.subspan(pos);
  } else {
    if (!h.data_v2) throw Corrupt("data page v2 without its header");
    const auto& d = *h.data_v2;
    if (d.num_values < 0 || d.rep_length < 0 || d.def_length < 0) throw Corrupt("data page v2 with negative sizes");
    n = size_t(d.num_values);
    enc = d.encoding;
    check_count(n);
    size_t rl = size_t(d.rep_length), dl = size_t(d.def_length);
    if (rl + dl > body.size() || rl + dl > size_t(h.uncompressed_size))
      throw Corrupt("data page v2 level lengths exceed the page size");
    if (max_rep > 0) {
      rep_.resize(n);
      rle_decode(body.subspan(0, rl), bit_width_for(uint64_t(max_rep)), rep_.data(), n);
    }
    if (max_def > 0) {
      auto lv = body.subspan(rl, dl);
      int bw = bit_width_for(uint64_t(max_def));
      defs_all_max = single_run(lv, bw, n, uint32_t(max_def));
      if (!defs_all_max) {
        def_.resize(n);
        rle_decode(lv, bw, def_.data(), n);
      }
    }
    auto payload = body.subspan(rl + dl);
    size_t usize = size_t(h.uncompressed_size) - rl - dl;
    if (d.is_compressed && max_rep == 0 && defs_all_max && direct_page(payload, usize, n, enc, out)) return;
    if (d.is_compressed) values = decompress(payload, usize, page_buf_);
    else values = payload;
  }

  size_t slots = 0, present = 0;
  assemble(n, defs_all_max, out, slots, present);
  values_seen_ += int64_t(n);

  size_t old_slots;
  if (width_ > 0) {
    old_slots = out.data.size() / width_;
    out.data.resize((old_slots + slots) * width_);
    uint8_t* dst = out.data.data() + old_slots * width_;
    if (present == slots) {
      decode_fixed(enc, values, present, dst);
    } else {
      dense_.resize(present * width_);
      decode_fixed(enc, values, present, dense_.data());
      const uint8_t* src = dense_.data();
      for (size_t i = 0; i < slots; i++) {
        if (present_[i]) { std::memcpy(dst, src, width_); src += width_; }
        else std::memset(dst, 0, width_);
        dst += width_;
      }
    }
  } else {
    old_slots = out.offsets.size() - 1;
    schars_.clear();
    if (present == slots) {
      decode_strings(enc, values, present, out.offsets, schars_);
    } else {
      soff_.assign(1, 0);
      decode_strings(enc, values, present, soff_, schars_);
      int64_t base = out.offsets.back();
      size_t k = 0;
      for (size_t i = 0; i < slots; i++) {
        if (present_[i]) k++;
        out.offsets.push_back(base + soff_[k]);
      }
    }
    out.data.append(schars_.data(), schars_.size());
  }
  if (present < slots) {
    if (out.valid.empty()) out.valid.assign(old_slots, 1);
    out.valid.insert(out.valid.end(), present_.begin(), present_.begin() + ptrdiff_t(slots));
  } else if (!out.valid.empty()) {
    out.valid.insert(out.valid.end(), slots, 1);
  }
}

void ChunkDecoder::run(std::span<const uint8_t> chunk, const ColumnMetaData& m, int64_t expect_rows, Column& out) {
  if (m.num_values < 0) throw Corrupt("negative value count");
  values_total_ = m.num_values;
  chunk_uncompressed_ = m.total_uncompressed_size;
  // Flat columns may already hold earlier row groups (FileReader::read decodes every row
  // group into one column); list columns always start empty.
  if (width_ == 0 && out.offsets.empty()) out.offsets.assign(1, 0);
  if (leaf_.field.list) out.list_offsets.assign(1, 0);
  // Size the value buffer once for flat columns (a no-op when the caller reserved already).
  if (!leaf_.field.list && width_ > 0) out.data.reserve(out.data.size() + chunk_value_bytes(m, expect_rows, width_));
  size_t pos = 0;
  while (values_seen_ < values_total_) {
    if (pos >= chunk.size())
      throw Corrupt("column chunk ends after " + std::to_string(values_seen_) + " of " + std::to_string(values_total_) + " values");
    size_t hl = 0;
    PageHeader h;
    try {
      h = meta::parse_page_header(chunk.subspan(pos), hl);
    } catch (const thrift::ThriftError& e) {
      throw Corrupt("bad page header at chunk offset " + std::to_string(pos) + ": " + e.what());
    }
    if (h.compressed_size < 0 || h.uncompressed_size < 0)
      throw Corrupt("page header at chunk offset " + std::to_string(pos) + " has negative sizes");
    if (size_t(h.compressed_size) > chunk.size() - pos - hl)
      throw Corrupt("page of " + std::to_string(h.compressed_size) + " bytes at chunk offset " + std::to_string(pos) +
                    " runs past the column chunk");
    auto body = chunk.subspan(pos + hl, size_t(h.compressed_size));
    pos += hl + size_t(h.compressed_size);
    switch (h.type) {
      case meta::DICTIONARY_PAGE: dictionary_page(h, body); break;
      case meta::DATA_PAGE: case meta::DATA_PAGE_V2: data_page(h, body, out); break;
      default: break;  // index pages and future page types carry nothing we need
    }
  }
  if (leaf_.field.list && rows_seen_ > 0) out.list_offsets.push_back(elems_);
  if (rows_seen_ != expect_rows)
    throw Corrupt("column chunk holds " + std::to_string(rows_seen_) + " rows, row group says " + std::to_string(expect_rows));
}

// Appends src's rows to dst (same field), shifting offsets and materialising validity.
// Only list columns go this way now; flat columns are decoded in place.
void append_column(Column& dst, Column&& src) {
  size_t dv = dst.values(), sv = src.values();
  if (dv == 0 && (!dst.field.list || dst.rows() == 0)) {
    Field f = dst.field;
    dst = std::move(src);
    dst.field = f;
    return;
  }
  if (!src.valid.empty() || !dst.valid.empty()) {
    if (dst.valid.empty()) dst.valid.assign(dv, 1);
    if (src.valid.empty()) dst.valid.insert(dst.valid.end(), sv, 1);
    else dst.valid.insert(dst.valid.end(), src.valid.begin(), src.valid.end());
  }
  if (type_width(dst.field.type) == 0) {
    int64_t base = dst.offsets.back();
    for (size_t i = 1; i < src.offsets.size(); i++) dst.offsets.push_back(base + src.offsets[i]);
  }
  dst.data.append(src.data.data(), src.data.size());
  if (dst.field.list) {
    size_t dr = dst.rows(), sr = src.rows();
    if (!src.list_valid.empty() || !dst.list_valid.empty()) {
      if (dst.list_valid.empty()) dst.list_valid.assign(dr, 1);
      if (src.list_valid.empty()) dst.list_valid.insert(dst.list_valid.end(), sr, 1);
      else dst.list_valid.insert(dst.list_valid.end(), src.list_valid.begin(), src.list_valid.end());
    }
    int64_t base = dst.list_offsets.back();
    for (size_t i = 1; i < src.list_offsets.size(); i++) dst.list_offsets.push_back(base + src.list_offsets[i]);
  }
}

// A DECIMAL column decoded as its storage (Int32, Int64, or Binary holding big-endian two's
// complement) becomes Double: unscaled / 10^scale, the nearest double.
void decimal_to_double(Column& c, int scale) {
  const size_t n = c.rows();
  const double div = std::pow(10.0, scale);
  Buffer out;
  out.resize(n * sizeof(double));
  double* d = reinterpret_cast<double*>(out.data());
  for (size_t i = 0; i < n; i++) {
    double v = 0;
    if (c.field.type == Type::Int32) {
      int32_t x;
      std::memcpy(&x, c.data.data() + 4 * i, 4);
      v = double(x);
    } else if (c.field.type == Type::Int64) {
      int64_t x;
      std::memcpy(&x, c.data.data() + 8 * i, 8);
      v = double(x);
    } else {
      const uint8_t* b = c.data.data() + c.offsets[i];
      size_t len = size_t(c.offsets[i + 1] - c.offsets[i]);
      if (len > 16) throw Corrupt("DECIMAL value of " + std::to_string(len) + " bytes (at most 16 are supported)");
      unsigned __int128 u = (len && (b[0] & 0x80)) ? ~(unsigned __int128)0 : 0;  // sign extension
      for (size_t k = 0; k < len; k++) u = (u << 8) | b[k];
      v = double(__int128(u));
    }
    d[i] = v / div;
  }
  c.data = std::move(out);
  c.offsets.clear();
  c.field.type = Type::Double;
}

// ---- the reader ----------------------------------------------------------------------------

class FileReaderImpl : public FileReader {
 public:
  explicit FileReaderImpl(std::shared_ptr<storage::ByteSource> src) : src_(std::move(src)) { load_footer(); }

  const std::vector<Field>& schema() const override { return schema_; }
  const std::vector<std::pair<std::string, std::string>>& unreadable() const override { return unreadable_; }
  int64_t rows() const override { return md_.num_rows; }
  int row_groups() const override { return int(rgs_.size()); }
  const RowGroupInfo& row_group(int i) const override {
    if (i < 0 || size_t(i) >= rgs_.size())
      throw std::out_of_range(src_->name() + ": no row group " + std::to_string(i));
    return rgs_[size_t(i)];
  }
  const std::vector<std::pair<std::string, std::string>>& key_value() const override { return kv_; }
  std::string created_by() const override { return md_.created_by.value_or(""); }
  const std::vector<uint8_t>& footer_bytes() const override { return footer_; }

  Table read_row_group(int i, const std::vector<std::string>& columns) const override {
    row_group(i);
    std::vector<const Leaf*> want = resolve(columns);
    Prefetch p(*this, {i}, want);
    Table t;
    t.columns.reserve(want.size());
    for (const Leaf* l : want) t.columns.push_back(read_column(i, *l));
    finish_decimals(want, t);
    return t;
  }

  // Flat columns are decoded row group after row group straight into one buffer, sized once
  // for the whole file; list columns are read per row group and appended.
  Table read(const std::vector<std::string>& columns) const override {
    std::vector<const Leaf*> want = resolve(columns);
    Table t;
    for (const Leaf* l : want) {
      Column c(l->field);
      size_t w = type_width(l->field.type);
      if (w == 0) c.offsets.assign(1, 0);
      if (l->field.list) c.list_offsets.assign(1, 0);
      if (!l->field.list && w > 0) {
        size_t total = 0;
        for (const auto& rg : md_.row_groups) {
          const ColumnChunk& cc = rg.columns[size_t(l->chunk)];
          if (cc.meta) total += chunk_value_bytes(*cc.meta, rg.num_rows, w);
        }
        try {
          c.data.reserve(total);
        } catch (const std::bad_alloc&) {
          throw error("column '" + l->field.name + "': sizes in the file are too large to allocate");
        }
      }
      t.columns.push_back(std::move(c));
    }
    std::vector<int> groups(static_cast<size_t>(row_groups()));
    for (int g = 0; g < row_groups(); g++) groups[size_t(g)] = g;
    Prefetch p(*this, groups, want);
    for (int g = 0; g < row_groups(); g++) {
      for (size_t k = 0; k < want.size(); k++) {
        if (want[k]->field.list) append_column(t.columns[k], read_column(g, *want[k]));
        else read_column_into(g, *want[k], t.columns[k]);
      }
    }
    finish_decimals(want, t);
    return t;
  }

 private:
  // Tells the source which column chunks are about to be read (an object store fetches them
  // together, coalesced and in parallel) and lets them go when the read is done.
  struct Prefetch {
    const FileReaderImpl& r;
    Prefetch(const FileReaderImpl& reader, const std::vector<int>& groups, const std::vector<const Leaf*>& want)
        : r(reader) {
      std::vector<std::pair<uint64_t, uint64_t>> ranges;
      for (int g : groups)
        for (const Leaf* l : want) {
          const ColumnChunk& cc = r.md_.row_groups[size_t(g)].columns[size_t(l->chunk)];
          if (cc.meta && !cc.file_path) ranges.push_back(chunk_range(*cc.meta));
        }
      // The leading magic only when it joins a chunk's request (the source merges ranges under
      // 64 KiB apart, and fetches none it already holds); else a later read checks it. Never a
      // request of its own: the footer's magic and the chunk bounds are checked regardless.
      bool head = false;
      if (r.head_pending_)
        for (auto [off, len] : ranges) head = head || (off <= 64 * 1024 && r.src_->view(off, len).empty());
      if (head) ranges.emplace_back(0, 4);
      r.src_->prefetch(ranges);
      if (head) {
        uint8_t head[4];
        r.src_->read(0, head);
        r.check_head(head);
        r.head_pending_ = false;
      }
    }
    ~Prefetch() { r.src_->release(); }
  };

  FormatError error(const std::string& what) const { return FormatError(src_->name() + ": " + what); }
  void check_head(const uint8_t* head) const {
    if (std::memcmp(head, "PAR1", 4) != 0) throw error("bad magic at start of file (not Parquet)");
  }

  void finish_decimals(const std::vector<const Leaf*>& want, Table& t) const {
    for (size_t k = 0; k < want.size(); k++) {
      if (want[k]->decimal_scale < 0) continue;
      try {
        decimal_to_double(t.columns[k], want[k]->decimal_scale);
      } catch (const std::runtime_error& e) {
        throw error("column '" + want[k]->field.name + "': " + e.what());
      }
    }
  }

  std::vector<const Leaf*> resolve(const std::vector<std::string>& columns) const {
    std::vector<const Leaf*> out;
    if (columns.empty()) {
      for (int k : readable_) out.push_back(&leaves_[size_t(k)]);
      return out;
    }
    for (const auto& name : columns) {
      const Leaf* found = nullptr;
      for (const auto& l : leaves_)
        if (l.field.name == name) { found = &l; break; }
      if (!found) throw error("no column '" + name + "' in " + src_->name());
      if (!found->unsupported.empty()) throw error("column '" + name + "': " + found->unsupported);
      out.push_back(found);
    }
    return out;
  }

  Column read_column(int g, const Leaf& leaf) const {
    Column col(leaf.field);
    read_column_into(g, leaf, col);
    return col;
  }

  // Decodes row group g's chunk of `leaf`, appending to `col` (flat columns) or into an
  // empty `col` (list columns).
  void read_column_into(int g, const Leaf& leaf, Column& col) const {
    const meta::RowGroup& rg = md_.row_groups[size_t(g)];
    // Built only on error: this runs once per column chunk on the hot path.
    auto where = [&] { return "column '" + leaf.field.name + "' row group " + std::to_string(g) + ": "; };
    const ColumnChunk& cc = rg.columns[size_t(leaf.chunk)];
    if (cc.file_path) throw error(where() + "column chunk lives in another file ('" + *cc.file_path + "')");
    if (!cc.meta) throw error(where() + "column chunk has no metadata");
    const ColumnMetaData& m = *cc.meta;
    if (m.type != leaf.physical)
      throw error(where() + "chunk type " + meta::physical_type_name(m.type) + " differs from schema type " +
                  meta::physical_type_name(leaf.physical));
    auto [start, len] = chunk_range(m);
    if (start < 4 || len > data_end_ || start > data_end_ - len)
      throw error(where() + "column chunk [" + std::to_string(start) + ", +" + std::to_string(len) +
                  ") lies outside the data area of the file (" + std::to_string(data_end_) + " bytes)");
    std::vector<uint8_t> owned;
    std::span<const uint8_t> bytes = src_->view(start, len);
    if (bytes.size() != len) {
      owned.resize(size_t(len));
      src_->read(start, owned);
      bytes = owned;
    }
    try {
      ChunkDecoder dec(leaf, m.codec);
      dec.run(bytes, m, rg.num_rows, col);
    } catch (const FormatError&) {
      throw;
    } catch (const CompressionError& e) {
      throw error(where() + e.what());
    } catch (const std::bad_alloc&) {
      throw error(where() + "sizes in the file are too large to allocate");
    } catch (const std::runtime_error& e) {  // Corrupt, EncodingError
      throw error(where() + e.what());
    }
  }

  // Byte range of a chunk: from its dictionary page (if any) through its data pages.
  static std::pair<uint64_t, uint64_t> chunk_range(const ColumnMetaData& m) {
    int64_t start = m.data_page_offset;
    // Some writers store dictionary_page_offset = 0 for "none"; a real one precedes the data.
    if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 && *m.dictionary_page_offset < start)
      start = *m.dictionary_page_offset;
    if (start < 0 || m.total_compressed_size < 0) return {0, 0};
    return {uint64_t(start), uint64_t(m.total_compressed_size)};
  }

  void load_footer() {
    uint64_t size = src_->size();
    if (size < 12) throw error("file of " + std::to_string(size) + " bytes is too small to be Parquet (truncated?)");
    uint8_t tail[8];
    src_->read(size - 8, tail);
    if (std::memcmp(tail + 4, "PARE", 4) == 0) throw error("encrypted Parquet footers are not supported");
    if (std::memcmp(tail + 4, "PAR1", 4) != 0) throw error("bad magic at end of file (not Parquet, or truncated)");
    // The leading magic: checked now when the bytes are at hand (a local file, a small remote
    // one), else with the first column chunks, whose fetch it joins (no request of its own).
    std::span<const uint8_t> head = src_->view(0, 4);
    if (!head.empty()) check_head(head.data());
    else head_pending_ = true;
    uint32_t flen = le32(tail);
    if (flen == 0 || flen > size - 12)
      throw error("footer length " + std::to_string(flen) + " does not fit in a file of " + std::to_string(size) + " bytes");
    data_end_ = size - 8 - flen;
    footer_.resize(flen);
    src_->read(data_end_, footer_);
    try {
      md_ = meta::parse_file_metadata(footer_);
    } catch (const thrift::ThriftError& e) {
      throw error(std::string("corrupt footer: ") + e.what());
    } catch (const std::bad_alloc&) {
      throw error("corrupt footer: sizes too large");
    }
    try {
      build_schema();
    } catch (const Corrupt& e) {
      throw error(std::string("bad schema: ") + e.what());
    }
    if (md_.num_rows < 0) throw error("negative row count in footer");
    for (const auto& kv : md_.key_value) kv_.emplace_back(kv.key, kv.value.value_or(""));
    for (size_t g = 0; g < md_.row_groups.size(); g++) {
      const meta::RowGroup& rg = md_.row_groups[g];
      std::string where = "row group " + std::to_string(g) + ": ";
      if (rg.num_rows < 0) throw error(where + "negative row count");
      if (rg.columns.size() != leaves_.size())
        throw error(where + "has " + std::to_string(rg.columns.size()) + " column chunks, schema has " +
                    std::to_string(leaves_.size()) + " leaf columns");
      RowGroupInfo info;
      info.rows = rg.num_rows;
      for (const auto& cc : rg.columns) {
        if (cc.file_path && info.file_path.empty()) info.file_path = *cc.file_path;
        if (cc.meta) info.bytes += cc.meta->total_compressed_size;
        if (cc.meta && !cc.file_path) {
          auto [start, len] = chunk_range(*cc.meta);
          if (start < 4 || len > data_end_ || start > data_end_ - len)
            throw error(where + "column chunk '" + (cc.meta->path.empty() ? std::string("?") : cc.meta->path.back()) +
                        "' at [" + std::to_string(start) + ", +" + std::to_string(len) +
                        ") lies outside the data area; the footer lies about sizes or the file is truncated");
        }
      }
      for (int k : readable_) {
        const Leaf& l = leaves_[size_t(k)];
        const ColumnChunk& cc = rg.columns[size_t(l.chunk)];
        info.stats.push_back(cc.meta ? make_stats(l, *cc.meta) : ColumnStats{});
        info.ranges.push_back(cc.meta ? chunk_range(*cc.meta) : std::pair<uint64_t, uint64_t>{0, 0});
      }
      rgs_.push_back(std::move(info));
    }
  }

  void build_schema() {
    const auto& els = md_.schema;
    if (els.empty()) throw Corrupt("empty schema");
    SchemaWalker w{els, {}, {}, 1};
    int n = els[0].num_children.value_or(0);
    if (n < 0) throw Corrupt("root has negative num_children");
    w.walk_children(n, 0);
    if (w.next != els.size()) throw Corrupt("schema has elements that belong to no parent");
    leaves_ = std::move(w.leaves);
    // Names must be unique for lookup by name; fall back to full paths if flattening clashed.
    for (size_t i = 0; i < leaves_.size(); i++)
      for (size_t j = i + 1; j < leaves_.size(); j++)
        if (leaves_[i].field.name == leaves_[j].field.name) {
          leaves_[i].field.name = leaves_[i].full_path;
          leaves_[j].field.name = leaves_[j].full_path;
        }
    for (size_t i = 0; i < leaves_.size(); i++) {
      if (!leaves_[i].unsupported.empty()) {
        unreadable_.emplace_back(leaves_[i].field.name, leaves_[i].unsupported);
        continue;
      }
      readable_.push_back(int(i));
      schema_.push_back(leaves_[i].field);
      if (leaves_[i].decimal_scale >= 0) schema_.back().type = Type::Double;
    }
  }

  std::shared_ptr<storage::ByteSource> src_;
  mutable std::atomic<bool> head_pending_{false};  // leading magic not yet checked
  meta::FileMetaData md_;
  std::vector<uint8_t> footer_;
  uint64_t data_end_ = 0;
  std::vector<Leaf> leaves_;
  std::vector<int> readable_;
  std::vector<Field> schema_;
  std::vector<std::pair<std::string, std::string>> unreadable_;
  std::vector<RowGroupInfo> rgs_;
  std::vector<std::pair<std::string, std::string>> kv_;
};

}  // namespace

std::unique_ptr<FileReader> FileReader::open(std::shared_ptr<storage::ByteSource> src) {
  return std::make_unique<FileReaderImpl>(std::move(src));
}

std::unique_ptr<FileReader> FileReader::open(const std::string& path) {
  return open(storage::open(path));
}

}  // namespace astrolake::parquet
