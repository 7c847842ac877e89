#!/usr/bin/env bash
# Before/after check of the process-wide scheduler: the same short jobs run with two builds of
# astrolake, each job twice, printing wall, user+system CPU seconds and peak RSS of the faster run.
#   BEFORE=/path/to/old/astrolake AFTER=build/src/cli/astrolake bash bench/scheduler.sh
# Sizes: SCAN_ROWS (default 2M), XM_ROWS (default 1M per side). Data is kept in $W and reused.
set -euo pipefail
AFTER=${AFTER:-build/src/cli/astrolake}
BEFORE=${BEFORE:-}
SCAN_ROWS=${SCAN_ROWS:-2000000}
XM_ROWS=${XM_ROWS:-1000000}
W=${W:-out/bench-scheduler}
mkdir -p "$W/cats"

gaia() {  # NAME ROWS SEED MARGIN [generate args...]
  local name=$1 rows=$2 seed=$3 margin=$4
  shift 4
  [ -f "$W/$name.parquet" ] || "$AFTER" generate gaia --rows "$rows" --seed "$seed" "$@" -q -o "$W/$name.parquet"
  [ -d "$W/cats/$name" ] || "$AFTER" import "$W/$name.parquet" --ra ra --dec dec --name "$name" \
    --margin-arcsec "$margin" -q -o "$W/cats/$name"
}
gaia scan "$SCAN_ROWS" 11 0
gaia xa "$XM_ROWS" 101 0
gaia xb "$XM_ROWS" 202 2 --overlap-of 101

# measure LABEL CMD...: best wall of two runs -> "label wall_s cpu_s rss_mib"
measure() {
  local label=$1 best="" t
  shift
  for _ in 1 2; do
    /usr/bin/time -f "%e %U %S %M" -o "$W/time.txt" "$@" >/dev/null
    t=$(awk '{printf "%.2f %.2f %.0f", $1, $2 + $3, $4 / 1024}' "$W/time.txt")
    if [ -z "$best" ] || awk -v a="${t%% *}" -v b="${best%% *}" 'BEGIN{exit !(a < b)}'; then best=$t; fi
  done
  echo "$label $best"
}

# peak_threads LABEL CMD...: the most threads the process had at once (sampled every 5 ms).
peak_threads() {
  local label=$1 most=0 t pid
  shift
  "$@" >/dev/null &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    t=$(awk '/^Threads/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
    if [ -n "$t" ] && [ "$t" -gt "$most" ]; then most=$t; fi
    sleep 0.005
  done
  wait "$pid"
  echo "$label peak_threads $most"
}

run_all() {  # BINARY NAME
  local al=$1 name=$2
  measure "$name scan_${SCAN_ROWS}" "$al" query \
    "SELECT COUNT(*), AVG(phot_g_mean_mag) FROM scan WHERE parallax > 1" --root "$W/cats" --format csv
  measure "$name xmatch_${XM_ROWS}x${XM_ROWS}" "$al" xmatch "$W/cats/xa" "$W/cats/xb" --radius-arcsec 1 --k 1 \
    -o "$W/xm_$name.parquet" --overwrite -q
  measure "$name import_${XM_ROWS}" "$al" import "$W/xa.parquet" --ra ra --dec dec --name imp -q \
    -o "$W/imp_$name.hats" --overwrite
  # A self-join reads the catalog through two scans; --threads 8 on a smaller machine.
  peak_threads "$name join_two_scans_threads_8" "$al" query \
    "SELECT COUNT(*) FROM scan AS a JOIN scan AS b ON a.source_id = b.source_id WHERE a.parallax > 1" \
    --root "$W/cats" --threads 8 --format csv
}

echo "job wall_s cpu_s peak_rss_mib"
[ -n "$BEFORE" ] && run_all "$BEFORE" before
run_all "$AFTER" after
