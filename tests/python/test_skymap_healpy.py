"""astrolake skymap against healpy.

The FITS map written by `astrolake skymap` is read with healpy.read_map(..., nest=True) and
compared with healpy's own ang2pix + bincount of the same catalog's ra/dec, exported through
the CLI as CSV (so both sides see exactly the same rows).
Run: ASTROLAKE_BIN=build/src/cli/astrolake /usr/bin/python3 -m pytest tests/python
"""
import csv
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

BIN = os.environ.get("ASTROLAKE_BIN", "")
pytestmark = pytest.mark.skipif(not BIN or not os.path.exists(BIN), reason="set ASTROLAKE_BIN to the astrolake binary")

try:
    import healpy as hp
except ImportError:  # healpy is optional on this machine
    hp = None

HATS = Path(__file__).resolve().parents[1] / "data" / "hats"


def run(*args):
    subprocess.run([BIN, *map(str, args)], check=True, capture_output=True, text=True)


def radec_via_cli(catalog, ra_col, dec_col, out):
    # An all-sky box (ra-min == ra-max means every RA) selects every row.
    run("box", catalog, "--ra-min", 0, "--ra-max", 0, "--dec-min", -90, "--dec-max", 90,
        "--columns", f"{ra_col},{dec_col}", "-o", out, "-q")
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    return np.array([float(r[ra_col]) for r in rows]), np.array([float(r[dec_col]) for r in rows])


def need_healpy():
    if hp is None:
        pytest.skip("healpy is not importable by this python")


def check_map(catalog, ra_col, dec_col, order, tmp_path, rows):
    fits = tmp_path / "map.fits"
    run("skymap", catalog, "--order", order, "-o", fits, "-q")
    m = hp.read_map(str(fits), nest=True)
    nside = 2 ** order
    assert m.size == hp.nside2npix(nside)
    assert m.sum() == rows
    ra, dec = radec_via_cli(catalog, ra_col, dec_col, tmp_path / "radec.csv")
    assert ra.size == rows
    want = np.bincount(hp.ang2pix(nside, ra, dec, nest=True, lonlat=True), minlength=m.size)
    assert np.array_equal(m, want)


def test_fixture_source_catalog(tmp_path):
    need_healpy()
    check_map(HATS / "small_sky_order1_source_collection", "source_ra", "source_dec", 5, tmp_path, 17161)


def test_generated_all_sky_catalog(tmp_path):
    need_healpy()
    run("generate", "gaia", "--rows", 100000, "--seed", 21, "-o", tmp_path / "g.parquet", "-q")
    run("import", tmp_path / "g.parquet", "-o", tmp_path / "g", "--max-rows", 20000, "-q")
    check_map(tmp_path / "g", "ra", "dec", 6, tmp_path, 100000)
