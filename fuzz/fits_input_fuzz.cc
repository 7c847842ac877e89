// libFuzzer target: the input is a whole FITS file. Opening its first table through cfitsio
// and reading every column (scalars, vectors, strings, variable-length arrays) must either
// succeed or throw catalog::InputError; anything else (a crash, a sanitizer report, a hang,
// an allocation beyond what the file could hold, another exception) is a bug.
#include <cstdio>
#include <cstdlib>

#include "input_fuzz_common.h"

using namespace astrolake;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz_input::scratch_path(".fits");
  fuzz_input::write_file(path, data, size);
  catalog::InputOptions opts;
  opts.chunk_rows = 7;
  try {
    auto r = catalog::open_fits(path, opts);
    fuzz_input::drain(*r);
  } catch (const catalog::InputError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort();
  }
  return 0;
}
