"""The same plans on a real Dask LocalCluster with 2 worker processes give DataFrames
identical to the in-process run; client.compute(cat) returns a Future; Ctrl-C cancels."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

import astrolake as al


def _plans(survey):
    ztf = al.open_catalog(survey["ztf"], columns=["object_id", "ra", "dec", "mag"])
    gaia = al.open_catalog(survey["gaia"], columns=["source_id", "ra", "dec", "phot_g_mean_mag"])
    return {
        "cone": ztf.cone_search(270, -20, 30 * 3600),
        "query": gaia.query("phot_g_mean_mag < 19"),
        "xmatch": ztf.crossmatch(gaia, radius_arcsec=1.0),
        "map": ztf.map_partitions(lambda df: df.assign(n=[len(x) for x in df.mag])[["object_id", "n"]]),
        "lc": ztf.lc_features(keep=["object_id"], dips=False),
    }


@pytest.fixture(scope="module")
def local_results(survey):
    # Requested before `cluster`, so no Client exists yet: local threads.
    import astrolake._execute as ex

    assert ex.client() is None
    return {k: p.compute(progress=False) for k, p in _plans(survey).items()}


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(c)
    yield client
    client.close()
    c.close()


def test_local_cluster_identical_to_in_process(survey, local_results, cluster, capsys):
    plans = _plans(survey)
    remote = {k: p.compute(progress=False) for k, p in plans.items()}
    fut = cluster.compute(plans["cone"])
    assert type(fut).__name__ == "Future"
    pids = cluster.run(os.getpid)
    assert len(pids) == 2 and os.getpid() not in pids.values()
    for k in plans:
        assert len(local_results[k]) > 0, k
        pd.testing.assert_frame_equal(remote[k], local_results[k])
    pd.testing.assert_frame_equal(fut.result(), local_results["cone"])
    # The progress bar follows the cluster's tasks.
    capsys.readouterr()
    plans["query"].compute(progress=True)
    n = plans["query"].npartitions
    assert f"{n}/{n}" in capsys.readouterr().err
    # Streaming runs on the workers too.
    streamed = pd.concat(list(plans["query"].iter_partitions()))
    pd.testing.assert_frame_equal(streamed, local_results["query"])


def test_cluster_runs_partitions_in_batches(survey, cluster, tmp_path):
    """Partitions whose work is milliseconds go to the workers several per task (one future
    each would cost more in scheduling than the work), with the same result."""
    from distributed import get_task_stream

    import astrolake._execute as ex

    gaia = pd.read_parquet(survey["gaia_parquet"], columns=["source_id", "ra", "dec"])
    many = al.from_dataframe(gaia, path=tmp_path / "many", partition_rows=100, margin_arcsec=0)
    n = many.npartitions
    size = ex.batch_size(n, 2)
    assert n >= 40 and size > 1
    with get_task_stream(cluster) as ts:
        remote = many.compute(progress=False)
    runs = [t for t in ts.data if "batch" in str(t["key"])]
    assert len(runs) == -(-n // size)
    assert len({t["worker"] for t in runs}) == 2  # both workers got some
    assert len(remote) == len(gaia) and sorted(remote.source_id) == sorted(gaia.source_id)


@pytest.mark.parametrize("mode", ["threads", "cluster"])
def test_keyboard_interrupt_cancels_promptly(tmp_path, survey, mode):
    script = tmp_path / "slow.py"
    script.write_text(textwrap.dedent(f"""
        import time, sys
        import astrolake as al
        if __name__ == "__main__":
            client = None
            if {mode!r} == "cluster":
                from distributed import Client
                client = Client(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
            cat = al.open_catalog({survey['ztf']!r})
            def slow(df):
                time.sleep(2)
                return df
            print("start", flush=True)
            try:
                cat.map_partitions(slow).compute(progress=False)
            except KeyboardInterrupt:
                if client is not None:
                    time.sleep(0.5)
                    left = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))
                    print("tasks left", left, flush=True)
                print("interrupted", flush=True)
                sys.exit(3)
    """))
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "start"
    time.sleep(1.5)
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    rc = p.wait(timeout=60)
    out = p.stdout.read().split("\n")
    # Without cancelling, every partition x 2 s would still run; in-flight tasks end within
    # one task's time.
    assert rc == 3 and "interrupted" in out
    assert time.time() - t0 < 2 * 2 + 4
    if mode == "cluster":
        assert "tasks left 0" in out
    # ... while running every partition would take far longer.
    assert al.open_catalog(survey["ztf"]).npartitions * 2 / 2 > 8
