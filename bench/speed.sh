#!/usr/bin/env bash
# The speed goals, one command per workload: astrolake and DuckDB alternate ROUNDS times on the
# same files, the best time of each is kept and the ratio astrolake/DuckDB printed (below 1:
# astrolake is faster). Data is generated and imported once under $DATA and reused.
#
# usage: bash bench/speed.sh ROW
#   ROW: filter-agg   SELECT count(*), avg(phot_g_mean_mag) WHERE parallax > 1
#        sum-ra       SELECT sum(ra), full scan; also decoded GB/s (8 bytes per value)
#        group-low    GROUP BY floor(phot_g_mean_mag) (about 15 groups), count and avg
#        group-pixel  GROUP BY the order-8 HEALPix pixel (_healpix_29 / 4^21), count
#        xmatch       cross-match 1", nearest, ids only; input rows/s/core
#        xmatch-all   the same with every column of both sides; ratio to the ids-only time
#        csv-import   CSV -> HATS (astrolake import) vs CSV -> Parquet (DuckDB COPY)
#        parquet-import  Parquet -> HATS vs DuckDB's Parquet -> Parquet copy sorted by _healpix_29
# env: ROWS (default 5000000; the goals are stated at 20M rows for scans and imports, 10M x 10M
#      for the cross-match), ROUNDS (3), THREADS (2), BUILD (build), DATA (out/speed-bench),
#      PEERS (empty; "lsdb" adds one LSDB crossmatch to the xmatch rows, "hats-import" one
#      hats-import run to csv-import, both from .venv). astropy, STILTS and PostgreSQL+Q3C on
#      the same cross-match: bench/engine.sh.
# Queries run through the CLI (process start and catalog open included) and, for filter-agg
# and sum-ra, also in-process (engine_bench / scan_sum), which is what DuckDB's time measures.
set -euo pipefail
cd "$(dirname "$0")/.."
ROW=${1:?usage: bash bench/speed.sh ROW (see the header)}
ROWS=${ROWS:-5000000} ROUNDS=${ROUNDS:-3} THREADS=${THREADS:-2} B=${BUILD:-build}
DATA=${DATA:-out/speed-bench}
AL=$B/src/cli/astrolake
mkdir -p "$DATA"
echo "== $ROW, $ROWS rows, $(date -u +%FT%TZ), $(nproc) cores ($(lscpu | sed -n 's/Model name: *//p')), load $(cut -d' ' -f1-3 /proc/loadavg)"

now() { date +%s.%N; }
# Wall seconds of a command (its output discarded).
wall() { local t0; t0=$(now); "$@" > /dev/null; python3 -c "print($(now) - $t0)"; }
duck() { node bench/duckdb_query.mjs "$1" 1 "$THREADS" | python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])"; }
best() { sort -g | head -1; }
# ratio JSON SECONDS: the "seconds" of a peer's JSON line divided by SECONDS
ratio() { python3 -c "import json,sys; print(f'{json.loads(sys.argv[1])[\"seconds\"] / float(sys.argv[2]):.1f}')" "$1" "$2"; }
report() {  # label astrolake-times-file duckdb-times-file
  local a d
  a=$(best < "$2") d=$(best < "$3")
  echo "$1: astrolake best $a s, DuckDB best $d s, astrolake/DuckDB $(python3 -c "print(f'{$a/$d:.2f}')")"
}

G=$DATA/gaia_$ROWS
prepare_scan() {
  [ -f "$G.parquet" ] || $AL generate gaia --rows "$ROWS" --seed 11 -o "$G.parquet" > /dev/null
  [ -d "$G.hats" ] || $AL import "$G.parquet" --ra ra --dec dec -q -o "$G.hats"
}
FILES="read_parquet('$G.hats/dataset/Norder=*/Dir=*/Npix=*.parquet')"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

query_row() {  # adql duckdb-sql [in-process command...]
  local adql=$1 sql=$2
  shift 2
  for _ in $(seq "$ROUNDS"); do
    wall $AL query --root . -q --threads "$THREADS" -o - --format csv "$adql" >> "$T/cli"
    if [ $# -gt 0 ]; then "$@" | python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])" >> "$T/inproc"; fi
    duck "$sql" >> "$T/duck"
  done
  report "CLI (process start included)" "$T/cli" "$T/duck"
  if [ $# -gt 0 ]; then report "in-process" "$T/inproc" "$T/duck"; fi
}

case $ROW in
  filter-agg)
    prepare_scan
    query_row "SELECT COUNT(*), AVG(phot_g_mean_mag) FROM \"$G.hats\" WHERE parallax > 1" \
      "SELECT count(*), avg(phot_g_mean_mag) FROM $FILES WHERE parallax > 1" \
      "$B/bench/engine_bench" scan "$G.hats" "$THREADS" fused 1
    ;;
  sum-ra)
    prepare_scan
    query_row "SELECT SUM(ra) FROM \"$G.hats\"" "SELECT sum(ra) FROM $FILES" \
      "$B/bench/scan_sum" "$G.hats/dataset" ra "$THREADS"
    python3 -c "print(f'decoded: {$ROWS * 8 / 1e9 / $(best < "$T/inproc"):.2f} GB/s (ra, 8 bytes a row, in-process best)')"
    ;;
  group-low)
    prepare_scan
    query_row "SELECT FLOOR(phot_g_mean_mag) AS m, COUNT(*) AS n, AVG(parallax) AS p FROM \"$G.hats\" GROUP BY FLOOR(phot_g_mean_mag)" \
      "SELECT floor(phot_g_mean_mag) AS m, count(*) AS n, avg(parallax) AS p FROM $FILES GROUP BY 1"
    ;;
  group-pixel)
    prepare_scan
    query_row "SELECT \"_healpix_29\" / 4398046511104 AS pix, COUNT(*) AS n FROM \"$G.hats\" GROUP BY \"_healpix_29\" / 4398046511104" \
      "SELECT _healpix_29 // 4398046511104 AS pix, count(*) AS n FROM $FILES GROUP BY 1"
    ;;
  xmatch|xmatch-all)
    X=$DATA/xm_$ROWS
    if [ ! -d "$X.b.hats" ]; then
      $AL generate gaia --rows "$ROWS" --seed 101 -o "$X.a.parquet" > /dev/null
      $AL generate gaia --rows "$ROWS" --seed 202 --overlap-of 101 -o "$X.b.parquet" > /dev/null
      $AL import "$X.a.parquet" --ra ra --dec dec -q -o "$X.a.hats"
      $AL import "$X.b.parquet" --ra ra --dec dec --margin-arcsec 2 -q -o "$X.b.hats"
    fi
    ids=(--left-columns source_id --right-columns source_id)
    for _ in $(seq "$ROUNDS"); do
      wall $AL xmatch "$X.a.hats" "$X.b.hats" --radius-arcsec 1 --k 1 --threads "$THREADS" "${ids[@]}" -o "$T/ids.parquet" --overwrite >> "$T/ids"
      if [ "$ROW" = xmatch-all ]; then
        wall $AL xmatch "$X.a.hats" "$X.b.hats" --radius-arcsec 1 --k 1 --threads "$THREADS" -o "$T/all.parquet" --overwrite >> "$T/all"
      fi
    done
    i=$(best < "$T/ids")
    echo "ids only: best $i s, $(python3 -c "print(f'{2 * $ROWS / $i / $THREADS / 1e6:.2f}')") M input rows/s/core (goal 10)"
    if [ "$ROW" = xmatch-all ]; then
      a=$(best < "$T/all")
      echo "all columns: best $a s, all/ids $(python3 -c "print(f'{$a / $i:.2f}')") (goal <= 1.5)"
    fi
    if [[ ",${PEERS:-}," == *,lsdb,* ]]; then
      l=$(.venv/bin/python bench/lsdb_xmatch.py "$X.a.hats" "$X.b.hats" 1 2>/dev/null)
      echo "LSDB crossmatch (ids and positions to pandas, open included): $l; LSDB/astrolake ids-only $(ratio "$l" "$i")x"
    fi
    ;;
  csv-import|parquet-import)
    prepare_scan
    if [ "$ROW" = csv-import ]; then
      IN=$G.csv
      [ -f "$IN" ] || node bench/duckdb_query.mjs "COPY (SELECT * FROM read_parquet('$G.parquet')) TO '$IN' (HEADER)" 1 > /dev/null
      sql="COPY (SELECT * FROM read_csv('$IN')) TO '$T/duck.parquet' (FORMAT parquet)"
    else
      IN=$G.parquet
      sql="COPY (SELECT * FROM read_parquet('$IN') ORDER BY _healpix_29) TO '$T/duck.parquet' (FORMAT parquet)"
      # a file without _healpix_29 (the generated one): sort the copy by position instead
      has=$(node bench/duckdb_query.mjs "SELECT count(*) FROM parquet_schema('$IN') WHERE name = '_healpix_29'" 1 |
            python3 -c "import json,sys; print(json.load(sys.stdin)['result'][0][0])")
      [ "$has" != 0 ] || sql="COPY (SELECT * FROM read_parquet('$IN') ORDER BY ra, dec) TO '$T/duck.parquet' (FORMAT parquet)"
    fi
    for _ in $(seq "$ROUNDS"); do
      rm -rf "$T/imp.hats"
      wall $AL import "$IN" --ra ra --dec dec -q -o "$T/imp.hats" >> "$T/al"
      duck "$sql" >> "$T/duck"
    done
    report "$ROW" "$T/al" "$T/duck"
    if [ "$ROW" = csv-import ] && [[ ",${PEERS:-}," == *,hats-import,* ]]; then
      h=$(.venv/bin/python bench/hats_import_csv.py "$IN" "$T/hi/cat" "$THREADS" 2>/dev/null)
      echo "hats-import (Dask, $THREADS worker processes): $h; hats-import/astrolake $(ratio "$h" "$(best < "$T/al")")x"
    fi
    ;;
  *) echo "unknown row '$ROW'" >&2; exit 2 ;;
esac
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
