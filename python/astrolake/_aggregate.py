"""Per-partition pieces of the aggregates (histograms, sky maps): each task returns small
partial results (counts, sums) computed in C++ that the caller adds up."""
from dataclasses import replace

import numpy as np
import pyarrow as pa

from . import _core, _tasks


def min_max(read, i, pixel, ops, col):
    data = _tasks.to_frame(_tasks.run(read, i, pixel, ops))
    v = np.asarray(data[col], dtype=np.float64)
    v = v[np.isfinite(v)]
    return (float(v.min()), float(v.max())) if len(v) else None


def _numeric(data, col):
    if isinstance(data, pa.Table):
        return data.column(col).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    return np.asarray(data[col], dtype=np.float64)


def hist(read, i, pixel, ops, x, lo, hi, bins, y, ylo, yhi, ybins):
    data = _tasks.run(read, i, pixel, ops)
    yv = None if y is None else _numeric(data, y)
    return _core.histogram(_numeric(data, x), lo, hi, bins, yv, ylo, yhi, ybins)


def skymap_part(read, i, pixel, ops, order, ra, dec, column):
    """Per-pixel partial aggregates of one partition. Without later operations the pixel
    index comes from the engine's healpix() inside the scan; after them, from healpy."""
    if not ops:
        exprs = ((f'healpix({order}, "{ra}", "{dec}")', "pix"),) + (((f'"{column}"', "v"),) if column else ())
        data = replace(read, exprs=exprs).scan(i)
        pix = data.column("pix").to_numpy(zero_copy_only=False)
        vals = data.column("v").to_numpy(zero_copy_only=False) if column else None
    else:
        import healpy as hp

        data = _tasks.to_frame(_tasks.run(read, i, pixel, ops))
        pix = hp.ang2pix(1 << order, np.asarray(data[ra], float), np.asarray(data[dec], float), nest=True,
                         lonlat=True)
        vals = np.asarray(data[column], dtype=np.float64) if column else None
    v = None if vals is None else np.asarray(vals, dtype=np.float64)
    return _core.pixel_aggregate(np.asarray(pix, dtype=np.int64), v, 12 * 4 ** order)
