"""Shared fixtures: a small ZTF-like survey (light curves) and an overlapping Gaia-like one,
generated and imported (with margins) by the astrolake CLI, once per test session."""
import os
import re
import select
import subprocess
import threading

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HATS = os.path.join(ROOT, "tests", "data", "hats")


def cli_path():
    return os.environ.get("ASTROLAKE_BIN", os.path.join(ROOT, "build", "src", "cli", "astrolake"))


def run_cli(*args):
    out = subprocess.run([cli_path(), *map(str, args)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"astrolake {' '.join(map(str, args))} failed: {out.stderr}")
    return out.stdout


def start_service(root, state, users=None, host="127.0.0.1", prefix=()):
    """Starts `astrolake serve` over `root` (a free port on `host`) after adding `users` (name ->
    password) to `state`; `prefix` runs it under another command (e.g. ip netns exec NS).
    Returns (process, base URL); stop it with SIGTERM."""
    for user, password in (users or {}).items():
        subprocess.run([cli_path(), "user", "add", user, "--state", str(state)], input=password + "\n",
                       text=True, check=True, capture_output=True, timeout=60)
    proc = subprocess.Popen([*prefix, cli_path(), "serve", "--root", str(root), "--state", str(state),
                             "--host", host, "--port", "0"], stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([proc.stderr], [], [], 60)  # its first line says where it listens
    line = proc.stderr.readline() if ready else "(nothing within 60 s)"
    m = re.search(r'"url":"(http://[0-9.]+:\d+)/tap"', line)
    if not m:
        proc.kill()
        proc.wait(timeout=30)
        raise RuntimeError(f"the service did not start: {line}")
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # drain its log
    return proc, m.group(1)


@pytest.fixture(scope="session")
def survey(tmp_path_factory):
    """Paths of the ztf and gaia collections (margin 10 arcsec) and their input Parquet files."""
    d = tmp_path_factory.mktemp("survey")
    ztf_pq, gaia_pq = d / "ztf.parquet", d / "gaia.parquet"
    run_cli("generate", "ztf", "--rows", 6000, "--seed", 7, "-o", ztf_pq, "-q")
    run_cli("generate", "gaia", "--rows", 9000, "--seed", 7, "-o", gaia_pq, "-q")
    run_cli("import", ztf_pq, "--ra", "ra", "--dec", "dec", "-o", d / "ztf", "--max-rows", 800,
            "--margin-arcsec", 10, "--threads", 2)
    run_cli("import", gaia_pq, "--ra", "ra", "--dec", "dec", "-o", d / "gaia", "--max-rows", 1200,
            "--margin-arcsec", 10, "--threads", 2)
    return {"dir": d, "ztf": str(d / "ztf"), "gaia": str(d / "gaia"), "ztf_parquet": str(ztf_pq),
            "gaia_parquet": str(gaia_pq)}


def haversine_deg(ra1, dec1, ra2, dec2):
    """Great-circle separation in degrees (numpy, the brute-force truth)."""
    ra1, dec1, ra2, dec2 = map(np.radians, (ra1, dec1, ra2, dec2))
    h = np.sin((dec2 - dec1) / 2) ** 2 + np.cos(dec1) * np.cos(dec2) * np.sin((ra2 - ra1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0, 1))))
