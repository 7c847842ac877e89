"""Where a cross-match on a Dask LocalCluster spends its time, 1 vs 2 single-threaded workers,
with one future per partition (MAX_BATCH 1) and with partitions batched (the default): wall time,
the tasks' summed compute and transfer time (distributed task stream) and the client's
concatenation. Uses the catalogs bench/python_api.py prepared.

Usage: .venv/bin/python bench/python_dask_workers.py [ROWS]   (default 300000)
"""
import os
import sys
import time

from distributed import Client, LocalCluster, get_task_stream

import astrolake as al
from astrolake import _execute, _tasks


def main():
    D = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out", "bench-python") + "/"
    N = sys.argv[1] if len(sys.argv) > 1 else "300000"
    ztf = al.open_catalog(D + f"ztf{N}", columns=["object_id", "ra", "dec", "mag"])
    gaia = al.open_catalog(D + f"gaia{N}", columns=["source_id", "ra", "dec", "phot_g_mean_mag"])
    xm = ztf.crossmatch(gaia, radius_arcsec=1.0)
    print("load", os.getloadavg())
    for mb in (1, 16):
        _execute.MAX_BATCH = mb
        for n in (1, 2):
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as c, Client(c) as cl:
                xm.compute(progress=False)  # warm: imports, catalog opens
                best = None
                for _ in range(2):
                    with get_task_stream(cl) as ts:
                        t0 = time.perf_counter()
                        parts = _execute.run(xm._graph(), xm._keys(), progress=False)
                        t1 = time.perf_counter()
                        df = _tasks.finalize(parts)
                        t2 = time.perf_counter()
                    comp = sum(s["stop"] - s["start"] for t in ts.data for s in t["startstops"] if s["action"] == "compute")
                    xfer = sum(s["stop"] - s["start"] for t in ts.data for s in t["startstops"] if s["action"] == "transfer")
                    r = (t2 - t0, t1 - t0, t2 - t1, comp, xfer, len(ts.data))
                    best = r if best is None or r[0] < best[0] else best
                print(f"max_batch {mb:2d} workers {n}: wall {best[0]:.3f} s (tasks {best[1]:.3f}, client concat+pandas {best[2]:.3f}); "
                      f"task compute sum {best[3]:.3f} s, transfer {best[4]:.3f} s, {best[5]} tasks", flush=True)
    print("load", os.getloadavg())


if __name__ == "__main__":
    main()
