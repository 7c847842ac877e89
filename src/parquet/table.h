// In-memory columnar data: what the Parquet reader decodes into and the writer encodes from.
// Deliberately plain: one contiguous buffer per column, an optional byte-per-row validity
// vector, string offsets, and list offsets for the light-curve (LIST) columns. The engine
// builds on these same vectors, so keep them simple to loop over.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace astrolake::parquet {

enum class Type : uint8_t {
  Bool,     // stored one byte per value (0/1)
  Int8, Int16, Int32, Int64,
  UInt8, UInt16, UInt32, UInt64,
  Float, Double,
  String,   // UTF-8: offsets + chars
  Binary,   // raw bytes: offsets + chars
  Date32,   // days since epoch, int32
  TimestampMillis, TimestampMicros, TimestampNanos,  // int64 since epoch, UTC
};

const char* type_name(Type t);
size_t type_width(Type t);  // bytes per value; 0 for String/Binary
bool is_integer(Type t);
bool is_floating(Type t);

// A column's description. `list` means each row holds a list of `type` values (a Parquet
// 3-level LIST); element values may be null only if `element_nullable`.
struct Field {
  std::string name;
  Type type = Type::Double;
  bool nullable = true;          // the row (or the list itself) may be null
  bool list = false;
  bool element_nullable = false;
};

// Buffer of bytes that does not zero-initialise on resize (decoders write every byte).
class Buffer {
 public:
  Buffer() = default;
  void resize(size_t n);
  void reserve(size_t n);  // capacity for n bytes; size and contents unchanged
  size_t size() const { return size_; }
  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  void append(const void* p, size_t n);
  void clear() { size_ = 0; }
  Buffer(const Buffer& o) { append(o.data(), o.size()); }
  Buffer& operator=(const Buffer& o) { if (this != &o) { clear(); append(o.data(), o.size()); } return *this; }
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&&) noexcept = default;

 private:
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0, cap_ = 0;
};

class Column {
 public:
  Field field;
  // Values: fixed-width types are packed in `data` (type_width bytes each); String/Binary use
  // `offsets` (n+1 entries) into `data`. For list columns these are the *element* values.
  Buffer data;
  std::vector<int64_t> offsets;
  // One byte per value (1 = present). Empty means no nulls. For list columns this is per
  // element; `list_valid` is per row.
  std::vector<uint8_t> valid;
  // List columns only: rows+1 offsets into the element arrays, and per-row validity.
  std::vector<int64_t> list_offsets;
  std::vector<uint8_t> list_valid;

  Column() = default;
  explicit Column(Field f) : field(std::move(f)) {}

  // Number of rows (list rows for list columns).
  size_t rows() const;
  // Number of element values in `data`.
  size_t values() const;
  bool is_null(size_t row) const;          // row-level null (list null for list columns)
  bool value_is_null(size_t i) const { return !valid.empty() && !valid[i]; }

  template <class T> T* values_as() { return reinterpret_cast<T*>(data.data()); }
  template <class T> const T* values_as() const { return reinterpret_cast<const T*>(data.data()); }
  std::string_view string_at(size_t i) const {
    return {reinterpret_cast<const char*>(data.data()) + offsets[i], size_t(offsets[i + 1] - offsets[i])};
  }

  // Builders for tests, generators and importers (append one value / one null).
  template <class T> void push(T v) { data.append(&v, sizeof(T)); if (!valid.empty()) valid.push_back(1); }
  void push_string(std::string_view s);
  void push_null();
  // Value as double (numeric types only); used by statistics and generic code.
  double as_double(size_t i) const;
};

struct Table {
  std::vector<Column> columns;
  size_t rows() const { return columns.empty() ? 0 : columns[0].rows(); }
  int find(const std::string& name) const;  // -1 if absent
  const Column& col(const std::string& name) const;  // throws std::out_of_range naming it
};

}  // namespace astrolake::parquet
