"""CPU seconds (all threads of this process, so less sensitive to a busy machine than wall
time) of the 4-column cross-match and the cone, astrolake vs LSDB, on the catalogs
bench/python_api.py prepared. Best of 3 each.

Usage: .venv/bin/python bench/python_cpu_ratio.py [ROWS]   (default 300000)
"""
import os
import sys
import time

import astrolake as al
import lsdb


def cpu(fn, repeat=3):
    best = None
    for _ in range(repeat):
        t = time.process_time()
        fn()
        dt = time.process_time() - t
        best = dt if best is None or dt < best else best
    return best


def main():
    d = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out", "bench-python")
    n = sys.argv[1] if len(sys.argv) > 1 else "300000"
    zc, gc = ["object_id", "ra", "dec", "mag"], ["source_id", "ra", "dec", "phot_g_mean_mag"]
    ztf, gaia = al.open_catalog(f"{d}/ztf{n}", columns=zc), al.open_catalog(f"{d}/gaia{n}", columns=gc)
    lz, lg = lsdb.open_catalog(f"{d}/ztf{n}", columns=zc), lsdb.open_catalog(f"{d}/gaia{n}", columns=gc)
    print(f"load {os.getloadavg()[0]:.1f}")
    for name, ours, theirs in [
        ("xmatch 1\", 4 columns", lambda: ztf.crossmatch(gaia, radius_arcsec=1.0).compute(progress=False),
         lambda: lz.crossmatch(lg, radius_arcsec=1.0, n_neighbors=1).compute()),
        ("cone 5 deg", lambda: gaia.cone_search(280.0, -20.0, 5 * 3600).compute(progress=False),
         lambda: lg.cone_search(280.0, -20.0, 5 * 3600).compute()),
    ]:
        a, b = cpu(ours), cpu(theirs)
        print(f"{name:<22} CPU s: astrolake {a:.3f}  LSDB {b:.3f}  ratio {b / a:.1f}x", flush=True)
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
