"""The Python API side by side with the CLI and with LSDB, in one run, printing ratios.

  1. cone       a cone search to a pandas result: astrolake.compute() vs `astrolake cone`
                (Parquet out) vs LSDB cone_search().compute()
  2. xmatch     ZTF x Gaia 1", nearest: compute() vs `astrolake xmatch` vs LSDB crossmatch
  3. lc_mean    a map_partitions light-curve statistic (mean magnitude per object) vs LSDB
                map_partitions; plus astrolake's lc_features (C++) for the same statistic
  4. workers    the cross-match on LocalCluster with 1 vs 2 single-threaded workers
  5. open       open_catalog of a ~1000-partition catalog vs lsdb.open_catalog

Usage: .venv/bin/python bench/python_api.py [--rows N] [--dir out/bench-python] [--skip-lsdb]
                                            [--steps cone,xmatch,lc,workers,open]
Data are generated with the CLI (build/src/cli/astrolake) and kept in --dir for later runs.
"""
import argparse
import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.environ.get("ASTROLAKE_BIN", os.path.join(ROOT, "build", "src", "cli", "astrolake"))


def cli(*args):
    subprocess.run([CLI, *map(str, args)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(fn, repeat=1):
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        best = dt if best is None or dt < best else best
    return best, out


def prepare(d, rows):
    os.makedirs(d, exist_ok=True)
    ztf, gaia, many = (os.path.join(d, x) for x in (f"ztf{rows}", f"gaia{rows}", "many"))
    if not os.path.isdir(ztf):
        cli("generate", "ztf", "--rows", rows, "--seed", 1, "-o", ztf + ".parquet", "-q")
        cli("import", ztf + ".parquet", "--ra", "ra", "--dec", "dec", "-o", ztf, "--max-rows", max(rows // 40, 1000),
            "--margin-arcsec", 5)
    if not os.path.isdir(gaia):
        cli("generate", "gaia", "--rows", rows, "--seed", 1, "-o", gaia + ".parquet", "-q")
        cli("import", gaia + ".parquet", "--ra", "ra", "--dec", "dec", "-o", gaia, "--max-rows", max(rows // 40, 1000),
            "--margin-arcsec", 5)
    if not os.path.isdir(many):
        cli("generate", "gaia", "--rows", 400000, "--seed", 3, "-o", many + ".parquet", "-q")
        cli("import", many + ".parquet", "--ra", "ra", "--dec", "dec", "-o", many, "--max-rows", 300)
    return ztf, gaia, many


def row(name, a, b, label):
    print(f"{name:<34} astrolake {a:8.3f} s   {label} {b:8.3f} s   ratio {b / a:6.2f}x", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dir", default=os.path.join(ROOT, "out", "bench-python"))
    ap.add_argument("--skip-lsdb", action="store_true")
    ap.add_argument("--steps", default="cone,xmatch,lc,workers,open", help="comma-separated subset to run")
    a = ap.parse_args()
    steps = set(a.steps.split(","))
    import astrolake as al

    ztf_p, gaia_p, many_p = prepare(a.dir, a.rows)
    ztf = al.open_catalog(ztf_p, columns=["object_id", "ra", "dec", "mag"])
    gaia = al.open_catalog(gaia_p, columns=["source_id", "ra", "dec", "phot_g_mean_mag"])
    print(f"rows {a.rows}, {ztf.npartitions} ztf and {gaia.npartitions} gaia partitions, cores {os.cpu_count()}, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    if not a.skip_lsdb:
        import lsdb
        lz = lsdb.open_catalog(ztf_p, columns=["object_id", "ra", "dec", "mag"])
        lg = lsdb.open_catalog(gaia_p, columns=["source_id", "ra", "dec", "phot_g_mean_mag"])

    if "cone" in steps:
        # 1. cone
        ra, dec, r = 280.0, -20.0, 5 * 3600
        t_py, df = timed(lambda: gaia.cone_search(ra, dec, r).compute(progress=False), 3)
        out = os.path.join(a.dir, "cone.parquet")
        t_cli, _ = timed(lambda: cli("cone", gaia_p, "--ra", ra, "--dec", dec, "--radius-arcsec", r, "--columns",
                                     "source_id,ra,dec,phot_g_mean_mag", "-o", out, "--overwrite"), 3)
        print(f"cone: {len(df)} rows")
        row("cone (Python vs CLI)", t_py, t_cli, "CLI ")
        if not a.skip_lsdb:
            t_l, ldf = timed(lambda: lg.cone_search(ra, dec, r).compute(), 3)
            assert len(ldf) == len(df)
            row("cone (vs LSDB)", t_py, t_l, "LSDB")

    if "xmatch" in steps:
        # 2. cross-match (the CLI writes every column of both sides, so the Python side reads them all too)
        ztf_all, gaia_all = al.open_catalog(ztf_p, columns="all"), al.open_catalog(gaia_p, columns="all")
        t_all, xa = timed(lambda: ztf_all.crossmatch(gaia_all, radius_arcsec=1.0).compute(progress=False))
        out = os.path.join(a.dir, "xm.parquet")
        t_cli, _ = timed(lambda: cli("xmatch", ztf_p, gaia_p, "--radius-arcsec", 1, "-o", out, "--overwrite"))
        row("xmatch all columns (Python vs CLI)", t_all, t_cli, "CLI ")
        t_py, xm = timed(lambda: ztf.crossmatch(gaia, radius_arcsec=1.0).compute(progress=False))
        print(f"xmatch: {len(xm)} pairs, {a.rows / t_py:,.0f} left rows/s (4 columns each side)")
        if not a.skip_lsdb:
            t_l, lxm = timed(lambda: lz.crossmatch(lg, radius_arcsec=1.0, n_neighbors=1).compute())
            print(f"  LSDB pairs {len(lxm)}; LSDB {a.rows / t_l:,.0f} left rows/s")
            row("xmatch 4 columns (vs LSDB)", t_py, t_l, "LSDB")

    if "lc" in steps:
        # 3. light-curve statistic through map_partitions
        import numpy as np
        import pandas as pd

        def mean_mag(df):
            return pd.DataFrame({"object_id": df.object_id.to_numpy(), "m": [float(np.mean(x)) for x in df.mag]})

        def mean_mag_arrow(df):
            # The same statistic without a Python loop over rows: numpy on the Arrow list buffers.
            import pyarrow as pa
            import pyarrow.compute as pc

            mags = pa.array(df.mag)
            if isinstance(mags, pa.ChunkedArray):
                mags = mags.combine_chunks()
            counts = pc.list_value_length(mags).to_numpy(zero_copy_only=False)
            sums = np.bincount(pc.list_parent_indices(mags).to_numpy(), weights=pc.list_flatten(mags).to_numpy(),
                               minlength=len(df))
            return pd.DataFrame({"object_id": df.object_id.to_numpy(), "m": sums / counts})

        t_py, mm = timed(lambda: ztf.map_partitions(mean_mag).compute(progress=False))
        t_pa, ma = timed(lambda: ztf.map_partitions(mean_mag_arrow).compute(progress=False))
        np.testing.assert_allclose(ma.m.to_numpy(), mm.m.to_numpy())
        t_c, _ = timed(lambda: ztf.lc_features(keep=["object_id"], dips=False).compute(progress=False))
        print(f"lc mean: {len(mm)} objects; lc_features (C++, 9 statistics) {t_c:.3f} s")
        if not a.skip_lsdb:
            t_l, lmm = timed(lambda: lz.map_partitions(mean_mag, meta={"object_id": "i8", "m": "f8"}).compute())
            assert len(lmm) == len(mm)
            row("map_partitions lc mean (vs LSDB)", t_py, t_l, "LSDB")
            t_la, lma = timed(lambda: lz.map_partitions(mean_mag_arrow, meta={"object_id": "i8", "m": "f8"}).compute())
            assert len(lma) == len(ma)
            row("map_partitions lc mean, Arrow (vs LSDB)", t_pa, t_la, "LSDB")
            row("lc_features vs LSDB map_partitions", t_c, t_l, "LSDB")

    if "workers" in steps:
        # 4. 1 vs 2 workers
        from distributed import Client, LocalCluster

        times = {}
        for n in (1, 2):
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as c, Client(c):
                times[n], _ = timed(lambda: ztf.crossmatch(gaia, radius_arcsec=1.0).compute(progress=False), 2)
        print(f"xmatch LocalCluster 1 worker {times[1]:.3f} s, 2 workers {times[2]:.3f} s, speed-up {times[1] / times[2]:.2f}x")

    if "open" in steps:
        # 5. open a ~1000-partition catalog, each in a fresh process (no warm caches), best of 3
        import sys

        def first_open(code):
            out = subprocess.run([sys.executable, "-c", "import time, sys\n" + code], capture_output=True, text=True,
                                 check=True)
            return float(out.stdout.split()[-1])

        t_o = min(first_open(f"import astrolake as al\nt = time.perf_counter()\nc = al.open_catalog({many_p!r})\n"
                             "print(c.npartitions, time.perf_counter() - t)") for _ in range(3))
        n_parts = al.open_catalog(many_p).npartitions
        line = f"open_catalog {n_parts} partitions (first open in a new process): astrolake {t_o:.3f} s"
        if not a.skip_lsdb:
            t_lo = min(first_open(f"import lsdb\nt = time.perf_counter()\nc = lsdb.open_catalog({many_p!r})\n"
                                  "print(time.perf_counter() - t)") for _ in range(3))
            line += f", LSDB {t_lo:.3f} s ({t_lo / t_o:.1f}x)"
        print(line)


if __name__ == "__main__":
    main()
