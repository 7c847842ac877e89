"""Peer for bench/engine.sh: a count sky map with healpy (ang2pix, nested, then bincount) on
ra/dec arrays exported beforehand by `engine_bench export`. Best of 3; prints one JSON line.

usage: python3 bench/healpy_skymap.py PREFIX ORDER
"""
import json
import sys
import time

import healpy as hp
import numpy as np

prefix, order = sys.argv[1], int(sys.argv[2])
ra, dec = np.fromfile(prefix + ".ra.f64"), np.fromfile(prefix + ".dec.f64")
nside = 1 << order
best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    pix = hp.ang2pix(nside, ra, dec, nest=True, lonlat=True)
    counts = np.bincount(pix, minlength=hp.nside2npix(nside))
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"seconds": best, "rows": len(ra), "pixels": len(counts), "nonempty": int((counts > 0).sum()),
                  "max_count": int(counts.max())}))
