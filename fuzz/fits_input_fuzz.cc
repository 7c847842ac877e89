// libFuzzer target: the input is a whole FITS file. Opening its first table through cfitsio
// and reading every column (scalars, vectors, strings, variable-length arrays) must either
// succeed or throw catalog::InputError; anything else (a crash, a sanitizer report, a hang,
// an allocation beyond what the file could hold, another exception) is a bug.
#include "input_fuzz_common.h"

using namespace astrolake;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz_input::scratch_path(".fits");
  catalog::InputOptions opts;
  opts.chunk_rows = 7;
  fuzz_input::check_input(path, data, size, [&](const std::string& p) { return catalog::open_fits(p, opts); });
  return 0;
}
