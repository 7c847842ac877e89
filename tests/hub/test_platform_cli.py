"""astrolake-platform's refusals and the hub authenticator's name check: clear errors, nothing
started. (The platform itself, end to end, is test_platform.py.)"""
import os
import subprocess
import sys

import pytest

from astrolake.hub import cgroups
from astrolake.hub.authenticator import AstrolakeAuthenticator
from astrolake.hub.spawner import system_name

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reach import others_can_reach  # noqa: E402

PLATFORM = os.path.join(os.path.dirname(sys.executable), "astrolake-platform")


def platform(*args):
    return subprocess.run([PLATFORM, *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(os.geteuid() != 0, reason="up checks its arguments after the root check")
def test_up_needs_a_catalog_root(tmp_path):
    r = platform("up", "--state", tmp_path / "state", "--no-limits")
    assert r.returncode == 1 and "--root" in r.stderr and "required" in r.stderr
    r = platform("up", "--state", tmp_path / "state", "--root", tmp_path / "nothing", "--no-limits")
    assert r.returncode == 1 and "no such folder" in r.stderr
    assert not os.path.exists(tmp_path / "state" / "run" / "service.pid")


def test_up_without_root_says_so(tmp_path):
    if os.geteuid() == 0:
        with others_can_reach(PLATFORM):  # the account 'nobody' must reach .venv to be refused by it
            r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PLATFORM, "up",
                                "--state", "/tmp/al-never", "--root", "/"], capture_output=True, text=True,
                               timeout=120)
    else:
        r = platform("up", "--state", tmp_path, "--root", "/")
    assert r.returncode == 1 and "must run as root" in r.stderr


def test_down_and_status_of_a_platform_never_started(tmp_path):
    assert platform("status", "--state", tmp_path).returncode == 3
    r = platform("down", "--state", tmp_path)
    assert r.returncode == 0 and "down" in r.stdout


def test_usernames_and_system_accounts():
    auth = AstrolakeAuthenticator()
    assert auth.validate_username("ada") and auth.validate_username("a-b_c9")
    for bad in ("", "Ada", "9ada", "ada/x", "a" * 33, "ada;rm"):
        assert not auth.validate_username(bad), bad
    assert system_name("root") == "al-root"
    long = system_name("a" * 32)
    assert len(long) <= 32 and long.startswith("al-") and long != system_name("a" * 31 + "b")


@pytest.mark.skipif(cgroups.available() is not None, reason=f"no cgroup v1 here: {cgroups.available()}")
def test_a_users_group_takes_a_larger_then_a_smaller_size():
    # A group left from an earlier server (say small) must take a larger size too: the kernel
    # refuses a memory limit above the memory+swap limit unless that is lifted first.
    prefix = f"astrolake-test-{os.getpid()}"
    g = cgroups.UserGroup(prefix, "al-x")
    try:
        for memory, cpus, pids in ((1 << 30, 1, 100), (4 << 30, 2, 200), (1 << 30, 0.5, 50)):
            g.create(memory, cpus, pids)
            assert g.read("memory", "memory.limit_in_bytes") == str(memory)
            if os.path.exists(os.path.join(g.dirs["memory"], "memory.memsw.limit_in_bytes")):
                assert g.read("memory", "memory.memsw.limit_in_bytes") == str(memory)
            assert g.read("cpu", "cpu.cfs_quota_us") == str(int(cpus * 100_000))
            assert g.read("pids", "pids.max") == str(pids)
    finally:
        cgroups.remove_all(prefix)
    assert not any(os.path.exists(d) for d in g.dirs.values())
