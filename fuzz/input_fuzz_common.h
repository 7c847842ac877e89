// Shared by the CSV and FITS input fuzz targets: the readers open files by path, so each
// input is written to a per-process scratch file (on /dev/shm when it exists) first.
#pragma once
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "catalog/input.h"

namespace fuzz_input {

inline std::string scratch_path(const char* ext) {
  const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return std::string(dir) + "/astrolake_fuzz_" + std::to_string(getpid()) + ext;
}

inline void write_file(const std::string& path, const uint8_t* data, size_t size) {
  // A failure here is the machine's (a full disk), not the reader's: say so and stop.
  FILE* f = std::fopen(path.c_str(), "wb");
  bool ok = f && (!size || std::fwrite(data, 1, size, f) == size);
  if (f && std::fclose(f) != 0) ok = false;
  if (!ok) {
    std::fprintf(stderr, "cannot write the scratch file %s: %s\n", path.c_str(), std::strerror(errno));
    std::exit(2);
  }
}

// Reads every chunk and touches every byte, so short or uninitialised buffers show up.
inline void drain(astrolake::catalog::InputReader& r) {
  astrolake::parquet::Table t;
  size_t sink = 0;
  while (r.next(t))
    for (const auto& c : t.columns) {
      sink += c.rows();
      for (size_t i = 0; i < c.data.size(); i++) sink += c.data.data()[i];
    }
  if (sink == 1) std::fputc(' ', stderr);
}

// One fuzz input: written to `path`, opened with open(path) and drained. Success and
// catalog::InputError are both fine; any other exception is reported and aborts (a bug).
template <class Open>
void check_input(const std::string& path, const uint8_t* data, size_t size, Open open) {
  write_file(path, data, size);
  try {
    auto r = open(path);
    drain(*r);
  } catch (const astrolake::catalog::InputError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort();
  }
}

}  // namespace fuzz_input
