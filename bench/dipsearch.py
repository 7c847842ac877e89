"""The dimming-star search of engine/lightcurve written with numpy, vectorised over objects.

Same definition as DipFinder::find: per object and band, baseline = median magnitude and
scatter = 1.4826 * MAD (bands with fewer than min_band_points usable points are dropped);
sigma_i = max(scatter, magerr_i); a point is faint when mag - median > nsigma * sigma_i; the
dip is, among runs of consecutive faint points (time order, bands interleaved) with at least
min_points points and sum(z) / sqrt(n) >= min_significance (z = (mag - median) / sigma), the
one with the largest sum(z).

usage: python3 bench/dipsearch.py DIR [--nsigma 2] [--min-points 3] [--min-significance 6] [--chunk 5000]
    DIR holds the .npy arrays from `dipsearch export`. Loading is not timed; the search over
    all objects is (numpy, one core), then the answers are compared with the C++ detector's.
"""
import sys
import time

import numpy as np


def dip_search(off, mjd, mag, err, band, nsigma=2.0, min_points=3, min_significance=6.0, min_band_points=5):
    """Per object: (npoints, depth, duration, start); NaN (npoints 0) where there is no dip."""
    rows = len(off) - 1
    counts = np.diff(off)
    obj = np.repeat(np.arange(rows), counts)
    mjd, mag, err, band = mjd[off[0]:off[-1]], mag[off[0]:off[-1]], err[off[0]:off[-1]], band[off[0]:off[-1]]
    ok = np.isfinite(mjd) & np.isfinite(mag) & np.isfinite(err) & (err >= 0) & (band != 0)
    if not ok.all():
        obj, mjd, mag, err, band = obj[ok], mjd[ok], mag[ok], err[ok], band[ok]
    same = obj[1:] == obj[:-1]
    if np.any((np.diff(mjd) < 0) & same):  # time order within each object (stable)
        o = np.lexsort((mjd, obj))
        obj, mjd, mag, err, band = obj[o], mjd[o], mag[o], err[o], band[o]
        same = obj[1:] == obj[:-1]
    codes = np.unique(band)
    lut = np.zeros(256, dtype=np.int64)
    lut[codes] = np.arange(len(codes))
    nb = max(1, len(codes))
    g = obj * nb + lut[band]
    cnt = np.bincount(g, minlength=rows * nb)
    start = np.cumsum(cnt) - cnt
    lo = start + np.maximum(cnt - 1, 0) // 2
    hi = start + cnt // 2
    n = len(g)

    def group_median(vals):
        s = vals[np.lexsort((vals, g))]
        return 0.5 * (s[np.minimum(lo, n - 1)] + s[np.minimum(hi, n - 1)])

    med = group_median(mag)
    scatter = 1.4826 * group_median(np.abs(mag - med[g]))
    keep = (cnt >= min_band_points)[g]
    obj, mjd, mag, err, g = obj[keep], mjd[keep], mag[keep], err[keep], g[keep]
    dev = mag - med[g]
    sig = np.maximum(scatter[g], err)
    faint = dev > nsigma * sig

    npts = np.zeros(rows, dtype=np.int64)
    depth = np.full(rows, np.nan)
    duration = np.full(rows, np.nan)
    first = np.full(rows, np.nan)
    if not faint.any():
        return npts, depth, duration, first
    prev = np.concatenate(([False], faint[:-1] & (obj[1:] == obj[:-1])))
    run_start = faint & ~prev
    rid = np.cumsum(run_start) - 1
    fi = np.flatnonzero(faint)
    r = rid[fi]
    nrun = int(run_start.sum())
    n_r = np.bincount(r, minlength=nrun)
    score_r = np.bincount(r, weights=dev[fi] / sig[fi], minlength=nrun)
    sum_r = np.bincount(r, weights=dev[fi], minlength=nrun)
    s_pos = np.flatnonzero(run_start)
    e_pos = s_pos + n_r - 1
    q = np.flatnonzero((n_r >= min_points) & (score_r >= min_significance * np.sqrt(n_r)))
    if len(q) == 0:
        return npts, depth, duration, first
    # Best run per object: largest score, the earliest on ties (as the C++ scan keeps).
    o = np.lexsort((q, -score_r[q], obj[s_pos[q]]))
    q = q[o]
    qo = obj[s_pos[q]]
    lead = np.concatenate(([True], qo[1:] != qo[:-1]))
    q, qo = q[lead], qo[lead]
    npts[qo] = n_r[q]
    depth[qo] = sum_r[q] / n_r[q]
    duration[qo] = mjd[e_pos[q]] - mjd[s_pos[q]]
    first[qo] = mjd[s_pos[q]]
    return npts, depth, duration, first


def expected_snr(off, mjd, err, d):
    """Per injected dip: depth * sqrt(sum(1/err^2)) over the points in its flat bottom (the
    middle 80%); 0 for non-dippers. What an ideal matched filter could reach."""
    depth = np.load(f"{d}/truth_dip_depth.npy")
    start = np.load(f"{d}/truth_dip_start_mjd.npy")
    dur = np.load(f"{d}/truth_dip_duration_days.npy")
    sn = np.zeros(len(off) - 1)
    for i in np.flatnonzero(~np.isnan(depth)):
        t, e = mjd[off[i]:off[i + 1]], err[off[i]:off[i + 1]]
        w = (t > start[i] + 0.1 * dur[i]) & (t < start[i] + 0.9 * dur[i])
        sn[i] = depth[i] * np.sqrt(np.sum(1 / e[w] ** 2))
    return sn


def dip_search_chunked(off, mjd, mag, err, band, chunk=5000, **kw):
    rows = len(off) - 1
    parts = [dip_search(off[a:min(a + chunk, rows) + 1], mjd, mag, err, band, **kw) for a in range(0, rows, chunk)]
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))


def main(argv):
    d = argv[1]
    kw = {"nsigma": 2.0, "min_points": 3, "min_significance": 6.0}
    chunk = 5000
    i = 2
    while i < len(argv):
        if argv[i] == "--nsigma":
            kw["nsigma"] = float(argv[i + 1])
        elif argv[i] == "--min-points":
            kw["min_points"] = int(argv[i + 1])
        elif argv[i] == "--min-significance":
            kw["min_significance"] = float(argv[i + 1])
        elif argv[i] == "--chunk":
            chunk = int(argv[i + 1])
        else:
            raise SystemExit("unknown option " + argv[i])
        i += 2
    arr = {k: np.load(f"{d}/{k}.npy") for k in ["offsets", "mjd", "mag", "magerr", "band", "is_dipper"]}
    t0, c0 = time.perf_counter(), time.process_time()
    npts, depth, dur, start = dip_search_chunked(arr["offsets"], arr["mjd"], arr["mag"], arr["magerr"], arr["band"],
                                                 chunk=chunk, **kw)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    rows = len(arr["offsets"]) - 1
    found = npts > 0
    truth = arr["is_dipper"] != 0
    tp, fp, fn = int((found & truth).sum()), int((found & ~truth).sum()), int((~found & truth).sum())
    cpp_n = np.load(f"{d}/cpp_dip_npoints.npy")
    cpp_depth = np.load(f"{d}/cpp_dip_depth.npy")
    agree = int((cpp_n == npts).sum())
    depth_ok = np.allclose(np.nan_to_num(cpp_depth), np.nan_to_num(depth), rtol=1e-9, atol=1e-12)
    print(f"numpy: {rows} objects, {len(arr['mjd'])} points in {secs:.2f} s = {rows / secs:.0f} rows/s (1 core); "
          f"CPU {cpu:.2f} s = {rows / cpu:.0f} rows per CPU second; tp {tp} fp {fp} fn {fn}; npoints agree with C++ on {agree}/{rows} rows, depths match: {depth_ok}")
    try:  # recall by the dip's expected significance (needs --generate exports with truth)
        sn = expected_snr(arr["offsets"], arr["mjd"], arr["magerr"], d)
        for lo, hi in [(0, 5), (5, 10), (10, 20), (20, 1e9)]:
            sel = truth & (sn >= lo) & (sn < hi)
            print(f"  dippers with flat-bottom S/N in [{lo:g}, {hi:g}): {sel.sum()}, recall "
                  f"{(found & sel).sum() / max(1, sel.sum()):.3f}")
    except FileNotFoundError:
        pass
    print(f'{{"rows": {rows}, "numpy_s": {secs:.4f}, "numpy_cpu_s": {cpu:.4f}, "agree": {agree}, "depth_match": {str(depth_ok).lower()}}}')


if __name__ == "__main__":
    main(sys.argv)
