// Parquet footer and page-header structures (parquet.thrift), parsed from and serialized to
// the Thrift compact protocol. Only the fields we use are modelled; unknown fields are
// skipped on read (so newer writers' files still parse) and not written back.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace astrolake::parquet::meta {

// parquet.thrift enums, kept as plain ints in the structs so unknown values survive parsing
// and are rejected where they are used, with the column's name in the message.
enum PhysicalType : int32_t {
  BOOLEAN = 0, INT32 = 1, INT64 = 2, INT96 = 3, FLOAT = 4, DOUBLE = 5, BYTE_ARRAY = 6,
  FIXED_LEN_BYTE_ARRAY = 7,
};
enum Repetition : int32_t { REQUIRED = 0, OPTIONAL = 1, REPEATED = 2 };
enum ConvertedType : int32_t {
  CT_UTF8 = 0, CT_MAP = 1, CT_MAP_KEY_VALUE = 2, CT_LIST = 3, CT_ENUM = 4, CT_DECIMAL = 5,
  CT_DATE = 6, CT_TIME_MILLIS = 7, CT_TIME_MICROS = 8, CT_TIMESTAMP_MILLIS = 9,
  CT_TIMESTAMP_MICROS = 10, CT_UINT_8 = 11, CT_UINT_16 = 12, CT_UINT_32 = 13, CT_UINT_64 = 14,
  CT_INT_8 = 15, CT_INT_16 = 16, CT_INT_32 = 17, CT_INT_64 = 18, CT_JSON = 19, CT_BSON = 20,
  CT_INTERVAL = 21,
};
enum Encoding : int32_t {
  PLAIN = 0, PLAIN_DICTIONARY = 2, RLE = 3, BIT_PACKED = 4, DELTA_BINARY_PACKED = 5,
  DELTA_LENGTH_BYTE_ARRAY = 6, DELTA_BYTE_ARRAY = 7, RLE_DICTIONARY = 8, BYTE_STREAM_SPLIT = 9,
};
enum PageType : int32_t { DATA_PAGE = 0, INDEX_PAGE = 1, DICTIONARY_PAGE = 2, DATA_PAGE_V2 = 3 };
const char* encoding_name(int32_t e);
const char* physical_type_name(int32_t t);

// LogicalType is a thrift union; `kind` is the id of the member that is set (0 = none).
struct LogicalType {
  enum Kind : int16_t {
    NONE = 0, STRING = 1, MAP = 2, LIST = 3, ENUM = 4, DECIMAL = 5, DATE = 6, TIME = 7,
    TIMESTAMP = 8, INTEGER = 10, UNKNOWN = 11, JSON = 12, BSON = 13, UUID = 14, FLOAT16 = 15,
  };
  enum Unit : int8_t { MILLIS = 1, MICROS = 2, NANOS = 3 };
  int16_t kind = NONE;          // may hold ids we do not know (> FLOAT16)
  int32_t scale = 0, precision = 0;  // DECIMAL
  bool utc = true;              // TIME / TIMESTAMP isAdjustedToUTC
  int8_t unit = 0;              // TIME / TIMESTAMP
  int8_t bit_width = 0;         // INTEGER
  bool is_signed = true;        // INTEGER
};

struct Statistics {
  std::optional<std::string> max, min;  // legacy, signed-order only
  std::optional<int64_t> null_count, distinct_count;
  std::optional<std::string> max_value, min_value;
};

struct KeyValue {
  std::string key;
  std::optional<std::string> value;
};

struct SchemaElement {
  std::optional<int32_t> type;
  std::optional<int32_t> type_length;
  std::optional<int32_t> repetition;
  std::string name;
  std::optional<int32_t> num_children;
  std::optional<int32_t> converted_type;
  std::optional<int32_t> scale, precision, field_id;
  LogicalType logical;
};

struct ColumnMetaData {
  int32_t type = 0;
  std::vector<int32_t> encodings;
  std::vector<std::string> path;
  int32_t codec = 0;
  int64_t num_values = 0, total_uncompressed_size = 0, total_compressed_size = 0;
  std::vector<KeyValue> key_value;
  int64_t data_page_offset = 0;
  std::optional<int64_t> index_page_offset, dictionary_page_offset;
  std::optional<Statistics> statistics;
};

struct ColumnChunk {
  std::optional<std::string> file_path;
  int64_t file_offset = 0;
  std::optional<ColumnMetaData> meta;
  std::optional<int64_t> offset_index_offset;
  std::optional<int32_t> offset_index_length;
  std::optional<int64_t> column_index_offset;
  std::optional<int32_t> column_index_length;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0, num_rows = 0;
  std::optional<int64_t> file_offset, total_compressed_size;
  std::optional<int16_t> ordinal;
};

struct FileMetaData {
  int32_t version = 2;
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::vector<KeyValue> key_value;
  std::optional<std::string> created_by;
  // Number of TypeDefinedOrder entries (one per leaf when present): tells readers that
  // min_value/max_value follow the logical type's sort order.
  size_t type_defined_orders = 0;
};

struct DataPageHeader {
  int32_t num_values = 0, encoding = 0, def_encoding = RLE, rep_encoding = RLE;
};
struct DataPageHeaderV2 {
  int32_t num_values = 0, num_nulls = 0, num_rows = 0, encoding = 0;
  int32_t def_length = 0, rep_length = 0;
  bool is_compressed = true;
};
struct DictionaryPageHeader {
  int32_t num_values = 0, encoding = PLAIN;
  std::optional<bool> is_sorted;
};
struct PageHeader {
  int32_t type = 0, uncompressed_size = 0, compressed_size = 0;
  std::optional<int32_t> crc;
  std::optional<DataPageHeader> data;
  std::optional<DictionaryPageHeader> dict;
  std::optional<DataPageHeaderV2> data_v2;
};

// Parsers throw thrift::ThriftError on malformed or truncated input.
FileMetaData parse_file_metadata(std::span<const uint8_t> in);
// Parses a page header at the start of `in`; `consumed` gets its length in bytes.
PageHeader parse_page_header(std::span<const uint8_t> in, size_t& consumed);

void serialize(const FileMetaData& m, std::vector<uint8_t>& out);
void serialize(const PageHeader& h, std::vector<uint8_t>& out);

}  // namespace astrolake::parquet::meta
