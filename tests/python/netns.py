"""Hosts on one machine for the multi-host tests: each host a network namespace with its own
address on a private /24, joined by veth pairs to a bridge (whose address, .1, is how the test
process itself reaches them). Made and removed by the tests; needs root and iproute2."""
import os
import shutil
import subprocess
import sys


def ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


class Hosts:
    def __init__(self, tag=None):
        pid = os.getpid()
        self.tag = tag or f"al{pid % 100000}"
        self.net = f"10.{200 + pid % 50}.{(pid // 50) % 250}"
        self.addr = {}  # host name -> address
        self.bridge = f"{self.tag}br"

    def unavailable(self):
        """Why namespaces cannot be made here, or None."""
        for tool, package in (("ip", "iproute2"), ("nsenter", "util-linux")):
            if shutil.which(tool) is None:
                return f"the {tool} command ({package}) is not installed"
        probe = ip("netns", "add", f"{self.tag}probe", check=False)
        if probe.returncode != 0:
            return f"cannot make network namespaces here (ip netns add: {probe.stderr.strip()})"
        ip("netns", "del", f"{self.tag}probe", check=False)
        return None

    def make_bridge(self):
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.net}.1/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")

    def add(self, name, last):
        """Host `name` at address NET.`last`; returns the address."""
        ns, host_end, ns_end = self.ns(name), f"{self.tag}{name}h", f"{self.tag}{name}n"
        self.addr[name] = f"{self.net}.{last}"
        ip("netns", "add", ns)
        ip("link", "add", host_end, "type", "veth", "peer", "name", ns_end)
        ip("link", "set", ns_end, "netns", ns)
        ip("link", "set", host_end, "master", self.bridge)
        ip("link", "set", host_end, "up")
        ip("netns", "exec", ns, "ip", "addr", "add", f"{self.addr[name]}/24", "dev", ns_end)
        ip("netns", "exec", ns, "ip", "link", "set", ns_end, "up")
        ip("netns", "exec", ns, "ip", "link", "set", "lo", "up")
        return self.addr[name]

    def ns(self, name):
        return f"{self.tag}{name}"

    def on(self, name):
        """The command prefix that runs a program on host `name`: nsenter into its network
        namespace only (`ip netns exec` would also remount /sys, hiding the cgroup file systems
        the hub's per-user limits need)."""
        return ["nsenter", f"--net=/run/netns/{self.ns(name)}", "--"]

    def remove(self):
        for name in self.addr:
            ip("netns", "del", self.ns(name), check=False)
        ip("link", "del", self.bridge, check=False)


def stop(procs, timeout=10):
    """Terminates the processes (then kills those still running after `timeout` s)."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=timeout)


def start_dask(hosts, env, procs):
    """A Dask scheduler on host 'sched' and one single-threaded worker on each of 'w1' and 'w2',
    started with `env` and appended to `procs` (stopped by the caller); returns the scheduler's
    address."""
    bindir = os.path.dirname(sys.executable)
    a = hosts.addr
    env = dict(env, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    sched = f"tcp://{a['sched']}:8786"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    procs.append(subprocess.Popen([*hosts.on("sched"), f"{bindir}/dask", "scheduler", "--host", a["sched"],
                                   "--port", "8786", "--no-dashboard"], **quiet))
    for w in ("w1", "w2"):
        procs.append(subprocess.Popen([*hosts.on(w), f"{bindir}/dask", "worker", sched, "--host", a[w],
                                       "--nthreads", "1", "--no-dashboard"], **quiet))
    return sched
