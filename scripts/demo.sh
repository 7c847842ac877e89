#!/usr/bin/env bash
# The main job on the embedded default (local files, in-process threads): set up, build,
# generate a ZTF-like survey and an overlapping Gaia-like one, import both as HATS catalogs,
# then look at them: info, first rows, a cone search, a cross-match, a sky map, an ADQL query
# and the dimming-star (dip) search over the light curves.
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

step "sky map of ZTF object counts at order 6"
$AL skymap ztf --order 6 -o "$OUT/ztf_counts.fits" --png "$OUT/ztf_counts.png" --overwrite

step "ADQL: Gaia magnitude histogram inside a 5 degree circle (planned as a cone search)"
$AL query "SELECT FLOOR(phot_g_mean_mag) AS gmag, COUNT(*) AS n, AVG(parallax) AS mean_parallax
           FROM gaia WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 280, 0, 5))
           GROUP BY FLOOR(phot_g_mean_mag) ORDER BY gmag" --format table

step "dimming-star search (Boyajian-star analogues): deepest dips found in the light curves"
$AL query "SELECT TOP 10 object_id, ra, dec,
                  dip_depth(mjd, mag, magerr, band) AS depth_mag,
                  dip_duration(mjd, mag, magerr, band) AS days,
                  dip_npoints(mjd, mag, magerr, band) AS points,
                  is_dipper AS injected
           FROM ztf WHERE 1 = is_dipper(mjd, mag, magerr, band)
           ORDER BY depth_mag DESC" --format table
$AL query "SELECT COUNT(*) AS candidates, SUM(CASE WHEN is_dipper THEN 1 ELSE 0 END) AS truly_injected
           FROM ztf WHERE 1 = is_dipper(mjd, mag, magerr, band)" -o "$OUT/dip_summary.csv" --overwrite
$AL query "SELECT object_id, ra, dec, dip_depth(mjd, mag, magerr, band) AS depth_mag,
                  dip_start(mjd, mag, magerr, band) AS start_mjd, dip_duration(mjd, mag, magerr, band) AS days
           FROM ztf WHERE 1 = is_dipper(mjd, mag, magerr, band)" -o "$OUT/dip_candidates.csv" --overwrite
echo "all candidates -> $OUT/dip_candidates.csv; against the injected truth:"; cat "$OUT/dip_summary.csv"

echo
echo "Done. Look in $OUT/:"
echo "  ztf.parquet, gaia.parquet      generated surveys (ZTF light curves as list columns)"
echo "  catalogs/ztf, catalogs/gaia    HATS collections (catalog + 10 arcsec margin; hats.properties,"
echo "                                 partition_info.csv, skymap.fits, dataset/Norder=*/Dir=*/Npix=*.parquet)"
echo "  cone.csv                       cone search result"
echo "  ztf_x_gaia.parquet             cross-match (columns suffixed _ztf/_gaia, plus _dist_arcsec)"
echo "  ztf_counts.fits / .png         HEALPix count map (nested, healpy-readable) and its Mollweide image"
echo "  dip_candidates.csv             dimming-event candidates (depth, start, duration) from the ADQL dip search"
