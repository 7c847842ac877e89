"""The right side of a cross-match task, for every left partition of the 300k x 300k catalogs
bench/python_api.py prepared: a cone read around the left pixel (what a task did before) against
the engine's per-pixel match through the right margin (what it does now). Same pairs; CPU seconds
in one thread, each way twice.

Usage: .venv/bin/python bench/python_xmatch_right.py
"""
import os
import time

import astrolake as al
from astrolake import _core, _tasks

D = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out", "bench-python") + "/"
ztf = al.open_catalog(D + "ztf300000", columns=["object_id", "ra", "dec"])
gaia = al.open_catalog(D + "gaia300000", columns=["source_id", "ra", "dec", "phot_g_mean_mag"])
xm = ztf.crossmatch(gaia, radius_arcsec=1.0)
op = xm._ops[0]; r = op.right
tasks = xm._task_list()
lefts = [(ztf._read.scan(i), px) for i, px in tasks]
def old():
    n = 0
    for left, px in lefts:
        right = r.scan_region(_tasks.pixel_cone(px[0], px[1], 1 / 3600.0))
        li, ri, d = _core.match_points(_tasks._f64(left, "ra"), _tasks._f64(left, "dec"), _tasks._f64(right, "ra"), _tasks._f64(right, "dec"), 1.0, 1, False)
        n += len(li)
    return n
def new():
    n = 0
    for left, px in lefts:
        li, d, caps = _core.crossmatch_pixel(r.path, r.margin, r.with_margin, list(r.columns), [], [], px[0], px[1], _tasks._f64(left, "ra"), _tasks._f64(left, "dec"), 1.0, 1, False)
        n += len(li)
    return n
for f in (old, new, old, new):
    t = time.process_time(); n = f(); print(f.__name__, n, f"{time.process_time() - t:.3f} CPU s")
