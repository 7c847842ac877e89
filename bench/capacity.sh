#!/usr/bin/env bash
# The capacity plan's measurements and arithmetic (docs/capacity.md), into OUT (default
# out/capacity): the 10^10-row layout (capacity_layout), S3 requests per operation on two
# 4M-row catalogs with partitions of two sizes (capacity_requests.sh; starts radosgw), the Dask
# scheduler's task rate (dask_task_rate.py), then bench/capacity.py's scaled figures.
# usage: bash bench/capacity.sh [OUT]        (about 10 minutes on 2 busy cores)
# Smaller, for a quick check of the tools: ROWS=200000 SAMPLES=1e6 TASKS=2000 bash bench/capacity.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/capacity}
ROWS=${ROWS:-4000000} SAMPLES=${SAMPLES:-2e7} TASKS=${TASKS:-20000}
mkdir -p "$OUT"
cmake --build build --target capacity_layout astrolake >/dev/null
build/bench/capacity_layout --rows 1e10 --samples "$SAMPLES" --partition-info "$OUT/partition_info.csv" > "$OUT/layout.json"
bash bench/capacity_requests.sh "$ROWS" 0 5 > "$OUT/requests_order0.jsonl"
bash bench/capacity_requests.sh "$ROWS" 1 5 > "$OUT/requests_order1.jsonl"
.venv/bin/python bench/dask_task_rate.py "$TASKS" 3 2 > "$OUT/dask.jsonl"
python3 bench/capacity.py --layout "$OUT/layout.json" --partition-info "$OUT/partition_info.csv" \
  --requests "$OUT/requests_order0.jsonl" "$OUT/requests_order1.jsonl" --dask "$OUT/dask.jsonl" > "$OUT/capacity.json"
echo "== $OUT/capacity.json"
