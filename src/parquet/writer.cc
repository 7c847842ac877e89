// Parquet writer: one row group per opts.row_group_rows rows; per column chunk an optional
// dictionary page (PLAIN) then data pages v1 of about 1 MB (RLE levels, PLAIN or
// RLE_DICTIONARY values), each compressed with the chosen codec; chunk statistics.
#include "parquet/writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "parquet/compression.h"
#include "parquet/encoding.h"
#include "parquet/metadata.h"
#include "parquet/reader.h"
#include "storage/output.h"
#include "storage/source.h"

namespace astrolake::parquet {
namespace {

constexpr size_t kPageBytes = 1 << 20;
constexpr size_t kCodecProbeValues = 16384;  // values compressed to decide a float chunk's codec
constexpr size_t kMaxDictBytes = 1 << 20;
constexpr size_t kMaxStatBytes = 4096;

int codec_id(Codec c) {
  switch (c) {
    case Codec::Uncompressed: return 0;
    case Codec::Snappy: return 1;
    case Codec::Gzip: return 2;
    case Codec::Zstd: return 6;
  }
  return 0;
}

int32_t physical_of(Type t) {
  switch (t) {
    case Type::Bool: return meta::BOOLEAN;
    case Type::Int8: case Type::Int16: case Type::Int32: case Type::UInt8: case Type::UInt16: case Type::UInt32:
    case Type::Date32: return meta::INT32;
    case Type::Int64: case Type::UInt64: case Type::TimestampMillis: case Type::TimestampMicros:
    case Type::TimestampNanos: return meta::INT64;
    case Type::Float: return meta::FLOAT;
    case Type::Double: return meta::DOUBLE;
    case Type::String: case Type::Binary: return meta::BYTE_ARRAY;
  }
  return meta::BYTE_ARRAY;
}

// Leaf schema element with both the logical type and the legacy converted type, so old and
// new readers agree on what the bytes mean.
meta::SchemaElement leaf_element(const Field& f, const std::string& name, int32_t repetition) {
  meta::SchemaElement e;
  e.name = name;
  e.type = physical_of(f.type);
  e.repetition = repetition;
  auto integer = [&](int bits, bool sign, int32_t ct) {
    e.logical.kind = meta::LogicalType::INTEGER;
    e.logical.bit_width = int8_t(bits);
    e.logical.is_signed = sign;
    e.converted_type = ct;
  };
  auto timestamp = [&](int8_t unit) {
    e.logical.kind = meta::LogicalType::TIMESTAMP;
    e.logical.utc = true;
    e.logical.unit = unit;
  };
  switch (f.type) {
    case Type::Int8: integer(8, true, meta::CT_INT_8); break;
    case Type::Int16: integer(16, true, meta::CT_INT_16); break;
    case Type::UInt8: integer(8, false, meta::CT_UINT_8); break;
    case Type::UInt16: integer(16, false, meta::CT_UINT_16); break;
    case Type::UInt32: integer(32, false, meta::CT_UINT_32); break;
    case Type::UInt64: integer(64, false, meta::CT_UINT_64); break;
    case Type::String: e.logical.kind = meta::LogicalType::STRING; e.converted_type = meta::CT_UTF8; break;
    case Type::Date32: e.logical.kind = meta::LogicalType::DATE; e.converted_type = meta::CT_DATE; break;
    case Type::TimestampMillis: timestamp(meta::LogicalType::MILLIS); e.converted_type = meta::CT_TIMESTAMP_MILLIS; break;
    case Type::TimestampMicros: timestamp(meta::LogicalType::MICROS); e.converted_type = meta::CT_TIMESTAMP_MICROS; break;
    case Type::TimestampNanos: timestamp(meta::LogicalType::NANOS); break;
    default: break;
  }
  return e;
}

// Copies rows [r0, r1) of src onto the end of dst (same field).
void append_rows(Column& dst, const Column& src, size_t r0, size_t r1) {
  if (r1 <= r0) return;
  const size_t w = type_width(src.field.type);
  size_t e0 = r0, e1 = r1;  // element range
  if (src.field.list) {
    e0 = size_t(src.list_offsets[r0]);
    e1 = size_t(src.list_offsets[r1]);
    if (dst.list_offsets.empty()) dst.list_offsets.push_back(0);
    size_t drows = dst.list_offsets.size() - 1;
    int64_t base = dst.list_offsets.back() - src.list_offsets[r0];
    for (size_t r = r0 + 1; r <= r1; r++) dst.list_offsets.push_back(base + src.list_offsets[r]);
    if (!src.list_valid.empty() || !dst.list_valid.empty()) {
      if (dst.list_valid.empty()) dst.list_valid.assign(drows, 1);
      if (src.list_valid.empty()) dst.list_valid.insert(dst.list_valid.end(), r1 - r0, 1);
      else dst.list_valid.insert(dst.list_valid.end(), src.list_valid.begin() + ptrdiff_t(r0), src.list_valid.begin() + ptrdiff_t(r1));
    }
  }
  size_t dvals = dst.values();
  if (w) {
    dst.data.append(src.data.data() + e0 * w, (e1 - e0) * w);
  } else {
    if (dst.offsets.empty()) dst.offsets.push_back(0);
    int64_t base = dst.offsets.back() - src.offsets[e0];
    dst.data.append(src.data.data() + src.offsets[e0], size_t(src.offsets[e1] - src.offsets[e0]));
    for (size_t i = e0 + 1; i <= e1; i++) dst.offsets.push_back(base + src.offsets[i]);
  }
  if (!src.valid.empty() || !dst.valid.empty()) {
    if (dst.valid.empty()) dst.valid.assign(dvals, 1);
    if (src.valid.empty()) dst.valid.insert(dst.valid.end(), e1 - e0, 1);
    else dst.valid.insert(dst.valid.end(), src.valid.begin() + ptrdiff_t(e0), src.valid.begin() + ptrdiff_t(e1));
  }
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
  uint8_t b[4];
  std::memcpy(b, &v, 4);
  out.insert(out.end(), b, b + 4);
}

// Appends levels as RLE hybrid with the 4-byte length prefix of data page v1.
void put_levels(std::vector<uint8_t>& out, const std::vector<uint32_t>& levels, int max_level) {
  size_t at = out.size();
  put32(out, 0);
  rle_encode(levels.data(), levels.size(), bit_width_for(uint64_t(max_level)), out);
  uint32_t len = uint32_t(out.size() - at - 4);
  std::memcpy(out.data() + at, &len, 4);
}

// Running min/max of a chunk in the column's own type and order.
struct StatsBuilder {
  Type type;
  bool have = false;
  double dmin = 0, dmax = 0;             // Float/Double
  int64_t imin = 0, imax = 0;            // signed ints, dates, timestamps, bool
  uint64_t umin = 0, umax = 0;           // unsigned ints
  std::string_view smin, smax;           // strings (views into the column)

  void add(const Column& c, size_t i) {
    const uint8_t* p = c.data.data() + i * type_width(type);
    switch (type) {
      case Type::Float: case Type::Double: {
        double v = c.as_double(i);
        if (std::isnan(v)) return;
        if (!have || v < dmin) dmin = v;
        if (!have || v > dmax) dmax = v;
        break;
      }
      case Type::UInt8: case Type::UInt16: case Type::UInt32: case Type::UInt64: {
        uint64_t v = 0;
        std::memcpy(&v, p, type_width(type));
        if (!have || v < umin) umin = v;
        if (!have || v > umax) umax = v;
        break;
      }
      case Type::String: case Type::Binary: {
        std::string_view v = c.string_at(i);
        if (!have || v < smin) smin = v;
        if (!have || v > smax) smax = v;
        break;
      }
      default: {
        int64_t v = int64_t(c.as_double(i));
        if (type == Type::Int64 || type == Type::TimestampMillis || type == Type::TimestampMicros ||
            type == Type::TimestampNanos)
          std::memcpy(&v, p, 8);  // exact, not via double
        if (!have || v < imin) imin = v;
        if (!have || v > imax) imax = v;
      }
    }
    have = true;
  }

  // PLAIN encoding of the physical type (no length prefix for byte arrays).
  std::string encode(bool is_max) const {
    auto bytes = [](const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); };
    switch (type) {
      case Type::Float: {
        float v = float(is_max ? dmax : dmin);
        if (v == 0) v = is_max ? 0.0f : -0.0f;  // the spec's rule for signed zeros
        return bytes(&v, 4);
      }
      case Type::Double: {
        double v = is_max ? dmax : dmin;
        if (v == 0) v = is_max ? 0.0 : -0.0;
        return bytes(&v, 8);
      }
      case Type::String: case Type::Binary: return std::string(is_max ? smax : smin);
      case Type::Bool: { uint8_t b = uint8_t(is_max ? imax : imin); return bytes(&b, 1); }
      case Type::UInt64: { uint64_t v = is_max ? umax : umin; return bytes(&v, 8); }
      case Type::UInt8: case Type::UInt16: case Type::UInt32: { uint32_t v = uint32_t(is_max ? umax : umin); return bytes(&v, 4); }
      case Type::Int8: case Type::Int16: case Type::Int32: case Type::Date32: { int32_t v = int32_t(is_max ? imax : imin); return bytes(&v, 4); }
      default: { int64_t v = is_max ? imax : imin; return bytes(&v, 8); }
    }
  }
};

}  // namespace

struct FileWriter::Impl {
  std::string path, tmp;
  std::vector<Field> schema;
  WriteOptions opts;
  int fd = -1;
  uint64_t pos = 0;
  std::vector<uint8_t> out;  // bytes not yet written to fd
  meta::FileMetaData md;
  Table pending;
  bool closed = false;
  bool stream = false;  // writing in place into a pipe, a device or standard output (no temp, no rename)
  bool memory = false;  // encoding into `out` only (FileWriter::encode): no file, never flushed
  int chunk_codec = 0;  // the codec of the column chunk being written (see write_chunk)

  [[noreturn]] void io_fail(const std::string& what) {
    throw storage::IoError(path + ": " + what + ": " + std::strerror(errno));
  }

  void emit(const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
    pos += n;
    if (!memory && out.size() >= (8u << 20)) flush_out();
  }

  void flush_out() {
    storage::write_all(fd, out.data(), out.size(), path == "-" ? "standard output" : path);
    out.clear();
  }

  // Writes one page (header + compressed body); returns {uncompressed, compressed} bytes incl. header.
  std::pair<int64_t, int64_t> write_page(meta::PageHeader h, const std::vector<uint8_t>& body, std::vector<uint8_t>& cbuf) {
    int codec = chunk_codec;
    const std::vector<uint8_t>* payload = &body;
    if (codec != 0) {
      cbuf.clear();
      compress(codec, body, cbuf, opts.zstd_level);
      payload = &cbuf;
    }
    h.uncompressed_size = int32_t(body.size());
    h.compressed_size = int32_t(payload->size());
    std::vector<uint8_t> hb;
    meta::serialize(h, hb);
    emit(hb.data(), hb.size());
    emit(payload->data(), payload->size());
    return {int64_t(hb.size() + body.size()), int64_t(hb.size() + payload->size())};
  }

  meta::ColumnChunk write_chunk(const Column& c, size_t r0, size_t r1);
  // Throws std::invalid_argument, naming the column, when t does not fit the schema.
  void check(const Table& t) const {
    if (t.columns.size() != schema.size())
      throw std::invalid_argument(path + ": table has " + std::to_string(t.columns.size()) + " columns, schema has " +
                                  std::to_string(schema.size()));
    size_t rows = t.rows();
    for (size_t i = 0; i < schema.size(); i++) {
      const Column& c = t.columns[i];
      const Field& f = schema[i];
      if (c.field.type != f.type || c.field.list != f.list)
        throw std::invalid_argument(path + ": column " + std::to_string(i) + " ('" + c.field.name + "') is " +
                                    type_name(c.field.type) + (c.field.list ? " list" : "") + ", schema says '" + f.name +
                                    "' " + type_name(f.type) + (f.list ? " list" : ""));
      if (c.rows() != rows)
        throw std::invalid_argument(path + ": column '" + f.name + "' has " + std::to_string(c.rows()) + " rows, expected " +
                                    std::to_string(rows));
      size_t nv = c.field.list ? (c.list_offsets.empty() ? 0 : size_t(c.list_offsets.back())) : rows;
      bool bad = (type_width(f.type) == 0 && c.offsets.size() != (nv ? nv + 1 : c.offsets.size())) ||
                 (!c.valid.empty() && c.valid.size() != nv) || (f.list && !c.list_valid.empty() && c.list_valid.size() != rows) ||
                 c.values() != nv;
      if (bad) throw std::invalid_argument(path + ": column '" + f.name + "' has inconsistent buffers");
      // Nulls where the schema forbids them: caught here, not when the buffered rows are flushed.
      bool value_nulls_ok = f.list ? f.element_nullable : f.nullable;
      if (!value_nulls_ok && std::find(c.valid.begin(), c.valid.end(), 0) != c.valid.end())
        throw std::invalid_argument(path + ": column '" + f.name + "' is not nullable but holds nulls");
      if (f.list && !f.nullable && std::find(c.list_valid.begin(), c.list_valid.end(), 0) != c.list_valid.end())
        throw std::invalid_argument(path + ": list column '" + f.name + "' is not nullable but holds null lists");
    }
  }

  void write_row_group(const Table& t, size_t r0, size_t r1);
};

// Plain-encodes values [i0, i1) of c that are present (valid) into out.
static void plain_values(const Column& c, const std::vector<uint32_t>& idx, size_t k0, size_t k1, std::vector<uint8_t>& out) {
  const Type t = c.field.type;
  const size_t w = type_width(t);
  if (t == Type::Bool) {
    std::vector<uint8_t> b(k1 - k0);
    for (size_t k = k0; k < k1; k++) b[k - k0] = c.data.data()[idx[k]] ? 1 : 0;
    plain_bool_encode(b.data(), b.size(), out);
    return;
  }
  if (w == 0) {
    for (size_t k = k0; k < k1; k++) {
      std::string_view s = c.string_at(idx[k]);
      put32(out, uint32_t(s.size()));
      out.insert(out.end(), s.begin(), s.end());
    }
    return;
  }
  if (w < 4) {  // small ints widen to INT32 (sign- or zero-extended)
    for (size_t k = k0; k < k1; k++) put32(out, uint32_t(int32_t(c.as_double(idx[k]))));
    return;
  }
  size_t at = out.size();
  out.resize(at + (k1 - k0) * w);
  uint8_t* dst = out.data() + at;
  const uint8_t* src = c.data.data();
  // Contiguous present values copy in one go (the common no-null case).
  if (k1 > k0 && idx[k1 - 1] - idx[k0] == k1 - 1 - k0) {
    std::memcpy(dst, src + size_t(idx[k0]) * w, (k1 - k0) * w);
    return;
  }
  for (size_t k = k0; k < k1; k++) std::memcpy(dst + (k - k0) * w, src + size_t(idx[k]) * w, w);
}

meta::ColumnChunk FileWriter::Impl::write_chunk(const Column& c, size_t r0, size_t r1) {
  const Field& f = c.field;
  const Type t = f.type;
  const size_t w = type_width(t);
  // Level structure (see reader.cc): flat: def 1 if nullable. List: list_def = nullable,
  // +1 for the repeated node, +1 if elements may be null.
  const int list_def = f.nullable ? 1 : 0;
  const int max_def = f.list ? list_def + 1 + (f.element_nullable ? 1 : 0) : (f.nullable ? 1 : 0);
  const int max_rep = f.list ? 1 : 0;
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument(path + ": column '" + f.name + "': " + what);
  };

  // Levels for every row and the indices of present values, for the whole chunk.
  std::vector<uint32_t> def, rep, idx;
  std::vector<size_t> row_level;  // first level entry of each row (+ end), for page splits
  std::vector<size_t> row_idx;    // first present index of each row (+ end)
  int64_t nulls = 0;
  row_level.reserve(r1 - r0 + 1);
  row_idx.reserve(r1 - r0 + 1);
  for (size_t r = r0; r < r1; r++) {
    row_level.push_back(def.size() + (max_def == 0 ? r - r0 : 0));
    row_idx.push_back(idx.size());
    if (!f.list) {
      bool ok = c.valid.empty() || c.valid[r];
      if (!ok && !f.nullable) fail("not nullable but row " + std::to_string(r) + " is null");
      if (max_def) def.push_back(ok ? 1 : 0);
      if (ok) idx.push_back(uint32_t(r));
      else nulls++;
      continue;
    }
    bool list_ok = c.list_valid.empty() || c.list_valid[r];
    if (!list_ok) {
      if (!f.nullable) fail("not nullable but list at row " + std::to_string(r) + " is null");
      def.push_back(0);
      rep.push_back(0);
      nulls++;
      continue;
    }
    int64_t lo = c.list_offsets[r], hi = c.list_offsets[r + 1];
    if (lo == hi) {
      def.push_back(uint32_t(list_def));
      rep.push_back(0);
      continue;
    }
    for (int64_t e = lo; e < hi; e++) {
      bool ok = c.valid.empty() || c.valid[size_t(e)];
      if (!ok && !f.element_nullable) fail("element " + std::to_string(e) + " is null but elements are not nullable");
      rep.push_back(e == lo ? 0 : 1);
      def.push_back(uint32_t(ok ? max_def : max_def - 1));
      if (ok) idx.push_back(uint32_t(e));
      else nulls++;
    }
  }
  const size_t nlevels = max_def ? def.size() : r1 - r0;
  row_level.push_back(nlevels);
  row_idx.push_back(idx.size());

  // Statistics over present values.
  StatsBuilder sb;
  sb.type = t;
  for (uint32_t i : idx) sb.add(c, i);

  // Dictionary where it pays: few distinct values relative to the count and a small dictionary.
  bool use_dict = false;
  std::vector<uint32_t> codes;
  std::vector<uint32_t> dict_src;  // index into c of each dictionary entry
  if (opts.dictionary && t != Type::Bool && idx.size() >= 16) {
    codes.resize(idx.size());
    size_t dict_bytes = 0, limit = idx.size() / 2;
    bool ok = true;
    if (w == 0) {
      std::unordered_map<std::string_view, uint32_t> m;
      for (size_t k = 0; k < idx.size() && ok; k++) {
        auto [it, fresh] = m.try_emplace(c.string_at(idx[k]), uint32_t(m.size()));
        if (fresh) {
          dict_src.push_back(idx[k]);
          dict_bytes += it->first.size() + 4;
          if (m.size() > limit || dict_bytes > kMaxDictBytes) ok = false;
          if (k >= 4096 && m.size() * 10 > k * 9) ok = false;  // nearly all distinct: give up early
        }
        codes[k] = it->second;
      }
    } else {
      std::unordered_map<uint64_t, uint32_t> m;
      for (size_t k = 0; k < idx.size() && ok; k++) {
        uint64_t key = 0;
        std::memcpy(&key, c.data.data() + size_t(idx[k]) * w, w);
        auto [it, fresh] = m.try_emplace(key, uint32_t(m.size()));
        if (fresh) {
          dict_src.push_back(idx[k]);
          dict_bytes += w;
          if (m.size() > limit || dict_bytes > kMaxDictBytes) ok = false;
          if (k >= 4096 && m.size() * 10 > k * 9) ok = false;
        }
        codes[k] = it->second;
      }
    }
    use_dict = ok;
  }

  meta::ColumnMetaData m;
  m.type = physical_of(t);
  m.path.push_back(f.name);
  if (f.list) { m.path.push_back("list"); m.path.push_back("element"); }
  m.num_values = int64_t(nlevels);
  std::vector<uint8_t> body, cbuf;
  // Floating-point values barely compress (their low mantissa bits are noise), and inflating
  // them is most of the time a scan of such a column takes (zstd inflates ~1 GB/s a core, a
  // copy is ten times faster): a chunk whose first values shrink by less than 20% is stored
  // uncompressed (Parquet sets the codec per column chunk).
  chunk_codec = codec_id(opts.codec);
  if (chunk_codec != 0 && !use_dict && (t == Type::Float || t == Type::Double) && !idx.empty()) {
    plain_values(c, idx, 0, std::min(idx.size(), kCodecProbeValues), body);
    compress(chunk_codec, body, cbuf, opts.zstd_level);
    if (cbuf.size() * 5 > body.size() * 4) chunk_codec = 0;
    body.clear();
    cbuf.clear();
  }
  m.codec = chunk_codec;
  int64_t start = int64_t(pos);

  if (use_dict) {
    m.dictionary_page_offset = int64_t(pos);
    plain_values(c, dict_src, 0, dict_src.size(), body);
    meta::PageHeader h;
    h.type = meta::DICTIONARY_PAGE;
    h.dict = meta::DictionaryPageHeader{int32_t(dict_src.size()), meta::PLAIN, std::nullopt};
    auto [u, z] = write_page(h, body, cbuf);
    m.total_uncompressed_size += u;
    m.total_compressed_size += z;
  }
  m.data_page_offset = int64_t(pos);

  // Pages by whole rows (a list never straddles pages), about kPageBytes each.
  size_t nrows = r1 - r0;
  double bytes_per_value = use_dict ? 2 : (w ? double(w) : 0);
  if (w == 0 && !use_dict) {
    size_t chars = 0;
    for (uint32_t i : idx) chars += size_t(c.offsets[i + 1] - c.offsets[i]);
    bytes_per_value = idx.empty() ? 1 : double(chars) / double(idx.size()) + 4;
  }
  double per_row = nrows ? (bytes_per_value * double(idx.size()) + double(nlevels) / 4) / double(nrows) : 1;
  size_t rows_per_page = std::max<size_t>(1, size_t(double(kPageBytes) / std::max(per_row, 1e-3)));
  std::vector<uint32_t> lv;
  for (size_t p0 = 0; p0 < nrows; p0 += rows_per_page) {
    size_t p1 = std::min(nrows, p0 + rows_per_page);
    size_t l0 = row_level[p0], l1 = row_level[p1];
    size_t k0 = row_idx[p0], k1 = row_idx[p1];
    body.clear();
    if (max_rep) { lv.assign(rep.begin() + ptrdiff_t(l0), rep.begin() + ptrdiff_t(l1)); put_levels(body, lv, max_rep); }
    if (max_def) { lv.assign(def.begin() + ptrdiff_t(l0), def.begin() + ptrdiff_t(l1)); put_levels(body, lv, max_def); }
    meta::PageHeader h;
    h.type = meta::DATA_PAGE;
    meta::DataPageHeader d;
    d.num_values = int32_t(l1 - l0);
    if (use_dict) {
      d.encoding = meta::RLE_DICTIONARY;
      int bw = bit_width_for(dict_src.size() > 1 ? dict_src.size() - 1 : 1);
      body.push_back(uint8_t(bw));
      rle_encode(codes.data() + k0, k1 - k0, bw, body);
    } else {
      d.encoding = meta::PLAIN;
      plain_values(c, idx, k0, k1, body);
    }
    h.data = d;
    auto [u, z] = write_page(h, body, cbuf);
    m.total_uncompressed_size += u;
    m.total_compressed_size += z;
  }
  if (nrows == 0) {  // an empty chunk still needs one (empty) data page
    body.clear();
    meta::PageHeader h;
    h.type = meta::DATA_PAGE;
    h.data = meta::DataPageHeader{0, meta::PLAIN, meta::RLE, meta::RLE};
    auto [u, z] = write_page(h, body, cbuf);
    m.total_uncompressed_size += u;
    m.total_compressed_size += z;
  }
  if (use_dict) m.encodings = {meta::PLAIN, meta::RLE, meta::RLE_DICTIONARY};
  else m.encodings = {meta::PLAIN, meta::RLE};

  meta::Statistics st;
  st.null_count = nulls;
  if (sb.have) {
    std::string mn = sb.encode(false), mx = sb.encode(true);
    if (mn.size() <= kMaxStatBytes && mx.size() <= kMaxStatBytes) {
      st.min_value = std::move(mn);
      st.max_value = std::move(mx);
    }
  }
  m.statistics = st;
  meta::ColumnChunk cc;
  cc.file_offset = start;
  cc.meta = std::move(m);
  return cc;
}

void FileWriter::Impl::write_row_group(const Table& t, size_t r0, size_t r1) {
  meta::RowGroup g;
  g.num_rows = int64_t(r1 - r0);
  g.file_offset = int64_t(pos);
  int64_t comp = 0;
  for (const Column& c : t.columns) {
    g.columns.push_back(write_chunk(c, r0, r1));
    g.total_byte_size += g.columns.back().meta->total_uncompressed_size;
    comp += g.columns.back().meta->total_compressed_size;
  }
  g.total_compressed_size = comp;
  g.ordinal = int16_t(md.row_groups.size());
  md.num_rows += g.num_rows;
  md.row_groups.push_back(std::move(g));
}

FileWriter::FileWriter(std::string path, std::vector<Field> schema, WriteOptions opts) : impl_(new Impl) {
  Impl& I = *impl_;
  I.path = std::move(path);
  I.schema = std::move(schema);
  I.opts = std::move(opts);
  if (I.opts.row_group_rows <= 0) I.opts.row_group_rows = 128 * 1024;
  for (size_t i = 0; i < I.schema.size(); i++)
    for (size_t j = i + 1; j < I.schema.size(); j++)
      if (I.schema[i].name == I.schema[j].name)
        throw std::invalid_argument(I.path + ": duplicate column name '" + I.schema[i].name + "'");
  storage::TargetKind kind = storage::output_target(I.path);
  if (kind == storage::TargetKind::Directory) throw storage::IoError(I.path + ": is a directory");
  if (kind == storage::TargetKind::Stream) {
    // Parquet is written front to back (the footer last), so it can go straight into a pipe.
    I.stream = true;
    I.fd = storage::open_stream(I.path);
  } else {
    I.tmp = storage::temp_path(I.path);
    I.fd = ::open(I.tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (I.fd < 0) I.io_fail("cannot create " + I.tmp);
  }
  I.emit("PAR1", 4);
  for (const Field& f : I.schema) I.pending.columns.emplace_back(f);

  // Schema: root, then per field a leaf, or a 3-level LIST group.
  meta::SchemaElement root;
  root.name = "schema";
  root.num_children = int32_t(I.schema.size());
  I.md.schema.push_back(root);
  for (const Field& f : I.schema) {
    int32_t rep = f.nullable ? meta::OPTIONAL : meta::REQUIRED;
    if (!f.list) {
      I.md.schema.push_back(leaf_element(f, f.name, rep));
      continue;
    }
    meta::SchemaElement g;
    g.name = f.name;
    g.repetition = rep;
    g.num_children = 1;
    g.converted_type = meta::CT_LIST;
    g.logical.kind = meta::LogicalType::LIST;
    I.md.schema.push_back(g);
    meta::SchemaElement l;
    l.name = "list";
    l.repetition = meta::REPEATED;
    l.num_children = 1;
    I.md.schema.push_back(l);
    I.md.schema.push_back(leaf_element(f, "element", f.element_nullable ? meta::OPTIONAL : meta::REQUIRED));
  }
  I.md.type_defined_orders = I.schema.size();
  I.md.created_by = "astrolake";
  for (const auto& [k, v] : I.opts.key_value) I.md.key_value.push_back({k, v});
}

FileWriter::~FileWriter() {
  if (impl_ && !impl_->closed) {
    if (impl_->fd >= 0) ::close(impl_->fd);
    if (!impl_->stream) ::unlink(impl_->tmp.c_str());
  }
}

void FileWriter::write(const Table& t) {
  Impl& I = *impl_;
  if (I.closed) throw std::logic_error(I.path + ": write after close");
  I.check(t);
  size_t rows = t.rows();
  const size_t rg = size_t(I.opts.row_group_rows);
  size_t r = 0;
  if (I.pending.rows() == 0) {
    // Write whole row groups straight from the caller's table; buffer only the tail.
    for (; rows - r >= rg; r += rg) I.write_row_group(t, r, r + rg);
  } else {
    size_t need = rg - I.pending.rows();
    size_t take = std::min(need, rows);
    for (size_t i = 0; i < t.columns.size(); i++) append_rows(I.pending.columns[i], t.columns[i], 0, take);
    r = take;
    if (I.pending.rows() >= rg) {
      I.write_row_group(I.pending, 0, I.pending.rows());
      for (size_t i = 0; i < I.schema.size(); i++) I.pending.columns[i] = Column(I.schema[i]);
      for (; rows - r >= rg; r += rg) I.write_row_group(t, r, r + rg);
    }
  }
  for (size_t i = 0; i < t.columns.size(); i++) append_rows(I.pending.columns[i], t.columns[i], r, rows);
}

EncodedRowGroups FileWriter::encode(const std::vector<Field>& schema, const Table& t, const WriteOptions& opts) {
  Impl I;
  I.path = "(row groups being encoded)";
  I.schema = schema;
  I.opts = opts;
  if (I.opts.row_group_rows <= 0) I.opts.row_group_rows = 128 * 1024;
  I.memory = true;
  I.check(t);
  const size_t rg = size_t(I.opts.row_group_rows), rows = t.rows();
  for (size_t r = 0; r < rows; r += rg) I.write_row_group(t, r, std::min(rows, r + rg));
  EncodedRowGroups e;
  e.bytes = std::move(I.out);
  e.groups = std::move(I.md.row_groups);
  e.rows = I.md.num_rows;
  return e;
}

void FileWriter::append(EncodedRowGroups&& e) {
  Impl& I = *impl_;
  if (I.closed) throw std::logic_error(I.path + ": append after close");
  for (const meta::RowGroup& g : e.groups)
    if (g.columns.size() != I.schema.size())
      throw std::invalid_argument(I.path + ": encoded row group has " + std::to_string(g.columns.size()) +
                                  " columns, schema has " + std::to_string(I.schema.size()));
  if (I.pending.rows() > 0) {
    I.write_row_group(I.pending, 0, I.pending.rows());
    for (size_t i = 0; i < I.schema.size(); i++) I.pending.columns[i] = Column(I.schema[i]);
  }
  // The offsets were counted from the first encoded byte; here they start at pos.
  const int64_t base = int64_t(I.pos);
  for (meta::RowGroup& g : e.groups) {
    if (g.file_offset) *g.file_offset += base;
    for (meta::ColumnChunk& c : g.columns) {
      c.file_offset += base;
      if (!c.meta) continue;
      c.meta->data_page_offset += base;
      if (c.meta->dictionary_page_offset) *c.meta->dictionary_page_offset += base;
      if (c.meta->index_page_offset) *c.meta->index_page_offset += base;
    }
    g.ordinal = int16_t(I.md.row_groups.size());
    I.md.num_rows += g.num_rows;
    I.md.row_groups.push_back(std::move(g));
  }
  if (I.out.size() + e.bytes.size() < (8u << 20)) {
    I.emit(e.bytes.data(), e.bytes.size());
    return;
  }
  I.flush_out();  // large: straight to the file, without a copy into the buffer
  storage::write_all(I.fd, e.bytes.data(), e.bytes.size(), I.path == "-" ? "standard output" : I.path);
  I.pos += e.bytes.size();
}

void FileWriter::close() {
  Impl& I = *impl_;
  if (I.closed) return;
  if (I.pending.rows() > 0 || I.md.row_groups.empty()) {
    // Empty files still get one empty row group so the schema's column chunks are described;
    // skip it when there is genuinely nothing (readers accept zero row groups too).
    if (I.pending.rows() > 0) I.write_row_group(I.pending, 0, I.pending.rows());
  }
  std::vector<uint8_t> footer;
  meta::serialize(I.md, footer);
  I.emit(footer.data(), footer.size());
  uint32_t len = uint32_t(footer.size());
  I.emit(&len, 4);
  I.emit("PAR1", 4);
  I.flush_out();
  int fd = I.fd;
  I.fd = -1;
  if (::close(fd) != 0) I.io_fail("close failed");
  if (!I.stream) storage::publish_file(I.tmp, I.path);  // fsyncs, refuses to replace a non-file
  I.closed = true;
}

void write_table(const std::string& path, const Table& t, WriteOptions opts) {
  std::vector<Field> fields;
  for (const Column& c : t.columns) fields.push_back(c.field);
  FileWriter w(path, fields, std::move(opts));
  w.write(t);
  w.close();
}

static std::vector<uint8_t> wrap_footer(const meta::FileMetaData& md) {
  std::vector<uint8_t> bytes = {'P', 'A', 'R', '1'};
  std::vector<uint8_t> footer;
  meta::serialize(md, footer);
  bytes.insert(bytes.end(), footer.begin(), footer.end());
  uint32_t len = uint32_t(footer.size());
  put32(bytes, len);
  bytes.insert(bytes.end(), {'P', 'A', 'R', '1'});
  return bytes;
}

static bool same_schema(const std::vector<meta::SchemaElement>& a, const std::vector<meta::SchemaElement>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 1; i < a.size(); i++)  // the root's name may differ between writers
    if (a[i].name != b[i].name || a[i].type != b[i].type || a[i].num_children != b[i].num_children ||
        a[i].repetition != b[i].repetition)
      return false;
  return true;
}

void write_metadata_files(const std::string& dataset_dir, const std::vector<std::string>& relative_files) {
  if (relative_files.empty()) throw std::invalid_argument(dataset_dir + ": no files to summarise in _metadata");
  meta::FileMetaData all;
  bool first = true;
  for (const std::string& rel : relative_files) {
    std::string full = dataset_dir + "/" + rel;
    auto r = FileReader::open(full);
    meta::FileMetaData md;
    try {
      md = meta::parse_file_metadata(r->footer_bytes());
    } catch (const std::exception& e) {
      throw FormatError(full + ": corrupt footer: " + e.what());
    }
    if (first) {
      all.version = md.version;
      all.schema = md.schema;
      all.key_value = md.key_value;
      all.created_by = md.created_by;
      all.type_defined_orders = md.type_defined_orders;
      first = false;
    } else if (!same_schema(all.schema, md.schema)) {
      throw FormatError(full + ": schema differs from " + dataset_dir + "/" + relative_files[0]);
    }
    for (auto& g : md.row_groups) {
      for (auto& c : g.columns) c.file_path = rel;
      all.num_rows += g.num_rows;
      all.row_groups.push_back(std::move(g));
    }
  }
  storage::write_file_atomic(dataset_dir + "/_metadata", wrap_footer(all));
  all.row_groups.clear();
  all.num_rows = 0;
  storage::write_file_atomic(dataset_dir + "/_common_metadata", wrap_footer(all));
}

}  // namespace astrolake::parquet
