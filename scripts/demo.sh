#!/usr/bin/env bash
# The main job on the embedded default (local files, in-process threads): set up, build,
# generate a ZTF-like survey and an overlapping Gaia-like one, import both as HATS catalogs,
# then look at them: info, first rows, a cone search, a cross-match and a sky map.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh astrolake
AL="$PWD/build/src/cli/astrolake"
OUT=${ASTROLAKE_DEMO_DIR:-out/demo}
ROWS=${ASTROLAKE_DEMO_ROWS:-100000}
export ASTROLAKE_ROOT="$OUT/catalogs"
mkdir -p "$OUT" "$ASTROLAKE_ROOT"
step() { echo; echo "== $*"; }

step "generating a ZTF-like survey: $ROWS objects with g/r/i light curves, a few injected dimming events"
$AL generate ztf --rows "$ROWS" --seed 42 -o "$OUT/ztf.parquet"
step "generating an overlapping Gaia-like survey"
$AL generate gaia --rows $((ROWS * 2)) --seed 42 --match-ztf-rows "$ROWS" -o "$OUT/gaia.parquet"

step "importing both as HATS catalogs (adaptive partitions, 10 arcsec margins)"
$AL import "$OUT/ztf.parquet" --ra ra --dec dec --name ztf -o "$ASTROLAKE_ROOT/ztf" --max-rows 20000 \
  --margin-arcsec 10 --overwrite
$AL import "$OUT/gaia.parquet" --ra ra --dec dec --name gaia -o "$ASTROLAKE_ROOT/gaia" --max-rows 40000 \
  --margin-arcsec 10 --overwrite

step "astrolake info ztf"
$AL info ztf
step "astrolake head ztf"
$AL head ztf -n 5 --columns object_id,ra,dec,mean_mag_r,n_obs,mag

step "cone search: 1 degree around (RA 280, Dec 0), near the galactic plane"
$AL cone ztf --ra 280 --dec 0 --radius-arcsec 3600 --columns object_id,ra,dec,mean_mag_r \
  -o "$OUT/cone.csv" --overwrite
echo "$(($(wc -l < "$OUT/cone.csv") - 1)) rows -> $OUT/cone.csv"

step "cross-match ZTF x Gaia within 1 arcsec (nearest)"
$AL xmatch ztf gaia --radius-arcsec 1 --left-columns object_id,ra,dec,mean_mag_r \
  --right-columns source_id,phot_g_mean_mag,parallax,ztf_object_id -o "$OUT/ztf_x_gaia.parquet" --overwrite
$AL head "$OUT/ztf_x_gaia.parquet" -n 5 2>/dev/null || true

step "sky map of ZTF object counts at order 6"
$AL skymap ztf --order 6 -o "$OUT/ztf_counts.fits" --png "$OUT/ztf_counts.png" --overwrite

echo
echo "Done. Look in $OUT/:"
echo "  ztf.parquet, gaia.parquet      generated surveys (ZTF light curves as list columns)"
echo "  catalogs/ztf, catalogs/gaia    HATS collections (catalog + 10 arcsec margin; hats.properties,"
echo "                                 partition_info.csv, skymap.fits, dataset/Norder=*/Dir=*/Npix=*.parquet)"
echo "  cone.csv                       cone search result"
echo "  ztf_x_gaia.parquet             cross-match (columns suffixed _ztf/_gaia, plus _dist_arcsec)"
echo "  ztf_counts.fits / .png         HEALPix count map (nested, healpy-readable) and its Mollweide image"
