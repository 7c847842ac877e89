// Writes small seed files with our own writer into the directory given as argv[1]: every
// column type with nulls, a LIST<double> column with null and empty lists, each codec, and
// one file with several row groups. Built by fuzz/CMakeLists.txt as `fuzz_write_seeds`.
#include <cstdio>
#include <string>

#include "parquet/writer.h"

using namespace astrolake::parquet;

static Table make_table(int rows) {
  const Type types[] = {Type::Bool,   Type::Int8,   Type::Int16,  Type::Int32,         Type::Int64,
                        Type::UInt8,  Type::UInt16, Type::UInt32, Type::UInt64,        Type::Float,
                        Type::Double, Type::String, Type::Binary, Type::Date32,        Type::TimestampMillis,
                        Type::TimestampMicros, Type::TimestampNanos};
  Table t;
  for (Type ty : types) {
    Field f;
    f.name = std::string("c_") + type_name(ty);
    f.type = ty;
    Column c(f);
    for (int r = 0; r < rows; r++) {
      if (r % 5 == 2) { c.push_null(); continue; }
      switch (ty) {
        case Type::Bool: c.push(uint8_t(r & 1)); break;
        case Type::Int8: c.push(int8_t(r * 3)); break;
        case Type::Int16: c.push(int16_t(r * 300)); break;
        case Type::Int32: case Type::Date32: c.push(int32_t(r * 7 - 50)); break;
        case Type::UInt8: c.push(uint8_t(r)); break;
        case Type::UInt16: c.push(uint16_t(r * 1000)); break;
        case Type::UInt32: c.push(uint32_t(r) * 4000000u); break;
        case Type::UInt64: c.push(uint64_t(r) << 58); break;
        case Type::Float: c.push(float(r) / 3); break;
        case Type::Double: c.push(r * 0.1 - 3); break;
        case Type::String: c.push_string("s" + std::to_string(r % 4)); break;
        case Type::Binary: c.push_string(std::string(size_t(r % 3), char(r))); break;
        default: c.push(int64_t(1600000000000LL + r)); break;
      }
    }
    t.columns.push_back(std::move(c));
  }
  Field lf;
  lf.name = "lc";
  lf.list = true;
  lf.element_nullable = true;
  Column l(lf);
  l.list_offsets.push_back(0);
  for (int r = 0; r < rows; r++) {
    l.list_valid.push_back(r % 4 != 1);
    if (r % 4 > 1)
      for (int k = 0; k < r % 4; k++) {
        if (k == 1) l.push_null();
        else l.push(double(r + k));
      }
    l.list_offsets.push_back(int64_t(l.values()));
  }
  t.columns.push_back(std::move(l));
  return t;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output dir>\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  Table t = make_table(40);
  const std::pair<const char*, Codec> codecs[] = {
      {"uncompressed", Codec::Uncompressed}, {"snappy", Codec::Snappy}, {"gzip", Codec::Gzip}, {"zstd", Codec::Zstd}};
  for (auto [name, codec] : codecs) {
    WriteOptions o;
    o.codec = codec;
    write_table(dir + "/ours_" + name + ".parquet", t, o);
  }
  WriteOptions o;
  o.row_group_rows = 16;
  o.dictionary = false;
  write_table(dir + "/ours_rowgroups_plain.parquet", t, o);
  return 0;
}
