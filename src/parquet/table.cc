#include "parquet/table.h"

#include <stdexcept>

namespace astrolake::parquet {

const char* type_name(Type t) {
  switch (t) {
    case Type::Bool: return "bool";
    case Type::Int8: return "int8";
    case Type::Int16: return "int16";
    case Type::Int32: return "int32";
    case Type::Int64: return "int64";
    case Type::UInt8: return "uint8";
    case Type::UInt16: return "uint16";
    case Type::UInt32: return "uint32";
    case Type::UInt64: return "uint64";
    case Type::Float: return "float";
    case Type::Double: return "double";
    case Type::String: return "string";
    case Type::Binary: return "binary";
    case Type::Date32: return "date32";
    case Type::TimestampMillis: return "timestamp[ms]";
    case Type::TimestampMicros: return "timestamp[us]";
    case Type::TimestampNanos: return "timestamp[ns]";
  }
  return "?";
}

size_t type_width(Type t) {
  switch (t) {
    case Type::Bool: case Type::Int8: case Type::UInt8: return 1;
    case Type::Int16: case Type::UInt16: return 2;
    case Type::Int32: case Type::UInt32: case Type::Float: case Type::Date32: return 4;
    case Type::Int64: case Type::UInt64: case Type::Double:
    case Type::TimestampMillis: case Type::TimestampMicros: case Type::TimestampNanos: return 8;
    case Type::String: case Type::Binary: return 0;
  }
  return 0;
}

bool is_integer(Type t) {
  switch (t) {
    case Type::Int8: case Type::Int16: case Type::Int32: case Type::Int64:
    case Type::UInt8: case Type::UInt16: case Type::UInt32: case Type::UInt64: return true;
    default: return false;
  }
}

bool is_floating(Type t) { return t == Type::Float || t == Type::Double; }

void Buffer::resize(size_t n) {
  if (n > cap_) {
    // Grow geometrically so repeated appends stay amortised O(1); no zero fill because
    // every caller writes the bytes it asked for.
    size_t cap = cap_ ? cap_ : 64;
    while (cap < n) cap *= 2;
    std::unique_ptr<uint8_t[]> p(new uint8_t[cap]);
    if (size_) std::memcpy(p.get(), data_.get(), size_);
    data_ = std::move(p);
    cap_ = cap;
  }
  size_ = n;
}

void Buffer::reserve(size_t n) {
  if (n <= cap_) return;
  std::unique_ptr<uint8_t[]> p(new uint8_t[n]);
  if (size_) std::memcpy(p.get(), data_.get(), size_);
  data_ = std::move(p);
  cap_ = n;
}

void Buffer::append(const void* p, size_t n) {
  if (n == 0) return;
  size_t old = size_;
  resize(old + n);
  std::memcpy(data_.get() + old, p, n);
}

size_t Column::rows() const {
  if (field.list) return list_offsets.empty() ? 0 : list_offsets.size() - 1;
  return values();
}

size_t Column::values() const {
  size_t w = type_width(field.type);
  if (w == 0) return offsets.empty() ? 0 : offsets.size() - 1;
  return data.size() / w;
}

bool Column::is_null(size_t row) const {
  if (field.list) return !list_valid.empty() && !list_valid[row];
  return value_is_null(row);
}

void Column::push_string(std::string_view s) {
  if (offsets.empty()) offsets.push_back(0);
  data.append(s.data(), s.size());
  offsets.push_back(int64_t(data.size()));
  if (!valid.empty()) valid.push_back(1);
}

void Column::push_null() {
  // Materialise validity lazily: the first null marks every earlier value present.
  if (valid.empty()) valid.assign(values(), 1);
  size_t w = type_width(field.type);
  if (w == 0) {
    if (offsets.empty()) offsets.push_back(0);
    offsets.push_back(int64_t(data.size()));
  } else {
    size_t old = data.size();
    data.resize(old + w);
    std::memset(data.data() + old, 0, w);
  }
  valid.push_back(0);
}

double Column::as_double(size_t i) const {
  const uint8_t* p = data.data() + i * type_width(field.type);
  auto load = [p](auto v) { std::memcpy(&v, p, sizeof(v)); return v; };
  switch (field.type) {
    case Type::Bool: return p[0] ? 1.0 : 0.0;
    case Type::Int8: return double(load(int8_t()));
    case Type::Int16: return double(load(int16_t()));
    case Type::Int32: case Type::Date32: return double(load(int32_t()));
    case Type::Int64: case Type::TimestampMillis: case Type::TimestampMicros: case Type::TimestampNanos:
      return double(load(int64_t()));
    case Type::UInt8: return double(load(uint8_t()));
    case Type::UInt16: return double(load(uint16_t()));
    case Type::UInt32: return double(load(uint32_t()));
    case Type::UInt64: return double(load(uint64_t()));
    case Type::Float: return double(load(float()));
    case Type::Double: return load(double());
    case Type::String: case Type::Binary: break;
  }
  throw std::invalid_argument("column '" + field.name + "': as_double on non-numeric type " + type_name(field.type));
}

int Table::find(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); i++)
    if (columns[i].field.name == name) return int(i);
  return -1;
}

const Column& Table::col(const std::string& name) const {
  int i = find(name);
  if (i < 0) throw std::out_of_range("no column '" + name + "' in table");
  return columns[size_t(i)];
}

}  // namespace astrolake::parquet
