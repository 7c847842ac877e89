// libFuzzer target: the input is a whole CSV file. Opening it (header, type inference on a
// sample) and reading every chunk must either succeed or throw catalog::InputError; anything
// else (a crash, a sanitizer report, a hang, another exception) is a bug. The sample and chunk
// sizes are small so that values after the sample and chunk boundaries are exercised, and odd
// sizes use two parsing threads (the parallel path).
#include "input_fuzz_common.h"

using namespace astrolake;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz_input::scratch_path(".csv");
  catalog::InputOptions opts;
  opts.csv_sample_rows = 3;
  opts.chunk_rows = 5;
  opts.threads = size % 2 ? 2 : 1;
  fuzz_input::check_input(path, data, size, [&](const std::string& p) { return catalog::open_csv(p, opts); });
  return 0;
}
