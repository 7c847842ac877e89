"""The platform end to end, headless: `astrolake-platform up` (service, JupyterHub with its proxy,
a Dask scheduler and two workers) into a temporary state folder, a user made with `astrolake user
add`, the hub's login page in headless Chromium, the user's server started through the options
form, a notebook run through the Jupyter REST API and a kernel WebSocket (a query through the
service, a cross-match on the platform's Dask workers, a file into personal storage seen on the
service's web page), per-user kernel limits (a second user's kernel that takes too much memory is
killed, the first keeps running), logout revoking the service token, the admin page, then `down`,
`up` again with everything kept, and the idle culler. Needs root (system accounts, cgroups).
Screenshots go to $AL_ARTIFACTS (default build/test-artifacts)."""
import hashlib
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

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "service"))
from cdp import Browser  # noqa: E402
from notebook_runner import ServerSession, notebook  # noqa: E402
from reach import others_can_reach  # noqa: E402

from astrolake.hub import cgroups  # noqa: E402
from astrolake.hub.spawner import system_name  # noqa: E402

BIN = os.environ.get("ASTROLAKE_BIN", os.path.join(REPO, "build", "src", "cli", "astrolake"))
PLATFORM = os.path.join(os.path.dirname(sys.executable), "astrolake-platform")
ARTIFACTS = os.environ.get("AL_ARTIFACTS", os.path.join(REPO, "build", "test-artifacts"))
SUFFIX = secrets.token_hex(2)  # system accounts are machine-wide: names no other run uses
ADA, BOB = "ada" + SUFFIX, "bob" + SUFFIX
PASSWORDS = {ADA: "ada's long passphrase", BOB: "bob's long passphrase"}
WORKERS = 2

# Without cgroup v1 (a cgroup v2-only host) everything but the limits is still tested.
LIMITS = cgroups.available() is None
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the platform needs root (a system account per user)")


def run(*cmd, timeout=300, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def snap(browser, name):
    return browser.artifact(ARTIFACTS, name)


def up(state, *extra):
    if not LIMITS:
        extra += ("--no-limits",)
    out = run(PLATFORM, "up", "--state", state, "--port", 0, "--service-port", 0, "--dask-workers", WORKERS,
              "--bin", BIN, *extra, timeout=300)
    hub = re.search(r"JupyterHub:\s+(http://127\.0\.0\.1:\d+)/", out).group(1)
    service = re.search(r"astrolake service:\s+(http://127\.0\.0\.1:\d+)/", out).group(1)
    return out, hub, service


def service_login(service, user):
    r = requests.post(service + "/auth/login", data={"username": user, "password": PASSWORDS[user]}, timeout=30)
    assert r.status_code == 200
    return {"Authorization": "Bearer " + r.text.strip()}


def hub_login(hub, user, password):
    """A hub session logged in through the login form (as a browser posts it) and an API token."""
    s = requests.Session()
    s.get(hub + "/hub/login", timeout=30)
    r = s.post(hub + "/hub/login", data={"username": user, "password": password, "_xsrf": s.cookies.get("_xsrf")},
               allow_redirects=False, timeout=60)
    assert r.status_code == 302, r.text[:300]
    xsrf = [c.value for c in s.cookies if c.name == "_xsrf"][-1]
    r = s.post(f"{hub}/hub/api/users/{user}/tokens", json={"note": "test", "expires_in": 3600},
               headers={"X-XSRFToken": xsrf, "Referer": hub + "/hub/home"}, timeout=30)
    assert r.status_code == 201, r.text
    return {"Authorization": "token " + r.json()["token"]}


def start_server(hub, user, auth, size="small"):
    r = requests.post(f"{hub}/hub/api/users/{user}/server", json={"size": size}, headers=auth, timeout=180)
    assert r.status_code in (201, 202), r.text
    wait_server(hub, user, auth, ready=True)


def wait_server(hub, user, auth, ready, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = requests.get(f"{hub}/hub/api/users/{user}", headers=auth, timeout=30).json()["servers"].get("")
        if (server is not None and server["ready"]) == ready:
            return server
        time.sleep(0.5)
    raise AssertionError(f"{user}'s server not {'ready' if ready else 'stopped'} after {timeout} s")


def server_pid(user):
    """The pid of the user's jupyterhub-singleuser process (run by its system account)."""
    uid = pwd.getpwnam(system_name(user)).pw_uid
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
            if b"jupyterhub-singleuser" in cmd and os.stat(f"/proc/{pid}").st_uid == uid:
                return int(pid)
        except OSError:
            pass
    return None


def runs_as(uid):
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                return True
        except OSError:
            pass
    return False


def server_env(user):
    with open(f"/proc/{server_pid(user)}/environ", "rb") as f:
        return dict(kv.split(b"=", 1) for kv in f.read().split(b"\0") if b"=" in kv)


CELLS = [
    "import os, astrolake\nsvc = astrolake.Service()  # URL and token from the hub\n"
    "print('whoami', svc.whoami(), os.getuid())",
    "df = svc.query('SELECT COUNT(*) AS n FROM small_sky')\nprint('count', int(df['n'][0]))",
    "import hashlib\nfrom distributed import Client\nclient = Client()  # $DASK_SCHEDULER_ADDRESS\n"
    "root = os.environ['ASTROLAKE_ROOT']\n"
    "ztf = astrolake.open_catalog(os.path.join(root, 'ztf'))\ngaia = astrolake.open_catalog(os.path.join(root, 'gaia'))\n"
    "matches = client.compute(ztf.crossmatch(gaia, radius_arcsec=1.0)).result()\n"
    "pairs = sorted(zip(matches['object_id_ztf'].tolist(), matches['source_id_gaia'].tolist()))\n"
    "print('pairs', len(pairs), hashlib.sha256(repr(pairs).encode()).hexdigest())\n"
    "print('workers', len(client.scheduler_info()['workers']), sorted(set(client.run(os.getuid).values())))",
    "matches[['object_id_ztf', 'source_id_gaia', '_dist_arcsec']].to_csv('matches.csv', index=False)\n"
    "print('stored', svc.put('matches.csv', 'vos://matches-e2e.csv')['size'])\n"
    "mine = matches.head(200)[['object_id_ztf', 'ra_ztf', 'dec_ztf']].rename(columns={'ra_ztf': 'ra', 'dec_ztf': 'dec'})\n"
    "print('table', svc.mydb_import('e2e_matches', mine)['rows'])\n"
    "job = svc.query('SELECT COUNT(*) AS n FROM small_sky', async_=True)\nsvc.wait(job, timeout=120)\n"
    "print('job', job.id)",
    "matches.head()",
]


def expected_pairs(root):
    import astrolake
    m = astrolake.open_catalog(os.path.join(root, "ztf")).crossmatch(
        astrolake.open_catalog(os.path.join(root, "gaia")), radius_arcsec=1.0).compute()
    pairs = sorted(zip(m["object_id_ztf"].tolist(), m["source_id_gaia"].tolist()))
    return len(pairs), hashlib.sha256(repr(pairs).encode()).hexdigest()


def check_limits(hub, bob_auth, nb, prefix):
    """bob's kernel that allocates twice its memory is killed by the kernel's OOM killer inside
    his group; his server and ada's kernel carry on; a thread bomb in ada's kernel stops at
    pids.max."""
    bob_group = cgroups.UserGroup(prefix, system_name(BOB))
    bob = ServerSession(f"{hub}/user/{BOB}", bob_auth["Authorization"].split()[1], "hog.ipynb",
                        notebook(["import numpy as np\nx = np.ones(2 << 30, dtype=np.uint8)\nprint('survived')"]))
    try:
        reply, outputs = bob.execute(bob.nb["cells"][0]["source"], timeout=180)
        assert reply is None or reply["status"] != "ok", outputs
        assert not any("survived" in o.get("text", "") for o in outputs)
        oom = dict(line.split() for line in bob_group.read("memory", "memory.oom_control").splitlines())
        assert int(oom["oom_kill"]) >= 1, oom  # the kernel's OOM killer, inside bob's group
        assert server_pid(BOB) is not None and server_pid(BOB) in bob_group.pids()
    finally:
        bob.close()
    reply, outputs = nb.execute("import threading\nstop = threading.Event(); threads = []\n"
                                "try:\n    for i in range(2000):\n"
                                "        t = threading.Thread(target=stop.wait); t.start(); threads.append(t)\n"
                                "except RuntimeError as e:\n    print('refused', len(threads), e)\n"
                                "stop.set(); [t.join() for t in threads]\nprint('sum', sum(range(1000)))")
    text = "".join(o.get("text", "") for o in outputs)
    assert reply["status"] == "ok" and "sum 499500" in text, outputs
    m = re.search(r"refused (\d+)", text)
    assert m and 0 < int(m.group(1)) < 512, text


@pytest.fixture(scope="module")
def place():
    """A state folder and a catalog root that the users' accounts and the Dask workers can read
    (pytest's own temporary folders are private to root)."""
    base = tempfile.mkdtemp(prefix="al-platform-test-")
    os.chmod(base, 0o755)
    root = os.path.join(base, "catalogs")
    os.makedirs(root)
    shutil.copytree(os.path.join(REPO, "tests", "data", "hats", "small_sky"), os.path.join(root, "small_sky"))
    for kind, rows, max_rows in (("ztf", 4000, 600), ("gaia", 6000, 900)):
        pq = os.path.join(base, kind + ".parquet")
        run(BIN, "generate", kind, "--rows", rows, "--seed", 11, "-o", pq, "-q")
        run(BIN, "import", pq, "--ra", "ra", "--dec", "dec", "-o", os.path.join(root, kind), "--max-rows", max_rows,
            "--margin-arcsec", 10, "--threads", 2)
    run("chmod", "-R", "a+rX", root)
    state = os.path.join(base, "state")
    accounts_before = {e.pw_name for e in pwd.getpwall()}
    try:
        with others_can_reach(sys.prefix), others_can_reach(BIN):
            yield {"base": base, "root": root, "state": state}
    finally:
        subprocess.run([PLATFORM, "down", "--state", state], capture_output=True, timeout=300)
        # This run's users' accounts, and the shared ones (Dask, admin) if this run made them and
        # nothing runs as them now; never other runs' accounts.
        shared = [n for n in ("al-dask", system_name("admin")) if n not in accounts_before]
        for name in [system_name(ADA), system_name(BOB)] + shared:
            try:
                uid = pwd.getpwnam(name).pw_uid
            except KeyError:
                continue
            if name in shared and runs_as(uid):
                continue
            subprocess.run(["userdel", name], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    try:
        yield b
    finally:
        b.close()


def test_platform_end_to_end(place, browser):
    state, root = place["state"], place["root"]
    out, hub, service = up(state, "--root", root, "--max-size", "medium")
    admin_password = open(os.path.join(state, "admin-password")).read().strip()
    assert f"admin / {admin_password}" in out  # printed once, at the first up
    assert oct(os.stat(os.path.join(state, "admin-password")).st_mode & 0o777) == "0o600"
    for user in (ADA, BOB):
        run(BIN, "user", "add", user, "--state", os.path.join(state, "service"), input=PASSWORDS[user] + "\n")

    # Log in through the hub's login page; a wrong password is refused there.
    browser.goto(hub + "/hub/login")
    browser.fill("#username_input", ADA)
    browser.fill("#password_input", "not the password")
    browser.click("#login_submit")
    browser.wait("document.querySelector('.login_error')?.textContent.includes('Invalid')")
    browser.fill("#username_input", ADA)
    browser.fill("#password_input", PASSWORDS[ADA])
    browser.click("#login_submit")
    # The options form offers the sizes up to the admin's limit (medium), not large.
    browser.wait("location.pathname.endsWith('/hub/spawn') && !!document.querySelector('select#size')", timeout=60)
    offered = browser.eval("[...document.querySelectorAll('select#size option')].map(o => o.value)")
    assert offered == ["small", "medium"]
    browser.eval("document.querySelector('select#size').value = 'small'")
    browser.eval("document.querySelector('#spawn_form').requestSubmit()")
    browser.wait(f"location.pathname.startsWith('/user/{ADA}/')", timeout=180)
    browser.goto(hub + "/hub/home")
    browser.wait("document.body.textContent.includes('Stop My Server')")
    snap(browser, "hub-home.png")
    # An API token, requested from the logged-in page as the hub's own pages do.
    token = browser.eval(f"""fetch('/hub/api/users/{ADA}/tokens', {{method: 'POST',
        headers: {{'X-XSRFToken': document.cookie.match(/_xsrf=([^;]+)/)[1], 'Content-Type': 'application/json'}},
        body: JSON.stringify({{note: 'e2e', expires_in: 3600}})}}).then(r => r.json()).then(j => j.token)""")
    auth = {"Authorization": "token " + token}
    server = requests.get(f"{hub}/hub/api/users/{ADA}", headers=auth, timeout=30).json()["servers"][""]
    assert server["ready"] and server["user_options"] == {"size": "small"}

    # The server runs as the user's own account, inside the size's limits, with the platform's
    # service, token and Dask scheduler in its environment.
    account = pwd.getpwnam(system_name(ADA))
    assert os.stat(f"/proc/{server_pid(ADA)}").st_uid == account.pw_uid
    prefix = json.load(open(os.path.join(state, "platform.json")))["cgroup_prefix"]
    if LIMITS:
        group = cgroups.UserGroup(prefix, system_name(ADA))
        assert server_pid(ADA) in group.pids()
        assert group.read("memory", "memory.limit_in_bytes") == str(1 << 30)
        assert group.read("pids", "pids.max") == "512"
        assert group.read("cpu", "cpu.cfs_quota_us") == "100000"
        assert group.read("cpu", "cpu.shares") == "1024"
    env = server_env(ADA)
    assert env[b"ASTROLAKE_SERVICE_URL"].decode() == service
    ada_token = env[b"ASTROLAKE_TOKEN"].decode()
    assert b"JUPYTERHUB_CRYPT_KEY" not in env and b"CONFIGPROXY_AUTH_TOKEN" not in env  # hub secrets stay there
    assert requests.get(service + "/auth/whoAmI", headers={"Authorization": "Bearer " + ada_token},
                        timeout=30).text.strip() == ADA
    assert os.path.exists(os.path.join(account.pw_dir, "notebooks", "02_crossmatch_on_dask.ipynb"))

    # A notebook through the REST API and the kernel's WebSocket.
    base = f"{hub}/user/{ADA}"
    nb = ServerSession(base, token, "e2e.ipynb", notebook(CELLS))
    texts = nb.run_all()
    assert texts[0].split() == ["whoami", ADA, str(account.pw_uid)]
    count = run(BIN, "query", "SELECT COUNT(*) AS n FROM small_sky", "--root", root, "--format", "csv", "-q")
    assert texts[1].split() == ["count", count.split()[1]]
    n_pairs, digest = expected_pairs(root)
    assert n_pairs > 1000
    assert texts[2].splitlines()[0].split() == ["pairs", str(n_pairs), digest]
    dask_uid = pwd.getpwnam("al-dask").pw_uid
    assert texts[2].splitlines()[1] == f"workers {WORKERS} [{dask_uid}]"
    lines = texts[3].splitlines()
    size = int(lines[0].split()[1])
    assert lines[1] == "table 200"
    job_id = lines[2].split()[1]
    local = open(os.path.join(account.pw_dir, "matches.csv"), "rb").read()
    assert size == len(local)
    got = requests.get(service + "/storage/get", params={"name": "vos://matches-e2e.csv"},
                       headers=service_login(service, ADA), timeout=30)
    assert got.status_code == 200 and got.content == local

    # The rendered notebook in JupyterLab, and the file on the service's web page.
    browser.goto(f"{base}/lab/tree/e2e.ipynb")
    browser.wait("document.querySelectorAll('.jp-OutputArea-output').length >= 5 && "
                 "document.body.textContent.includes('pairs " + str(n_pairs) + "')", timeout=120)
    time.sleep(1)
    browser.eval("[...document.querySelectorAll('.jp-Notification-Toast-Close, button')]"
                 ".filter(b => b.textContent == 'No').forEach(b => b.click())")  # the news question, if asked
    snap(browser, "hub-notebook.png")
    browser.goto(service + "/")
    browser.fill("#login input[name=username]", ADA)
    browser.fill("#login input[name=password]", PASSWORDS[ADA])
    browser.eval("document.querySelector('#login').requestSubmit()")
    browser.wait(f"document.querySelector('#who-name').textContent == '{ADA}'")
    browser.click("nav button[data-tab=files]")
    browser.wait("[...document.querySelectorAll('#files-table tbody tr')].some(tr => "
                 "tr.children[0].textContent == 'matches-e2e.csv')")
    snap(browser, "service-files-from-hub.png")

    # Limits are the kernel's, per user (check_limits).
    bob_auth = hub_login(hub, BOB, PASSWORDS[BOB])
    # A size above the admin's limit is refused, whatever a client sends.
    r = requests.post(f"{hub}/hub/api/users/{BOB}/server", json={"size": "large"}, headers=bob_auth, timeout=60)
    assert r.status_code >= 400 and "not offered" in r.text, r.text
    start_server(hub, BOB, bob_auth, "small")
    if LIMITS:
        check_limits(hub, bob_auth, nb, prefix)
    nb.close()

    # Logging out of the hub ends the service token the server held.
    browser.goto(hub + "/hub/logout")
    browser.wait("location.pathname.endsWith('/hub/login') && !!document.querySelector('#username_input')")
    r = requests.get(service + "/auth/isValidToken", params={"token": ada_token}, timeout=30)
    assert r.text.strip() == "False"
    wait_server(hub, BOB, bob_auth, ready=True)  # bob is not affected

    # The admin page lists the users.
    browser.fill("#username_input", "admin")
    browser.fill("#password_input", admin_password)
    browser.click("#login_submit")
    browser.wait("!location.pathname.endsWith('/hub/login') && document.readyState === 'complete'", timeout=60)
    browser.goto(hub + "/hub/admin")
    browser.wait(f"document.body.textContent.includes('{ADA}') && document.body.textContent.includes('{BOB}')",
                 timeout=60)
    snap(browser, "hub-admin.png")
    # ... and its buttons work: stop bob's server from there.
    browser.eval(f"[...document.querySelectorAll('tr')].find(tr => tr.textContent.includes('{BOB}'))"
                 ".querySelector('button.stop-button, button.btn-danger').click()")
    wait_server(hub, BOB, bob_auth, ready=False, timeout=120)

    # down stops everything (servers, cgroups included); up again keeps users, files and tables.
    run(PLATFORM, "down", "--state", state)
    assert server_pid(ADA) is None and server_pid(BOB) is None
    if LIMITS:
        assert not os.path.exists(os.path.dirname(group.dirs["memory"])), "cgroups left behind"
    assert subprocess.run([PLATFORM, "status", "--state", state], capture_output=True, timeout=60).returncode == 3
    out, hub, service = up(state, "--cull-idle-timeout", "20")
    assert admin_password not in out
    got = requests.get(service + "/storage/get", params={"name": "vos://matches-e2e.csv"},
                       headers=service_login(service, ADA), timeout=30)
    assert got.status_code == 200 and got.content == local
    ada_service = service_login(service, ADA)
    tables = requests.get(service + "/mydb/list", headers=ada_service, timeout=30).json()
    assert [(t["name"], t["rows"]) for t in tables] == [("e2e_matches", 200)]
    phase = requests.get(f"{service}/tap/async/{job_id}/phase", headers=ada_service, timeout=30)
    assert phase.text.strip() == "COMPLETED"
    assert os.path.exists(os.path.join(account.pw_dir, "e2e.ipynb"))
    bob_auth = hub_login(hub, BOB, PASSWORDS[BOB])
    assert requests.get(f"{hub}/hub/api/users/{ADA}", headers=bob_auth, timeout=30).status_code in (403, 404)
    admin_auth = hub_login(hub, "admin", admin_password)
    names = {u["name"] for u in requests.get(f"{hub}/hub/api/users", headers=admin_auth, timeout=30).json()}
    assert {ADA, BOB, "admin"} <= names
    # The idle culler stops a server nobody uses (timeout 20 s here).
    start_server(hub, BOB, bob_auth, "small")
    wait_server(hub, BOB, admin_auth, ready=False, timeout=150)
