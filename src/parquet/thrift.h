// The Thrift COMPACT protocol, just the parts Parquet metadata needs: a bounds-checked reader
// that can skip unknown fields (new writers add fields we do not model), and a writer.
// Hand-written because Parquet footers are small and a generic Thrift runtime is a large
// dependency for one struct family.
#pragma once
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace astrolake::parquet::thrift {

class ThriftError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Compact protocol type ids (as they appear in field and collection headers).
enum : uint8_t {
  T_STOP = 0, T_TRUE = 1, T_FALSE = 2, T_BYTE = 3, T_I16 = 4, T_I32 = 5, T_I64 = 6,
  T_DOUBLE = 7, T_BINARY = 8, T_LIST = 9, T_SET = 10, T_MAP = 11, T_STRUCT = 12,
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}

  // Enter/leave a struct (field ids are deltas relative to the previous field of the
  // same struct, so each nesting level keeps its own "last id").
  void struct_begin();
  void struct_end();
  // Next field of the current struct; false at its STOP byte.
  bool next_field(int16_t& id, uint8_t& type);

  bool read_bool(uint8_t field_type);  // a bool field's value lives in its header type
  int8_t read_byte();
  int16_t read_i16() { return int16_t(read_varint_signed()); }
  int32_t read_i32();
  int64_t read_i64() { return read_varint_signed(); }
  double read_double();
  std::string read_string();
  std::span<const uint8_t> read_binary();
  // List/set header: returns the element count, sets elem_type.
  uint32_t list_begin(uint8_t& elem_type);
  bool read_list_bool();  // a bool element inside a list is one byte
  void skip(uint8_t type);

  size_t pos() const { return pos_; }

 private:
  uint64_t read_varint();
  int64_t read_varint_signed();
  uint8_t byte();
  void skip_depth(uint8_t type, int depth);

  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  std::vector<int16_t> last_ids_;
};

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}

  void struct_begin() { last_ids_.push_back(0); }
  void struct_end();  // writes STOP
  void field(int16_t id, uint8_t type);

  void field_bool(int16_t id, bool v) { field(id, v ? T_TRUE : T_FALSE); }
  void field_i32(int16_t id, int32_t v) { field(id, T_I32); write_varint_signed(v); }
  void field_i64(int16_t id, int64_t v) { field(id, T_I64); write_varint_signed(v); }
  void field_i8(int16_t id, int8_t v) { field(id, T_BYTE); out_.push_back(uint8_t(v)); }
  void field_binary(int16_t id, std::string_view v) { field(id, T_BINARY); write_binary(v); }
  // A nested struct field: follow with struct body and struct_end().
  void field_struct(int16_t id) { field(id, T_STRUCT); struct_begin(); }
  void field_list(int16_t id, uint8_t elem_type, size_t n) { field(id, T_LIST); list_header(elem_type, n); }

  void list_header(uint8_t elem_type, size_t n);
  void write_i32(int32_t v) { write_varint_signed(v); }
  void write_binary(std::string_view v);

 private:
  void write_varint_signed(int64_t v);
  std::vector<uint8_t>& out_;
  std::vector<int16_t> last_ids_;
};

}  // namespace astrolake::parquet::thrift
