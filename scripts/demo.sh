#!/usr/bin/env bash
# The main job on the embedded default (local files, SQLite, in-process threads): set up, build,
# generate a ZTF-like survey and an overlapping Gaia-like one, import both as HATS catalogs,
# then look at them: info, first rows, a cone search, a cross-match, a sky map, an ADQL query,
# the dimming-star (dip) search over the light curves, the same catalogs from Python, and the
# TAP service answering pyvo.
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

step "Python: the same catalogs as lazy astrolake catalogs (.venv), a cone then a cross-match"
.venv/bin/python - "$ASTROLAKE_ROOT" "$OUT/python_pairs.csv" <<'PY'
import sys
import astrolake as al
root, out = sys.argv[1], sys.argv[2]
ztf = al.open_catalog(f"{root}/ztf", columns=["object_id", "ra", "dec", "mean_mag_r"])
gaia = al.open_catalog(f"{root}/gaia", columns=["source_id", "ra", "dec", "phot_g_mean_mag", "parallax"])
pairs = ztf.cone_search(ra=280, dec=0, radius_arcsec=3 * 3600).crossmatch(gaia, radius_arcsec=1.0).compute()
print(f"{len(ztf)} ZTF objects in {ztf.npartitions} partitions; {len(pairs)} ZTF x Gaia pairs within 3 deg of (280, 0)")
print(pairs.head(5).to_string())
pairs.to_csv(out, index=False)
PY

step "TAP service: astrolake serve on 127.0.0.1, queried with pyvo (sync and async)"
mkdir -p "$OUT/state"
# A demo account (the state keeps it between runs): the Python client and the web page log in with it.
$AL user list --state "$OUT/state" | grep -qw demo || echo "demo-password" | $AL user add demo --state "$OUT/state"
$AL serve --root "$ASTROLAKE_ROOT" --state "$OUT/state" --port 0 2> "$OUT/serve.log" &
SERVE_PID=$!
trap 'kill $SERVE_PID 2>/dev/null || true' EXIT
TAP=""
for _ in $(seq 100); do
  TAP=$(grep -o 'http://[^"]*/tap' "$OUT/serve.log" | head -1 || true)
  [ -n "$TAP" ] && break
  sleep 0.1
done
[ -n "$TAP" ] || { echo "the service did not start; see $OUT/serve.log"; exit 1; }
.venv/bin/python - "$TAP" <<'PY'
import sys
import pyvo
tap = pyvo.dal.TAPService(sys.argv[1])
print("tables:", ", ".join(t.name for t in tap.tables if not t.name.startswith("TAP_SCHEMA")))
sync = tap.run_sync("SELECT TOP 5 source_id, ra, dec, phot_g_mean_mag FROM gaia "
                    "WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 280, 0, 0.5)) "
                    "ORDER BY phot_g_mean_mag")
print(sync.to_table())
job = tap.run_async("SELECT COUNT(*) AS n FROM ztf WHERE 1 = is_dipper(mjd, mag, magerr, band)")
print("async job: dimming candidates =", job.to_table()["n"][0])
PY

step "the platform: log in as 'demo' from Python, save a query result into personal storage and a personal table"
BASE=${TAP%/tap}
.venv/bin/python - "$BASE" <<'PY'
import sys
import astrolake as al
svc = al.Service(sys.argv[1])
svc.login("demo", password="demo-password")
print("logged in as", svc.whoami())
svc.query("SELECT TOP 100 source_id, ra, dec, phot_g_mean_mag FROM gaia ORDER BY phot_g_mean_mag",
          out="vos://results/brightest.csv")
print("personal storage:", [e["path"] for e in svc.ls("vos://results")])
if "bright" not in [t["name"] for t in svc.mydb_list()]:
    svc.query("SELECT TOP 1000 source_id, ra, dec, phot_g_mean_mag FROM gaia ORDER BY phot_g_mean_mag",
              out="mydb://bright")
n = svc.query("SELECT COUNT(*) AS n FROM mydb.bright AS b JOIN gaia AS g ON b.source_id = g.source_id")
print("mydb.bright joined with gaia:", int(n["n"][0]), "rows")
PY
if command -v chromium >/dev/null; then
  step "the web page: $BASE/ (a headless browser's picture of it -> $OUT/web.png)"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --window-size=1280,900 \
    --screenshot="$OUT/web.png" "$BASE/" >/dev/null 2>&1 || echo "(no screenshot: chromium failed)"
fi
kill -TERM $SERVE_PID; wait $SERVE_PID 2>/dev/null || true; trap - EXIT
echo "service log (JSON lines) -> $OUT/serve.log; users, jobs, files and tables in $OUT/state"

PLATFORM_MSG="  (not started: the platform runs each user's notebook server as a system account, so it needs root)"
if [ "$(id -u)" = 0 ] && [ "${ASTROLAKE_DEMO_PLATFORM:-1}" != 0 ]; then
  step "the platform: the service, JupyterHub and a Dask scheduler with 2 workers (astrolake-platform up)"
  PLATFORM=.venv/bin/astrolake-platform
  LIMITS=""
  .venv/bin/python -c "from astrolake.hub import cgroups; raise SystemExit(cgroups.available() is not None)" \
    || { LIMITS=--no-limits; echo "(no cgroup v1 memory/cpu/pids controllers here: servers run without limits)"; }
  $PLATFORM down --state "$OUT/platform" >/dev/null 2>&1 || true   # a previous demo's platform
  if $PLATFORM up --state "$OUT/platform" --root "$ASTROLAKE_ROOT" --port 0 --service-port 0 \
       --dask-workers 2 $LIMITS > "$OUT/platform-up.txt" 2>&1; then
    $AL user list --state "$OUT/platform/service" | grep -qw demo \
      || echo "demo-password" | $AL user add demo --state "$OUT/platform/service"
    grep -v "Admin login\|shown only now" "$OUT/platform-up.txt"
    HUB_URL=$(grep -o 'JupyterHub: *http://[^ ]*' "$OUT/platform-up.txt" | awk '{print $2}')
    PLATFORM_MSG="  open $HUB_URL in a browser, log in as demo / demo-password, pick a size and run notebooks/
  (the admin's password is in $OUT/platform/admin-password); stop it with:
  $PLATFORM down --state $OUT/platform"
  else
    cat "$OUT/platform-up.txt"
    PLATFORM_MSG="  (not started: see the message above, docs/hub.md)"
  fi
fi

echo
echo "Done. Look in $OUT/:"
echo "  ztf.parquet, gaia.parquet      generated surveys (ZTF light curves as list columns)"
echo "  catalogs/ztf, catalogs/gaia    HATS collections (catalog + 10 arcsec margin; hats.properties,"
echo "                                 partition_info.csv, skymap.fits, dataset/Norder=*/Dir=*/Npix=*.parquet)"
echo "  cone.csv                       cone search result"
echo "  ztf_x_gaia.parquet             cross-match (columns suffixed _ztf/_gaia, plus _dist_arcsec)"
echo "  ztf_counts.fits / .png         HEALPix count map (nested, healpy-readable) and its Mollweide image"
echo "  dip_candidates.csv             dimming-event candidates (depth, start, duration) from the ADQL dip search"
echo "  python_pairs.csv               the Python API's cone + cross-match result"
echo "  serve.log, state/              the service's access log; its state (users, jobs, personal files and tables)"
echo "  web.png                        the web page, as a headless browser saw it"
echo "  platform/, platform-up.txt     the running platform's state and logs (service, hub, Dask)"
echo "The platform (JupyterHub in front of the service and Dask; docs/hub.md):"
echo "$PLATFORM_MSG"
echo "Or, without the hub: source .venv/bin/activate and open notebooks/ (docs/python.md), or run the"
echo "service alone: $AL serve --root $ASTROLAKE_ROOT --state $OUT/state --port 8080"
