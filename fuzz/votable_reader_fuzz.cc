// libFuzzer target: the input is a whole VOTable document. read_votable must either return a
// table whose columns all have the same number of rows, or throw VotableError; anything else
// (a crash, a sanitizer report, a hang, another exception, ragged columns) is a bug.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "votable/reader.h"

using namespace astrolake;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  votable::ReadLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_rows = 100000;
  limits.max_array = 1 << 16;
  try {
    votable::VoTable v = votable::read_votable(std::string_view(reinterpret_cast<const char*>(data), size), limits);
    size_t rows = v.table.rows(), sink = 0;
    if (v.fields.size() != v.table.columns.size()) std::abort();
    for (const auto& c : v.table.columns) {
      if (c.rows() != rows) {
        std::fprintf(stderr, "column %s has %zu rows, the table %zu\n", c.field.name.c_str(), c.rows(), rows);
        std::abort();
      }
      if (!c.valid.empty() && c.valid.size() != c.values()) std::abort();
      for (size_t i = 0; i < c.data.size(); i++) sink += c.data.data()[i];
    }
    if (sink == 1) std::fputc(' ', stderr);
  } catch (const votable::VotableError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort();
  }
  return 0;
}
