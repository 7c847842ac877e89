// The Arrow C Data Interface (https://arrow.apache.org/docs/format/CDataInterface.html): the
// two ABI structs, written from the specification, and conversions between them and
// parquet::Table. Export is zero-copy for values, offsets and strings (the table is moved
// into the exported array and freed by its release callback); only byte-per-row validity and
// bools are repacked as bitmaps. Import copies (it is used for small derived results).
#pragma once
#include <cstdint>

#include "parquet/table.h"

extern "C" {
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4
struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};
struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};
#endif
}

namespace astrolake::python {

// Fills `schema` and `array` (caller-allocated) with a struct array of the table's columns:
// a record batch. Strings are large_string, lists large_list. Both take ownership as the
// interface prescribes: the consumer calls release.
void export_table(parquet::Table&& table, ArrowSchema* schema, ArrowArray* array);

// Copies a struct array (a record batch) into a Table, then releases both. Supports the
// types export_table writes plus int32-offset strings and lists. Throws std::invalid_argument
// naming the column for anything else.
parquet::Table import_table(ArrowSchema* schema, ArrowArray* array);

}  // namespace astrolake::python
