// Thrift compact protocol and Parquet metadata: encode/decode symmetry, skipping of unknown
// fields, and clean errors on truncated or hostile input.
#include <gtest/gtest.h>

#include "parquet/metadata.h"
#include "parquet/thrift.h"

using namespace astrolake::parquet;
using namespace astrolake::parquet::thrift;

TEST(Thrift, FieldsRoundTrip) {
  std::vector<uint8_t> buf;
  Writer w(buf);
  w.struct_begin();
  w.field_i32(1, -5);
  w.field_i64(2, int64_t(1) << 60);
  w.field_binary(3, "hello");
  w.field_bool(4, true);
  w.field_bool(5, false);
  w.field_i32(200, 7);  // long delta: id written as a varint
  w.field_list(201, T_I32, 20);
  for (int i = 0; i < 20; i++) w.write_i32(i * 1000);
  w.struct_end();

  Reader r(buf);
  r.struct_begin();
  int16_t id;
  uint8_t t;
  ASSERT_TRUE(r.next_field(id, t));
  EXPECT_EQ(id, 1);
  EXPECT_EQ(r.read_i32(), -5);
  ASSERT_TRUE(r.next_field(id, t));
  EXPECT_EQ(r.read_i64(), int64_t(1) << 60);
  ASSERT_TRUE(r.next_field(id, t));
  EXPECT_EQ(r.read_string(), "hello");
  ASSERT_TRUE(r.next_field(id, t));
  EXPECT_TRUE(r.read_bool(t));
  ASSERT_TRUE(r.next_field(id, t));
  EXPECT_FALSE(r.read_bool(t));
  ASSERT_TRUE(r.next_field(id, t));
  EXPECT_EQ(id, 200);
  EXPECT_EQ(r.read_i32(), 7);
  ASSERT_TRUE(r.next_field(id, t));
  EXPECT_EQ(id, 201);
  uint8_t et;
  ASSERT_EQ(r.list_begin(et), 20u);
  for (int i = 0; i < 20; i++) EXPECT_EQ(r.read_i32(), i * 1000);
  EXPECT_FALSE(r.next_field(id, t));
  r.struct_end();
  EXPECT_EQ(r.pos(), buf.size());
}

TEST(Thrift, SkipsNestedUnknownFields) {
  // A struct with an unknown nested struct (holding a list of structs and a map) before a
  // known field: the reader must skip it exactly.
  std::vector<uint8_t> buf;
  Writer w(buf);
  w.struct_begin();
  w.field_struct(9);
  w.field_list(1, T_STRUCT, 2);
  for (int i = 0; i < 2; i++) { w.struct_begin(); w.field_binary(1, "x"); w.struct_end(); }
  w.field(2, T_MAP);
  buf.push_back(1);                  // one entry
  buf.push_back(T_BINARY << 4 | T_I32);
  w.write_binary("k");
  w.write_i32(3);
  w.struct_end();
  w.field_i32(10, 42);
  w.struct_end();

  Reader r(buf);
  r.struct_begin();
  int16_t id;
  uint8_t t;
  ASSERT_TRUE(r.next_field(id, t));
  EXPECT_EQ(id, 9);
  r.skip(t);
  ASSERT_TRUE(r.next_field(id, t));
  EXPECT_EQ(id, 10);
  EXPECT_EQ(r.read_i32(), 42);
  EXPECT_FALSE(r.next_field(id, t));
}

TEST(Thrift, HostileInputThrows) {
  std::vector<uint8_t> deep(10000, uint8_t(1 << 4 | T_STRUCT));  // structs nested forever
  Reader r(deep);
  EXPECT_THROW(r.skip(T_STRUCT), ThriftError);
  std::vector<uint8_t> biglist = {0xf9, 0xff, 0xff, 0xff, 0xff, 0x0f};  // list<i32> of 2^32-1
  Reader r2(biglist);
  uint8_t et;
  EXPECT_THROW(r2.list_begin(et), ThriftError);
  std::vector<uint8_t> longstr = {0x80, 0x80, 0x04, 'a'};
  Reader r3(longstr);
  EXPECT_THROW(r3.read_binary(), ThriftError);
}

static meta::FileMetaData sample_metadata() {
  meta::FileMetaData m;
  meta::SchemaElement root;
  root.name = "schema";
  root.num_children = 2;
  m.schema.push_back(root);
  meta::SchemaElement a;
  a.name = "a";
  a.type = meta::INT32;
  a.repetition = meta::OPTIONAL;
  a.converted_type = meta::CT_UINT_16;
  a.logical.kind = meta::LogicalType::INTEGER;
  a.logical.bit_width = 16;
  a.logical.is_signed = false;
  m.schema.push_back(a);
  meta::SchemaElement ts;
  ts.name = "t";
  ts.type = meta::INT64;
  ts.repetition = meta::REQUIRED;
  ts.logical.kind = meta::LogicalType::TIMESTAMP;
  ts.logical.unit = meta::LogicalType::NANOS;
  ts.logical.utc = false;
  m.schema.push_back(ts);
  m.num_rows = 10;
  meta::RowGroup g;
  g.num_rows = 10;
  g.total_byte_size = 123;
  g.ordinal = 0;
  for (int i = 0; i < 2; i++) {
    meta::ColumnChunk c;
    c.file_path = "Norder=0/Dir=0/Npix=11.parquet";
    c.file_offset = 4 + i;
    meta::ColumnMetaData cm;
    cm.type = i ? meta::INT64 : meta::INT32;
    cm.encodings = {meta::PLAIN, meta::RLE};
    cm.path = {i ? "t" : "a"};
    cm.codec = 6;
    cm.num_values = 10;
    cm.total_compressed_size = 50;
    cm.total_uncompressed_size = 60;
    cm.data_page_offset = 4 + i * 50;
    meta::Statistics st;
    st.null_count = 1;
    st.min_value = std::string("\x01\x00\x00\x00", 4);
    st.max_value = std::string("\x09\x00\x00\x00", 4);
    cm.statistics = st;
    c.meta = cm;
    g.columns.push_back(c);
  }
  m.row_groups.push_back(g);
  m.key_value.push_back({"ARROW:schema", std::string("abc\0def", 7)});
  m.created_by = "astrolake";
  m.type_defined_orders = 2;
  return m;
}

TEST(Metadata, FileMetaDataRoundTrip) {
  meta::FileMetaData m = sample_metadata();
  std::vector<uint8_t> b1, b2;
  meta::serialize(m, b1);
  meta::FileMetaData p = meta::parse_file_metadata(b1);
  meta::serialize(p, b2);
  EXPECT_EQ(b1, b2);
  ASSERT_EQ(p.schema.size(), 3u);
  EXPECT_EQ(p.schema[1].logical.kind, meta::LogicalType::INTEGER);
  EXPECT_EQ(p.schema[1].logical.bit_width, 16);
  EXPECT_FALSE(p.schema[1].logical.is_signed);
  EXPECT_EQ(p.schema[2].logical.unit, meta::LogicalType::NANOS);
  EXPECT_FALSE(p.schema[2].logical.utc);
  EXPECT_EQ(*p.row_groups[0].columns[1].file_path, "Norder=0/Dir=0/Npix=11.parquet");
  EXPECT_EQ(p.row_groups[0].columns[1].meta->data_page_offset, 54);
  EXPECT_EQ(*p.row_groups[0].columns[0].meta->statistics->null_count, 1);
  EXPECT_EQ(p.key_value[0].value->size(), 7u);
  EXPECT_EQ(p.type_defined_orders, 2u);
}

TEST(Metadata, TruncatedFooterAlwaysThrows) {
  std::vector<uint8_t> b;
  meta::serialize(sample_metadata(), b);
  for (size_t n = 0; n < b.size(); n++) {
    std::vector<uint8_t> cut(b.begin(), b.begin() + ptrdiff_t(n));
    EXPECT_THROW(meta::parse_file_metadata(cut), ThriftError) << "cut at " << n;
  }
}

TEST(Metadata, PageHeaderRoundTrip) {
  meta::PageHeader h;
  h.type = meta::DATA_PAGE_V2;
  h.uncompressed_size = 1000;
  h.compressed_size = 400;
  meta::DataPageHeaderV2 d;
  d.num_values = 100;
  d.num_nulls = 3;
  d.num_rows = 90;
  d.encoding = meta::RLE_DICTIONARY;
  d.def_length = 7;
  d.rep_length = 5;
  d.is_compressed = false;
  h.data_v2 = d;
  std::vector<uint8_t> b;
  meta::serialize(h, b);
  b.push_back(0xAA);  // page bytes follow the header
  size_t used = 0;
  meta::PageHeader p = meta::parse_page_header(b, used);
  EXPECT_EQ(used, b.size() - 1);
  EXPECT_EQ(p.type, meta::DATA_PAGE_V2);
  ASSERT_TRUE(p.data_v2);
  EXPECT_EQ(p.data_v2->num_nulls, 3);
  EXPECT_EQ(p.data_v2->rep_length, 5);
  EXPECT_FALSE(p.data_v2->is_compressed);
  // Missing required fields are errors, not defaults.
  std::vector<uint8_t> empty = {0};
  EXPECT_THROW(meta::parse_page_header(empty, used), ThriftError);
}
