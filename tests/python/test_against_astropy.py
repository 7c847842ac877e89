"""astrolake xmatch against astropy on the same rows.

Two overlapping synthetic Gaia-like catalogs are generated and imported with the astrolake
binary (env ASTROLAKE_BIN), cross-matched with it, and the pairs compared with astropy's
search_around_sky (every pair within the radius) and match_to_catalog_sky (nearest only).
Run: ASTROLAKE_BIN=build/src/cli/astrolake /usr/bin/python3 -m pytest tests/python
"""
import csv
import os
import subprocess

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord, search_around_sky

BIN = os.environ.get("ASTROLAKE_BIN", "")
pytestmark = pytest.mark.skipif(not BIN or not os.path.exists(BIN), reason="set ASTROLAKE_BIN to the astrolake binary")

RADIUS = 1.0  # arcsec
ROWS = 30000


def run(*args):
    subprocess.run([BIN, *map(str, args)], check=True, capture_output=True, text=True)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory):
    d = tmp_path_factory.mktemp("xm")
    # Both catalogs hold counterparts of the same ZTF objects, 0.3" rms apart from them.
    run("generate", "gaia", "--rows", ROWS, "--seed", 11, "--overlap-of", 1, "--offset-arcsec", 0.3,
        "-o", d / "a.parquet", "-q")
    run("generate", "gaia", "--rows", ROWS, "--seed", 12, "--overlap-of", 1, "--offset-arcsec", 0.3,
        "-o", d / "b.parquet", "-q")
    run("import", d / "a.parquet", "-o", d / "a", "--max-rows", 2000, "-q")
    run("import", d / "b.parquet", "-o", d / "b", "--max-rows", 3000, "--margin-arcsec", 5, "-q")
    rows = {}
    for name in ("a", "b"):
        run("box", d / name, "--ra-min", 0, "--ra-max", 0, "--dec-min", -90, "--dec-max", 90,
            "--columns", "source_id,ra,dec", "-o", d / f"{name}.csv", "-q")
        r = read_csv(d / f"{name}.csv")
        rows[name] = (np.array([int(x["source_id"]) for x in r]),
                      SkyCoord([float(x["ra"]) for x in r] * u.deg, [float(x["dec"]) for x in r] * u.deg))
    assert len(rows["a"][0]) == ROWS and len(rows["b"][0]) == ROWS
    return d, rows


def our_pairs(d, k, how="inner"):
    out = d / f"xm_{k}_{how}.csv"
    run("xmatch", d / "a", d / "b", "--radius-arcsec", RADIUS, "--k", k, "--how", how,
        "--left-columns", "source_id", "--right-columns", "source_id", "-o", out, "-q", "--overwrite")
    got = {}
    unmatched = 0
    for r in read_csv(out):
        if r["source_id_b"] == "":
            unmatched += 1
            continue
        key = (int(r["source_id_a"]), int(r["source_id_b"]))
        assert key not in got, f"pair {key} twice"
        got[key] = float(r["_dist_arcsec"])
    return got, unmatched


def test_all_pairs_equal_search_around_sky(catalogs):
    d, rows = catalogs
    (ida, ca), (idb, cb) = rows["a"], rows["b"]
    ia, ib, sep, _ = search_around_sky(ca, cb, RADIUS * u.arcsec)
    want = {(int(ida[i]), int(idb[j])): s for i, j, s in zip(ia, ib, sep.to_value(u.arcsec))}
    got, _ = our_pairs(d, "all")
    assert len(want) > ROWS // 4, "the catalogs should overlap"
    assert set(got) == set(want)
    for key, s in want.items():
        assert got[key] == pytest.approx(s, abs=1e-6)


def test_nearest_equals_match_to_catalog_sky(catalogs):
    d, rows = catalogs
    (ida, ca), (idb, cb) = rows["a"], rows["b"]
    j, sep, _ = ca.match_to_catalog_sky(cb)
    sep = sep.to_value(u.arcsec)
    keep = sep <= RADIUS
    want = {(int(ida[i]), int(idb[j[i]])): sep[i] for i in np.nonzero(keep)[0]}
    got, _ = our_pairs(d, 1)
    assert set(got) == set(want)
    for key, s in want.items():
        assert got[key] == pytest.approx(s, abs=1e-6)


def test_left_join_keeps_every_left_row(catalogs):
    d, rows = catalogs
    got, unmatched = our_pairs(d, 1, "left")
    assert len({a for a, _ in got}) + unmatched == ROWS
