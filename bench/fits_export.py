"""Writes a FITS binary table (source_id, ra, dec) from `engine_bench export` raw columns, for
STILTS, which reads Parquet only with extra jars. Not timed.

usage: python3 bench/fits_export.py PREFIX OUT.fits
"""
import sys

import numpy as np
from astropy.io import fits

prefix, out = sys.argv[1], sys.argv[2]
cols = [fits.Column(name="source_id", format="K", array=np.fromfile(prefix + ".source_id.i64", dtype=np.int64)),
        fits.Column(name="ra", format="D", array=np.fromfile(prefix + ".ra.f64")),
        fits.Column(name="dec", format="D", array=np.fromfile(prefix + ".dec.f64"))]
fits.BinTableHDU.from_columns(cols).writeto(out, overwrite=True)
