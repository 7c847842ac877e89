#include "python/arrow_c.h"

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace astrolake::python {
namespace {

using parquet::Column;
using parquet::Field;
using parquet::Table;
using parquet::Type;

// Arrow wants non-null buffer pointers even for empty buffers in some consumers.
alignas(64) const uint8_t kEmpty[64] = {};

const char* format_of(Type t) {
  switch (t) {
    case Type::Bool: return "b";
    case Type::Int8: return "c";
    case Type::Int16: return "s";
    case Type::Int32: return "i";
    case Type::Int64: return "l";
    case Type::UInt8: return "C";
    case Type::UInt16: return "S";
    case Type::UInt32: return "I";
    case Type::UInt64: return "L";
    case Type::Float: return "f";
    case Type::Double: return "g";
    case Type::String: return "U";
    case Type::Binary: return "Z";
    case Type::Date32: return "tdD";
    case Type::TimestampMillis: return "tsm:UTC";
    case Type::TimestampMicros: return "tsu:UTC";
    case Type::TimestampNanos: return "tsn:UTC";
  }
  return "l";
}

// ---- schema -------------------------------------------------------------------------------
struct SchemaData {
  std::string name, format;
  std::vector<ArrowSchema*> children;
};

void release_schema(ArrowSchema* s) {
  if (!s || !s->release) return;
  auto* d = static_cast<SchemaData*>(s->private_data);
  for (ArrowSchema* c : d->children) {
    if (c->release) c->release(c);
    delete c;
  }
  delete d;
  s->release = nullptr;
}

void fill_schema(ArrowSchema* s, const std::string& name, const std::string& format, bool nullable,
                 std::vector<ArrowSchema*> children) {
  auto* d = new SchemaData{name, format, std::move(children)};
  s->format = d->format.c_str();
  s->name = d->name.c_str();
  s->metadata = nullptr;
  s->flags = nullable ? ARROW_FLAG_NULLABLE : 0;
  s->n_children = int64_t(d->children.size());
  s->children = d->children.empty() ? nullptr : d->children.data();
  s->dictionary = nullptr;
  s->release = release_schema;
  s->private_data = d;
}

ArrowSchema* field_schema(const Field& f) {
  auto* s = new ArrowSchema;
  if (f.list) {
    auto* item = new ArrowSchema;
    fill_schema(item, "item", format_of(f.type), f.element_nullable, {});
    fill_schema(s, f.name, "+L", f.nullable, {item});
  } else {
    fill_schema(s, f.name, format_of(f.type), f.nullable, {});
  }
  return s;
}

// ---- array --------------------------------------------------------------------------------
struct ArrayData {
  std::shared_ptr<Table> owner;              // keeps every column's buffers alive
  std::vector<std::vector<uint8_t>> bitmaps;  // repacked validity / bools
  std::vector<const void*> buffers;
  std::vector<ArrowArray*> children;
};

void release_array(ArrowArray* a) {
  if (!a || !a->release) return;
  auto* d = static_cast<ArrayData*>(a->private_data);
  for (ArrowArray* c : d->children) {
    if (c->release) c->release(c);
    delete c;
  }
  delete d;
  a->release = nullptr;
}

// Byte-per-value flags -> LSB bitmap; returns the number of zero flags.
int64_t pack_bits(const uint8_t* bytes, size_t n, std::vector<uint8_t>& out) {
  out.assign((n + 7) / 8 + 1, 0);
  int64_t zeros = 0;
  for (size_t i = 0; i < n; i++) {
    if (bytes[i]) out[i >> 3] |= uint8_t(1u << (i & 7));
    else zeros++;
  }
  return zeros;
}

const void* nonnull(const void* p) { return p ? p : kEmpty; }

ArrowArray* new_array(std::shared_ptr<Table> owner, int64_t length, std::vector<ArrowArray*> children) {
  auto* a = new ArrowArray;
  auto* d = new ArrayData;
  d->owner = std::move(owner);
  d->children = std::move(children);
  a->length = length;
  a->null_count = 0;
  a->offset = 0;
  a->n_buffers = 0;
  a->n_children = int64_t(d->children.size());
  a->children = d->children.empty() ? nullptr : d->children.data();
  a->dictionary = nullptr;
  a->release = release_array;
  a->private_data = d;
  a->buffers = nullptr;
  return a;
}

void set_buffers(ArrowArray* a) {
  auto* d = static_cast<ArrayData*>(a->private_data);
  a->n_buffers = int64_t(d->buffers.size());
  a->buffers = d->buffers.data();
}

// The values of a column (or the elements of a list column): `n` values, validity per value.
ArrowArray* values_array(const std::shared_ptr<Table>& owner, const Column& c, size_t n) {
  ArrowArray* a = new_array(owner, int64_t(n), {});
  auto* d = static_cast<ArrayData*>(a->private_data);
  const void* validity = nullptr;
  if (!c.valid.empty()) {
    d->bitmaps.emplace_back();
    a->null_count = pack_bits(c.valid.data(), n, d->bitmaps.back());
    if (a->null_count > 0) validity = d->bitmaps.back().data();
  }
  d->buffers.push_back(validity);
  Type t = c.field.type;
  if (t == Type::Bool) {
    d->bitmaps.emplace_back();
    pack_bits(c.data.data() ? c.data.data() : kEmpty, c.data.data() ? n : 0, d->bitmaps.back());
    d->bitmaps.back().resize((n + 7) / 8 + 1, 0);
    d->buffers.push_back(d->bitmaps.back().data());
  } else if (t == Type::String || t == Type::Binary) {
    static const int64_t kZeroOffset = 0;
    d->buffers.push_back(c.offsets.empty() ? &kZeroOffset : static_cast<const void*>(c.offsets.data()));
    d->buffers.push_back(nonnull(c.data.data()));
  } else {
    d->buffers.push_back(nonnull(c.data.data()));
  }
  set_buffers(a);
  return a;
}

ArrowArray* column_array(const std::shared_ptr<Table>& owner, const Column& c) {
  if (!c.field.list) return values_array(owner, c, c.rows());
  size_t rows = c.rows();
  ArrowArray* child = values_array(owner, c, c.values());
  ArrowArray* a = new_array(owner, int64_t(rows), {child});
  auto* d = static_cast<ArrayData*>(a->private_data);
  const void* validity = nullptr;
  if (!c.list_valid.empty()) {
    d->bitmaps.emplace_back();
    a->null_count = pack_bits(c.list_valid.data(), rows, d->bitmaps.back());
    if (a->null_count > 0) validity = d->bitmaps.back().data();
  }
  static const int64_t kZeroOffset = 0;
  d->buffers.push_back(validity);
  d->buffers.push_back(c.list_offsets.empty() ? &kZeroOffset : static_cast<const void*>(c.list_offsets.data()));
  set_buffers(a);
  return a;
}

}  // namespace

void export_table(Table&& table, ArrowSchema* schema, ArrowArray* array) {
  auto owner = std::make_shared<Table>(std::move(table));
  // A string column without offsets (0 rows) still needs one offset; give it one.
  for (Column& c : owner->columns) {
    bool strings = c.field.type == Type::String || c.field.type == Type::Binary;
    if (strings && c.offsets.empty()) c.offsets.push_back(0);
    if (c.field.list && c.list_offsets.empty()) c.list_offsets.push_back(0);
  }
  std::vector<ArrowSchema*> fields;
  std::vector<ArrowArray*> columns;
  for (const Column& c : owner->columns) {
    fields.push_back(field_schema(c.field));
    columns.push_back(column_array(owner, c));
  }
  fill_schema(schema, "", "+s", false, std::move(fields));
  int64_t rows = int64_t(owner->rows());
  ArrowArray* top = new_array(owner, rows, std::move(columns));
  static_cast<ArrayData*>(top->private_data)->buffers.push_back(nullptr);
  set_buffers(top);
  *array = *top;  // the struct is moved into the caller's storage
  delete top;     // private_data now belongs to *array
}

// ---- import -------------------------------------------------------------------------------
namespace {

bool parse_format(const std::string& f, Type& t, bool& large) {
  large = false;
  static const struct { const char* f; Type t; } kTypes[] = {
      {"b", Type::Bool}, {"c", Type::Int8}, {"s", Type::Int16}, {"i", Type::Int32}, {"l", Type::Int64},
      {"C", Type::UInt8}, {"S", Type::UInt16}, {"I", Type::UInt32}, {"L", Type::UInt64},
      {"f", Type::Float}, {"g", Type::Double}, {"tdD", Type::Date32}};
  for (const auto& k : kTypes)
    if (f == k.f) { t = k.t; return true; }
  if (f == "u" || f == "U") { t = Type::String; large = f == "U"; return true; }
  if (f == "z" || f == "Z") { t = Type::Binary; large = f == "Z"; return true; }
  if (f.rfind("tsm:", 0) == 0) { t = Type::TimestampMillis; return true; }
  if (f.rfind("tsu:", 0) == 0) { t = Type::TimestampMicros; return true; }
  if (f.rfind("tsn:", 0) == 0) { t = Type::TimestampNanos; return true; }
  return false;
}

bool bit(const void* bitmap, int64_t i) {
  return !bitmap || (static_cast<const uint8_t*>(bitmap)[i >> 3] >> (i & 7)) & 1;
}

// Reads `n` values starting at element `off` of array `a` into c (data, offsets, valid).
void import_values(const ArrowArray* a, Type t, bool large, int64_t off, int64_t n, Column& c) {
  const void* validity = a->null_count != 0 ? a->buffers[0] : nullptr;
  int64_t base = a->offset + off;
  if (validity) {
    c.valid.resize(size_t(n));
    for (int64_t i = 0; i < n; i++) c.valid[size_t(i)] = bit(validity, base + i);
  }
  if (t == Type::Bool) {
    c.data.resize(size_t(n));
    for (int64_t i = 0; i < n; i++) c.data.data()[i] = bit(a->buffers[1], base + i);
  } else if (t == Type::String || t == Type::Binary) {
    c.offsets.assign(1, 0);
    const char* chars = static_cast<const char*>(a->buffers[2]);
    for (int64_t i = 0; i < n; i++) {
      int64_t lo, hi;
      if (large) {
        lo = static_cast<const int64_t*>(a->buffers[1])[base + i];
        hi = static_cast<const int64_t*>(a->buffers[1])[base + i + 1];
      } else {
        lo = static_cast<const int32_t*>(a->buffers[1])[base + i];
        hi = static_cast<const int32_t*>(a->buffers[1])[base + i + 1];
      }
      c.data.append(chars + lo, size_t(hi - lo));
      c.offsets.push_back(int64_t(c.data.size()));
    }
  } else {
    size_t w = parquet::type_width(t);
    c.data.resize(size_t(n) * w);
    if (n > 0) std::memcpy(c.data.data(), static_cast<const uint8_t*>(a->buffers[1]) + base * w, size_t(n) * w);
  }
}

Column import_column(const ArrowSchema* s, const ArrowArray* a) {
  std::string f = s->format, name = s->name ? s->name : "";
  Column c;
  c.field.name = name;
  c.field.nullable = (s->flags & ARROW_FLAG_NULLABLE) != 0;
  bool large = false;
  if (f == "+l" || f == "+L") {
    if (s->n_children != 1 || s->children[0]->n_children != 0 ||
        !parse_format(s->children[0]->format, c.field.type, large))
      throw std::invalid_argument("column '" + name + "': only lists of numbers or strings are supported");
    c.field.list = true;
    c.field.element_nullable = true;
    bool large_list = f == "+L";
    int64_t rows = a->length, base = a->offset;
    const void* validity = a->null_count != 0 ? a->buffers[0] : nullptr;
    auto offset_at = [&](int64_t i) {
      return large_list ? static_cast<const int64_t*>(a->buffers[1])[i]
                        : int64_t(static_cast<const int32_t*>(a->buffers[1])[i]);
    };
    int64_t first = rows > 0 ? offset_at(base) : 0, last = rows > 0 ? offset_at(base + rows) : 0;
    c.list_offsets.resize(size_t(rows + 1));
    for (int64_t i = 0; i <= rows; i++) c.list_offsets[size_t(i)] = rows > 0 ? offset_at(base + i) - first : 0;
    if (validity) {
      c.list_valid.resize(size_t(rows));
      for (int64_t i = 0; i < rows; i++) c.list_valid[size_t(i)] = bit(validity, base + i);
    }
    import_values(a->children[0], c.field.type, large, first, last - first, c);
    return c;
  }
  if (!parse_format(f, c.field.type, large))
    throw std::invalid_argument("column '" + name + "': Arrow type '" + f + "' is not supported");
  import_values(a, c.field.type, large, 0, a->length, c);
  return c;
}

}  // namespace

Table import_table(ArrowSchema* schema, ArrowArray* array) {
  struct Releaser {
    ArrowSchema* s;
    ArrowArray* a;
    ~Releaser() {
      if (a && a->release) a->release(a);
      if (s && s->release) s->release(s);
    }
  } releaser{schema, array};
  if (std::string(schema->format) != "+s")
    throw std::invalid_argument("expected a record batch (struct array), got Arrow type '" + std::string(schema->format) + "'");
  Table t;
  for (int64_t i = 0; i < schema->n_children; i++) {
    ArrowArray child = *array->children[i];
    // A struct's children are offset by the parent's offset too.
    child.offset += array->offset;
    child.length = array->length;
    t.columns.push_back(import_column(schema->children[i], &child));
  }
  return t;
}

}  // namespace astrolake::python
