"""A Spawner that runs each platform user's Jupyter server as a system account of its own
(made on first start, home directory with a copy of the example notebooks) inside per-user
cgroups, so memory, CPU and the number of processes are limited by the kernel."""
import hashlib
import html
import os
import pwd
import shutil
import subprocess

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from tornado import web
from traitlets import Bool, Dict, Unicode, default

from . import cgroups

GiB = 1 << 30
# name: (memory bytes, CPUs, processes+threads)
DEFAULT_SIZES = {
    "small": {"memory": 1 * GiB, "cpus": 1.0, "pids": 512, "label": "Small: 1 GiB, 1 CPU"},
    "medium": {"memory": 4 * GiB, "cpus": 2.0, "pids": 1024, "label": "Medium: 4 GiB, 2 CPUs"},
    "large": {"memory": 8 * GiB, "cpus": 4.0, "pids": 2048, "label": "Large: 8 GiB, 4 CPUs"},
}


def system_name(user):
    """The system account of a platform user: 'al-' + name (never a name like 'root'), kept
    within the 32 characters useradd accepts."""
    name = "al-" + user
    if len(name) > 32:
        name = name[:23] + "-" + hashlib.sha256(user.encode()).hexdigest()[:8]
    return name


def ensure_account(name, home, notebooks=None):
    """Creates the system account `name` with its home `home` (0700) unless it exists, and gives
    it a copy of the example notebooks the first time."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        os.makedirs(os.path.dirname(home), mode=0o711, exist_ok=True)
        r = subprocess.run(["useradd", "--home-dir", home, "--create-home", "--shell", "/bin/bash",
                            "--user-group", "--comment", "astrolake platform user", name],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"useradd {name} failed: {r.stderr.strip()}")
        entry = pwd.getpwnam(name)
    home = entry.pw_dir
    os.makedirs(home, exist_ok=True)
    os.chmod(home, 0o700)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    target = os.path.join(home, "notebooks")
    if notebooks and os.path.isdir(notebooks) and not os.path.exists(target):
        shutil.copytree(notebooks, target)
        for folder, dirs, files in os.walk(target):
            for n in [folder] + [os.path.join(folder, f) for f in dirs + files]:
                os.chown(n, entry.pw_uid, entry.pw_gid)
    return entry


class AstrolakeSpawner(LocalProcessSpawner):
    """LocalProcessSpawner as a per-user system account, limited by cgroup v1."""

    sizes = Dict(DEFAULT_SIZES, config=True, help="Server sizes offered: name -> memory, cpus, pids, label")
    max_size = Unicode("large", config=True, help="The largest size users may choose (admin setting)")
    homes = Unicode("/home/astrolake", config=True, help="Folder holding the users' home directories")
    notebooks = Unicode("", config=True, help="Folder copied into a new user's home as notebooks/")
    cgroup_prefix = Unicode("astrolake", config=True, help="Folder of the per-user cgroups")
    service_url = Unicode("", config=True, help="The astrolake service the servers talk to")
    dask_address = Unicode("", config=True, help="The platform's Dask scheduler, if any")
    limits = Bool(True, config=True, help="Refuse to start servers when the cgroup limits cannot be set")
    _token = None  # the user's service token, read from auth_state at each start
    _group = None  # the server's cgroups, made at each start

    def allowed_sizes(self):
        """The sizes up to max_size, in the order of `sizes` (smallest first)."""
        names = list(self.sizes)
        if self.max_size not in names:
            raise ValueError(f"max_size {self.max_size!r} is not one of {', '.join(names)}")
        return names[: names.index(self.max_size) + 1]

    @default("options_form")
    def _options_form_default(self):
        options = "".join(f'<option value="{html.escape(n)}">{html.escape(self.sizes[n]["label"])}</option>'
                          for n in self.allowed_sizes())
        return ('<label for="size">Server size</label>'
                f'<select class="form-control" name="size" id="size">{options}</select>')

    def options_from_form(self, formdata):
        return {"size": formdata.get("size", [self.allowed_sizes()[0]])[0]}

    def size(self):
        """The chosen size; a size above the admin's max_size is refused, whatever the form sent."""
        name = (self.user_options or {}).get("size") or self.allowed_sizes()[0]
        if name not in self.allowed_sizes():
            raise web.HTTPError(400, f"size {name!r} is not offered here (choose {', '.join(self.allowed_sizes())})")
        return name, self.sizes[name]

    @property
    def account(self):
        return system_name(self.user.name)

    def make_preexec_fn(self, name):
        demote = set_user_setuid(self.account)
        group = self._group

        def preexec():
            if group is not None:
                group.join_self()  # as root, before the user id is dropped
            demote()
        return preexec

    def user_env(self, env):
        entry = pwd.getpwnam(self.account)
        env.update(USER=self.account, HOME=entry.pw_dir, SHELL=entry.pw_shell or "/bin/bash")
        return env

    async def _auth_token(self):
        state = await self.user.get_auth_state()
        return (state or {}).get("token", "")

    def get_env(self):
        env = super().get_env()
        env["ASTROLAKE_SERVICE_URL"] = self.service_url
        if self._token:
            env["ASTROLAKE_TOKEN"] = self._token
        if self.dask_address:
            env["DASK_SCHEDULER_ADDRESS"] = self.dask_address
        return env

    async def start(self):
        size_name, size = self.size()
        ensure_account(self.account, os.path.join(self.homes, self.account), self.notebooks or None)
        self._token = await self._auth_token()
        self._group = None
        reason = cgroups.available()
        if reason is None:
            self._group = cgroups.UserGroup(self.cgroup_prefix, self.account)
            self._group.create(size["memory"], size["cpus"], size["pids"])
        elif self.limits:
            raise web.HTTPError(500, f"cannot limit the server's resources ({reason}); the platform must "
                                     "be started with --no-limits to run servers without limits")
        else:
            self.log.warning("No resource limits for %s: %s", self.user.name, reason)
        self.log.info("Starting %s's server as %s, size %s", self.user.name, self.account, size_name)
        return await super().start()

    async def stop(self, now=False):
        await super().stop(now=now)
        # Whatever the server left behind (kernels, their children) goes with its cgroups.
        if cgroups.available() is None:
            cgroups.UserGroup(self.cgroup_prefix, self.account).remove()

