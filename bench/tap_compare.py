"""Measures two TAP services on the same rows, alternating request by request so that both see the
same machine load: 10" sync cones, a 100k-row BINARY2 result, the async round trip and COUNT(*).
Usage: python bench/tap_compare.py URL_A TABLE_A URL_B TABLE_B (A is astrolake, B is DaCHS)."""
import io
import random
import statistics
import sys
import time

import requests
from astropy.io.votable import parse_single_table

servers = [("astrolake", sys.argv[1], sys.argv[2]), ("DaCHS", sys.argv[3], sys.argv[4])]
sessions = {name: requests.Session() for name, _, _ in servers}


def sync(name, url, query, fmt):
    r = sessions[name].post(url + "/sync", data={"LANG": "ADQL", "QUERY": query,
                                                 "RESPONSEFORMAT": fmt, "MAXREC": "200000"})
    r.raise_for_status()
    # DaCHS answers errors with HTTP 200 and an error VOTable.
    if b'name="QUERY_STATUS" value="ERROR"' in r.content[:4000]:
        raise RuntimeError(f"{name}: {r.text[:600]}")
    return r


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100 * len(v)))]


def alternate(rounds, measure):
    """Runs measure(name, url, table) for each server in turn, rounds times; seconds per server."""
    times = {name: [] for name, _, _ in servers}
    for i in range(rounds):
        order = servers if i % 2 == 0 else servers[::-1]
        for name, url, table in order:
            t = time.perf_counter()
            measure(name, url, table, i)
            times[name].append(time.perf_counter() - t)
    return times


def report(label, times, stat):
    a, d = (stat(times[name]) for name, _, _ in servers)
    print(f"{label:52s} astrolake {a * 1e3:9.1f} ms   DaCHS {d * 1e3:9.1f} ms   DaCHS/astrolake {d / a:6.1f}")


def first_value(name, url, query):
    return parse_single_table(io.BytesIO(sync(name, url, query, "votable").content)).array[0][0]


# Both servers must hold the same rows: compare all rows and the rows of a few 0.5 degree cones.
rng = random.Random(7)
checks = ["SELECT COUNT(*) FROM {t}"] + [
    f"SELECT COUNT(*) FROM {{t}} WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {rng.uniform(0, 360)}, "
    f"{rng.uniform(-80, 80)}, 0.5))" for _ in range(5)]
totals = []
for q in checks:
    got = [int(first_value(name, url, q.format(t=table))) for name, url, table in servers]
    if got[0] != got[1]:
        raise SystemExit(f"the servers disagree on {q}: {got}")
    totals.append(got[0])
print(f"same answers from both servers to {len(checks)} COUNT queries (all rows: {totals[0]}; cones: {totals[1:]})")

rng = random.Random(1)
centres = [(rng.uniform(0, 360), rng.uniform(-80, 80)) for _ in range(220)]


def cone(name, url, table, i):
    ra, dec = centres[i]
    sync(name, url, f"SELECT * FROM {table} WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), "
                    f"CIRCLE('ICRS', {ra}, {dec}, {10 / 3600}))", "votable")


alternate(20, cone)  # warm-up
cones = alternate(200, lambda n, u, t, i: cone(n, u, t, i + 20))
report('10" cone sync p50 (200 centres)', cones, lambda v: pct(v, 50))
report('10" cone sync p99', cones, lambda v: pct(v, 99))

sizes = {}


def big(name, url, table, i):
    r = sync(name, url, f"SELECT TOP 100000 * FROM {table}", "votable/b2" if name == "DaCHS" else "votable")
    if b"BINARY2" not in r.content[:20000]:
        raise RuntimeError(f"{name}: 100k-row result is not BINARY2")
    sizes[name] = len(r.content)


report("100k-row BINARY2 result, median of 5", alternate(5, big), statistics.median)
print("  sizes: " + ", ".join(f"{n} {s / 1e6:.1f} MB" for n, s in sizes.items()))


def async_job(name, url, table, i):
    s = sessions[name]
    r = s.post(url + "/async", data={"LANG": "ADQL", "QUERY": f"SELECT TOP 1 ra FROM {table}"},
               allow_redirects=False)
    job = r.headers["Location"]
    # DaCHS ignores PHASE=RUN at creation, so both servers are started the same way.
    s.post(job + "/phase", data={"PHASE": "RUN"}, allow_redirects=False).raise_for_status()
    phase = ""
    while phase not in ("COMPLETED", "ERROR", "ABORTED"):
        doc = s.get(job, params={"WAIT": "10"}).text
        phase = doc.split("<uws:phase>")[1].split("<")[0]
    if phase != "COMPLETED":
        raise RuntimeError(f"{name}: async job ended {phase}: {doc[:600]}")
    s.get(job + "/results/result").raise_for_status()
    s.delete(job, allow_redirects=False)


report("async create->RUN->COMPLETED->result, median of 10", alternate(10, async_job), statistics.median)


def count(name, url, table, i):
    sync(name, url, f"SELECT COUNT(*) FROM {table}", "votable")


report("COUNT(*) over all rows, median of 10", alternate(10, count), statistics.median)
