#include "parquet/metadata.h"

#include "parquet/thrift.h"

namespace astrolake::parquet::meta {

using thrift::Reader;
using thrift::ThriftError;
using thrift::Writer;
using namespace thrift;  // T_* type ids

const char* encoding_name(int32_t e) {
  switch (e) {
    case PLAIN: return "PLAIN";
    case PLAIN_DICTIONARY: return "PLAIN_DICTIONARY";
    case RLE: return "RLE";
    case BIT_PACKED: return "BIT_PACKED";
    case DELTA_BINARY_PACKED: return "DELTA_BINARY_PACKED";
    case DELTA_LENGTH_BYTE_ARRAY: return "DELTA_LENGTH_BYTE_ARRAY";
    case DELTA_BYTE_ARRAY: return "DELTA_BYTE_ARRAY";
    case RLE_DICTIONARY: return "RLE_DICTIONARY";
    case BYTE_STREAM_SPLIT: return "BYTE_STREAM_SPLIT";
  }
  return "unknown";
}

const char* physical_type_name(int32_t t) {
  switch (t) {
    case BOOLEAN: return "BOOLEAN";
    case INT32: return "INT32";
    case INT64: return "INT64";
    case INT96: return "INT96";
    case FLOAT: return "FLOAT";
    case DOUBLE: return "DOUBLE";
    case BYTE_ARRAY: return "BYTE_ARRAY";
    case FIXED_LEN_BYTE_ARRAY: return "FIXED_LEN_BYTE_ARRAY";
  }
  return "unknown";
}

namespace {

// Field readers: a field whose wire type is not what parquet.thrift declares is corrupt.
void want(uint8_t got, uint8_t expected, const char* what) {
  bool ok = got == expected || (expected == T_TRUE && got == T_FALSE);
  if (!ok) throw ThriftError(std::string("field ") + what + " has wrong thrift type " + std::to_string(got));
}
int32_t i32(Reader& r, uint8_t t, const char* what) { want(t, T_I32, what); return r.read_i32(); }
int64_t i64(Reader& r, uint8_t t, const char* what) { want(t, T_I64, what); return r.read_i64(); }
std::string str(Reader& r, uint8_t t, const char* what) { want(t, T_BINARY, what); return r.read_string(); }
bool boolean(Reader& r, uint8_t t, const char* what) { want(t, T_TRUE, what); return r.read_bool(t); }

// Reads a list<T> field, calling fn(reader) per element (each element's type checked).
template <class F>
void list(Reader& r, uint8_t t, uint8_t elem, const char* what, F fn) {
  want(t, T_LIST, what);
  uint8_t et;
  uint32_t n = r.list_begin(et);
  if (n > 0 && et != elem) throw ThriftError(std::string("list ") + what + " has wrong element type");
  for (uint32_t i = 0; i < n; i++) fn(r);
}

void require(bool have, const char* strct, const char* field) {
  if (!have) throw ThriftError(std::string(strct) + " lacks required field '" + field + "'");
}

Statistics read_statistics(Reader& r) {
  Statistics s;
  r.struct_begin();
  int16_t id;
  uint8_t t;
  while (r.next_field(id, t)) {
    switch (id) {
      case 1: s.max = str(r, t, "Statistics.max"); break;
      case 2: s.min = str(r, t, "Statistics.min"); break;
      case 3: s.null_count = i64(r, t, "Statistics.null_count"); break;
      case 4: s.distinct_count = i64(r, t, "Statistics.distinct_count"); break;
      case 5: s.max_value = str(r, t, "Statistics.max_value"); break;
      case 6: s.min_value = str(r, t, "Statistics.min_value"); break;
      default: r.skip(t);
    }
  }
  r.struct_end();
  return s;
}

KeyValue read_key_value(Reader& r) {
  KeyValue kv;
  bool have_key = false;
  r.struct_begin();
  int16_t id;
  uint8_t t;
  while (r.next_field(id, t)) {
    if (id == 1) { kv.key = str(r, t, "KeyValue.key"); have_key = true; }
    else if (id == 2) kv.value = str(r, t, "KeyValue.value");
    else r.skip(t);
  }
  r.struct_end();
  require(have_key, "KeyValue", "key");
  return kv;
}

// TimeUnit union: the member id is the unit.
int8_t read_time_unit(Reader& r) {
  int8_t unit = 0;
  r.struct_begin();
  int16_t id;
  uint8_t t;
  while (r.next_field(id, t)) {
    if (t == T_STRUCT && id >= 1 && id <= 3) unit = int8_t(id);
    r.skip(t);
  }
  r.struct_end();
  return unit;
}

LogicalType read_logical_type(Reader& r) {
  LogicalType lt;
  r.struct_begin();
  int16_t id;
  uint8_t t;
  while (r.next_field(id, t)) {
    if (t != T_STRUCT) { r.skip(t); continue; }
    lt.kind = id;
    r.struct_begin();
    int16_t fid;
    uint8_t ft;
    while (r.next_field(fid, ft)) {
      if (id == LogicalType::DECIMAL && fid == 1) lt.scale = i32(r, ft, "DecimalType.scale");
      else if (id == LogicalType::DECIMAL && fid == 2) lt.precision = i32(r, ft, "DecimalType.precision");
      else if ((id == LogicalType::TIME || id == LogicalType::TIMESTAMP) && fid == 1)
        lt.utc = boolean(r, ft, "isAdjustedToUTC");
      else if ((id == LogicalType::TIME || id == LogicalType::TIMESTAMP) && fid == 2) {
        want(ft, T_STRUCT, "TimeUnit");
        lt.unit = read_time_unit(r);
      } else if (id == LogicalType::INTEGER && fid == 1) {
        want(ft, T_BYTE, "IntType.bitWidth");
        lt.bit_width = r.read_byte();
      } else if (id == LogicalType::INTEGER && fid == 2) lt.is_signed = boolean(r, ft, "IntType.isSigned");
      else r.skip(ft);
    }
    r.struct_end();
  }
  r.struct_end();
  return lt;
}

SchemaElement read_schema_element(Reader& r) {
  SchemaElement e;
  bool have_name = false;
  r.struct_begin();
  int16_t id;
  uint8_t t;
  while (r.next_field(id, t)) {
    switch (id) {
      case 1: e.type = i32(r, t, "SchemaElement.type"); break;
      case 2: e.type_length = i32(r, t, "SchemaElement.type_length"); break;
      case 3: e.repetition = i32(r, t, "SchemaElement.repetition_type"); break;
      case 4: e.name = str(r, t, "SchemaElement.name"); have_name = true; break;
      case 5: e.num_children = i32(r, t, "SchemaElement.num_children"); break;
      case 6: e.converted_type = i32(r, t, "SchemaElement.converted_type"); break;
      case 7: e.scale = i32(r, t, "SchemaElement.scale"); break;
      case 8: e.precision = i32(r, t, "SchemaElement.precision"); break;
      case 9: e.field_id = i32(r, t, "SchemaElement.field_id"); break;
      case 10: want(t, T_STRUCT, "SchemaElement.logicalType"); e.logical = read_logical_type(r); break;
      default: r.skip(t);
    }
  }
  r.struct_end();
  require(have_name, "SchemaElement", "name");
  return e;
}

ColumnMetaData read_column_metadata(Reader& r) {
  ColumnMetaData m;
  unsigned have = 0;
  r.struct_begin();
  int16_t id;
  uint8_t t;
  while (r.next_field(id, t)) {
    switch (id) {
      case 1: m.type = i32(r, t, "ColumnMetaData.type"); have |= 1; break;
      case 2: list(r, t, T_I32, "ColumnMetaData.encodings", [&](Reader& rr) { m.encodings.push_back(rr.read_i32()); }); break;
      case 3: list(r, t, T_BINARY, "ColumnMetaData.path_in_schema", [&](Reader& rr) { m.path.push_back(rr.read_string()); }); have |= 2; break;
      case 4: m.codec = i32(r, t, "ColumnMetaData.codec"); have |= 4; break;
      case 5: m.num_values = i64(r, t, "ColumnMetaData.num_values"); have |= 8; break;
      case 6: m.total_uncompressed_size = i64(r, t, "ColumnMetaData.total_uncompressed_size"); break;
      case 7: m.total_compressed_size = i64(r, t, "ColumnMetaData.total_compressed_size"); have |= 16; break;
      case 8: list(r, t, T_STRUCT, "ColumnMetaData.key_value_metadata", [&](Reader& rr) { m.key_value.push_back(read_key_value(rr)); }); break;
      case 9: m.data_page_offset = i64(r, t, "ColumnMetaData.data_page_offset"); have |= 32; break;
      case 10: m.index_page_offset = i64(r, t, "ColumnMetaData.index_page_offset"); break;
      case 11: m.dictionary_page_offset = i64(r, t, "ColumnMetaData.dictionary_page_offset"); break;
      case 12: want(t, T_STRUCT, "ColumnMetaData.statistics"); m.statistics = read_statistics(r); break;
      default: r.skip(t);
    }
  }
  r.struct_end();
  require(have & 1, "ColumnMetaData", "type");
  require(have & 2, "ColumnMetaData", "path_in_schema");
  require(have & 4, "ColumnMetaData", "codec");
  require(have & 8, "ColumnMetaData", "num_values");
  require(have & 16, "ColumnMetaData", "total_compressed_size");
  require(have & 32, "ColumnMetaData", "data_page_offset");
  return m;
}

ColumnChunk read_column_chunk(Reader& r) {
  ColumnChunk c;
  r.struct_begin();
  int16_t id;
  uint8_t t;
  while (r.next_field(id, t)) {
    switch (id) {
      case 1: c.file_path = str(r, t, "ColumnChunk.file_path"); break;
      case 2: c.file_offset = i64(r, t, "ColumnChunk.file_offset"); break;
      case 3: want(t, T_STRUCT, "ColumnChunk.meta_data"); c.meta = read_column_metadata(r); break;
      case 4: c.offset_index_offset = i64(r, t, "ColumnChunk.offset_index_offset"); break;
      case 5: c.offset_index_length = i32(r, t, "ColumnChunk.offset_index_length"); break;
      case 6: c.column_index_offset = i64(r, t, "ColumnChunk.column_index_offset"); break;
      case 7: c.column_index_length = i32(r, t, "ColumnChunk.column_index_length"); break;
      default: r.skip(t);
    }
  }
  r.struct_end();
  return c;
}

RowGroup read_row_group(Reader& r) {
  RowGroup g;
  unsigned have = 0;
  r.struct_begin();
  int16_t id;
  uint8_t t;
  while (r.next_field(id, t)) {
    switch (id) {
      case 1: list(r, t, T_STRUCT, "RowGroup.columns", [&](Reader& rr) { g.columns.push_back(read_column_chunk(rr)); }); have |= 1; break;
      case 2: g.total_byte_size = i64(r, t, "RowGroup.total_byte_size"); break;
      case 3: g.num_rows = i64(r, t, "RowGroup.num_rows"); have |= 2; break;
      case 5: g.file_offset = i64(r, t, "RowGroup.file_offset"); break;
      case 6: g.total_compressed_size = i64(r, t, "RowGroup.total_compressed_size"); break;
      case 7: want(t, T_I16, "RowGroup.ordinal"); g.ordinal = r.read_i16(); break;
      default: r.skip(t);
    }
  }
  r.struct_end();
  require(have & 1, "RowGroup", "columns");
  require(have & 2, "RowGroup", "num_rows");
  return g;
}

// ---- writing ---------------------------------------------------------------------------

void write_statistics(Writer& w, int16_t id, const Statistics& s) {
  w.field_struct(id);
  if (s.max) w.field_binary(1, *s.max);
  if (s.min) w.field_binary(2, *s.min);
  if (s.null_count) w.field_i64(3, *s.null_count);
  if (s.distinct_count) w.field_i64(4, *s.distinct_count);
  if (s.max_value) w.field_binary(5, *s.max_value);
  if (s.min_value) w.field_binary(6, *s.min_value);
  w.struct_end();
}

void write_key_values(Writer& w, int16_t id, const std::vector<KeyValue>& kvs) {
  if (kvs.empty()) return;
  w.field_list(id, T_STRUCT, kvs.size());
  for (const auto& kv : kvs) {
    w.struct_begin();
    w.field_binary(1, kv.key);
    if (kv.value) w.field_binary(2, *kv.value);
    w.struct_end();
  }
}

void write_logical_type(Writer& w, const LogicalType& lt) {
  w.field_struct(10);
  w.field_struct(lt.kind);
  switch (lt.kind) {
    case LogicalType::DECIMAL:
      w.field_i32(1, lt.scale);
      w.field_i32(2, lt.precision);
      break;
    case LogicalType::TIME: case LogicalType::TIMESTAMP:
      w.field_bool(1, lt.utc);
      w.field_struct(2);
      w.field_struct(lt.unit);
      w.struct_end();
      w.struct_end();
      break;
    case LogicalType::INTEGER:
      w.field_i8(1, lt.bit_width);
      w.field_bool(2, lt.is_signed);
      break;
    default: break;
  }
  w.struct_end();
  w.struct_end();
}

void write_schema_element(Writer& w, const SchemaElement& e) {
  w.struct_begin();
  if (e.type) w.field_i32(1, *e.type);
  if (e.type_length) w.field_i32(2, *e.type_length);
  if (e.repetition) w.field_i32(3, *e.repetition);
  w.field_binary(4, e.name);
  if (e.num_children) w.field_i32(5, *e.num_children);
  if (e.converted_type) w.field_i32(6, *e.converted_type);
  if (e.scale) w.field_i32(7, *e.scale);
  if (e.precision) w.field_i32(8, *e.precision);
  if (e.field_id) w.field_i32(9, *e.field_id);
  if (e.logical.kind != LogicalType::NONE) write_logical_type(w, e.logical);
  w.struct_end();
}

void write_column_metadata(Writer& w, const ColumnMetaData& m) {
  w.field_struct(3);
  w.field_i32(1, m.type);
  w.field_list(2, T_I32, m.encodings.size());
  for (int32_t e : m.encodings) w.write_i32(e);
  w.field_list(3, T_BINARY, m.path.size());
  for (const auto& p : m.path) w.write_binary(p);
  w.field_i32(4, m.codec);
  w.field_i64(5, m.num_values);
  w.field_i64(6, m.total_uncompressed_size);
  w.field_i64(7, m.total_compressed_size);
  write_key_values(w, 8, m.key_value);
  w.field_i64(9, m.data_page_offset);
  if (m.index_page_offset) w.field_i64(10, *m.index_page_offset);
  if (m.dictionary_page_offset) w.field_i64(11, *m.dictionary_page_offset);
  if (m.statistics) write_statistics(w, 12, *m.statistics);
  w.struct_end();
}

}  // namespace

FileMetaData parse_file_metadata(std::span<const uint8_t> in) {
  Reader r(in);
  FileMetaData m;
  unsigned have = 0;
  r.struct_begin();
  int16_t id;
  uint8_t t;
  while (r.next_field(id, t)) {
    switch (id) {
      case 1: m.version = i32(r, t, "FileMetaData.version"); break;
      case 2: list(r, t, T_STRUCT, "FileMetaData.schema", [&](Reader& rr) { m.schema.push_back(read_schema_element(rr)); }); have |= 1; break;
      case 3: m.num_rows = i64(r, t, "FileMetaData.num_rows"); have |= 2; break;
      case 4: list(r, t, T_STRUCT, "FileMetaData.row_groups", [&](Reader& rr) { m.row_groups.push_back(read_row_group(rr)); }); have |= 4; break;
      case 5: list(r, t, T_STRUCT, "FileMetaData.key_value_metadata", [&](Reader& rr) { m.key_value.push_back(read_key_value(rr)); }); break;
      case 6: m.created_by = str(r, t, "FileMetaData.created_by"); break;
      case 7: list(r, t, T_STRUCT, "FileMetaData.column_orders", [&](Reader& rr) {
          rr.struct_begin();
          int16_t cid;
          uint8_t ct;
          while (rr.next_field(cid, ct)) {
            if (cid == 1) m.type_defined_orders++;
            rr.skip(ct);
          }
          rr.struct_end();
        });
        break;
      default: r.skip(t);
    }
  }
  r.struct_end();
  require(have & 1, "FileMetaData", "schema");
  require(have & 2, "FileMetaData", "num_rows");
  require(have & 4, "FileMetaData", "row_groups");
  return m;
}

PageHeader parse_page_header(std::span<const uint8_t> in, size_t& consumed) {
  Reader r(in);
  PageHeader h;
  unsigned have = 0;
  r.struct_begin();
  int16_t id;
  uint8_t t;
  while (r.next_field(id, t)) {
    switch (id) {
      case 1: h.type = i32(r, t, "PageHeader.type"); have |= 1; break;
      case 2: h.uncompressed_size = i32(r, t, "PageHeader.uncompressed_page_size"); have |= 2; break;
      case 3: h.compressed_size = i32(r, t, "PageHeader.compressed_page_size"); have |= 4; break;
      case 4: h.crc = i32(r, t, "PageHeader.crc"); break;
      case 5: {
        want(t, T_STRUCT, "PageHeader.data_page_header");
        DataPageHeader d;
        unsigned dh = 0;
        r.struct_begin();
        int16_t f;
        uint8_t ft;
        while (r.next_field(f, ft)) {
          if (f == 1) { d.num_values = i32(r, ft, "DataPageHeader.num_values"); dh |= 1; }
          else if (f == 2) { d.encoding = i32(r, ft, "DataPageHeader.encoding"); dh |= 2; }
          else if (f == 3) d.def_encoding = i32(r, ft, "DataPageHeader.definition_level_encoding");
          else if (f == 4) d.rep_encoding = i32(r, ft, "DataPageHeader.repetition_level_encoding");
          else r.skip(ft);
        }
        r.struct_end();
        require(dh == 3, "DataPageHeader", "num_values/encoding");
        h.data = d;
        break;
      }
      case 7: {
        want(t, T_STRUCT, "PageHeader.dictionary_page_header");
        DictionaryPageHeader d;
        bool hn = false;
        r.struct_begin();
        int16_t f;
        uint8_t ft;
        while (r.next_field(f, ft)) {
          if (f == 1) { d.num_values = i32(r, ft, "DictionaryPageHeader.num_values"); hn = true; }
          else if (f == 2) d.encoding = i32(r, ft, "DictionaryPageHeader.encoding");
          else if (f == 3) d.is_sorted = boolean(r, ft, "DictionaryPageHeader.is_sorted");
          else r.skip(ft);
        }
        r.struct_end();
        require(hn, "DictionaryPageHeader", "num_values");
        h.dict = d;
        break;
      }
      case 8: {
        want(t, T_STRUCT, "PageHeader.data_page_header_v2");
        DataPageHeaderV2 d;
        unsigned dh = 0;
        r.struct_begin();
        int16_t f;
        uint8_t ft;
        while (r.next_field(f, ft)) {
          switch (f) {
            case 1: d.num_values = i32(r, ft, "DataPageHeaderV2.num_values"); dh |= 1; break;
            case 2: d.num_nulls = i32(r, ft, "DataPageHeaderV2.num_nulls"); break;
            case 3: d.num_rows = i32(r, ft, "DataPageHeaderV2.num_rows"); break;
            case 4: d.encoding = i32(r, ft, "DataPageHeaderV2.encoding"); dh |= 2; break;
            case 5: d.def_length = i32(r, ft, "DataPageHeaderV2.definition_levels_byte_length"); break;
            case 6: d.rep_length = i32(r, ft, "DataPageHeaderV2.repetition_levels_byte_length"); break;
            case 7: d.is_compressed = boolean(r, ft, "DataPageHeaderV2.is_compressed"); break;
            default: r.skip(ft);
          }
        }
        r.struct_end();
        require(dh == 3, "DataPageHeaderV2", "num_values/encoding");
        h.data_v2 = d;
        break;
      }
      default: r.skip(t);
    }
  }
  r.struct_end();
  require(have == 7, "PageHeader", "type/uncompressed_page_size/compressed_page_size");
  consumed = r.pos();
  return h;
}

void serialize(const FileMetaData& m, std::vector<uint8_t>& out) {
  Writer w(out);
  w.struct_begin();
  w.field_i32(1, m.version);
  w.field_list(2, T_STRUCT, m.schema.size());
  for (const auto& e : m.schema) write_schema_element(w, e);
  w.field_i64(3, m.num_rows);
  w.field_list(4, T_STRUCT, m.row_groups.size());
  for (const auto& g : m.row_groups) {
    w.struct_begin();
    w.field_list(1, T_STRUCT, g.columns.size());
    for (const auto& c : g.columns) {
      w.struct_begin();
      if (c.file_path) w.field_binary(1, *c.file_path);
      w.field_i64(2, c.file_offset);
      if (c.meta) write_column_metadata(w, *c.meta);
      if (c.offset_index_offset) w.field_i64(4, *c.offset_index_offset);
      if (c.offset_index_length) w.field_i32(5, *c.offset_index_length);
      if (c.column_index_offset) w.field_i64(6, *c.column_index_offset);
      if (c.column_index_length) w.field_i32(7, *c.column_index_length);
      w.struct_end();
    }
    w.field_i64(2, g.total_byte_size);
    w.field_i64(3, g.num_rows);
    if (g.file_offset) w.field_i64(5, *g.file_offset);
    if (g.total_compressed_size) w.field_i64(6, *g.total_compressed_size);
    if (g.ordinal) { w.field(7, T_I16); w.write_i32(*g.ordinal); }
    w.struct_end();
  }
  write_key_values(w, 5, m.key_value);
  if (m.created_by) w.field_binary(6, *m.created_by);
  if (m.type_defined_orders) {
    w.field_list(7, T_STRUCT, m.type_defined_orders);
    for (size_t i = 0; i < m.type_defined_orders; i++) {
      w.struct_begin();
      w.field_struct(1);  // TYPE_ORDER: TypeDefinedOrder {}
      w.struct_end();
      w.struct_end();
    }
  }
  w.struct_end();
}

void serialize(const PageHeader& h, std::vector<uint8_t>& out) {
  Writer w(out);
  w.struct_begin();
  w.field_i32(1, h.type);
  w.field_i32(2, h.uncompressed_size);
  w.field_i32(3, h.compressed_size);
  if (h.crc) w.field_i32(4, *h.crc);
  if (h.data) {
    w.field_struct(5);
    w.field_i32(1, h.data->num_values);
    w.field_i32(2, h.data->encoding);
    w.field_i32(3, h.data->def_encoding);
    w.field_i32(4, h.data->rep_encoding);
    w.struct_end();
  }
  if (h.dict) {
    w.field_struct(7);
    w.field_i32(1, h.dict->num_values);
    w.field_i32(2, h.dict->encoding);
    if (h.dict->is_sorted) w.field_bool(3, *h.dict->is_sorted);
    w.struct_end();
  }
  if (h.data_v2) {
    const auto& d = *h.data_v2;
    w.field_struct(8);
    w.field_i32(1, d.num_values);
    w.field_i32(2, d.num_nulls);
    w.field_i32(3, d.num_rows);
    w.field_i32(4, d.encoding);
    w.field_i32(5, d.def_length);
    w.field_i32(6, d.rep_length);
    w.field_bool(7, d.is_compressed);
    w.struct_end();
  }
  w.struct_end();
}

}  // namespace astrolake::parquet::meta
