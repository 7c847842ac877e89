"""Real TAP clients against `astrolake serve`: pyvo (sync, async, submit_job, tables) and
STILTS (tapquery, taplint), on a service started here on 127.0.0.1 with a free port. Results
are checked against the CLI's `query` for the same ADQL. Run by CTest with .venv's Python
(ASTROLAKE_BIN and AL_TEST_DATA set)."""
import csv
import io
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest
import pyvo
import requests

BIN = os.environ["ASTROLAKE_BIN"]
DATA = os.path.join(os.environ["AL_TEST_DATA"], "hats")
CATALOGS = ["small_sky", "small_sky_source", "small_sky_order1_collection"]


class Service:
    def __init__(self, root, state):
        self.root, self.state = root, state
        self.proc = subprocess.Popen([BIN, "serve", "--root", root, "--state", state, "--port", "0"],
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        m = re.search(r'"url":"(http://127\.0\.0\.1:\d+/tap)"', line)
        assert m, f"service did not start: {line}"
        self.url = m.group(1)
        self.log = []  # the access log, drained so the service never blocks on a full pipe
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)


@pytest.fixture()
def root(tmp_path):
    r = tmp_path / "root"
    r.mkdir()
    for c in CATALOGS:
        shutil.copytree(os.path.join(DATA, c), r / c)
    return str(r)


@pytest.fixture()
def svc(root, tmp_path):
    s = Service(root, str(tmp_path / "state"))
    yield s
    if s.proc.poll() is None:
        assert s.stop() == 0


def cli_rows(adql, root):
    out = subprocess.run([BIN, "query", adql, "--root", root, "--format", "csv", "-q"],
                         check=True, capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    return rows[0], [[float(v) for v in r] for r in rows[1:]]


def table_rows(table, names):
    return [[float(row[n]) for n in names] for row in table]


def test_pyvo_run_sync_matches_cli(svc, root):
    adql = "SELECT id, ra, dec FROM small_sky WHERE dec < -40 ORDER BY id"
    names, expected = cli_rows(adql, root)
    tap = pyvo.dal.TAPService(svc.url)
    got = tap.run_sync(adql).to_table()
    assert got.colnames == names
    assert table_rows(got, names) == expected
    assert str(got["ra"].unit) == "deg"


def test_pyvo_maxrec_overflow_and_error(svc):
    tap = pyvo.dal.TAPService(svc.url)
    res = tap.run_sync("SELECT id FROM small_sky", maxrec=7)
    assert len(res) == 7
    assert res.query_status == "OVERFLOW"
    with pytest.raises(pyvo.dal.DALQueryError, match="no column 'nope'"):
        tap.run_sync("SELECT nope FROM small_sky")


def test_pyvo_run_async_and_submit_job(svc, root):
    adql = "SELECT source_id, mjd FROM small_sky_source WHERE object_id = 700 ORDER BY source_id"
    names, expected = cli_rows(adql, root)
    tap = pyvo.dal.TAPService(svc.url)
    got = tap.run_async(adql).to_table()
    assert table_rows(got, names) == expected
    job = tap.submit_job("SELECT COUNT(*) AS n FROM small_sky_order1_collection")
    assert job.phase == "PENDING"
    job.run()
    job.wait(phases=["COMPLETED", "ERROR", "ABORTED"], timeout=30)
    assert job.phase == "COMPLETED"
    assert int(job.fetch_result().to_table()["n"][0]) == 131
    job_dir = os.path.join(svc.state, "jobs", job.job_id)
    assert os.path.isdir(job_dir)
    job.delete()
    assert not os.path.exists(job_dir)
    # A bad query becomes an ERROR job with the planner's message.
    bad = tap.submit_job("SELECT nope FROM small_sky")
    bad.run()
    bad.wait(phases=["COMPLETED", "ERROR", "ABORTED"], timeout=30)
    assert bad.phase == "ERROR"
    assert "no column 'nope'" in bad.job.errorsummary.message.content


def test_pyvo_tables_and_tap_schema(svc):
    tap = pyvo.dal.TAPService(svc.url)
    names = [t.name for t in tap.tables]
    assert "small_sky" in names and "TAP_SCHEMA.columns" in names
    cols = {c.name for c in tap.tables["small_sky"].columns}
    assert {"id", "ra", "dec"} <= cols
    n = tap.run_sync("SELECT COUNT(*) AS n FROM TAP_SCHEMA.columns WHERE table_name = 'small_sky'").to_table()
    assert int(n["n"][0]) == len(cols)


def test_async_created_running_and_jobs_survive_restart(root, tmp_path):
    state = str(tmp_path / "state")
    s = Service(root, state)
    # PHASE=RUN in the creation POST starts the job at once.
    r = requests.post(s.url + "/async", data={"LANG": "ADQL", "QUERY": "SELECT TOP 3 id FROM small_sky ORDER BY id",
                                              "PHASE": "RUN", "RESPONSEFORMAT": "csv"}, allow_redirects=False)
    assert r.status_code == 303
    job_url = r.headers["Location"]
    phase = requests.get(job_url, params={"WAIT": "10", "PHASE": "QUEUED"}).text
    for _ in range(100):
        phase = requests.get(job_url + "/phase").text
        if phase == "COMPLETED":
            break
        time.sleep(0.05)
    assert phase == "COMPLETED"
    # A job that runs long enough to be interrupted: a four-way cross join.
    r = requests.post(s.url + "/async", data={"LANG": "ADQL", "PHASE": "RUN", "QUERY":
                      "SELECT COUNT(*) FROM small_sky a, small_sky b, small_sky c, small_sky d"},
                      allow_redirects=False)
    long_url = r.headers["Location"]
    for _ in range(100):
        if requests.get(long_url + "/phase").text == "EXECUTING":
            break
        time.sleep(0.05)
    s.stop(signal.SIGKILL)
    s2 = Service(root, state)
    try:
        job_url = job_url.replace(s.url, s2.url)
        long_url = long_url.replace(s.url, s2.url)
        assert requests.get(job_url + "/phase").text == "COMPLETED"
        assert requests.get(job_url + "/results/result").text == "id\r\n700\r\n701\r\n702\r\n"
        assert requests.get(long_url + "/phase").text == "ERROR"
        assert "stopped while this job was running" in requests.get(long_url + "/error").text
        listing = requests.get(s2.url + "/async", params={"PHASE": "ERROR"}).text
        assert long_url.rsplit("/", 1)[1] in listing and job_url.rsplit("/", 1)[1] not in listing
        assert requests.get(s2.url + "/async", params={"LAST": "1"}).text.count("<uws:jobref") == 1
        r = requests.post(long_url, data={"ACTION": "DELETE"}, allow_redirects=False)
        assert r.status_code == 303
        assert requests.get(long_url).status_code == 404
    finally:
        assert s2.stop() == 0


def test_stilts_tapquery_matches_cli(svc, root, tmp_path):
    adql = "SELECT id, ra, dec FROM small_sky WHERE ra > 300 ORDER BY id"
    names, expected = cli_rows(adql, root)
    out = tmp_path / "out.csv"
    subprocess.run(["stilts", "tapquery", f"tapurl={svc.url}", f"adql={adql}", "sync=true",
                    f"out={out}", "ofmt=csv"], check=True, capture_output=True, text=True, timeout=120)
    rows = list(csv.reader(open(out)))
    assert rows[0] == names
    assert [[float(v) for v in r] for r in rows[1:]] == expected


def test_stilts_taplint_clean(svc):
    out = subprocess.run(["stilts", "taplint", f"tapurl={svc.url}", "report=EW"],
                         capture_output=True, text=True, timeout=300).stdout
    totals = re.search(r"Totals: Errors: (\d+); Warnings: (\d+)", out)
    assert totals, out[-2000:]
    assert totals.groups() == ("0", "0"), "\n".join(l for l in out.splitlines() if l[:2] in ("E-", "W-"))
