#!/usr/bin/env bash
# S3 requests and bytes per catalog operation, measured with astrolake's own S3 client
# (ASTROLAKE_HTTP_STATS) against a loopback radosgw (tests/storage/s3_server.sh), on catalogs
# imported with the default 1M-row threshold (LOWEST_ORDER > 0 splits them into smaller ones).
# radosgw's access log splits each operation's requests into metadata (properties,
# partition_info.csv, _metadata, _common_metadata, probes) and data (the Npix= objects of the
# catalog and its margin), so bench/capacity.py can scale both to a 10^10-row layout; EXPLAIN
# gives the partitions and row groups each operation reads.
# Prints one JSON object per line: {"op", "requests", "bytes", "meta_requests", "meta_bytes",
# "metadata_file_bytes", "data_requests", "data_bytes", "data_objects", "partitions_read",
# "row_groups_read", ...}; "requests" and "bytes" are the client's own count (ASTROLAKE_HTTP_STATS).
# usage: bash bench/capacity_requests.sh [ROWS] [LOWEST_ORDER] [CONES]   (4000000 0 5)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-4000000} LOWEST=${2:-0} CONES=${3:-5}
AL=${BUILD:-build}/src/cli/astrolake
W=${TMPDIR:-/tmp}/bench_capacity.$$
source bench/s3_server.sh  # radosgw on a free port, stopped on exit; AWS_* exported
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(lscpu | sed -n 's/Model name: *//p'); load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
$AL generate gaia --rows "$ROWS" --seed 2 -o "$W/a.parquet" >/dev/null
$AL generate gaia --rows "$ROWS" --seed 3 -o "$W/b.parquet" >/dev/null
for c in a b; do
  $AL import "$W/$c.parquet" --ra ra --dec dec --margin-arcsec 10 --lowest-order "$LOWEST" -o "s3://astrolake-test/$c" -q
done
B=s3://astrolake-test
LOG="$W/s3/log/client.rgw.log"
# The access-log lines radosgw wrote since line $1, as JSON counts by kind of object.
classify() {
  tail -n +"$(($1 + 1))" "$LOG" | python3 -c '
import json, re, sys
c = dict(meta_requests=0, meta_bytes=0, metadata_file_bytes=0, data_requests=0, data_bytes=0)
objects = set()
for line in sys.stdin:
    m = re.search(r"beast: .*\"(GET|HEAD|PUT|POST|DELETE) (\S+) HTTP/[0-9.]+\" (\d+) (\d+)", line)
    if not m:
        continue
    key, size = m.group(2).replace("%3D", "="), int(m.group(4))
    kind = "data" if "/Npix=" in key else "meta"
    c[kind + "_requests"] += 1
    c[kind + "_bytes"] += size
    if kind == "data":
        objects.add(key)
    if key.endswith("/_metadata"):
        c["metadata_file_bytes"] += size
c["data_objects"] = len(objects)
print(json.dumps(c)[1:-1])'
}
# One operation: the client's request count and bytes, the server's view of them by kind, and
# (from its EXPLAIN) the partitions and row groups it reads, as a JSON line.
run() {
  local op=$1 sql=$2 stats req got plan before
  before=$(wc -l <"$LOG")
  stats=$(ASTROLAKE_HTTP_STATS=1 $AL query "$sql" -o "$W/out.parquet" --overwrite -q 2>&1 >/dev/null |
          sed -n 's/^http: \([0-9]*\) requests, \([0-9]*\) bytes.*/\1 \2/p')
  read -r req got <<<"${stats:-0 0}"
  sleep 1  # let radosgw flush its log
  kinds=$(classify "$before")
  plan=$($AL query "EXPLAIN $sql" -o - | sed -n 's/^Estimate: partitions \([0-9]*\)\/[0-9]*, row groups \([0-9]*\)\/[0-9]*.*/\1 \2/p')
  read -r parts groups <<<"${plan:-0 0}"
  echo "{\"op\": \"$op\", \"requests\": $req, \"bytes\": $got, $kinds, \"partitions_read\": $parts, \"row_groups_read\": $groups, \"lowest_order\": $LOWEST, \"rows\": $ROWS}"
}
# What a Dask worker runs for the Python API (python/astrolake/_tasks.py): open the catalog
# through the extension's per-process cache, then scan partitions or a region.
PY=${PYTHON:-.venv/bin/python}
pyrun() {
  local op=$1 code=$2 before
  before=$(wc -l <"$LOG")
  "$PY" -c "from astrolake import _core, _tasks
info = dict(_core.catalog_info('$B/a', '', True)); n = len(info['partitions'])
$code" >/dev/null
  sleep 1
  echo "{\"op\": \"$op\", $(classify "$before"), \"lowest_order\": $LOWEST, \"rows\": $ROWS}"
}
SCAN2="SELECT COUNT(*), SUM(ra), SUM(dec) FROM \"$B/a\""
ALL="SELECT * FROM \"$B/a\""
XM="SELECT * FROM \"$B/a\" AS a JOIN \"$B/b\" AS b ON 1=CONTAINS(POINT('ICRS', a.ra, a.dec), CIRCLE('ICRS', b.ra, b.dec, 1.0/3600))"
for i in $(seq "$CONES"); do
  run cone60 "SELECT * FROM \"$B/a\" WHERE 1=CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', $((i * 67 % 360)), $((i * 23 % 120 - 60)), 60.0/3600))"
done
run scan2 "$SCAN2"
run scan_all "$ALL"
run xmatch "$XM"
pyrun py_open "pass"
pyrun py_cone60 "_tasks.Read(path='$B/a').scan_region(('cone', 67.0, -37.0, 60 / 3600))"
pyrun py_scan2 "r = _tasks.Read(path='$B/a', columns=('ra', 'dec')); [r.scan(i) for i in range(n)]"
# One Dask task in a fresh worker process: no catalog_info (the client did that), one partition.
before=$(wc -l <"$LOG")
"$PY" -c "from astrolake import _tasks; _tasks.Read(path='$B/a', columns=('ra', 'dec')).scan(0)" >/dev/null
sleep 1
echo "{\"op\": \"py_task1\", $(classify "$before"), \"lowest_order\": $LOWEST, \"rows\": $ROWS}"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
