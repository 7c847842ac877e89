"""Interoperability with LSDB, both ways: catalogs written by hats-import and by LSDB open in
astrolake with identical values; catalogs written by astrolake open in LSDB, and LSDB's cone
search and cross-match on them give the same rows as astrolake's."""
import os

import numpy as np
import pandas as pd
import pytest

import astrolake as al
from conftest import HATS, haversine_deg

lsdb = pytest.importorskip("lsdb")


def _frame(n=4000, seed=3):
    rng = np.random.default_rng(seed)
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    # A dense patch so several partition orders appear.
    k = n // 2
    ra[:k] = rng.uniform(40, 50, k)
    dec[:k] = rng.uniform(-5, 5, k)
    return pd.DataFrame({"obj_id": np.arange(n, dtype=np.int64), "ra": ra, "dec": dec,
                         "mag": rng.normal(18, 1, n), "name": [f"o{i}" for i in range(n)]})


def _same_rows(a, b, key):
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    for c in a.columns:
        np.testing.assert_array_equal(a[c].to_numpy(), b[c].to_numpy(), err_msg=c)


def test_lsdb_fixture_collections_open_identically():
    for rel in ["small_sky_order1_collection", "small_sky_source", "small_sky_order3_source"]:
        path = os.path.join(HATS, rel)
        ours = al.open_catalog(path).compute(progress=False)
        theirs = lsdb.open_catalog(path).compute()
        assert ours.index.name == theirs.index.name == "_healpix_29"
        np.testing.assert_array_equal(np.sort(ours.index.to_numpy()), np.sort(theirs.index.to_numpy()))
        key = "id" if "id" in ours.columns else "source_id"
        _same_rows(ours[list(theirs.columns)], pd.DataFrame(theirs), key)


def test_catalog_written_by_lsdb_opens_in_astrolake(tmp_path):
    df = _frame()
    path = tmp_path / "by_lsdb"
    lsdb.from_dataframe(df, ra_column="ra", dec_column="dec", lowest_order=1, highest_order=6,
                        partition_rows=500).write_catalog(path, catalog_name="by_lsdb")
    cat = al.open_catalog(path)
    assert len({o for o, _ in cat.pixels}) >= 2  # several partition orders
    got = cat.compute(progress=False)
    _same_rows(got[["obj_id", "ra", "dec", "mag"]], df[["obj_id", "ra", "dec", "mag"]], "obj_id")
    assert list(got.sort_values("obj_id").name[:3]) == ["o0", "o1", "o2"]
    cone = cat.cone_search(45, 0, 3600).compute(progress=False)
    sep = haversine_deg(df.ra, df.dec, 45, 0)
    assert sorted(cone.obj_id) == sorted(df.obj_id[sep <= 1.0])


def test_catalog_written_by_hats_import_opens_in_astrolake(tmp_path):
    from distributed import Client
    from hats_import.catalog.arguments import ImportArguments
    from hats_import.pipeline import pipeline_with_client

    df = _frame(seed=5)
    csv = tmp_path / "in.csv"
    df.to_csv(csv, index=False)
    args = ImportArguments(output_artifact_name="by_hats_import", input_file_list=[str(csv)], file_reader="csv",
                           ra_column="ra", dec_column="dec", pixel_threshold=600, highest_healpix_order=6,
                           output_path=str(tmp_path), progress_bar=False)
    with Client(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as client:
        pipeline_with_client(args, client)
    cat = al.open_catalog(tmp_path / "by_hats_import")
    got = cat.compute(progress=False)
    _same_rows(got[["obj_id", "ra", "dec", "mag"]], df[["obj_id", "ra", "dec", "mag"]], "obj_id")
    theirs = lsdb.open_catalog(tmp_path / "by_hats_import").compute()
    np.testing.assert_array_equal(np.sort(got.index.to_numpy()), np.sort(theirs.index.to_numpy()))


def test_astrolake_catalog_in_lsdb_same_cone_and_crossmatch(tmp_path):
    df = _frame(seed=9)
    left = al.from_dataframe(df, path=tmp_path / "left", margin_arcsec=20, partition_rows=700)
    rng = np.random.default_rng(1)
    other = df.sample(1500, random_state=2).assign(
        ra=lambda d: d.ra + rng.normal(0, 0.5 / 3600, len(d)), dec=lambda d: d.dec + rng.normal(0, 0.5 / 3600, len(d)))
    other = other.rename(columns={"obj_id": "other_id"})[["other_id", "ra", "dec"]]
    right = al.from_dataframe(other, path=tmp_path / "right", margin_arcsec=20, partition_rows=400)
    written = tmp_path / "written"
    left.write_catalog(written, margin_arcsec=20, progress=False)

    l_lsdb = lsdb.open_catalog(written)
    r_lsdb = lsdb.open_catalog(tmp_path / "right")
    ours = al.open_catalog(written).cone_search(45, 0, 10800).compute(progress=False)
    theirs = l_lsdb.cone_search(45, 0, 10800).compute()
    assert len(ours) > 50 and sorted(ours.obj_id) == sorted(theirs.obj_id)

    ours_x = al.open_catalog(written).crossmatch(al.open_catalog(tmp_path / "right"), radius_arcsec=3).compute(
        progress=False)
    theirs_x = l_lsdb.crossmatch(r_lsdb, radius_arcsec=3, n_neighbors=1).compute()
    assert len(ours_x) > 1000
    a = sorted(zip(ours_x.obj_id_written, ours_x.other_id_right))
    b = sorted(zip(theirs_x["obj_id_written"], theirs_x["other_id_right"]))
    assert a == b


def test_nested_light_curves_match_lsdb():
    # LSDB's nested column `sources` (list<struct>) arrives as one list column per field,
    # named as LSDB addresses them ("sources.mag"), usable by the light-curve functions.
    path = os.path.join(HATS, "small_sky_order1_nested_sources")
    ours = al.open_catalog(path).compute(progress=False).sort_values("id")
    theirs = lsdb.open_catalog(path).compute().sort_values("id")
    assert len(ours) == len(theirs) > 0
    lengths = []
    for i in range(len(ours)):
        nested = theirs["sources"].iloc[i]  # this object's light curve, a DataFrame
        lengths.append(len(nested))
        for field in ["mjd", "mag", "band"]:
            assert list(ours[f"sources.{field}"].iloc[i]) == list(nested[field]), (i, field)
    feats = al.open_catalog(path).lc_features(time="sources.mjd", mag="sources.mag", err="sources.mag",
                                              band=None, keep=["id"], dips=False).compute(progress=False)
    feats = feats.sort_values("id")
    np.testing.assert_array_equal(feats.n.to_numpy(), lengths)
    np.testing.assert_allclose(feats["mean"].to_numpy(), [np.mean(theirs["sources"].iloc[i]["mag"])
                                                          for i in range(len(theirs))])


def test_cli_imported_catalogs_in_lsdb(survey):
    # Collections made by `astrolake import --margin-arcsec` (light curves as list columns).
    l_ztf = lsdb.open_catalog(survey["ztf"], columns=["object_id", "ra", "dec", "mag"])
    l_gaia = lsdb.open_catalog(survey["gaia"], columns=["source_id", "ra", "dec"])
    ztf = al.open_catalog(survey["ztf"], columns=["object_id", "ra", "dec", "mag"])
    gaia = al.open_catalog(survey["gaia"], columns=["source_id", "ra", "dec"])
    ours = ztf.cone_search(270, -20, 20 * 3600).compute(progress=False)
    theirs = l_ztf.cone_search(270, -20, 20 * 3600).compute()
    assert len(ours) > 10 and sorted(ours.object_id) == sorted(theirs.object_id)
    mine = ours.sort_values("object_id")
    other = theirs.sort_values("object_id")
    for a, b in zip(mine.mag, other.mag):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    ox = ztf.crossmatch(gaia, radius_arcsec=1.0).compute(progress=False)
    tx = l_ztf.crossmatch(l_gaia, radius_arcsec=1.0, n_neighbors=1).compute()
    assert len(ox) > 100
    assert sorted(zip(ox.object_id_ztf, ox.source_id_gaia)) == sorted(zip(tx.object_id_ztf, tx.source_id_gaia))
