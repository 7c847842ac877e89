"""Peer for bench/engine.sh: astropy's match_to_catalog_sky (nearest neighbour, then a radius cut)
on ra/dec arrays exported beforehand by `engine_bench export` (raw float64 files, so loading is
not part of the timing). Prints one JSON line.

usage: python3 bench/astropy_xmatch.py LEFT_PREFIX RIGHT_PREFIX RADIUS_ARCSEC
"""
import json
import sys
import time

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord

left, right, radius = sys.argv[1], sys.argv[2], float(sys.argv[3])
c1 = SkyCoord(np.fromfile(left + ".ra.f64") * u.deg, np.fromfile(left + ".dec.f64") * u.deg)
c2 = SkyCoord(np.fromfile(right + ".ra.f64") * u.deg, np.fromfile(right + ".dec.f64") * u.deg)
t0 = time.perf_counter()
idx, d2d, _ = c1.match_to_catalog_sky(c2)  # builds a KD-tree over c2, one query per c1 row
matched = d2d < radius * u.arcsec
secs = time.perf_counter() - t0
print(json.dumps({"seconds": secs, "left": len(c1), "right": len(c2), "pairs": int(matched.sum())}))
