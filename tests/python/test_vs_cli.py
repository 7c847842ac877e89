"""The Python path gives what the astrolake command gives on the same catalogs; progress bars
advance with and without a Client; compute() warns above its size threshold."""
import warnings

import numpy as np
import pandas as pd

import astrolake as al
import astrolake.catalog
from conftest import run_cli


def test_cone_equals_cli(survey, tmp_path):
    out = tmp_path / "cone.csv"
    run_cli("cone", survey["gaia"], "--ra", 280, "--dec", -20, "--radius-arcsec", 40000,
            "--columns", "source_id,ra,dec", "-o", out)
    cli = pd.read_csv(out).sort_values("source_id").reset_index(drop=True)
    py = (al.open_catalog(survey["gaia"])[["source_id", "ra", "dec"]].cone_search(280, -20, 40000)
          .compute(progress=False).sort_values("source_id").reset_index(drop=True))
    assert len(cli) > 20
    pd.testing.assert_frame_equal(py, cli, check_dtype=False)


def test_crossmatch_equals_cli(survey, tmp_path):
    out = tmp_path / "xm.csv"
    run_cli("xmatch", survey["ztf"], survey["gaia"], "--radius-arcsec", 2, "--k", "all", "-o", out)
    cli = pd.read_csv(out)
    ztf = al.open_catalog(survey["ztf"], columns=["object_id", "ra", "dec"])
    gaia = al.open_catalog(survey["gaia"], columns=["source_id", "ra", "dec"])
    py = ztf.crossmatch(gaia, radius_arcsec=2, n_neighbors=None).compute(progress=False)
    a = sorted(zip(py.object_id_ztf, py.source_id_gaia))
    b = sorted(zip(cli.object_id_ztf, cli.source_id_gaia))
    assert len(a) > 100 and a == b
    np.testing.assert_allclose(np.sort(py._dist_arcsec.to_numpy()), np.sort(cli._dist_arcsec.to_numpy()),
                               rtol=1e-9, atol=1e-9)


def test_progress_bar_without_client(survey, capsys):
    al.open_catalog(survey["gaia"]).compute(progress=True)
    err = capsys.readouterr().err
    n = al.open_catalog(survey["gaia"]).npartitions
    assert f"{n}/{n}" in err and "100%" in err


def test_compute_warns_above_threshold(survey, monkeypatch):
    cat = al.open_catalog(survey["gaia"])
    monkeypatch.setattr(astrolake.catalog, "WARN_BYTES", 1000)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        cat.compute(progress=False)
    assert any("iter_partitions" in str(x.message) for x in w)
    monkeypatch.setattr(astrolake.catalog, "WARN_BYTES", 1 << 40)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        cat.compute(progress=False)
    assert not [x for x in w if issubclass(x.category, ResourceWarning)]
