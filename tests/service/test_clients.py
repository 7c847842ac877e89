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
    def __init__(self, root, state, extra=()):
        self.root, self.state = root, state
        self.proc = subprocess.Popen([BIN, "serve", "--root", root, "--state", state, "--port", "0", *extra],
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


UPLOAD_XMATCH = ("SELECT u.id AS target, c.id FROM TAP_UPLOAD.t AS u JOIN small_sky AS c "
                 "ON 1 = CONTAINS(POINT('ICRS', c.ra, c.dec), CIRCLE('ICRS', u.ra, u.dec, 3.0)) "
                 "ORDER BY target, c.id")
TARGETS = [(1, 300.0, -50.0), (2, 320.0, -40.0), (3, 10.0, 80.0)]


def brute_force_pairs(root):
    """The upload cross-match by brute force over the catalog's rows as the CLI reads them."""
    import math
    _, rows = cli_rows("SELECT id, ra, dec FROM small_sky", root)
    pairs = []
    for tid, tra, tdec in TARGETS:
        for cid, ra, dec in rows:
            c = (math.sin(math.radians(dec)) * math.sin(math.radians(tdec)) +
                 math.cos(math.radians(dec)) * math.cos(math.radians(tdec)) * math.cos(math.radians(ra - tra)))
            if math.degrees(math.acos(min(1.0, c))) <= 3.0:
                pairs.append((tid, int(cid)))
    return sorted(pairs)


def targets_table():
    from astropy.table import Table
    return Table(rows=TARGETS, names=("id", "ra", "dec"), dtype=("i8", "f8", "f8"))


def test_pyvo_upload_cross_match_equals_brute_force(svc, root):
    want = brute_force_pairs(root)
    assert len(want) > 1
    tap = pyvo.dal.TAPService(svc.url)
    got = tap.run_sync(UPLOAD_XMATCH, uploads={"t": targets_table()}).to_table()
    assert sorted((int(r["target"]), int(r["id"])) for r in got) == want
    # The same through an async job (the upload travels with the job's creation).
    got = tap.run_async(UPLOAD_XMATCH, uploads={"t": targets_table()}).to_table()
    assert sorted((int(r["target"]), int(r["id"])) for r in got) == want


def test_pyvo_upload_from_url(svc, root, tmp_path):
    """UPLOAD=t,http://...: the service fetches the VOTable from a server the test starts."""
    import functools
    import http.server
    targets_table().write(str(tmp_path / "targets.vot"), format="votable")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/targets.vot"
        tap = pyvo.dal.TAPService(svc.url)
        got = tap.run_sync(UPLOAD_XMATCH, uploads={"t": url}).to_table()
        assert sorted((int(r["target"]), int(r["id"])) for r in got) == brute_force_pairs(root)
    finally:
        server.shutdown()


def test_pyvo_upload_errors(root, tmp_path):
    svc = Service(root, str(tmp_path / "state"), ["--max-upload", "200000"])
    tap = pyvo.dal.TAPService(svc.url)
    r = requests.post(svc.url + "/sync", data={"LANG": "ADQL", "QUERY": "SELECT * FROM TAP_UPLOAD.t",
                                               "UPLOAD": "t,param:t"},
                      files={"t": ("t.xml", b"<VOTABLE><RESOURCE><TABLE><DATA>", "text/xml")})
    assert r.status_code == 400
    assert "upload 't' is not a valid VOTable" in r.text and 'value="ERROR"' in r.text
    big = io.BytesIO()
    from astropy.table import Table
    Table({"id": list(range(20_000))}).write(big, format="votable", tabledata_format="tabledata")
    r = requests.post(svc.url + "/sync", data={"LANG": "ADQL", "QUERY": "SELECT COUNT(*) FROM TAP_UPLOAD.t",
                                               "UPLOAD": "t,param:t"},
                      files={"t": ("t.xml", big.getvalue(), "text/xml")})
    assert r.status_code == 413
    assert "larger than the upload limit" in r.text
    with pytest.raises(pyvo.dal.DALQueryError, match="no upload table TAP_UPLOAD.nope"):
        tap.run_sync("SELECT * FROM TAP_UPLOAD.nope", uploads={"t": targets_table()})
    assert svc.stop() == 0


def test_pyvo_geometry_columns_have_xtypes(svc, root):
    tap = pyvo.dal.TAPService(svc.url)
    res = tap.run_sync("SELECT TOP 3 id, ra, dec, POINT(ra, dec) AS p, CIRCLE(ra, dec, 0.25) AS c "
                       "FROM small_sky ORDER BY id")
    assert res.fieldname_with_ucd("pos.eq.ra;meta.main") == "ra"
    assert res.getdesc("p").xtype == "point" and res.getdesc("p").arraysize == "2"
    assert res.getdesc("c").xtype == "circle" and res.getdesc("c").arraysize == "3"
    t = res.to_table()
    for row in t:
        assert list(row["p"]) == [row["ra"], row["dec"]]
        assert list(row["c"]) == [row["ra"], row["dec"], 0.25]


def test_stilts_tapquery_upload_matches_brute_force(svc, root, tmp_path):
    targets = tmp_path / "targets.vot"
    targets_table().write(str(targets), format="votable")
    out = tmp_path / "out.csv"
    subprocess.run(["stilts", "tapquery", f"tapurl={svc.url}", f"adql={UPLOAD_XMATCH}", "sync=true",
                    "nupload=1", f"upload1={targets}", "upname1=t", f"out={out}", "ofmt=csv"],
                   check=True, capture_output=True, text=True, timeout=120)
    rows = list(csv.reader(open(out)))
    assert rows[0] == ["target", "id"]
    assert sorted((int(a), int(b)) for a, b in rows[1:]) == brute_force_pairs(root)
