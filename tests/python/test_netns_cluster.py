"""A Dask scheduler and two workers as separate hosts: each in its own network namespace with
its own address (ip netns + veth pairs on a bridge), the catalogs on a path every host sees.
The same code connected with Client("tcp://ADDR:PORT") gives the in-process results."""
import os
import time

import pandas as pd
import pytest

import astrolake as al
from netns import Hosts, start_dask, stop

HOSTS = {"sched": 2, "w1": 3, "w2": 4}


@pytest.fixture(scope="module")
def hosts():
    hosts = Hosts()
    why = hosts.unavailable()
    if why:
        pytest.skip(why)
    procs = []
    try:
        hosts.make_bridge()
        for h, last in HOSTS.items():
            hosts.add(h, last)
        a = hosts.addr
        sched = start_dask(hosts, os.environ, procs)
        yield {"sched": sched, "addr": a}
    finally:
        stop(procs)
        hosts.remove()


def _plans(survey):
    ztf = al.open_catalog(survey["ztf"], columns=["object_id", "ra", "dec", "mag"])
    gaia = al.open_catalog(survey["gaia"], columns=["source_id", "ra", "dec", "phot_g_mean_mag"])
    return {"cone": gaia.cone_search(270, -20, 30 * 3600), "xmatch": ztf.crossmatch(gaia, radius_arcsec=1.0),
            "lc": ztf.lc_features(keep=["object_id"], dips=False)}


@pytest.fixture(scope="module")
def in_process(survey):
    import astrolake._execute as ex

    assert ex.client() is None
    return {k: p.compute(progress=False) for k, p in _plans(survey).items()}


def test_namespace_hosts_cluster_identical(survey, in_process, hosts):
    from distributed import Client

    deadline = time.time() + 60
    client = None
    while client is None:
        try:
            client = Client(hosts["sched"], timeout=5)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)
    try:
        client.wait_for_workers(2, timeout=60)
        addrs = sorted(w.split("//")[1].split(":")[0] for w in client.scheduler_info()["workers"])
        assert addrs == [hosts["addr"]["w1"], hosts["addr"]["w2"]]
        for k, plan in _plans(survey).items():
            remote = plan.compute(progress=False)
            assert len(remote) > 0
            pd.testing.assert_frame_equal(remote, in_process[k])
        # Both hosts did work.
        counts = client.run(lambda dask_worker: len(dask_worker.data) + dask_worker.state.executed_count)
        assert all(v > 0 for v in counts.values())
    finally:
        client.close()
