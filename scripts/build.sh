#!/usr/bin/env bash
# Configures and builds astrolake in Release into ./build: everything, or the targets named
# as arguments (the demo builds only the `astrolake` binary).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
if [ $# -gt 0 ]; then
  for t in "$@"; do cmake --build build -j"$(nproc)" --target "$t"; done
else
  cmake --build build -j"$(nproc)"
fi
