"""A Dask scheduler and two workers as separate hosts: each in its own network namespace with
its own address (ip netns + veth pairs on a bridge), the catalogs on a path every host sees.
The same code connected with Client("tcp://ADDR:PORT") gives the in-process results."""
import os
import shutil
import subprocess
import sys
import time

import pandas as pd
import pytest

import astrolake as al

TAG = f"al{os.getpid() % 100000}"
NET = f"10.{200 + os.getpid() % 50}.{(os.getpid() // 50) % 250}"
HOSTS = {"sched": 2, "w1": 3, "w2": 4}


def _ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def _teardown(procs):
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    for h in HOSTS:
        _ip("netns", "del", f"{TAG}{h}", check=False)
    _ip("link", "del", f"{TAG}br", check=False)


@pytest.fixture(scope="module")
def hosts():
    if shutil.which("ip") is None:
        pytest.skip("the ip command (iproute2) is not installed")
    probe = _ip("netns", "add", f"{TAG}probe", check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make network namespaces here (ip netns add: {probe.stderr.strip()})")
    _ip("netns", "del", f"{TAG}probe", check=False)
    procs = []
    try:
        _ip("link", "add", f"{TAG}br", "type", "bridge")
        _ip("addr", "add", f"{NET}.1/24", "dev", f"{TAG}br")
        _ip("link", "set", f"{TAG}br", "up")
        for h, last in HOSTS.items():
            ns, host_end, ns_end = f"{TAG}{h}", f"{TAG}{h}h", f"{TAG}{h}n"
            _ip("netns", "add", ns)
            _ip("link", "add", host_end, "type", "veth", "peer", "name", ns_end)
            _ip("link", "set", ns_end, "netns", ns)
            _ip("link", "set", host_end, "master", f"{TAG}br")
            _ip("link", "set", host_end, "up")
            _ip("netns", "exec", ns, "ip", "addr", "add", f"{NET}.{last}/24", "dev", ns_end)
            _ip("netns", "exec", ns, "ip", "link", "set", ns_end, "up")
            _ip("netns", "exec", ns, "ip", "link", "set", "lo", "up")
        bindir = os.path.dirname(sys.executable)
        env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
        sched = f"tcp://{NET}.2:8786"
        procs.append(subprocess.Popen(["ip", "netns", "exec", f"{TAG}sched", f"{bindir}/dask", "scheduler", "--host",
                                       f"{NET}.2", "--port", "8786", "--no-dashboard"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for w in ("w1", "w2"):
            procs.append(subprocess.Popen(["ip", "netns", "exec", f"{TAG}{w}", f"{bindir}/dask", "worker", sched,
                                           "--host", f"{NET}.{HOSTS[w]}", "--nthreads", "1", "--no-dashboard"],
                                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        yield sched
    finally:
        _teardown(procs)


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
            client = Client(hosts, timeout=5)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)
    try:
        client.wait_for_workers(2, timeout=60)
        addrs = sorted(w.split("//")[1].split(":")[0] for w in client.scheduler_info()["workers"])
        assert addrs == [f"{NET}.3", f"{NET}.4"]
        for k, plan in _plans(survey).items():
            remote = plan.compute(progress=False)
            assert len(remote) > 0
            pd.testing.assert_frame_equal(remote, in_process[k])
        # Both hosts did work.
        counts = client.run(lambda dask_worker: len(dask_worker.data) + dask_worker.state.executed_count)
        assert all(v > 0 for v in counts.values())
    finally:
        client.close()
