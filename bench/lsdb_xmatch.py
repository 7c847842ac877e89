"""Peer for the cross-match row of bench/speed.sh: LSDB's crossmatch (1", nearest neighbour) on the
same two HATS catalogs astrolake matches (the right one a collection with its margin), ids and
positions of both sides, computed to pandas with Dask's default threaded scheduler. The time
includes opening both catalogs. Prints one JSON line.

usage: .venv/bin/python bench/lsdb_xmatch.py LEFT_HATS RIGHT_HATS [RADIUS_ARCSEC]
"""
import json
import sys
import time

import lsdb

left, right = sys.argv[1], sys.argv[2]
radius = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
t0 = time.perf_counter()
a = lsdb.open_catalog(left, columns=["source_id", "ra", "dec"])
b = lsdb.open_catalog(right, columns=["source_id", "ra", "dec"])
result = a.crossmatch(b, radius_arcsec=radius, n_neighbors=1).compute()
secs = time.perf_counter() - t0
print(json.dumps({"seconds": secs, "pairs": len(result), "lsdb": lsdb.__version__}))
