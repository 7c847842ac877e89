"""The platform as separate hosts on one machine: an S3 object store (Ceph radosgw), the astrolake
service, a Dask scheduler, two Dask workers and a "hub" host, each in its own network namespace
with its own address (tests/python/netns.py). The catalogs live only on the S3 server. A notebook
run on the hub host cross-matches two s3:// catalogs on the scheduler (the workers open the
s3:// URLs themselves) and writes the pairs to the user's storage on the service host; they
must equal the in-process cross-match of the same catalogs. The hub host runs it twice: with
nbclient and a bare kernel, and through the platform's JupyterHub (login form, the user's own
server, the Jupyter REST and kernel WebSocket API), where notebook 07 also runs."""
import io
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest
import requests

import astrolake as al
from astrolake._arrow import to_pandas  # the package's own Arrow -> pandas types (list columns)
from conftest import HATS, ROOT, cli_path, start_service
from netns import Hosts, start_dask, stop
from test_notebooks import check_user_pipeline

sys.path.insert(0, os.path.join(ROOT, "tests", "hub"))
from notebook_runner import ServerSession, notebook  # noqa: E402  (drives a Jupyter server like a browser)
from reach import others_can_reach  # noqa: E402

PLATFORM = os.path.join(os.path.dirname(sys.executable), "astrolake-platform")
S3_SCRIPT = os.path.join(ROOT, "tests", "storage", "s3_server.sh")
KEYS = {"AWS_ACCESS_KEY_ID": "astrolake-test", "AWS_SECRET_ACCESS_KEY": "astrolake-test-secret",
        "AWS_REGION": "us-east-1"}
BUCKET = "astrolake-test"
USER, HUB_USER = "ada", "jv" + secrets.token_hex(3)  # the hub makes machine-wide accounts: a fresh name
PASSWORDS = {USER: "ada's passphrase on the platform", HUB_USER: "a passphrase for the hub user"}
HOSTS = {"s3": 2, "svc": 3, "sched": 4, "w1": 5, "w2": 6, "hub": 7}


def _s3_env(endpoint):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return dict(env, AWS_ENDPOINT_URL=endpoint, **KEYS)


def _import(endpoint, parquet, name, ra="ra", dec="dec"):
    out = subprocess.run([cli_path(), "import", parquet, "--ra", ra, "--dec", dec, "-o",
                          f"s3://{BUCKET}/{name}", "--max-rows", "800", "--margin-arcsec", "10", "--threads", "2"],
                         env=_s3_env(endpoint), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr


def _start_s3(hosts, s3_dir, addr):
    """Starts the S3 server on its host; a second try when the first fails (the new OSD now and
    then cannot register with the new monitor, see s3_server.sh)."""
    for attempt in (1, 2):
        out = subprocess.run([*hosts.on("s3"), "bash", S3_SCRIPT, "start", str(s3_dir), "7480", addr],
                             capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=180)
        if out.returncode == 0:
            return
        logs = "".join(f"\n== {f}\n" + f.read_text(errors="replace")[-2000:] for f in (s3_dir / "log").glob("*.log"))
        subprocess.run(["bash", S3_SCRIPT, "stop", str(s3_dir)], capture_output=True, timeout=60)
    raise RuntimeError(f"the S3 server did not start: {out.stderr}{logs}")


@pytest.fixture(scope="module")
def platform(survey, tmp_path_factory):
    hosts = Hosts()
    why = hosts.unavailable()
    if why:
        pytest.skip(why)
    if shutil.which("radosgw") is None:
        pytest.skip("radosgw is not installed (bash scripts/install-deps.sh installs it)")
    d = tmp_path_factory.mktemp("platform")
    procs, s3_dir = [], d / "s3"
    try:
        hosts.make_bridge()
        for name, last in HOSTS.items():
            hosts.add(name, last)
        a = hosts.addr
        # The object store host, and the catalogs on it (written from this host over the bridge).
        endpoint = f"http://{a['s3']}:7480"
        _start_s3(hosts, s3_dir, a["s3"])
        _import(endpoint, survey["ztf_parquet"], "ztf")
        _import(endpoint, survey["gaia_parquet"], "gaia")
        # The service host: its own catalogs folder (a fixture) and the users' storage.
        (d / "root").mkdir()
        shutil.copytree(os.path.join(HATS, "small_sky"), d / "root" / "small_sky")
        proc, url = start_service(d / "root", d / "state", PASSWORDS, host=a["svc"], prefix=hosts.on("svc"))
        procs.append(proc)
        # The scheduler host and two worker hosts; the workers read S3 themselves.
        sched = start_dask(hosts, _s3_env(endpoint), procs)
        yield {"hosts": hosts, "dir": d, "endpoint": endpoint, "url": url, "sched": sched}
    finally:
        stop(procs)
        subprocess.run(["bash", S3_SCRIPT, "stop", str(s3_dir)], capture_output=True, timeout=60)
        hosts.remove()


def _cells(out, setup=""):
    """The notebook: who am I, a query on the service, the cross-match of the two s3:// catalogs
    on the scheduler, the pairs written to `out` in the user's storage."""
    return [
        setup + """import os, tempfile
import astrolake as al
from distributed import Client
svc = al.Service()                       # URL and token from the environment, as the hub gives them
print('user', svc.whoami())
client = Client(os.environ['DASK_SCHEDULER_ADDRESS'], timeout=30)
client.wait_for_workers(2, timeout=60)
print(sorted(client.scheduler_info()['workers']))""",
        """print('small_sky rows on the service:', int(svc.query('SELECT COUNT(*) AS n FROM small_sky')['n'][0]))
ztf = al.open_catalog('s3://astrolake-test/ztf', columns=['object_id', 'ra', 'dec', 'mag'])
gaia = al.open_catalog('s3://astrolake-test/gaia', columns=['source_id', 'ra', 'dec', 'phot_g_mean_mag'])
pairs = ztf.crossmatch(gaia, radius_arcsec=1.0).compute(progress=False)
print(len(pairs), 'pairs')""",
        f"""with tempfile.TemporaryDirectory() as tmp:
    pairs.to_parquet(os.path.join(tmp, 'pairs.parquet'))
    svc.put(os.path.join(tmp, 'pairs.parquet'), {out!r})
executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
print('tasks per worker:', executed)
client.close()""",
    ]


RUNNER = """import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=240, kernel_name='astrolake').execute()
nbformat.write(nb, sys.argv[2])
"""


def _login(url, user=USER):
    r = requests.post(url + "/auth/login", data={"username": user, "password": PASSWORDS[user]}, timeout=30)
    assert r.status_code == 200, r.text
    return r.text.strip()


def _bare_kernel_notebook(p, token, out):
    """Runs the notebook on the hub host with nbclient and a bare kernel, both in the hub's
    namespace, given what a hub gives a notebook server in its environment."""
    import nbformat

    d, hosts = p["dir"], p["hosts"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in _cells(out)])
    nbformat.write(nb, d / "multihost.ipynb")
    (d / "run_notebook.py").write_text(RUNNER)
    spec = d / "jupyter" / "kernels" / "astrolake"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "astrolake (hub host)", "language": "python"}))
    env = dict(_s3_env(p["endpoint"]), JUPYTER_PATH=str(d / "jupyter"), ASTROLAKE_SERVICE_URL=p["url"],
               ASTROLAKE_TOKEN=token, DASK_SCHEDULER_ADDRESS=p["sched"])
    run = subprocess.run([*hosts.on("hub"), sys.executable, str(d / "run_notebook.py"), str(d / "multihost.ipynb"),
                          str(d / "multihost.out.ipynb")], env=env, cwd=d, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    ran = nbformat.read(d / "multihost.out.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in ran.cells for o in c.get("outputs", []))


def _in_process_pairs(endpoint):
    """The cross-match of the same s3:// catalogs in this process (threads, no scheduler)."""
    import astrolake._execute as ex

    assert ex.client() is None
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", *KEYS)}
    os.environ.update(AWS_ENDPOINT_URL=endpoint, **KEYS)
    try:
        ztf = al.open_catalog(f"s3://{BUCKET}/ztf", columns=["object_id", "ra", "dec", "mag"])
        gaia = al.open_catalog(f"s3://{BUCKET}/gaia", columns=["source_id", "ra", "dec", "phot_g_mean_mag"])
        return ztf.crossmatch(gaia, radius_arcsec=1.0).compute(progress=False)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _check(p, text, user, token, out):
    """What the notebook printed, and its pairs (read back from the service host) against the
    in-process cross-match."""
    a = p["hosts"].addr
    assert f"user {user}" in text
    assert f"tcp://{a['w1']}:" in text and f"tcp://{a['w2']}:" in text
    assert "small_sky rows on the service: 131" in text
    executed = json.loads(text.split("tasks per worker:")[1].strip().replace("'", '"'))
    assert sorted(k.split("//")[1].split(":")[0] for k in executed) == [a["w1"], a["w2"]]
    assert all(v > 0 for v in executed.values()), executed  # both worker hosts did work
    svc = al.Service(p["url"], token=token)
    remote = to_pandas(pq.read_table(io.BytesIO(svc.get(out))))
    local = _in_process_pairs(p["endpoint"])
    assert len(local) > 100
    pd.testing.assert_frame_equal(remote, local)


def test_notebook_on_hub_host_crossmatches_s3_catalogs_on_two_workers(platform):
    token = _login(platform["url"])
    out = "vos://multihost/pairs.parquet"
    _check(platform, _bare_kernel_notebook(platform, token, out), USER, token, out)


def _hub_login(hub, user):
    """Logs in through the hub's login form (as a browser posts it); returns a hub API token."""
    s = requests.Session()
    s.get(hub + "/hub/login", timeout=30)
    r = s.post(hub + "/hub/login", data={"username": user, "password": PASSWORDS[user], "_xsrf": s.cookies.get("_xsrf")},
               allow_redirects=False, timeout=60)
    assert r.status_code == 302, r.text[:300]
    xsrf = [c.value for c in s.cookies if c.name == "_xsrf"][-1]
    r = s.post(f"{hub}/hub/api/users/{user}/tokens", json={"note": "multi-host test", "expires_in": 3600},
               headers={"X-XSRFToken": xsrf, "Referer": hub + "/hub/home"}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["token"]


def _start_server(hub, user, token, timeout=180):
    auth = {"Authorization": "token " + token}
    r = requests.post(f"{hub}/hub/api/users/{user}/server", json={"size": "small"}, headers=auth, timeout=timeout)
    assert r.status_code in (201, 202), r.text
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = requests.get(f"{hub}/hub/api/users/{user}", headers=auth, timeout=30).json()["servers"].get("")
        if server and server["ready"]:
            return f"{hub}/user/{user}"
        time.sleep(0.5)
    raise AssertionError(f"{user}'s server was not ready after {timeout} s")


def test_notebook_through_jupyterhub_on_hub_host(platform):
    """The same notebook, but the hub host runs the platform's JupyterHub (`astrolake-platform up
    --service-url ... --dask-address ...`: the hub only, using the service and scheduler hosts);
    the user logs in through the hub's login page from outside the hub host, and the notebook
    runs on the user's own server (a system account) through the Jupyter REST and kernel
    WebSocket API."""
    if os.geteuid() != 0:
        pytest.skip("the hub runs each user's server as a system account: needs root")
    from astrolake.hub import cgroups

    no_limits = [] if cgroups.available() is None else ["--no-limits"]  # limits are tested in tests/hub
    hosts, a = platform["hosts"], platform["hosts"].addr
    base = tempfile.mkdtemp(prefix="al-hubhost-")  # readable by the users' accounts, unlike pytest's
    os.chmod(base, 0o755)
    root, state = os.path.join(base, "catalogs"), os.path.join(base, "state")
    os.makedirs(root)
    accounts_before = {e.pw_name for e in pwd.getpwall()}
    reach = others_can_reach(sys.prefix)
    reach.__enter__()
    try:
        up = subprocess.run([*hosts.on("hub"), PLATFORM, "up", "--state", state, "--root", root, "--host", a["hub"],
                             "--port", "8000", "--service-url", platform["url"], "--dask-address", platform["sched"],
                             "--bin", cli_path(), *no_limits], capture_output=True, text=True, timeout=300)
        assert up.returncode == 0, up.stdout + up.stderr
        hub = re.search(r"JupyterHub:\s+(http://\S+?)/?\n", up.stdout).group(1)
        assert hub == f"http://{a['hub']}:8000"
        token = _hub_login(hub, HUB_USER)  # from this host, over the bridge, as a browser would
        server = _start_server(hub, HUB_USER, token)
        # The kernel gets the service URL, token and scheduler from the hub; the object store's
        # settings are the user's own, set in the notebook.
        s3 = {"AWS_ENDPOINT_URL": platform["endpoint"], **KEYS}
        setup = (f"import os, pwd\nos.environ.update({s3!r})\nprint('account', pwd.getpwuid(os.getuid()).pw_name)\n"
                 "print('memory cgroup', [l.split(':')[2] for l in open('/proc/self/cgroup') if ':memory:' in l])\n")
        out = "vos://multihost/pairs-hub.parquet"
        session = ServerSession(server, token, "multihost.ipynb", notebook(_cells(out, setup)))
        try:
            text = "".join(session.run_all(timeout=240))
        finally:
            session.close()
        assert f"account al-{HUB_USER}\n" in text  # the user's own system account, not root
        if not no_limits:  # the kernel runs inside the user's memory cgroup
            assert re.search(rf"memory cgroup \['[^']*/astrolake-[0-9a-f]+/al-{HUB_USER}\b", text), text[:500]
        service_token = _login(platform["url"], HUB_USER)
        _check(platform, text, HUB_USER, service_token, out)
        # The example notebook of a user's own pipeline over FITS files in personal storage, from
        # the copy the hub put in the user's home, on the scheduler and worker hosts.
        r = requests.get(f"{server}/api/contents/notebooks/07_user_pipeline_on_dask.ipynb",
                         headers={"Authorization": "token " + token}, timeout=30)
        assert r.status_code == 200, r.text[:300]
        cells = [c["source"] for c in r.json()["content"]["cells"] if c["cell_type"] == "code"]
        session = ServerSession(server, token, "07-run.ipynb", notebook(cells))
        try:
            text = "".join(session.run_all(timeout=240))
        finally:
            session.close()
        workers = check_user_pipeline(text, {"url": platform["url"], "token": service_token})
        assert sorted(w.split("//")[1].split(":")[0] for w in workers) == [a["w1"], a["w2"]]
    finally:
        subprocess.run([PLATFORM, "down", "--state", state], capture_output=True, timeout=300)
        reach.__exit__(None, None, None)
        from astrolake.hub.spawner import system_name
        # Only the account this test's user got (other tests make accounts of their own at the
        # same time); the shared admin account only if this run made it.
        for name in (system_name(HUB_USER), system_name("admin")):
            if name not in accounts_before and name in {e.pw_name for e in pwd.getpwall()}:
                subprocess.run(["userdel", name], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="up checks its arguments after the root check")
def test_hub_only_up_refuses_a_service_that_does_not_answer(tmp_path):
    (tmp_path / "catalogs").mkdir()
    state = str(tmp_path / "state")
    try:
        r = subprocess.run([PLATFORM, "up", "--state", state, "--root", str(tmp_path / "catalogs"), "--port", "0",
                            "--no-limits", "--service-url", "http://127.0.0.1:9"], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 1 and "--service-url http://127.0.0.1:9: no astrolake service answers" in r.stderr
        assert not os.path.exists(os.path.join(state, "run", "hub.pid"))
    finally:
        subprocess.run([PLATFORM, "down", "--state", state], capture_output=True, timeout=300)
