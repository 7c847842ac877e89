#!/usr/bin/env bash
# The two hot paths side by side, for docs/benchmarks.md "Performance work":
#   1. scan: sum(ra) over every file of a HATS dataset, all cores, astrolake (bench/scan_sum)
#      then DuckDB on the same files, ROUNDS times back to back; best of each
#   2. cross-match: `astrolake xmatch A B --radius-arcsec 1`, ROUNDS times; wall and CPU
#      (user+sys) seconds, input rows (left + right) per CPU second
# A shared machine makes wall times noisy: the load average is printed before and after, and
# callgrind instruction counts (see docs) are the repeatable comparison.
# usage: bash bench/hot_paths.sh SCAN_DATASET_DIR XMATCH_LEFT XMATCH_RIGHT [ROUNDS]
#   env BUILD (default build), OLD_BIN / OLD_SCAN: earlier binaries to time in the same run
set -euo pipefail
cd "$(dirname "$0")/.."
DS=$1 XL=$2 XR=$3 ROUNDS=${4:-5}
B=${BUILD:-build}
AL=$B/src/cli/astrolake
SCAN=$B/bench/scan_sum
OUT=${TMPDIR:-/tmp}/hot_paths.$$
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
echo "== $(date -u +%FT%TZ) $(nproc) cores, $(lscpu | sed -n 's/Model name: *//p'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
sql="SELECT sum(ra) FROM read_parquet('$DS/Norder=*/Dir=*/Npix=*.parquet')"
best() { sort -g | head -1; }
for r in $(seq "$ROUNDS"); do
  $SCAN "$DS" ra | python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])" >> "$OUT/al"
  if [ -n "${OLD_SCAN:-}" ]; then
    $OLD_SCAN "$DS" ra | python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])" >> "$OUT/old"
  fi
  node bench/duckdb_query.mjs "$sql" 1 | python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])" >> "$OUT/duck"
done
al=$(best < "$OUT/al") duck=$(best < "$OUT/duck")
echo "scan    astrolake best $al s, DuckDB best $duck s, ratio $(python3 -c "print(f'{$al/$duck:.2f}')")" \
     "${OLD_SCAN:+(before: best $(best < "$OUT/old") s)}"

rows=0  # input rows: hats_nrows of each side's main catalog (margins excluded)
for side in "$XL" "$XR"; do
  for p in "$side"/hats.properties "$side"/*/hats.properties; do
    [ -f "$p" ] && ! grep -q '^dataproduct_type=margin' "$p" || continue
    rows=$((rows + $(sed -n 's/^hats_nrows=//p' "$p")))
  done
done
xm() {  # binary label extra-args...
  local bin=$1 label=$2; shift 2
  for r in $(seq "$ROUNDS"); do
    /usr/bin/time -f "%e %U %S" -o "$OUT/t" "$bin" xmatch "$XL" "$XR" --radius-arcsec 1 -o "$OUT/x.parquet" \
      --overwrite -q "$@"
    cat "$OUT/t" >> "$OUT/$label"
  done
  python3 - "$OUT/$label" "$rows" "$label" <<'PY'
import sys
t = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2]); wall = min(x[0] for x in t); cpu = min(x[1] + x[2] for x in t)
print(f"xmatch  {sys.argv[3]:<14} {n} input rows: best wall {wall:.2f} s, best CPU {cpu:.2f} s "
      f"= {n/cpu/1e6:.2f} M input rows per CPU second")
PY
}
xm "$AL" ids --left-columns source_id --right-columns source_id
xm "$AL" all-columns
if [ -n "${OLD_BIN:-}" ]; then
  xm "$OLD_BIN" before-ids --left-columns source_id --right-columns source_id
  xm "$OLD_BIN" before-all
fi
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
