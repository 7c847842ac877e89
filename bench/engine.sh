#!/usr/bin/env bash
# Engine benchmarks: astrolake and its peers side by side in one run, printing ratios.
#   1. xmatch   1", nearest, two overlapping Gaia-like catalogs, HATS -> match -> Parquet, vs
#               astropy match_to_catalog_sky, STILTS tmatch2, PostgreSQL+Q3C q3c_join (LATERAL);
#               peak RSS of the astrolake xmatch at XM_ROWS and XM_BIG_ROWS
#   2. cone     10" cones, p50/p99 over CONES random centres, in-process and warm, vs Q3C
#               q3c_radial_query (timed inside the server with clock_timestamp, rows discarded)
#   3. scan     count(*), avg(phot_g_mean_mag) WHERE parallax > 1 vs DuckDB on the same files
#   4. skymap   count map at order 8 vs healpy ang2pix(nest) + bincount on preloaded arrays
# Sizes are environment variables (defaults: the full run). A quick run:
#   XM_ROWS=1000000 XM_BIG_ROWS=0 BIG_ROWS=1000000 bash bench/engine.sh
# Variables: XM_ROWS (10M), XM_PEER_ROWS (= XM_ROWS; the size peers and astrolake are compared
# at), XM_BIG_ROWS (50M; 0 skips), BIG_ROWS (100M, cone/scan/skymap), PG_CONE_ROWS (= BIG_ROWS;
# rows loaded into PostgreSQL for the cone comparison, a prefix of the big catalog), CONES (1000),
# THREADS (nproc), PEERS (astropy,stilts,q3c,duckdb,healpy), BUILD (build), BENCH_DIR
# (out/bench-engine; data is kept there and reused by later runs).
set -euo pipefail
cd "$(dirname "$0")/.."
XM_ROWS=${XM_ROWS:-10000000}
XM_PEER_ROWS=${XM_PEER_ROWS:-$XM_ROWS}
XM_BIG_ROWS=${XM_BIG_ROWS:-50000000}
BIG_ROWS=${BIG_ROWS:-100000000}
PG_CONE_ROWS=${PG_CONE_ROWS:-$BIG_ROWS}
CONES=${CONES:-1000}
THREADS=${THREADS:-$(nproc)}
PEERS=${PEERS:-astropy,stilts,q3c,duckdb,healpy}
BUILD=${BUILD:-build}
W=${BENCH_DIR:-out/bench-engine}
AL=$BUILD/src/cli/astrolake
EB=$BUILD/bench/engine_bench
PY=/usr/bin/python3
DUCK="node bench/duckdb_query.mjs"
mkdir -p "$W"
W=$(cd "$W" && pwd)
peer() { [[ ",$PEERS," == *",$1,"* ]]; }
now() { date +%s.%N; }
js() { $PY -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
calc() { $PY -c "print($1)"; }
log() { echo "   .. $*" >&2; }

echo "== $(date -u +%Y-%m-%dT%H:%MZ) machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB," \
  "$(lscpu | sed -n 's/Model name: *//p'); load average $(cut -d' ' -f1-3 /proc/loadavg); threads $THREADS"

# gaia NAME ROWS SEED MARGIN_ARCSEC [generate args...]: a Gaia-like Parquet file and its HATS
# import (a collection with a margin when MARGIN_ARCSEC > 0). Kept in $W and reused.
gaia() {
  local name=$1 rows=$2 seed=$3 margin=$4
  shift 4
  if [ ! -f "$W/$name.parquet" ]; then
    log "generate $name ($rows rows)"
    $AL generate gaia --rows "$rows" --seed "$seed" "$@" -q -o "$W/$name.parquet"
  fi
  if [ ! -d "$W/$name.hats" ]; then
    log "import $name"
    $AL import "$W/$name.parquet" --ra ra --dec dec --name "$name" --margin-arcsec "$margin" --memory-budget 4GiB -q \
      -o "$W/$name.hats"
  fi
}
# export NAME COLS: raw columns for numpy / FITS / CSV peers (not timed).
export_cols() {
  local name=$1 cols=$2 c
  for c in ${cols//,/ }; do [ -f "$W/$name.$c.f64" ] || [ -f "$W/$name.$c.i64" ] || {
    log "export $name $cols"; $EB export "$W/$name.parquet" "$W/$name" "$cols" >/dev/null; break; }; done
}
csv_for_pg() {  # NAME COLS -> $W/NAME.csv via DuckDB
  [ -f "$W/$1.csv" ] || { log "csv $1"; $DUCK "COPY (SELECT $2 FROM '$W/$1.parquet') TO '$W/$1.csv' (HEADER false)" 1 >/dev/null; }
}
# rss_run OUTFILE CMD...: runs CMD under /usr/bin/time -v; prints "wall_s rss_mib cpu_s"
rss_run() {
  local f=$1
  shift
  /usr/bin/time -v -o "$f" "$@" >/dev/null
  local rss el
  local us sy
  us=$(sed -n 's/.*User time (seconds): //p' "$f")
  sy=$(sed -n 's/.*System time (seconds): //p' "$f")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$f")
  el=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$f")
  $PY -c "
p=[float(x) for x in '$el'.split(':')]
s=p[-1]+60*p[-2]+(3600*p[-3] if len(p)>2 else 0)
print(s, $rss//1024, $us+$sy)"
}
al_xmatch() {  # N -> "wall_s rss_mib cpu_s" (best of 2 runs; warm)
  local n=$1 best="" r
  for _ in 1 2; do
    r=$(rss_run "$W/time_xm_$n.txt" $AL xmatch "$W/xa_$n.hats" "$W/xb_$n.hats" --radius-arcsec 1 --k 1 \
      --left-columns source_id,ra,dec --right-columns source_id,ra,dec --threads "$THREADS" -q --overwrite \
      -o "$W/xm_$n.parquet")
    if [ -z "$best" ] || $PY -c "import sys; sys.exit(0 if ${r%% *} < ${best%% *} else 1)"; then best=$r; fi
  done
  echo "$best"
}

# --- PostgreSQL + Q3C: a private cluster in a temp dir, unix socket only -----------------------
PGBIN=/usr/lib/postgresql/15/bin
PGD=""
pg_start() {
  [ -n "$PGD" ] && return
  PGD=$(mktemp -d /tmp/al-bench-pg.XXXXXX)
  chown postgres "$PGD"
  runuser -u postgres -- $PGBIN/initdb -D "$PGD/data" -A trust -U postgres >/dev/null
  runuser -u postgres -- $PGBIN/pg_ctl -D "$PGD/data" -l "$PGD/log" -w start -o "-k $PGD -p 54329 \
    -c listen_addresses='' -c shared_buffers=2GB -c work_mem=256MB -c maintenance_work_mem=2GB \
    -c max_parallel_workers_per_gather=$THREADS -c max_parallel_maintenance_workers=$THREADS \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off -c jit=off" >/dev/null
  trap pg_stop EXIT
  pg -c "CREATE EXTENSION q3c" >/dev/null
}
pg_stop() {
  [ -z "$PGD" ] && return
  runuser -u postgres -- $PGBIN/pg_ctl -D "$PGD/data" -m fast -w stop >/dev/null || true
  rm -rf "$PGD"
  PGD=""
}
pg() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$PGD" -p 54329 -U postgres "$@"; }
# pg_load TABLE NAME COLUMNS_DDL: COPY, q3c index, CLUSTER, ANALYZE (not timed; load time printed)
pg_load() {
  local t0 t1
  t0=$(now)
  pg -c "DROP TABLE IF EXISTS $1; CREATE TABLE $1 ($3)"
  pg -c "COPY $1 FROM STDIN (FORMAT csv)" <"$W/$2.csv"
  pg -c "CREATE INDEX ON $1 (q3c_ang2ipix(ra, dec)); CLUSTER $1 USING ${1}_q3c_ang2ipix_idx; ANALYZE $1"
  t1=$(now)
  log "postgres: loaded and indexed $1 in $(calc "round($t1-$t0,1)") s"
}

# === 1. Cross-match ==============================================================================
echo "== 1. xmatch 1\" nearest (k=1), inner; input rows = left + right; $THREADS threads"
xm_pair() {  # N: two overlapping catalogs of N rows (same ZTF truth, independent 0.1" offsets)
  gaia "xa_$1" "$1" 101 0
  gaia "xb_$1" "$1" 202 2 --overlap-of 101  # a 2" margin, so the 1" match reads it
}
declare -A XS XR XC
for n in $(printf '%s\n' "$XM_PEER_ROWS" "$XM_ROWS" "$XM_BIG_ROWS" | awk '$1>0' | sort -un); do
  xm_pair "$n"
  read -r s rss cpu <<<"$(al_xmatch "$n")"
  XS[$n]=$s
  XR[$n]=$rss
  XC[$n]=$cpu
  pairs=$(node bench/duckdb_query.mjs "SELECT count(*) AS n FROM '$W/xm_$n.parquet'" 1 | $PY -c "import json,sys; print(json.load(sys.stdin)['result'][0][0])")
  echo "astrolake xmatch $n x $n rows: $(calc "round(${XS[$n]},2)") s end to end (read HATS, match, write Parquet)," \
    "$(calc "round(2*$n/${XS[$n]}/$THREADS/1e6,2)") M input rows/s/core;" \
    "CPU (user+sys) $(calc "round(${XC[$n]},2)") s = $(calc "round(2*$n/${XC[$n]}/1e6,2)") M input rows per CPU-second;" \
    "$pairs pairs, peak RSS ${XR[$n]} MiB"
done
n=$XM_PEER_ROWS
al=${XS[$n]}
AL_PAIRS=$(node bench/duckdb_query.mjs "SELECT count(*) AS n FROM '$W/xm_$n.parquet'" 1 | $PY -c "import json,sys; print(json.load(sys.stdin)['result'][0][0])")
if peer astropy; then
  export_cols "xa_$n" source_id,ra,dec
  export_cols "xb_$n" source_id,ra,dec
  r=$($PY bench/astropy_xmatch.py "$W/xa_$n" "$W/xb_$n" 1)
  s=$(js "$r" seconds)
  echo "astropy  match_to_catalog_sky $n x $n (match only, arrays preloaded): $(calc "round($s,2)") s," \
    "$(js "$r" pairs) pairs; astropy/astrolake time = $(calc "round($s/$al,1)")x"
fi
if peer stilts; then
  export_cols "xa_$n" source_id,ra,dec
  export_cols "xb_$n" source_id,ra,dec
  for s in a b; do [ -f "$W/x${s}_$n.fits" ] || $PY bench/fits_export.py "$W/x${s}_$n" "$W/x${s}_$n.fits"; done
  cat "$W/xa_$n.fits" "$W/xb_$n.fits" >/dev/null
  t0=$(now)
  stilts tmatch2 in1="$W/xa_$n.fits" in2="$W/xb_$n.fits" matcher=sky values1='ra dec' values2='ra dec' params=1 \
    find=best1 join=1and2 out="$W/stilts_$n.fits" 2>"$W/stilts.err"
  t1=$(now)
  s=$(calc "$t1-$t0")
  sp=$($PY -c "from astropy.io import fits; print(fits.getheader('$W/stilts_$n.fits', 1)['NAXIS2'])")
  echo "stilts   tmatch2 find=best1 $n x $n (FITS in, FITS out, JVM start included): $(calc "round($s,2)") s," \
    "$sp pairs; stilts/astrolake time = $(calc "round($s/$al,1)")x"
fi
if peer q3c; then
  pg_start
  for s in a b; do
    csv_for_pg "x${s}_$n" "source_id, ra, dec"
    pg_load "x$s" "x${s}_$n" "source_id bigint, ra float8, dec float8"
  done
  t0=$(now)
  pg -c "DROP TABLE IF EXISTS xm; CREATE TABLE xm AS
    SELECT a.source_id AS id_a, a.ra AS ra_a, a.dec AS dec_a, b.source_id AS id_b, b.ra AS ra_b, b.dec AS dec_b,
           q3c_dist(a.ra, a.dec, b.ra, b.dec) * 3600 AS dist_arcsec
    FROM xa AS a CROSS JOIN LATERAL (
      SELECT * FROM xb WHERE q3c_join(a.ra, a.dec, xb.ra, xb.dec, 1 / 3600.0)
      ORDER BY q3c_dist(a.ra, a.dec, xb.ra, xb.dec) LIMIT 1) AS b"
  t1=$(now)
  s=$(calc "$t1-$t0")
  qp=$(pg -At -c "SELECT count(*) FROM xm")
  echo "q3c      q3c_join LATERAL nearest $n x $n (CREATE TABLE AS, indexed+clustered): $(calc "round($s,2)") s," \
    "$qp pairs; q3c/astrolake time = $(calc "round($s/$al,1)")x"
  pg -c "DROP TABLE xa; DROP TABLE xb; DROP TABLE xm"
fi
echo "         (astrolake at $n x $n: $(calc "round($al,2)") s, $AL_PAIRS pairs)"

# === 2-4 need the big catalog ===================================================================
gaia "big_$BIG_ROWS" "$BIG_ROWS" 11 0
BIG=$W/big_$BIG_ROWS.hats

# === 2. Cone search ==============================================================================
echo "== 2. cone 10\", $CONES random centres (uniform on the sphere), every column, warm, in-process"
r=$($EB cone "$BIG" "$CONES" 10 5 "$W/centres.csv" "$THREADS")
echo "astrolake cone over $BIG_ROWS rows: p50 $(js "$r" p50_ms) ms, p99 $(js "$r" p99_ms) ms, mean $(js "$r" mean_ms) ms," \
  "$(js "$r" rows) rows in all"
if peer q3c; then
  m=$PG_CONE_ROWS
  if [ "$m" != "$BIG_ROWS" ]; then
    gaia "big_$m" "$m" 11 0  # the first m rows of the big catalog
    r=$($EB cone "$W/big_$m.hats" "$CONES" 10 5 "$W/centres.csv" "$THREADS")
    echo "astrolake cone over $m rows: p50 $(js "$r" p50_ms) ms, p99 $(js "$r" p99_ms) ms, mean $(js "$r" mean_ms) ms," \
      "$(js "$r" rows) rows in all"
  fi
  pg_start
  csv_for_pg "big_$m" "*"
  pg_load cone "big_$m" "source_id bigint, ra float8, dec float8, parallax float8, pmra float8, pmdec float8,
    phot_g_mean_mag float8, ztf_object_id bigint"
  pg -c "CREATE TABLE centres (i serial, ra float8, dec float8); CREATE TABLE lat (ms float8, n bigint)"
  pg -c "COPY centres (ra, dec) FROM STDIN (FORMAT csv)" <"$W/centres.csv"
  pg -c "DO \$\$ DECLARE c record; t0 timestamptz; k bigint; BEGIN
    FOR pass IN 1..2 LOOP
      DELETE FROM lat;
      FOR c IN SELECT * FROM centres ORDER BY i LOOP
        t0 := clock_timestamp();
        PERFORM * FROM cone WHERE q3c_radial_query(ra, dec, c.ra, c.dec, 10 / 3600.0);
        GET DIAGNOSTICS k = ROW_COUNT;
        INSERT INTO lat VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000, k);
      END LOOP;
    END LOOP; END \$\$"
  q=$(pg -At -F' ' -c "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ms), percentile_disc(0.99) WITHIN GROUP (ORDER BY ms),
    avg(ms), sum(n) FROM lat")
  read -r q50 q99 qavg qn <<<"$q"
  echo "q3c      q3c_radial_query over $m rows (PL/pgSQL loop, rows discarded): p50 $(calc "round($q50,4)") ms," \
    "p99 $(calc "round($q99,4)") ms, mean $(calc "round($qavg,4)") ms, $qn rows in all"
  pg_stop
fi

# === 3. Scan with filter and aggregate ==========================================================
echo "== 3. scan: SELECT count(*), avg(phot_g_mean_mag) WHERE parallax > 1 over $BIG_ROWS rows, warm, $THREADS threads"
$EB scan "$BIG" "$THREADS" >/dev/null  # warm
r=$($EB scan "$BIG" "$THREADS")
s=$(js "$r" seconds)
echo "astrolake ParallelAggregate: $(calc "round($s,3)") s ($(calc "round($BIG_ROWS/$s/1e6,1)") M rows/s)," \
  "count $(js "$r" count), avg $(js "$r" avg)"
if peer duckdb; then
  d=$($DUCK "SELECT count(*) AS n, avg(phot_g_mean_mag) AS g FROM read_parquet('$BIG/dataset/Norder=*/Dir=*/Npix=*.parquet')
    WHERE parallax > 1" 3 "$THREADS")
  ds=$(js "$d" seconds)
  echo "duckdb   same files: $(calc "round($ds,3)") s, result $(js "$d" result); astrolake/duckdb time = $(calc "round($s/$ds,2)")"
fi

# === 4. Sky map ================================================================================
echo "== 4. skymap: count per order-8 nested pixel over $BIG_ROWS rows, warm"
r=$($EB skymap "$BIG" 8 "$THREADS")
s=$(js "$r" seconds)
echo "astrolake compute_skymap (reads ra, dec from HATS): $(calc "round($s,3)") s, $(js "$r" nonempty) pixels non-empty," \
  "max $(js "$r" max_count)"
if peer healpy; then
  export_cols "big_$BIG_ROWS" ra,dec
  h=$($PY bench/healpy_skymap.py "$W/big_$BIG_ROWS" 8)
  hs=$(js "$h" seconds)
  echo "healpy   ang2pix(nest) + bincount, arrays preloaded, 1 thread: $(calc "round($hs,3)") s, $(js "$h" nonempty)" \
    "pixels non-empty, max $(js "$h" max_count); healpy/astrolake time = $(calc "round($hs/$s,1)")x"
fi
echo "== done $(date -u +%H:%MZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"
