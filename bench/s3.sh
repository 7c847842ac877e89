#!/usr/bin/env bash
# The same catalogs on local disk and in a loopback S3 bucket (radosgw on an in-memory OSD,
# started here with tests/storage/s3_server.sh): full scan, cone search (p50 of ROUNDS runs)
# and cross-match, each with its HTTP request count and bytes received (ASTROLAKE_HTTP_STATS).
# Times are whole `astrolake` processes (start-up included), except the in-process cones of
# bench/cone_bench.cc (one opened catalog, as in the service or Python; built when missing).
# usage: bash bench/s3.sh [ROWS] [ROUNDS]    (defaults 200000 rows, 9 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-200000} ROUNDS=${2:-9}
AL=${BUILD:-build}/src/cli/astrolake
CB=${BUILD:-build}/bench/cone_bench
[ -x "$CB" ] || cmake --build "${BUILD:-build}" -j2 --target cone_bench >/dev/null
W=${TMPDIR:-/tmp}/bench_s3.$$
source bench/s3_server.sh  # radosgw on a free port, stopped on exit; AWS_* exported
echo "== $(date -u +%FT%TZ) $(nproc) cores, $(lscpu | sed -n 's/Model name: *//p'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
$AL generate ztf --rows "$ROWS" --seed 1 -o "$W/ztf.parquet" >/dev/null
$AL generate gaia --rows "$ROWS" --seed 2 -o "$W/gaia.parquet" >/dev/null
for c in ztf gaia; do
  $AL import "$W/$c.parquet" --ra ra --dec dec --margin-arcsec 10 -o "$W/$c" -q
  $AL import "$W/$c.parquet" --ra ra --dec dec --margin-arcsec 10 -o "s3://astrolake-test/$c" -q
done
# seconds and the request line of one run: "SECONDS REQUESTS BYTES"
run() {
  local t0 t1 stats
  t0=$(date +%s.%N)
  stats=$(ASTROLAKE_HTTP_STATS=1 "$@" 2>&1 >/dev/null | sed -n 's/^http: \([0-9]*\) requests, \([0-9]*\) bytes.*/\1 \2/p')
  t1=$(date +%s.%N)
  echo "$(python3 -c "print(f'{$t1-$t0:.3f}')") ${stats:-0 0}"
}
p50() { sort -g | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
for where in "$W" s3://astrolake-test; do
  label=$([ "$where" = "$W" ] && echo local || echo s3)
  r=$(run $AL query "SELECT COUNT(*), SUM(ra), SUM(dec) FROM \"$where/ztf\"" -o "$W/scan.csv" --overwrite -q)
  echo "$label scan      sec/requests/bytes: $r"
  for i in $(seq "$ROUNDS"); do
    run $AL cone "$where/gaia" --ra $((i * 37 % 360)) --dec -20 --radius-arcsec 60 -o "$W/cone.csv" --overwrite -q
  done > "$W/cone.$label"
  echo "$label cone p50  sec: $(cut -d' ' -f1 "$W/cone.$label" | p50)  requests p50: $(cut -d' ' -f2 "$W/cone.$label" | p50)  bytes p50: $(cut -d' ' -f3 "$W/cone.$label" | p50)"
  echo "$label cones in one process (cone_bench, 60\"):"
  "$CB" "$where/gaia" "$ROUNDS" 60 | sed 's/^/    /'
  r=$(run $AL xmatch "$where/ztf" "$where/gaia" --radius-arcsec 2 -o "$W/xm.parquet" --overwrite -q)
  echo "$label xmatch    sec/requests/bytes: $r"
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
