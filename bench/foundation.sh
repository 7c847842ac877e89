#!/usr/bin/env bash
# Foundation benchmarks, astrolake and DuckDB side by side in one run:
#   1. import: CSV -> HATS rows/s vs DuckDB COPY (read_csv) TO parquet, same file
#   2. scan: sum(ra) over a large catalog, warm page cache, vs DuckDB on the same files
#   3. peak memory (max RSS) of a large import against its memory budget
# usage: bash bench/foundation.sh [IMPORT_ROWS] [SCAN_ROWS]     (defaults 10M and 100M)
set -euo pipefail
cd "$(dirname "$0")/.."
IMPORT_ROWS=${1:-10000000}
SCAN_ROWS=${2:-100000000}
W=${BENCH_DIR:-out/bench}
AL=build/src/cli/astrolake
DUCK="node bench/duckdb_query.mjs"
mkdir -p "$W"
secs() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['seconds'])" "$1"; }
now() { date +%s.%N; }

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(lscpu | sed -n 's/Model name: *//p')"

# 1. Import CSV -> HATS
if [ ! -f "$W/gaia_$IMPORT_ROWS.csv" ]; then
  $AL generate gaia --rows "$IMPORT_ROWS" --seed 7 -o "$W/gaia_$IMPORT_ROWS.parquet"
  $DUCK "COPY (SELECT * FROM '$W/gaia_$IMPORT_ROWS.parquet') TO '$W/gaia_$IMPORT_ROWS.csv' (HEADER)" 1 >/dev/null
fi
cat "$W/gaia_$IMPORT_ROWS.csv" >/dev/null  # warm the page cache for both
rm -rf "$W/imp_hats"
t0=$(now); $AL import "$W/gaia_$IMPORT_ROWS.csv" --ra ra --dec dec --name gaia -o "$W/imp_hats" >/dev/null; t1=$(now)
al_imp=$(python3 -c "print($t1-$t0)")
duck=$($DUCK "COPY (SELECT * FROM read_csv('$W/gaia_$IMPORT_ROWS.csv')) TO '$W/duck_copy.parquet' (FORMAT parquet)" 1)
duck_imp=$(secs "$duck")
python3 - "$IMPORT_ROWS" "$al_imp" "$duck_imp" <<'PY'
import sys
n, a, d = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"import  {n} rows CSV: astrolake CSV->HATS {a:.2f} s ({n/a/1e6:.2f} M rows/s), "
      f"DuckDB CSV->Parquet {d:.2f} s ({n/d/1e6:.2f} M rows/s), time ratio astrolake/DuckDB = {a/d:.2f}")
PY

# 2. Scan sum(ra) over a SCAN_ROWS catalog, warm cache
if [ ! -f "$W/scan_hats/hats.properties" ]; then
  $AL generate gaia --rows "$SCAN_ROWS" --seed 11 -o "$W/gaia_$SCAN_ROWS.parquet"
  rm -rf "$W/scan_hats"
  /usr/bin/time -v -o "$W/import_time.txt" $AL import "$W/gaia_$SCAN_ROWS.parquet" --ra ra --dec dec --name scan \
    -o "$W/scan_hats" --memory-budget 2GiB >/dev/null
  rm -f "$W/gaia_$SCAN_ROWS.parquet"
fi
build/bench/scan_sum "$W/scan_hats/dataset" ra >/dev/null   # warm
al=$(build/bench/scan_sum "$W/scan_hats/dataset" ra)
duck=$($DUCK "SELECT sum(ra) AS s, count(*) AS n FROM read_parquet('$W/scan_hats/dataset/Norder=*/Dir=*/Npix=*.parquet')" 3)
bw=$(build/bench/membw)
python3 - "$al" "$duck" "$bw" <<'PY'
import json, sys
a, d, bw = (json.loads(x) for x in sys.argv[1:4])
ds = float(d["result"][0][0])
print(f"scan    sum(ra) over {a['rows']} rows in {a['files']} files: astrolake {a['seconds']:.3f} s "
      f"({a['gb_per_s']:.2f} GB/s of ra values; machine memory read bandwidth {bw['gb_per_s']:.2f} GB/s), "
      f"DuckDB {d['seconds']:.3f} s, time ratio astrolake/DuckDB = {a['seconds']/d['seconds']:.2f}; "
      f"sums agree to {abs(a['sum']-ds)/abs(ds):.1e}")
PY

# 3. Peak memory of the big import
if [ -f "$W/import_time.txt" ]; then
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$W/import_time.txt")
  el=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$W/import_time.txt")
  echo "memory  import of $SCAN_ROWS rows with --memory-budget 2GiB: peak RSS $((rss/1024)) MiB, wall $el"
fi
