#!/bin/bash
# ADQL planner overhead: `astrolake query` with a CONTAINS/DISTANCE condition against the
# engine's direct `cone` / `xmatch` commands on the same catalogs, same outputs (.parquet).
# Runs the two alternately REPS times and prints the median wall time of each and the ratio.
# Usage: bench/adql.sh BUILD_DIR WORK_DIR [REPS]   (generates 2M + 1M Gaia-like rows once)
set -euo pipefail
B="$1/src/cli/astrolake"
W="$2"
REPS="${3:-5}"
mkdir -p "$W"
cd "$W"
if [ ! -d cats/gaia2 ]; then
  "$B" generate gaia --rows 2000000 --seed 1 -o gaia1.parquet -q
  "$B" generate gaia --rows 1000000 --seed 2 -o gaia2.parquet -q
  "$B" import gaia1.parquet -o cats/gaia --max-rows 100000 -q
  "$B" import gaia2.parquet -o cats/gaia2 --max-rows 100000 --margin-arcsec 10 -q
fi

secs() { local s e; s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

compare() {  # name, direct command, query command
  local name="$1" direct="$2" query="$3" d=() q=()
  for i in $(seq "$REPS"); do
    d+=("$(secs bash -c "$direct")")
    q+=("$(secs bash -c "$query")")
  done
  local dm qm
  dm=$(printf '%s\n' "${d[@]}" | median)
  qm=$(printf '%s\n' "${q[@]}" | median)
  printf '%-8s direct %.3f s  query %.3f s  ratio %.3f\n' "$name" "$dm" "$qm" "$(echo "$qm / $dm" | bc -l)"
}

compare cone \
  "$B cone gaia --root cats --ra 274 --dec -10 --radius-arcsec 36000 -o cone_d.parquet --overwrite -q" \
  "$B query \"SELECT * FROM gaia WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE(274, -10, 10))\" --root cats -o cone_q.parquet --overwrite -q"
compare xmatch \
  "$B xmatch gaia gaia2 --root cats --radius-arcsec 5 --k all -o x_d.parquet --overwrite -q" \
  "$B query \"SELECT a.*, b.* FROM gaia AS a JOIN gaia2 AS b ON DISTANCE(POINT(a.ra, a.dec), POINT(b.ra, b.dec)) <= 5 / 3600.0\" --root cats -o x_q.parquet --overwrite -q"
