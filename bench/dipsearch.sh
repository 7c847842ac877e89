#!/usr/bin/env bash
# Dimming-star search benchmark: our detector (bench/dipsearch, C++) vs the same search in
# numpy (bench/dipsearch.py) over the same synthetic ZTF light curves.
#   1. astrolake generate ztf --rows ROWS (once, cached under BENCH_DIR)
#   2. dipsearch run: decode all row groups (timed apart), then the detector alone on 1 thread
#      and on THREADS threads (one task per row group); precision/recall vs is_dipper truth
#   3. dipsearch export -> .npy once; numpy loads them (not timed), then the timed search
#   4. per-core ratio: C++ 1-thread rows/s over numpy rows/s (numpy runs on one core), by wall
#      time and by CPU time (thread CPU clock / process_time): the machine is shared, so wall
#      time also measures the neighbours' load
# usage: bash bench/dipsearch.sh [ROWS] [THREADS]     (defaults 1M rows, 2 threads)
#   BUILD=build-dir (default build), BENCH_DIR=scratch dir (default out/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
THREADS=${2:-2}
B=${BUILD:-build}
W=${BENCH_DIR:-out/bench}
AL=$B/src/cli/astrolake
DS=$B/bench/dipsearch
mkdir -p "$W"
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(lscpu | sed -n 's/Model name: *//p'); load $(cut -d' ' -f1-3 /proc/loadavg)"
F=$W/ztf_$ROWS.parquet
[ -f "$F" ] || $AL generate ztf --rows "$ROWS" --seed 42 -o "$F" --quiet
out=$($DS run "$F" --threads "$THREADS"); echo "$out"; cpp=$(echo "$out" | tail -1)
[ -f "$W/ztf_${ROWS}_npy/is_dipper.npy" ] || $DS export "$F" --dir "$W/ztf_${ROWS}_npy" >/dev/null
out=$(/usr/bin/python3 bench/dipsearch.py "$W/ztf_${ROWS}_npy"); echo "$out"; npy=$(echo "$out" | tail -1)
/usr/bin/python3 - "$cpp" "$npy" <<'PY'
import json, sys
c, n = json.loads(sys.argv[1]), json.loads(sys.argv[2])
r = c["rows"]
one, many, npy = r / c["detect_1t_s"], r / c["detect_nt_s"], r / n["numpy_s"]
print(f"dipsearch {r} objects ({c['points']} points): C++ {one:,.0f} rows/s/core, {many:,.0f} rows/s on "
      f"{c['threads']} threads; numpy {npy:,.0f} rows/s (1 core); per-core ratio C++/numpy = {one / npy:.1f}x; "
      f"decode {c['decode_s']:.2f} s; precision {c['precision']:.4f} recall {c['recall']:.4f}; "
      f"numpy agrees on {n['agree']}/{r} rows")
print(f"by CPU time (robust to neighbours on a shared machine): C++ {r / c['detect_cpu_s']:,.0f} rows per CPU s, "
      f"numpy {r / n['numpy_cpu_s']:,.0f} rows per CPU s, ratio {n['numpy_cpu_s'] / c['detect_cpu_s']:.1f}x")
PY
