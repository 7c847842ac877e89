"""The Python API against independent truth: pyarrow's own Parquet reader, numpy haversine,
astropy's match_to_catalog_sky, numpy histograms and healpy."""
import os
import pickle

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import astrolake as al
from conftest import haversine_deg, run_cli


@pytest.fixture(scope="module")
def ztf_truth(survey):
    return pq.read_table(survey["ztf_parquet"]).to_pandas()


@pytest.fixture(scope="module")
def gaia_truth(survey):
    return pq.read_table(survey["gaia_parquet"]).to_pandas()


def test_open_reads_metadata_only(survey):
    cat = al.open_catalog(survey["ztf"])
    assert len(cat) == 6000
    assert cat.npartitions > 4
    assert "mag" in cat.columns and "_healpix_29" not in cat.columns
    assert cat.margin is not None and cat.margin["margin_threshold_arcsec"] == 10
    assert str(cat.dtypes["object_id"]) == "int64"


def test_compute_equals_input(survey, ztf_truth):
    df = al.open_catalog(survey["ztf"]).compute(progress=False)
    assert df.index.name == "_healpix_29" and df.index.is_monotonic_increasing
    got = df.sort_values("object_id").reset_index(drop=True)
    want = ztf_truth.sort_values("object_id").reset_index(drop=True)
    for c in ["object_id", "ra", "dec", "n_obs", "is_dipper"]:
        np.testing.assert_array_equal(got[c].to_numpy(), want[c].to_numpy())
    for i in [0, 17, 5999]:
        np.testing.assert_array_equal(np.asarray(got["mag"][i]), np.asarray(want["mag"][i]))
        assert list(got["band"][i]) == list(want["band"][i])


def test_cone_search_vs_haversine(survey, ztf_truth):
    ra0, dec0 = float(ztf_truth.ra[3]), float(ztf_truth.dec[3])
    cat = al.open_catalog(survey["ztf"]).cone_search(ra0, dec0, 20 * 3600)
    assert cat.npartitions < al.open_catalog(survey["ztf"]).npartitions  # pruned before reading
    got = sorted(cat.compute(progress=False).object_id)
    sep = haversine_deg(ztf_truth.ra, ztf_truth.dec, ra0, dec0)
    want = sorted(ztf_truth.object_id[sep <= 20])
    assert len(want) > 20 and got == want


def test_box_and_polygon_vs_numpy(survey, ztf_truth):
    cat = al.open_catalog(survey["ztf"], columns=["object_id", "ra", "dec"])
    got = sorted(cat.box_search(ra=(250, 300), dec=(-40, 10)).compute(progress=False).object_id)
    m = (ztf_truth.ra >= 250) & (ztf_truth.ra <= 300) & (ztf_truth.dec >= -40) & (ztf_truth.dec <= 10)
    assert len(got) > 10 and got == sorted(ztf_truth.object_id[m])
    # The whole sky (ra lo == hi means every RA, as in hats).
    assert len(cat.box_search(ra=(0, 0), dec=(-90, 90)).compute(progress=False)) == len(ztf_truth)
    # A small quadrilateral: great-circle edges, so compare with an inside test on unit vectors.
    verts = [(260, -20), (290, -20), (290, 0), (260, 0)]
    got = sorted(cat.polygon_search(verts).compute(progress=False).object_id)

    def xyz(ra, dec):
        ra, dec = np.radians(ra), np.radians(dec)
        return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)

    v = xyz(np.array([a for a, _ in verts], float), np.array([b for _, b in verts], float))
    p = xyz(ztf_truth.ra.to_numpy(), ztf_truth.dec.to_numpy())
    inside = np.ones(len(p), bool)
    for i in range(4):
        n = np.cross(v[i], v[(i + 1) % 4])
        inside &= p @ n >= 0
    if not inside.any():  # other winding
        inside = np.ones(len(p), bool)
        for i in range(4):
            inside &= p @ np.cross(v[i], v[(i + 1) % 4]) <= 0
    assert len(got) > 5 and got == sorted(ztf_truth.object_id[inside])


def test_query_projection_and_id_search(survey, gaia_truth):
    cat = al.open_catalog(survey["gaia"])
    q = cat.query("parallax > 1 AND phot_g_mean_mag < 18")[["source_id", "parallax"]]
    df = q.compute(progress=False)
    assert list(df.columns) == ["source_id", "parallax"]
    want = gaia_truth[(gaia_truth.parallax > 1) & (gaia_truth.phot_g_mean_mag < 18)]
    assert len(want) > 10 and sorted(df.source_id) == sorted(want.source_id)
    ids = list(gaia_truth.source_id[[5, 77, 1000]])
    assert sorted(cat.id_search({"source_id": ids}).compute(progress=False).source_id) == sorted(ids)


def test_crossmatch_vs_astropy(survey, ztf_truth, gaia_truth):
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    ztf = al.open_catalog(survey["ztf"], columns=["object_id", "ra", "dec"])
    gaia = al.open_catalog(survey["gaia"], columns=["source_id", "ra", "dec"])
    df = ztf.crossmatch(gaia, radius_arcsec=1.0).compute(progress=False)
    assert {"object_id_ztf", "source_id_gaia", "ra_gaia", "_dist_arcsec"} <= set(df.columns)
    left = SkyCoord(ztf_truth.ra.to_numpy() * u.deg, ztf_truth.dec.to_numpy() * u.deg)
    right = SkyCoord(gaia_truth.ra.to_numpy() * u.deg, gaia_truth.dec.to_numpy() * u.deg)
    idx, sep, _ = left.match_to_catalog_sky(right)
    ok = sep.arcsec <= 1.0
    want = dict(zip(ztf_truth.object_id[ok], gaia_truth.source_id.to_numpy()[idx[ok]]))
    got = dict(zip(df.object_id_ztf, df.source_id_gaia))
    assert len(want) > 100 and got == want
    np.testing.assert_allclose(np.sort(df._dist_arcsec), np.sort(sep.arcsec[ok]), atol=1e-6)
    # Left join keeps every left row once (n_neighbors=1).
    lj = ztf.crossmatch(gaia, radius_arcsec=1.0, how="left").compute(progress=False)
    assert len(lj) == 6000 and lj.source_id_gaia.isna().sum() == 6000 - len(want)


@pytest.mark.parametrize("radius,margin,right_filter", [
    (2.0, None, None),             # within the right margin (10"): partition + margin
    (2.0, False, None),            # no margin attached: neighbouring partitions
    (25.0, None, None),            # wider than the margin: neighbouring partitions
    (2.0, None, "phot_g_mean_mag < 19"),  # the right side filtered before matching
])
def test_crossmatch_all_pairs_vs_astropy(survey, ztf_truth, gaia_truth, radius, margin, right_filter):
    from astropy import units as u
    from astropy.coordinates import SkyCoord, search_around_sky

    ztf = al.open_catalog(survey["ztf"], columns=["object_id", "ra", "dec"])
    gaia = al.open_catalog(survey["gaia"], columns=["source_id", "ra", "dec"], margin=margin)
    truth = gaia_truth
    if right_filter:
        gaia = gaia.query(right_filter)
        truth = gaia_truth[gaia_truth.phot_g_mean_mag < 19]
    df = ztf.crossmatch(gaia, radius_arcsec=radius, n_neighbors=None).compute(progress=False)
    left = SkyCoord(ztf_truth.ra.to_numpy() * u.deg, ztf_truth.dec.to_numpy() * u.deg)
    right = SkyCoord(truth.ra.to_numpy() * u.deg, truth.dec.to_numpy() * u.deg)
    i, j, sep, _ = search_around_sky(left, right, radius * u.arcsec)
    want = dict(zip(zip(ztf_truth.object_id.to_numpy()[i], truth.source_id.to_numpy()[j]), sep.arcsec))
    got = dict(zip(zip(df.object_id_ztf, df.source_id_gaia), df._dist_arcsec))
    assert len(want) > 50 and len(df) == len(got) and got.keys() == want.keys()
    np.testing.assert_allclose([got[k] for k in want], list(want.values()), atol=1e-6)


def test_open_reads_no_metadata_footer_until_needed(survey, tmp_path):
    import shutil

    cat_dir = tmp_path / "gaia"
    shutil.copytree(survey["gaia"], cat_dir)
    props = dict(line.split("=", 1) for line in (cat_dir / "collection.properties").read_text().splitlines()
                 if "=" in line)
    meta = cat_dir / props["hats_primary_table_url"].strip() / "dataset" / "_metadata"
    meta.write_bytes(meta.read_bytes()[:10])  # unreadable: opening must not need it
    cat = al.open_catalog(cat_dir)
    assert cat.npartitions == al.open_catalog(survey["gaia"]).npartitions and "ra" in cat.columns
    # The row counts come from the footer: asking for them reads it, and fails clearly.
    with pytest.raises(al.CatalogError, match="cannot read dataset/_metadata"):
        len(cat)
    with pytest.raises(al.CatalogError, match="cannot read dataset/_metadata"):
        cat.explain()
    # A computation reads the leaves of its partitions only (its size estimate uses hats_nrows).
    want = al.open_catalog(survey["gaia"]).compute(progress=False)
    pd.testing.assert_frame_equal(cat.compute(progress=False), want)


def test_crossmatch_with_dataframe_either_side(survey, gaia_truth):
    ztf = al.open_catalog(survey["ztf"], columns=["object_id", "ra", "dec"])
    gaia = al.open_catalog(survey["gaia"], columns=["source_id", "ra", "dec"])
    base = ztf.crossmatch(gaia, radius_arcsec=1.0).compute(progress=False)
    sub = gaia_truth[["source_id", "ra", "dec"]]
    right_df = al.crossmatch(ztf, sub, radius_arcsec=1.0, suffixes=("_z", "_g")).compute(progress=False)
    assert sorted(zip(right_df.object_id_z, right_df.source_id_g)) == sorted(zip(base.object_id_ztf, base.source_id_gaia))
    left_df = al.crossmatch(sub, ztf, radius_arcsec=1.0, suffixes=("_g", "_z")).compute(progress=False)
    assert sorted(zip(left_df.object_id_z, left_df.source_id_g)) == sorted(zip(base.object_id_ztf, base.source_id_gaia))


def test_join_by_key(survey, gaia_truth, ztf_truth):
    ztf = al.open_catalog(survey["ztf"], columns=["object_id", "ra", "dec"])
    gaia = al.open_catalog(survey["gaia"], columns=["source_id", "ztf_object_id"])
    df = ztf.join(gaia, left_on="object_id", right_on="ztf_object_id").compute(progress=False)
    want = gaia_truth[gaia_truth.ztf_object_id.isin(ztf_truth.object_id)]
    assert len(want) > 100
    assert sorted(zip(df.object_id_ztf, df.source_id_gaia)) == sorted(zip(want.ztf_object_id.astype(int), want.source_id))


def test_map_partitions_and_lc_features_vs_numpy(survey, ztf_truth):
    cat = al.open_catalog(survey["ztf"])

    def mean_mag(df, offset):
        return pd.DataFrame({"object_id": df.object_id,
                             "m": [float(np.mean(np.asarray(x))) + offset for x in df.mag]})

    got = cat.map_partitions(mean_mag, 1.0).compute(progress=False).sort_values("object_id")
    want = ztf_truth.sort_values("object_id")
    np.testing.assert_allclose(got.m.to_numpy(), [np.mean(x) + 1.0 for x in want.mag])
    feats = cat.lc_features(keep=["object_id"]).compute(progress=False).sort_values("object_id")
    np.testing.assert_array_equal(feats.n.to_numpy(), [len(x) for x in want.mag])
    np.testing.assert_allclose(feats["mean"].to_numpy(), [np.mean(x) for x in want.mag])
    np.testing.assert_allclose(feats["std"].to_numpy(), [np.std(x, ddof=1) for x in want.mag])
    np.testing.assert_allclose(feats.amplitude.to_numpy(), [np.ptp(x) for x in want.mag])
    # The dip detector gives what the CLI's ADQL gives, and mostly injected dippers.
    found = set(feats.object_id[feats.is_dipper.astype(bool)])
    out = run_cli("query", f'SELECT object_id FROM "{survey["ztf"]}" WHERE is_dipper(mjd, mag, magerr, band)',
                  "--format", "csv")
    cli = {int(x) for x in out.split()[1:]}
    assert len(found) > 5 and found == cli
    assert len(found & set(want.object_id[want.is_dipper])) >= 0.8 * len(found)


def test_histograms_and_skymap(survey, gaia_truth):
    import healpy as hp

    cat = al.open_catalog(survey["gaia"])
    counts, edges = cat.histogram("phot_g_mean_mag", bins=20, range=(10, 22))
    want, wedges = np.histogram(gaia_truth.phot_g_mean_mag, bins=20, range=(10, 22))
    np.testing.assert_array_equal(counts, want)
    np.testing.assert_allclose(edges, wedges)
    h2, _, _ = cat.histogram2d("ra", "dec", bins=(12, 6), range=((0, 360), (-90, 90)))
    w2, _, _ = np.histogram2d(gaia_truth.ra, gaia_truth.dec, bins=(12, 6), range=((0, 360), (-90, 90)))
    np.testing.assert_array_equal(h2, w2)
    m = cat.skymap(order=3)
    pix = hp.ang2pix(8, gaia_truth.ra.to_numpy(), gaia_truth.dec.to_numpy(), nest=True, lonlat=True)
    np.testing.assert_array_equal(m, np.bincount(pix, minlength=12 * 64))
    mean = cat.skymap(order=2, column="phot_g_mean_mag", agg="mean")
    pix2 = hp.ang2pix(4, gaia_truth.ra.to_numpy(), gaia_truth.dec.to_numpy(), nest=True, lonlat=True)
    s = np.bincount(pix2, weights=gaia_truth.phot_g_mean_mag, minlength=192)
    n = np.bincount(pix2, minlength=192)
    np.testing.assert_allclose(mean[n > 0], s[n > 0] / n[n > 0])
    assert (mean[n == 0] == hp.UNSEEN).all()


def test_head_reads_first_partitions_only(survey):
    cat = al.open_catalog(survey["ztf"])
    h = cat.head(7)
    full = cat.compute(progress=False)
    assert len(h) == 7
    assert list(h.object_id) == list(full.object_id[:7])


def test_results_and_pickling(survey):
    import dask

    cat = al.open_catalog(survey["gaia"]).query("phot_g_mean_mag < 19")
    want = cat.compute(progress=False)
    again = pickle.loads(pickle.dumps(cat))
    pd.testing.assert_frame_equal(again.compute(progress=False), want)
    (via_dask,) = dask.compute(cat)
    pd.testing.assert_frame_equal(via_dask, want)
    pd.testing.assert_frame_equal(cat.to_dask().compute(), want)
    parts = dask.compute(*cat.to_delayed())
    pd.testing.assert_frame_equal(pd.concat(parts), want)
    streamed = pd.concat(list(cat.iter_partitions()))
    pd.testing.assert_frame_equal(streamed, want)
    assert cat.to_arrow(progress=False).num_rows == len(want) == len(cat)
    assert "filter (pushed into the scan): phot_g_mean_mag < 19" in cat.explain()


def test_write_catalog_roundtrip_atomic_resume(survey, tmp_path):
    cat = al.open_catalog(survey["gaia"]).box_search(ra=(200, 320), dec=(-60, 30))
    want = cat.compute(progress=False).sort_values("source_id").reset_index(drop=True)
    out = tmp_path / "gaia_box"
    cat.write_catalog(out, margin_arcsec=5, progress=False)
    back = al.open_catalog(out)
    assert back.margin is not None
    got = back.compute(progress=False).sort_values("source_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)
    with pytest.raises(al.CatalogError, match="already exists"):
        cat.write_catalog(out, progress=False)
    # Resume: a run that failed part-way leaves its finished partitions; resume=True keeps
    # them and computes only the rest.
    flag, log = tmp_path / "fail", tmp_path / "log"
    last = cat.pixels[-1]
    flag.touch()

    def flaky(df, pixel):
        if flag.exists() and tuple(pixel) == last:
            raise RuntimeError("simulated failure")
        if pixel != (-1, -1):  # (-1, -1): called on an empty frame to learn the columns
            with open(log, "a") as f:
                f.write(f"{tuple(pixel)}\n")
        return df

    plan = cat.map_partitions(flaky, include_pixel=True)
    out2 = tmp_path / "gaia_resume"
    with pytest.raises(RuntimeError, match="simulated"):
        plan.write_catalog(out2, progress=False)
    assert not out2.exists() and (tmp_path / "gaia_resume.parts").is_dir()
    first_run = set(log.read_text().split("\n")) - {""}
    flag.unlink()
    log.unlink()
    plan.write_catalog(out2, resume=True, progress=False)
    second_run = set(log.read_text().split("\n")) - {""}
    assert len(first_run) >= 1 and str(last) in second_run and not (first_run & second_run)
    assert len(first_run | second_run) == cat.npartitions
    resumed = al.open_catalog(out2).compute(progress=False).sort_values("source_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(resumed[want.columns], want, check_dtype=False)
    assert not (tmp_path / "gaia_resume.parts").exists()
    with pytest.raises(al.CatalogError, match="different computation"):
        (tmp_path / "gaia_other.parts").mkdir()
        (tmp_path / "gaia_other.parts" / "PLAN").write_text("something else")
        cat.write_catalog(tmp_path / "gaia_other", resume=True, progress=False)


def test_errors_are_python_exceptions(survey):
    cat = al.open_catalog(survey["gaia"])
    with pytest.raises(al.QueryError, match="parallaxx"):
        cat.query("parallaxx > 1")
    with pytest.raises(al.QueryError, match="line 1"):
        cat.query("parallax >> > 1")
    with pytest.raises(al.CatalogError, match="no_such_catalog"):
        al.open_catalog("/nonexistent/no_such_catalog")
    with pytest.raises(al.ArgumentError, match="no column 'nope'"):
        cat[["nope"]]
    with pytest.raises(al.ArgumentError):
        cat.crossmatch(cat, radius_arcsec=-1)
    with pytest.raises(al.ArgumentError, match="polygon|vertices"):
        cat.polygon_search([(0, 0), (1, 1)])
    with pytest.raises(al.QueryError):
        al.adql("SELECT nope FROM \"%s\"" % survey["gaia"])


def test_adql(survey):
    df = al.adql('SELECT COUNT(*) AS n FROM "%s" WHERE phot_g_mean_mag < 19' % survey["gaia"])
    want = len(al.open_catalog(survey["gaia"]).query("phot_g_mean_mag < 19"))
    assert int(df.n[0]) == want
    assert "partitions" in al.adql('EXPLAIN SELECT ra FROM "%s"' % survey["gaia"])


def test_overwritten_catalog_is_reopened(survey, tmp_path):
    gaia = al.open_catalog(survey["gaia"])
    out = tmp_path / "over"
    gaia.query("phot_g_mean_mag < 17").write_catalog(out, progress=False)
    n1 = len(al.open_catalog(out).compute(progress=False))
    gaia.query("phot_g_mean_mag >= 17").write_catalog(out, overwrite=True, progress=False)
    again = al.open_catalog(out)
    df = again.compute(progress=False)
    assert len(df) == len(again) == 9000 - n1 and (df.phot_g_mean_mag >= 17).all()


def test_written_catalog_read_by_pyarrow_and_duckdb(survey, tmp_path):
    import json
    import subprocess

    import pyarrow.dataset as ds

    from conftest import ROOT

    cat = al.open_catalog(survey["gaia"]).query("phot_g_mean_mag < 18.5")
    want = cat.compute(progress=False)
    out = tmp_path / "bright"
    cat.write_catalog(out, margin_arcsec=10, progress=False)
    dataset = out / "bright" / "dataset"
    files = sorted(str(p) for p in dataset.rglob("Npix=*.parquet"))
    table = ds.dataset(files, format="parquet").to_table()
    assert table.num_rows == len(want)
    assert sorted(table.column("source_id").to_pylist()) == sorted(want.source_id)
    sql = (f"SELECT count(*) AS n, sum(source_id % 1000) AS s, min(phot_g_mean_mag) AS m "
           f"FROM read_parquet('{dataset}/Norder=*/Dir=*/Npix=*.parquet')")
    res = subprocess.run(["node", os.path.join(ROOT, "bench", "duckdb_query.mjs"), sql, "1"], capture_output=True,
                         text=True, check=True)
    row = json.loads(res.stdout)["result"][0]
    assert int(row[0]) == len(want)
    assert int(row[1]) == int((want.source_id % 1000).sum())
    assert float(row[2]) == want.phot_g_mean_mag.min()


def test_order_and_pixel_search(survey):
    cat = al.open_catalog(survey["ztf"])
    orders = sorted({o for o, _ in cat.pixels})
    assert len(orders) >= 2
    lo = orders[0]
    only = cat.order_search(min_order=lo, max_order=lo)
    assert only.npartitions == sum(1 for o, _ in cat.pixels if o == lo) and all(o == lo for o, _ in only.pixels)
    full = cat.compute(progress=False)
    o, p = cat.pixels[-1]
    one = cat.pixel_search([(o, p)])
    assert one.pixels == [(o, p)]
    in_pixel = (full.index.to_numpy() >> (2 * (29 - o))) == p
    assert len(one.compute(progress=False)) == in_pixel.sum() > 0
    # An order-0 pixel selects every partition inside it.
    base = p >> (2 * o)
    under = cat.pixel_search([(0, base)])
    assert under.pixels == [(po, pp) for po, pp in cat.pixels if pp >> (2 * po) == base]
    with pytest.raises(al.ArgumentError, match="order_search"):
        al.open_catalog(survey["gaia"]).crossmatch(only)


def test_iter_partitions_streams_with_a_bounded_window(survey, tmp_path):
    import time

    log = tmp_path / "ran"
    cat = al.open_catalog(survey["ztf"], columns=["object_id", "ra", "dec"])

    def note(df):
        with open(log, "a") as f:
            f.write("x")
        return df

    it = cat.map_partitions(note).iter_partitions(window=2)
    first = next(it)
    time.sleep(0.5)  # give a runaway executor time to run ahead
    assert len(first) > 0 and len(log.read_text()) <= 2 < cat.npartitions
    rest = list(it)
    assert len(log.read_text()) == cat.npartitions == len(rest) + 1


def test_docs_first_example_runs_as_written(survey, tmp_path, monkeypatch):
    """The first example of docs/python.md (the README's), on catalogs laid out as the demo's."""
    text = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "python.md")).read()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "catalogs").mkdir()
    for name in ("ztf", "gaia"):
        os.symlink(survey[name], tmp_path / "catalogs" / name)
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(code, "docs/python.md", "exec"), scope)
    pairs = scope["pairs"]
    assert isinstance(pairs, pd.DataFrame) and {"object_id_ztf", "parallax_gaia", "_dist_arcsec"} <= set(pairs.columns)
    assert (pairs.parallax_gaia > 1).all() and (pairs._dist_arcsec <= 1.0).all()
