#!/bin/bash
# The TAP service under load (astrolake only; bench/dachs.sh compares it with DaCHS): 10" sync
# cone p50/p99, a 100k-row BINARY2 result, the async round trip (create with PHASE=RUN ->
# COMPLETED -> result) and CLIENTS concurrent clients of mixed cones and aggregates for SECONDS,
# all over loopback with keep-alive.
# Usage: bench/tap.sh BUILD_DIR WORK_DIR [ROWS=1000000] [CLIENTS=32] [SECONDS=20]
set -euo pipefail
B="$(cd "$1" && pwd)/src/cli/astrolake"
W="$2"
ROWS="${3:-1000000}"
CLIENTS="${4:-32}"
SECS="${5:-20}"
PY="$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python"
mkdir -p "$W"
cd "$W"
if [ ! -d "cats$ROWS/gaia" ]; then
  "$B" generate gaia --rows "$ROWS" --seed 1 -o "gaia$ROWS.parquet" -q
  "$B" import "gaia$ROWS.parquet" -o "cats$ROWS/gaia" --max-rows 100000 -q
fi
rm -rf state
"$B" serve --root "cats$ROWS" --state state --port 0 --max-queued 64 2> serve.log &
PID=$!
trap 'kill -TERM $PID; wait $PID' EXIT
for _ in $(seq 100); do grep -q listening serve.log && break; sleep 0.1; done
URL=$(grep -o 'http://127.0.0.1:[0-9]*/tap' serve.log | head -1)
"$PY" - "$URL" "$CLIENTS" "$SECS" <<'PYEOF'
import random, statistics, sys, threading, time
import requests
url, clients, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = requests.Session()

def sync(query, fmt="votable", session=s):
    r = session.post(url + "/sync", data={"LANG": "ADQL", "QUERY": query, "RESPONSEFORMAT": fmt, "MAXREC": "200000"})
    r.raise_for_status()
    return r

def cone(rng):
    ra, dec = rng.uniform(0, 360), rng.uniform(-80, 80)
    return f"SELECT * FROM gaia WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE({ra}, {dec}, {10 / 3600}))"

def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100 * len(v)))]

rng = random.Random(1)
for _ in range(20):
    sync(cone(rng))
lat = []
for _ in range(300):
    q = cone(rng)
    t = time.perf_counter(); sync(q); lat.append(time.perf_counter() - t)
print(f"cone 10\" sync: p50 {pct(lat, 50) * 1e3:.2f} ms  p99 {pct(lat, 99) * 1e3:.2f} ms  ({len(lat)} queries)")

big = []
for _ in range(5):
    t = time.perf_counter(); r = sync("SELECT TOP 100000 * FROM gaia"); big.append(time.perf_counter() - t)
print(f"100k-row BINARY2: median {statistics.median(big):.3f} s  ({len(r.content) / 1e6:.1f} MB)")

rt = []
for _ in range(20):
    t = time.perf_counter()
    r = s.post(url + "/async", data={"LANG": "ADQL", "QUERY": "SELECT TOP 1 ra FROM gaia", "PHASE": "RUN"},
               allow_redirects=False)
    job = r.headers["Location"]
    phase = ""
    while phase not in ("COMPLETED", "ERROR"):
        doc = s.get(job, params={"WAIT": "10"}).text
        phase = doc.split("<uws:phase>")[1].split("<")[0]
    assert phase == "COMPLETED", doc
    s.get(job + "/results/result").raise_for_status()
    rt.append(time.perf_counter() - t)
    s.delete(job, allow_redirects=False)
print(f"async create->COMPLETED->result: median {statistics.median(rt) * 1e3:.1f} ms")

errors, done, lats, first_error = [0], [0], [], []
lock = threading.Lock()
stop = time.time() + secs
def client(i):
    rng, sess = random.Random(100 + i), requests.Session()
    while time.time() < stop:
        q = cone(rng) if rng.random() < 0.8 else "SELECT COUNT(*), AVG(phot_g_mean_mag) FROM gaia WHERE dec > 0"
        t = time.perf_counter()
        try:
            sync(q, session=sess)
            ok = True
        except Exception as e:
            ok = False
            first_error.append(repr(e)[:300])
        with lock:
            lats.append(time.perf_counter() - t)
            done[0] += ok
            errors[0] += not ok
threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
print(f"{clients} clients x {secs:.0f} s (80% cones, 20% aggregates): {done[0] / secs:.1f} queries/s, "
      f"p50 {pct(lats, 50) * 1e3:.1f} ms, p99 {pct(lats, 99) * 1e3:.1f} ms, errors {errors[0]}")
if first_error:
    print("first error:", first_error[0])
PYEOF
