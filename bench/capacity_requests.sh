#!/usr/bin/env bash
# S3 requests and bytes per catalog operation, measured with astrolake's own S3 client
# (ASTROLAKE_HTTP_STATS) against a loopback radosgw (tests/storage/s3_server.sh), on catalogs
# imported with the default 1M-row threshold (LOWEST_ORDER > 0 splits them into smaller ones).
# Each operation also runs as EXPLAIN, which opens the catalog and plans without reading any
# partition, so bench/capacity.py can separate the cost of opening from the cost per
# partition read and scale both to a 10^10-row layout.
# Prints one JSON object per line: {"op", "requests", "bytes", "partitions_read", "row_groups_read"}.
# usage: bash bench/capacity_requests.sh [ROWS] [LOWEST_ORDER] [CONES]   (4000000 0 5)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-4000000} LOWEST=${2:-0} CONES=${3:-5}
AL=${BUILD:-build}/src/cli/astrolake
W=${TMPDIR:-/tmp}/bench_capacity.$$
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$W"
trap 'bash tests/storage/s3_server.sh stop "$W/s3" >/dev/null 2>&1; rm -rf "$W"' EXIT
bash tests/storage/s3_server.sh start "$W/s3" "$PORT" >/dev/null
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=astrolake-test \
  AWS_SECRET_ACCESS_KEY=astrolake-test-secret AWS_REGION=us-east-1
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(lscpu | sed -n 's/Model name: *//p'); load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
$AL generate gaia --rows "$ROWS" --seed 2 -o "$W/a.parquet" >/dev/null
$AL generate gaia --rows "$ROWS" --seed 3 -o "$W/b.parquet" >/dev/null
for c in a b; do
  $AL import "$W/$c.parquet" --ra ra --dec dec --margin-arcsec 10 --lowest-order "$LOWEST" -o "s3://astrolake-test/$c" -q
done
B=s3://astrolake-test
# One operation: its request count and bytes received, and (from its EXPLAIN) the partitions
# and row groups it reads, as a JSON line.
run() {
  local op=$1 sql=$2 stats req got plan
  stats=$(ASTROLAKE_HTTP_STATS=1 $AL query "$sql" -o "$W/out.parquet" --overwrite -q 2>&1 >/dev/null |
          sed -n 's/^http: \([0-9]*\) requests, \([0-9]*\) bytes.*/\1 \2/p')
  read -r req got <<<"${stats:-0 0}"
  plan=$($AL query "EXPLAIN $sql" -o - | sed -n 's/^Estimate: partitions \([0-9]*\)\/[0-9]*, row groups \([0-9]*\)\/[0-9]*.*/\1 \2/p')
  read -r parts groups <<<"${plan:-0 0}"
  echo "{\"op\": \"$op\", \"requests\": $req, \"bytes\": $got, \"partitions_read\": $parts, \"row_groups_read\": $groups, \"lowest_order\": $LOWEST, \"rows\": $ROWS}"
}
explain() {
  local op=$1 sql=$2 stats req got
  stats=$(ASTROLAKE_HTTP_STATS=1 $AL query "EXPLAIN $sql" -o - 2>&1 >/dev/null |
          sed -n 's/^http: \([0-9]*\) requests, \([0-9]*\) bytes.*/\1 \2/p')
  read -r req got <<<"${stats:-0 0}"
  echo "{\"op\": \"$op\", \"requests\": $req, \"bytes\": $got, \"lowest_order\": $LOWEST, \"rows\": $ROWS}"
}
SCAN2="SELECT COUNT(*), SUM(ra), SUM(dec) FROM \"$B/a\""
ALL="SELECT * FROM \"$B/a\""
XM="SELECT * FROM \"$B/a\" AS a JOIN \"$B/b\" AS b ON 1=CONTAINS(POINT('ICRS', a.ra, a.dec), CIRCLE('ICRS', b.ra, b.dec, 1.0/3600))"
explain open "$SCAN2"
for i in $(seq "$CONES"); do
  run cone60 "SELECT * FROM \"$B/a\" WHERE 1=CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', $((i * 67 % 360)), $((i * 23 % 120 - 60)), 60.0/3600))"
done
run scan2 "$SCAN2"
run scan_all "$ALL"
explain open_xmatch "$XM"
run xmatch "$XM"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
