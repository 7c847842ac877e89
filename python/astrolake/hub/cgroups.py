"""Per-user resource limits through cgroup v1 (memory, cpu, pids), enforced by the kernel.

The groups are made below the cgroup the hub itself runs in (so a hub that was itself confined
stays confined), one folder per user: <controller mount>/<hub's path>/<prefix>/<user>."""
import os
import signal
import time

CONTROLLERS = ("memory", "cpu", "pids")
MOUNT = "/sys/fs/cgroup"


class CgroupError(RuntimeError):
    pass


def _own_paths():
    """{controller: path of this process's cgroup in that hierarchy} from /proc/self/cgroup."""
    paths = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, names, path = line.rstrip("\n").split(":", 2)
            for name in names.split(","):
                paths[name] = path
    return paths


def available():
    """None when cgroup v1 memory, cpu and pids controllers can be used here, else the reason."""
    if os.geteuid() != 0:
        return "not running as root"
    own = _own_paths()
    for c in CONTROLLERS:
        if c not in own or not os.path.exists(os.path.join(MOUNT, c, "cgroup.procs")):
            return f"no cgroup v1 '{c}' controller mounted at {MOUNT}/{c}"
    return None


class UserGroup:
    """The cgroups of one user's server (one folder per controller)."""

    def __init__(self, prefix, name):
        own = _own_paths()
        self.dirs = {c: os.path.join(MOUNT, c, own[c].lstrip("/"), prefix, name) for c in CONTROLLERS}

    def _write(self, controller, key, value):
        path = os.path.join(self.dirs[controller], key)
        try:
            with open(path, "w") as f:
                f.write(str(value))
        except OSError as e:
            raise CgroupError(f"cannot set {path} to {value}: {e}") from e

    def create(self, memory_bytes, cpus, pids):
        """Makes the groups (or reuses them) and sets the limits."""
        for d in self.dirs.values():
            os.makedirs(d, exist_ok=True)
        # memory+swap must stay >= memory: lift it first (a reused group may hold a smaller
        # size's limits), then set both. With swap counted, a group cannot page out instead
        # of being stopped.
        memsw = os.path.exists(os.path.join(self.dirs["memory"], "memory.memsw.limit_in_bytes"))
        if memsw:
            self._write("memory", "memory.memsw.limit_in_bytes", -1)
        self._write("memory", "memory.limit_in_bytes", int(memory_bytes))
        if memsw:
            self._write("memory", "memory.memsw.limit_in_bytes", int(memory_bytes))
        period = 100_000
        self._write("cpu", "cpu.cfs_period_us", period)
        self._write("cpu", "cpu.cfs_quota_us", int(cpus * period))
        self._write("cpu", "cpu.shares", max(2, int(cpus * 1024)))
        self._write("pids", "pids.max", int(pids))

    def join_self(self):
        """Moves the calling process into the groups (used between fork and exec)."""
        pid = str(os.getpid())
        for c in CONTROLLERS:
            with open(os.path.join(self.dirs[c], "cgroup.procs"), "w") as f:
                f.write(pid)

    def pids(self):
        try:
            with open(os.path.join(self.dirs["pids"], "cgroup.procs")) as f:
                return [int(p) for p in f.read().split()]
        except FileNotFoundError:
            return []

    def read(self, controller, key):
        with open(os.path.join(self.dirs[controller], key)) as f:
            return f.read().strip()

    def remove(self, timeout=10):
        """Kills whatever still runs in the groups, then removes them."""
        deadline = time.monotonic() + timeout
        while self.pids() and time.monotonic() < deadline:
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        for d in self.dirs.values():
            for _ in range(50):  # the kernel frees a group a moment after its last task exits
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


def remove_all(prefix):
    """Removes every user's groups under `prefix` (platform down), then the prefix itself."""
    own = _own_paths()
    for c in CONTROLLERS:
        base = os.path.join(MOUNT, c, own.get(c, "/").lstrip("/"), prefix)
        if os.path.isdir(base):
            for name in os.listdir(base):
                if os.path.isdir(os.path.join(base, name)):
                    UserGroup(prefix, name).remove()
            try:
                os.rmdir(base)
            except OSError:
                pass
