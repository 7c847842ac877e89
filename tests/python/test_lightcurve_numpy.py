"""Light-curve functions (lc_*, dip_*) evaluated by the engine vs numpy on the same arrays.

`dipsearch export --generate N --functions` (bench/dipsearch.cc) writes a synthetic ZTF
catalog's list columns and the engine's per-row answers as .npy; numpy recomputes them here.
Run: /usr/bin/python3 -m pytest tests/python/test_lightcurve_numpy.py
The binary: $DIPSEARCH_BIN, else bench/dipsearch next to $ASTROLAKE_BIN's build, else the
newest /work/main/build*/bench/dipsearch.
"""
import glob
import importlib.util
import os
import subprocess

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def find_binary():
    if os.environ.get("DIPSEARCH_BIN"):
        return os.environ["DIPSEARCH_BIN"]
    al = os.environ.get("ASTROLAKE_BIN")
    if al:
        cand = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(al))), "bench", "dipsearch")
        if os.path.exists(cand):
            return cand
    found = sorted(glob.glob(os.path.join(ROOT, "build*", "bench", "dipsearch")), key=os.path.getmtime)
    return found[-1] if found else None


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    exe = find_binary()
    if not exe:
        pytest.skip("dipsearch not built (cmake --build BUILD --target dipsearch)")
    d = str(tmp_path_factory.mktemp("lc"))
    subprocess.run([exe, "export", "--generate", "6000", "--seed", "11", "--dir", d, "--functions"], check=True,
                   capture_output=True)
    return {os.path.basename(p)[:-4]: np.load(p) for p in glob.glob(d + "/*.npy")}


def rows_of(a, off):
    return [a[off[i]:off[i + 1]] for i in range(len(off) - 1)]


def close(ours, ref, what):
    ours, ref = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    assert np.array_equal(np.isnan(ours), np.isnan(ref)), f"{what}: NULLs differ"
    m = ~np.isnan(ref)
    np.testing.assert_allclose(ours[m], ref[m], rtol=1e-10, atol=1e-10, err_msg=what)


def reduce(lists, fn, min_n=1):
    return np.array([fn(x) if len(x) >= min_n else np.nan for x in lists])


def test_reductions(data):
    off = data["offsets"]
    mag, err = rows_of(data["mag"], off), rows_of(data["magerr"], off)
    assert len(off) == 6001
    np.testing.assert_array_equal(data["fn_lc_n"], np.diff(off))
    close(data["fn_lc_mean"], reduce(mag, np.mean), "lc_mean")
    close(data["fn_lc_median"], reduce(mag, np.median), "lc_median")
    close(data["fn_lc_std"], reduce(mag, lambda x: np.std(x, ddof=1), 2), "lc_std")
    close(data["fn_lc_min"], reduce(mag, np.min), "lc_min")
    close(data["fn_lc_max"], reduce(mag, np.max), "lc_max")
    wm = np.array([np.average(m, weights=1 / e**2) if len(m) else np.nan for m, e in zip(mag, err)])
    close(data["fn_lc_wmean"], wm, "lc_wmean")
    chi = np.array([np.sum(((m - w) / e) ** 2) if len(m) else np.nan for m, e, w in zip(mag, err, wm)])
    close(data["fn_lc_chi2"], chi, "lc_chi2")


def test_band_subsets(data):
    off = data["offsets"]
    mag, err, band = rows_of(data["mag"], off), rows_of(data["magerr"], off), rows_of(data["band"], off)
    r = ord("r")
    mag_r = [m[b == r] for m, b in zip(mag, band)]
    err_r = [e[b == r] for e, b in zip(err, band)]
    np.testing.assert_array_equal(data["fn_lc_n_r"], [len(x) for x in mag_r])
    close(data["fn_lc_mean_r"], reduce(mag_r, np.mean), "lc_mean(lc_where(mag, band, 'r'))")
    close(data["fn_lc_median_r"], reduce(mag_r, np.median), "lc_median(r)")
    close(data["fn_lc_std_r"], reduce(mag_r, lambda x: np.std(x, ddof=1), 2), "lc_std(r)")
    chi = []
    for m, e in zip(mag_r, err_r):
        if len(m) == 0:
            chi.append(np.nan)
            continue
        w = np.average(m, weights=1 / e**2)
        chi.append(np.sum(((m - w) / e) ** 2))
    close(data["fn_lc_chi2_r"], chi, "lc_chi2(r)")


def reference_dip(t, m, e, b, nsigma, min_points, min_sig, min_band_points=5):
    """One object, written plainly: (npoints, depth, duration, start) or (0, nan, nan, nan)."""
    o = np.argsort(t, kind="stable")
    t, m, e, b = t[o], m[o], e[o], b[o]
    dev = np.full(len(t), np.nan)
    sig = np.full(len(t), np.nan)
    for band in np.unique(b):
        sel = b == band
        if sel.sum() < min_band_points:
            continue
        med = np.median(m[sel])
        scatter = 1.4826 * np.median(np.abs(m[sel] - med))
        dev[sel] = m[sel] - med
        sig[sel] = np.maximum(scatter, e[sel])
    keep = ~np.isnan(dev)
    t, dev, sig = t[keep], dev[keep], sig[keep]
    best, run = None, []
    for i in range(len(t) + 1):
        if i < len(t) and dev[i] > nsigma * sig[i]:
            run.append(i)
            continue
        score = sum(dev[j] / sig[j] for j in run)
        if len(run) >= min_points and score >= min_sig * np.sqrt(len(run)):
            if best is None or score > best[0]:
                best = (score, list(run))
        run = []
    if best is None:
        return 0, np.nan, np.nan, np.nan
    run = best[1]
    return len(run), np.mean(dev[run]), t[run[-1]] - t[run[0]], t[run[0]]


def reference_all(data, nsigma, min_points, min_sig, only_band=None):
    off = data["offsets"]
    out = []
    for t, m, e, b in zip(*(rows_of(data[k], off) for k in ["mjd", "mag", "magerr", "band"])):
        if only_band is not None:
            s = b == ord(only_band)
            t, m, e, b = t[s], m[s], e[s], np.zeros(s.sum(), dtype=np.uint8)
        out.append(reference_dip(t, m, e, b, nsigma, min_points, min_sig))
    return [np.array(c, dtype=float) for c in zip(*out)]


def test_dips_default(data):
    n, depth, dur, start = reference_all(data, 2.0, 3, 6.0)  # the defaults
    np.testing.assert_array_equal(data["fn_dip_npoints"], n)
    close(data["fn_dip_depth"], depth, "dip_depth")
    close(data["fn_dip_duration"], dur, "dip_duration")
    close(data["fn_dip_start"], start, "dip_start")
    np.testing.assert_array_equal(data["fn_is_dipper"], n > 0)
    assert (n > 0).sum() >= 3  # some injected dips are found (most are too faint to see)
    # dip_max_depth bounds the mean depth of the same run
    m = n > 0
    assert np.all(data["fn_dip_max_depth"][m] >= data["fn_dip_depth"][m] - 1e-12)


def test_dips_loose_and_single_band(data):
    n, depth, dur, start = reference_all(data, 2.0, 2, 0.0)
    assert (n > 0).sum() >= 100  # loose settings: many real runs compared, not just "none"
    np.testing.assert_array_equal(data["fn_dip_npoints_2s2"], n)
    close(data["fn_dip_depth_2s2"], depth, "dip_depth 2 sigma")
    close(data["fn_dip_duration_2s2"], dur, "dip_duration 2 sigma")
    close(data["fn_dip_start_2s2"], start, "dip_start 2 sigma")
    n_r = reference_all(data, 4.0, 2, 0.0, only_band="r")[0]
    np.testing.assert_array_equal(data["fn_dip_npoints_r_4s2"], n_r)


def test_vectorised_bench_matches(data):
    """bench/dipsearch.py (the numpy side of the benchmark) computes the same search."""
    spec = importlib.util.spec_from_file_location("dipsearch", os.path.join(ROOT, "bench", "dipsearch.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for nsigma, k, ms, pre in [(2.0, 3, 6.0, "fn_dip_"), (2.0, 2, 0.0, None)]:
        n, depth, dur, start = mod.dip_search_chunked(data["offsets"], data["mjd"], data["mag"], data["magerr"],
                                                      data["band"], chunk=1700, nsigma=nsigma, min_points=k,
                                                      min_significance=ms)
        suffix = "" if pre else "_2s2"
        np.testing.assert_array_equal(n, data["fn_dip_npoints" + suffix])
        close(depth, data["fn_dip_depth" + suffix], "numpy depth")
        close(dur, data["fn_dip_duration" + suffix], "numpy duration")
        close(start, data["fn_dip_start" + suffix], "numpy start")
