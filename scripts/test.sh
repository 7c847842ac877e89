#!/usr/bin/env bash
# The whole test suite: C++ (GoogleTest via CTest) and the Python-side tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
if [ -d tests/python ]; then
  ASTROLAKE_BIN="$PWD/build/src/cli/astrolake" .venv/bin/python -m pytest -q tests/python
fi
echo "== all tests passed"
