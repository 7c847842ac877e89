"""`astrolake-platform up|down|status --state DIR`: the whole platform on one machine, on
127.0.0.1: the astrolake service, JupyterHub (with its proxy) in front of per-user JupyterLab
servers, and optionally a Dask scheduler with workers that the notebooks use.

STATE holds everything that must survive a restart: service/ (accounts, storage, MyDB, jobs),
hub/ (the hub's database and secrets), homes/ (the users' home directories), and the run/
(pid files) and logs/ folders. Servers run in the background; `down` stops them all."""
import argparse
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request

ADMIN = "admin"
DASK_ACCOUNT = "al-dask"
STOP_ORDER = ["hub", "proxy", "dask-workers", "dask-scheduler", "service"]


class PlatformError(RuntimeError):
    pass


def _repo():
    """The project folder: the one holding .venv (where install-deps.sh puts it), else cwd."""
    here = os.path.dirname(os.path.abspath(sys.prefix))
    return here if os.path.isdir(os.path.join(here, "deploy", "hub")) else os.getcwd()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_private(path, text, mode=0o600):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# ---------- processes and pid files ----------

def _start_time(pid):
    """The process's start time in clock ticks (field 22 of /proc/PID/stat), or None if gone;
    kept in pid files so that `down` never signals a recycled pid."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


class Dirs:
    def __init__(self, state):
        self.state = os.path.abspath(state)
        for name in ("service", "hub", "run", "logs", "homes", "dask"):
            setattr(self, name, os.path.join(self.state, name))
        self.config = os.path.join(self.state, "platform.json")
        self.admin_password = os.path.join(self.state, "admin-password")

    def pid_file(self, name):
        return os.path.join(self.run, name + ".pid")

    def log(self, name):
        return os.path.join(self.logs, name + ".log")

    def running(self, name):
        """The pid of a component this platform started, if it still runs."""
        try:
            with open(self.pid_file(name)) as f:
                fields = [int(x) for x in f.read().split()[:2]]
        except (OSError, ValueError):
            return None
        if len(fields) == 2:
            return fields[0] if _start_time(fields[0]) == fields[1] else None
        # The proxy's pid file (written by JupyterHub) has no start time: check what runs there.
        try:
            with open(f"/proc/{fields[0]}/cmdline", "rb") as f:
                return fields[0] if b"configurable-http-proxy" in f.read() else None
        except (OSError, IndexError):
            return None


def _demote(account):
    entry = pwd.getpwnam(account)

    def preexec():
        os.setgroups([])
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
    return preexec


def _spawn(dirs, name, cmd, env=None, cwd=None, user=None):
    """Starts a component in its own session, output to logs/NAME.log, pid in run/NAME.pid."""
    log = open(dirs.log(name), "ab")
    try:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd or dirs.state, start_new_session=True,
                                preexec_fn=_demote(user) if user else None)
    finally:
        log.close()
    with open(dirs.pid_file(name), "w") as f:
        f.write(f"{proc.pid} {_start_time(proc.pid)}\n")
    return proc


def _wait(what, check, proc, log, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise PlatformError(f"{what} exited at start (status {proc.returncode}); see {log}")
        time.sleep(0.2)
    raise PlatformError(f"{what} did not start within {timeout} s; see {log}")


def _signal(pid, sig):
    """To the process group the component leads (its helpers too), else to the process."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _stop(dirs, name, timeout=60):
    """SIGTERM to the component, SIGKILL after `timeout` s."""
    pid = dirs.running(name)
    if pid is not None:
        _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _start_time(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
            try:
                os.waitpid(pid, os.WNOHANG)  # reaps it when this process started it
            except ChildProcessError:
                pass
        if _start_time(pid) is not None:
            _signal(pid, signal.SIGKILL)
    try:
        os.unlink(dirs.pid_file(name))
    except FileNotFoundError:
        pass


def _http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


# ---------- checks ----------

def _others_can_reach(path):
    """True when every folder above `path` lets other users through (the users' servers run as
    their own accounts and need .venv; Dask workers need the catalogs)."""
    path = os.path.abspath(path)
    while path != "/":
        path = os.path.dirname(path)
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
    return True


def _binary(arg):
    for candidate in (arg, os.environ.get("ASTROLAKE_BIN"),
                      os.path.join(_repo(), "build", "src", "cli", "astrolake"), shutil.which("astrolake")):
        if candidate and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    raise PlatformError("cannot find the astrolake binary: build it (cmake --build build --target astrolake) "
                        "or pass --bin")


def _ensure_account(name, home):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        r = subprocess.run(["useradd", "--system", "--home-dir", home, "--no-create-home", "--user-group",
                            "--shell", "/usr/sbin/nologin", name], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise PlatformError(f"useradd {name} failed: {r.stderr.strip()}")
        return pwd.getpwnam(name)


# ---------- up ----------

def _prepare(dirs, args):
    """Folders, secrets and platform.json; returns the settings."""
    os.makedirs(dirs.state, exist_ok=True)
    os.chmod(dirs.state, 0o711)  # the users' servers pass through to homes/ and share/
    for d in (dirs.service, dirs.hub, dirs.run, dirs.logs):
        os.makedirs(d, mode=0o700, exist_ok=True)
        os.chmod(d, 0o700)
    os.makedirs(dirs.homes, mode=0o711, exist_ok=True)
    old = {}
    if os.path.exists(dirs.config):
        with open(dirs.config) as f:
            old = json.load(f)
    root = os.path.abspath(args.root) if args.root else old.get("root")
    if not root:
        raise PlatformError("--root (the folder of catalogs to serve) is required the first time")
    if not os.path.isdir(root):
        raise PlatformError(f"--root {root}: no such folder")
    repo = _repo()
    proxy = os.path.join(repo, "tools", "configurable-http-proxy", "node_modules", ".bin", "configurable-http-proxy")
    if not os.access(proxy, os.X_OK):
        raise PlatformError(f"{proxy} is missing: run scripts/install-deps.sh")
    if not _others_can_reach(sys.prefix):
        raise PlatformError(f"the users' accounts cannot reach {sys.prefix}: a folder above it is not "
                            "searchable by others (chmod o+x), so their servers could not start")
    # The "astrolake" kernel (the project's .venv) for the users' servers.
    kernel = os.path.join(dirs.state, "share", "jupyter", "kernels", "astrolake")
    os.makedirs(kernel, exist_ok=True)
    for d in (os.path.join(dirs.state, "share"), os.path.dirname(os.path.dirname(kernel)),
              os.path.dirname(kernel), kernel):
        os.chmod(d, 0o755)
    with open(os.path.join(kernel, "kernel.json"), "w") as f:
        json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                   "display_name": "Python (astrolake .venv)", "language": "python"}, f)
    os.chmod(os.path.join(kernel, "kernel.json"), 0o644)
    crypt_key = os.path.join(dirs.hub, "crypt_key")
    if not os.path.exists(crypt_key):
        _write_private(crypt_key, secrets.token_hex(32))
    sizes = json.loads(args.sizes) if args.sizes else old.get("sizes")
    return {
        "root": root,
        "repo": repo,
        "bin": _binary(args.bin),
        "proxy_command": proxy,
        "notebooks": os.path.join(repo, "notebooks"),
        "hub_host": args.host,
        "hub_port": args.port if args.port else _free_port(),
        "service_port": args.service_port,
        "hub_api_port": _free_port(),
        "proxy_api_port": _free_port(),
        "admin_users": [ADMIN],
        "max_size": args.max_size or old.get("max_size", "large"),
        "sizes": sizes,
        "cull_idle_timeout": args.cull_idle_timeout,
        "cull_every": max(5, min(300, args.cull_idle_timeout // 2)),
        "cgroup_prefix": "astrolake-" + hashlib.sha256(dirs.state.encode()).hexdigest()[:12],
        "dask_workers": args.dask_workers,
        "limits": not args.no_limits,
    }


def _start_service(dirs, p):
    log = dirs.log("service")
    start = os.path.getsize(log) if os.path.exists(log) else 0  # earlier runs' lines stay in the log
    proc = _spawn(dirs, "service", [p["bin"], "serve", "--root", p["root"], "--state", dirs.service,
                                    "--host", "127.0.0.1", "--port", str(p["service_port"])])

    def listening():
        with open(log, "rb") as f:
            f.seek(start)
            for line in f:
                if b'"event":"listening"' in line:
                    return json.loads(line)["url"].rsplit("/tap", 1)[0]
        return None
    return _wait("the astrolake service", listening, proc, dirs.log("service"), 60)


def _first_admin(dirs, p):
    """On the first `up`: the admin account with a random password, in a 0600 file."""
    if os.path.exists(dirs.admin_password):
        return None
    password = secrets.token_urlsafe(18)
    r = subprocess.run([p["bin"], "user", "add", ADMIN, "--state", dirs.service], input=password + "\n",
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise PlatformError(f"cannot create the admin account: {r.stderr.strip()}")
    _write_private(dirs.admin_password, password + "\n")
    return password


def _start_dask(dirs, p, n):
    account = _ensure_account(DASK_ACCOUNT, dirs.dask)  # users' code runs on the workers: never as root
    os.makedirs(dirs.dask, mode=0o700, exist_ok=True)
    os.chown(dirs.dask, account.pw_uid, account.pw_gid)
    scheduler_file = os.path.join(dirs.dask, "scheduler.json")
    if os.path.exists(scheduler_file):
        os.unlink(scheduler_file)
    dask = os.path.join(os.path.dirname(sys.executable), "dask")
    user = DASK_ACCOUNT
    env = dict(os.environ, HOME=dirs.dask)
    proc = _spawn(dirs, "dask-scheduler", [dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                           "--dashboard-address", "127.0.0.1:0",
                                           "--scheduler-file", scheduler_file], env=env, cwd=dirs.dask, user=user)

    def address():
        try:
            with open(scheduler_file) as f:
                return json.load(f)["address"]
        except (OSError, ValueError, KeyError):
            return None
    addr = _wait("the Dask scheduler", address, proc, dirs.log("dask-scheduler"), 60)
    workers = _spawn(dirs, "dask-workers", [dask, "worker", addr, "--nworkers", str(n), "--nthreads", "1",
                                            "--host", "127.0.0.1", "--no-dashboard",
                                            "--local-directory", os.path.join(dirs.dask, "work")],
                     env=env, cwd=dirs.dask, user=user)
    from distributed import Client
    with Client(addr, timeout=30) as client:
        deadline = time.monotonic() + 120
        while len(client.scheduler_info()["workers"]) < n:
            if workers.poll() is not None:
                raise PlatformError(f"the Dask workers exited at start; see {dirs.log('dask-workers')}")
            if time.monotonic() > deadline:
                raise PlatformError(f"the Dask workers did not start in 120 s; see {dirs.log('dask-workers')}")
            time.sleep(0.2)
    return addr


def _start_hub(dirs, p):
    with open(os.path.join(dirs.hub, "crypt_key")) as f:
        key = f.read().strip()
    env = dict(os.environ, ASTROLAKE_PLATFORM_STATE=dirs.state, JUPYTERHUB_CRYPT_KEY=key)
    config = os.path.join(p["repo"], "deploy", "hub", "jupyterhub_config.py")
    jupyterhub = os.path.join(os.path.dirname(sys.executable), "jupyterhub")
    proc = _spawn(dirs, "hub", [jupyterhub, "-f", config], env=env, cwd=dirs.hub)
    url = f"http://{p['hub_host']}:{p['hub_port']}"
    _wait("JupyterHub", lambda: _http_ok(url + "/hub/api/"), proc, dirs.log("hub"), 120)
    return url


def up(args):
    dirs = Dirs(args.state)
    if os.geteuid() != 0:
        raise PlatformError("up must run as root: it makes a system account and cgroups per user")
    from .hub import cgroups
    reason = cgroups.available()
    if reason and not args.no_limits:
        raise PlatformError(f"cannot enforce per-user limits: {reason} (--no-limits runs without them)")
    if any(dirs.running(n) for n in STOP_ORDER):
        raise PlatformError(f"the platform in {dirs.state} is already up (astrolake-platform down --state ...)")
    if args.service_url and not _http_ok(args.service_url.rstrip("/") + "/auth/whoAmI"):
        raise PlatformError(f"--service-url {args.service_url}: no astrolake service answers there")
    p = _prepare(dirs, args)
    try:
        if args.service_url:  # the service runs on another host: its accounts are managed there
            p["service_url"], password = args.service_url.rstrip("/"), None
        else:
            p["service_url"] = _start_service(dirs, p)
            password = _first_admin(dirs, p)
        if args.dask_address:  # a scheduler on another host
            p["dask_address"] = args.dask_address
        else:
            p["dask_address"] = _start_dask(dirs, p, args.dask_workers) if args.dask_workers > 0 else ""
        _write_private(dirs.config, json.dumps(p, indent=1) + "\n", mode=0o644)
        hub = _start_hub(dirs, p)
    except BaseException:
        down_dirs(dirs)
        raise
    print(f"astrolake platform is up (state {dirs.state})")
    print(f"  JupyterHub:       {hub}/")
    print(f"  astrolake service: {p['service_url']}/  (TAP: {p['service_url']}/tap)")
    if p["dask_address"]:
        workers = "" if args.dask_address else f" ({args.dask_workers} workers)"
        print(f"  Dask scheduler:   {p['dask_address']}{workers}")
    if args.service_url:
        print("  Logins:           the service's accounts (added on the service's host)")
    else:
        if password:
            print(f"  Admin login:      {ADMIN} / {password}")
            print(f"                    (shown only now; also in {dirs.admin_password}, mode 0600)")
        else:
            print(f"  Admin login:      {ADMIN}, password in {dirs.admin_password}")
        print(f"  Add users:        astrolake user add NAME --state {dirs.service}")
    print(f"  Logs:             {dirs.logs}/    Stop: astrolake-platform down --state {dirs.state}")
    return 0


def down_dirs(dirs):
    for name in STOP_ORDER:
        _stop(dirs, name)
    if os.path.exists(dirs.config):
        with open(dirs.config) as f:
            prefix = json.load(f).get("cgroup_prefix")
        from .hub import cgroups
        if prefix and cgroups.available() is None:
            cgroups.remove_all(prefix)  # servers left behind if the hub was killed


def down(args):
    dirs = Dirs(args.state)
    down_dirs(dirs)
    print(f"astrolake platform in {dirs.state} is down")
    return 0


def status(args):
    dirs = Dirs(args.state)
    up_count = 0
    for name in STOP_ORDER:
        pid = dirs.running(name)
        up_count += pid is not None
        print(f"{name:15} {'running, pid ' + str(pid) if pid else 'stopped'}")
    return 0 if up_count else 3


def main(argv=None):
    ap = argparse.ArgumentParser(prog="astrolake-platform", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    u = sub.add_parser("up", help="start the service, the hub and (optionally) Dask")
    u.add_argument("--state", required=True, help="folder of everything that persists")
    u.add_argument("--root", help="folder of the catalogs to serve (remembered after the first up)")
    u.add_argument("--host", default="127.0.0.1", help="the hub's address (where browsers reach it)")
    u.add_argument("--port", type=int, default=8000, help="the hub's port (0: any free port)")
    u.add_argument("--service-port", type=int, default=8080, help="the service's port (0: any free port)")
    u.add_argument("--dask-workers", type=int, default=0, help="start a Dask scheduler and N workers")
    u.add_argument("--service-url", help="use the astrolake service at this URL (on another host) instead of "
                                         "starting one")
    u.add_argument("--dask-address", help="use the Dask scheduler at this address instead of starting one")
    u.add_argument("--max-size", choices=["small", "medium", "large"], help="largest server size offered")
    u.add_argument("--sizes", help=argparse.SUPPRESS)  # JSON: replaces the size table (tests)
    u.add_argument("--cull-idle-timeout", type=int, default=3600, help="stop servers idle this many seconds")
    u.add_argument("--no-limits", action="store_true",
                   help="run the users' servers without cgroup limits (where cgroup v1 is not available)")
    u.add_argument("--bin", help="the astrolake binary (default: build/src/cli/astrolake)")
    for name, fn in (("down", down), ("status", status)):
        s = sub.add_parser(name)
        s.add_argument("--state", required=True)
        s.set_defaults(fn=fn)
    u.set_defaults(fn=up)
    args = ap.parse_args(argv)
    try:
        return args.fn(args)
    except PlatformError as e:
        print(f"astrolake-platform: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
