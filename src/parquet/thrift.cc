#include "parquet/thrift.h"

#include <cstring>

#include "parquet/encoding.h"

namespace astrolake::parquet::thrift {

// Nesting deeper than this is not a Parquet footer; the bound keeps corrupt input from
// recursing the stack away.
static constexpr int kMaxDepth = 64;

uint8_t Reader::byte() {
  if (pos_ >= in_.size()) throw ThriftError("thrift data truncated");
  return in_[pos_++];
}

uint64_t Reader::read_varint() {
  try {
    return read_uleb128(in_, pos_);
  } catch (const std::exception&) {
    throw ThriftError("thrift varint truncated or too long");
  }
}

int64_t Reader::read_varint_signed() { return zigzag_decode(read_varint()); }

int32_t Reader::read_i32() {
  int64_t v = read_varint_signed();
  if (v < INT32_MIN || v > INT32_MAX) throw ThriftError("thrift i32 out of range");
  return int32_t(v);
}

int8_t Reader::read_byte() { return int8_t(byte()); }

double Reader::read_double() {
  if (in_.size() - pos_ < 8) throw ThriftError("thrift double truncated");
  double d;
  std::memcpy(&d, in_.data() + pos_, 8);
  pos_ += 8;
  return d;
}

std::span<const uint8_t> Reader::read_binary() {
  uint64_t n = read_varint();
  if (n > in_.size() - pos_) throw ThriftError("thrift binary length " + std::to_string(n) + " runs past the end");
  auto s = in_.subspan(pos_, n);
  pos_ += n;
  return s;
}

std::string Reader::read_string() {
  auto b = read_binary();
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

bool Reader::read_bool(uint8_t field_type) {
  if (field_type == T_TRUE) return true;
  if (field_type == T_FALSE) return false;
  throw ThriftError("thrift field is not a bool");
}

bool Reader::read_list_bool() { return byte() == 1; }

void Reader::struct_begin() {
  if (last_ids_.size() >= size_t(kMaxDepth)) throw ThriftError("thrift structs nested too deeply");
  last_ids_.push_back(0);
}

void Reader::struct_end() { last_ids_.pop_back(); }

bool Reader::next_field(int16_t& id, uint8_t& type) {
  uint8_t h = byte();
  type = h & 0x0f;
  if (type == T_STOP) return false;
  int delta = h >> 4;
  if (delta) {
    id = int16_t(last_ids_.back() + delta);
  } else {
    id = read_i16();
  }
  if (type > T_STRUCT) throw ThriftError("thrift field " + std::to_string(id) + " has bad type " + std::to_string(type));
  last_ids_.back() = id;
  return true;
}

uint32_t Reader::list_begin(uint8_t& elem_type) {
  uint8_t h = byte();
  elem_type = h & 0x0f;
  uint64_t n = h >> 4;
  if (n == 15) n = read_varint();
  // Every element takes at least one byte, so a count larger than what is left is a lie.
  if (n > in_.size() - pos_) throw ThriftError("thrift list of " + std::to_string(n) + " elements runs past the end");
  return uint32_t(n);
}

void Reader::skip(uint8_t type) { skip_depth(type, 0); }

void Reader::skip_depth(uint8_t type, int depth) {
  if (depth > kMaxDepth) throw ThriftError("thrift data nested too deeply");
  switch (type) {
    case T_TRUE: case T_FALSE: return;  // value is in the field header
    case T_BYTE: byte(); return;
    case T_I16: case T_I32: case T_I64: read_varint(); return;
    case T_DOUBLE: read_double(); return;
    case T_BINARY: read_binary(); return;
    case T_LIST: case T_SET: {
      uint8_t et;
      uint32_t n = list_begin(et);
      for (uint32_t i = 0; i < n; i++) {
        if (et == T_TRUE || et == T_FALSE) byte();
        else skip_depth(et, depth + 1);
      }
      return;
    }
    case T_MAP: {
      uint64_t n = read_varint();
      if (n == 0) return;
      if (n > in_.size() - pos_) throw ThriftError("thrift map runs past the end");
      uint8_t kv = byte();
      for (uint64_t i = 0; i < n; i++) {
        uint8_t kt = kv >> 4, vt = kv & 0x0f;
        if (kt == T_TRUE || kt == T_FALSE) byte(); else skip_depth(kt, depth + 1);
        if (vt == T_TRUE || vt == T_FALSE) byte(); else skip_depth(vt, depth + 1);
      }
      return;
    }
    case T_STRUCT: {
      struct_begin();
      int16_t id;
      uint8_t ft;
      while (next_field(id, ft)) skip_depth(ft, depth + 1);
      struct_end();
      return;
    }
    default:
      throw ThriftError("thrift: cannot skip type " + std::to_string(type));
  }
}

void Writer::struct_end() {
  out_.push_back(T_STOP);
  last_ids_.pop_back();
}

void Writer::field(int16_t id, uint8_t type) {
  int delta = id - last_ids_.back();
  if (delta > 0 && delta <= 15) {
    out_.push_back(uint8_t(delta << 4 | type));
  } else {
    out_.push_back(type);
    write_varint_signed(id);
  }
  last_ids_.back() = id;
}

void Writer::list_header(uint8_t elem_type, size_t n) {
  if (n < 15) {
    out_.push_back(uint8_t(n << 4 | elem_type));
  } else {
    out_.push_back(uint8_t(0xf0 | elem_type));
    write_uleb128(n, out_);
  }
}

void Writer::write_binary(std::string_view v) {
  write_uleb128(v.size(), out_);
  out_.insert(out_.end(), v.begin(), v.end());
}

void Writer::write_varint_signed(int64_t v) { write_uleb128(zigzag_encode(v), out_); }

}  // namespace astrolake::parquet::thrift
