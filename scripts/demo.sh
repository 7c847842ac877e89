#!/usr/bin/env bash
# The main job on the embedded default (local files, in-process threads):
# set up, build, generate a sample survey, import it as a HATS catalog, and look at it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
AL=build/src/cli/astrolake
OUT=${ASTROLAKE_DEMO_DIR:-out/demo}
ROWS=${ASTROLAKE_DEMO_ROWS:-200000}
export ASTROLAKE_ROOT="$OUT/catalogs"
mkdir -p "$OUT"
echo "== generating a ZTF-like survey ($ROWS objects with light curves)"
$AL generate ztf --rows "$ROWS" --seed 42 -o "$OUT/ztf.parquet"
echo "== importing it as a HATS catalog"
rm -rf "$ASTROLAKE_ROOT/ztf"
$AL import "$OUT/ztf.parquet" --ra ra --dec dec --name ztf -o "$ASTROLAKE_ROOT/ztf" --max-rows 50000 --margin-arcsec 10
echo "== catalog info"
$AL info ztf
echo "== first rows"
$AL head ztf -n 5 --columns object_id,ra,dec,mean_mag_r,n_obs,mag
echo
echo "Done. Look in $OUT/: ztf.parquet (generated survey), catalogs/ztf/ (HATS catalog:"
echo "hats.properties, partition_info.csv, skymap.fits, dataset/Norder=*/...)."
