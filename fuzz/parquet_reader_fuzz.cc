// libFuzzer target: the input is a whole Parquet file. Opening it and reading every column
// must either succeed or throw one of the library's own exceptions; anything else (a crash,
// a sanitizer report, a hang, a stray std:: exception) is a bug.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "parquet/compression.h"
#include "parquet/encoding.h"
#include "parquet/reader.h"
#include "parquet/thrift.h"
#include "storage/source.h"

using namespace astrolake;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto reader = parquet::FileReader::open(
        storage::memory_source(std::vector<uint8_t>(data, data + size), "fuzz.parquet"));
    int64_t total = 0;
    for (int i = 0; i < reader->row_groups(); i++) total += reader->row_group(i).rows;
    (void)total;
    parquet::Table t = reader->read();
    // Touch every value buffer so reads of uninitialised or short buffers show up.
    size_t sink = 0;
    for (const auto& c : t.columns) {
      sink += c.rows() + c.values();
      for (size_t i = 0; i < c.data.size(); i++) sink += c.data.data()[i];
    }
    if (sink == 1) std::fputc(' ', stderr);
  } catch (const parquet::FormatError&) {
  } catch (const parquet::EncodingError&) {
  } catch (const parquet::CompressionError&) {
  } catch (const parquet::thrift::ThriftError&) {
  } catch (const storage::IoError&) {
  } catch (const std::exception& e) {
    // Other exception types mean an unchecked path (e.g. std::length_error from a corrupt
    // size reaching an allocation); report them as crashes with the message.
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort();
  }
  return 0;
}
