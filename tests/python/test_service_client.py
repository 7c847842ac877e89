"""astrolake.Service, the Python client of `astrolake serve`, against a real service started
here on 127.0.0.1 (a free port) over copies of the HATS fixtures. Answers are checked against
the CLI's `query` on the same catalogs."""
import csv
import io
import os
import re
import shutil
import signal
import subprocess

import numpy as np
import pytest

import astrolake
from conftest import HATS, cli_path, start_service

CATALOGS = ["small_sky", "small_sky_order1_collection"]
USERS = {"alice": "alice's long passphrase", "bob": "bob's other passphrase"}


def has_accounts():
    out = subprocess.run([cli_path(), "--help"], capture_output=True, text=True).stdout
    return re.search(r"^  user ", out, re.M) is not None


needs_accounts = pytest.mark.skipif(not has_accounts(), reason="this build has no `astrolake user` (accounts)")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    d = tmp_path_factory.mktemp("service")
    root = d / "root"
    root.mkdir()
    for c in CATALOGS:
        shutil.copytree(os.path.join(HATS, c), root / c)
    if has_accounts():
        for user, password in USERS.items():
            subprocess.run([cli_path(), "user", "add", user, "--state", str(d / "state")], input=password + "\n",
                           text=True, check=True, capture_output=True)
    proc, url = start_service(root, d / "state")
    yield {"url": url, "root": str(root), "state": str(d / "state")}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A fresh home folder (the token cache lives under ~/.astrolake) and no ASTROLAKE_TOKEN."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("ASTROLAKE_TOKEN", raising=False)
    return tmp_path


def cli_rows(adql, root):
    out = subprocess.run([cli_path(), "query", adql, "--root", root, "--format", "csv", "-q"],
                         check=True, capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    return rows[0], np.array([[float(v) for v in r] for r in rows[1:]])


ADQL = "SELECT id, ra, dec FROM small_sky WHERE dec < -40 ORDER BY id"


def test_query_formats_match_cli(service, home):
    svc = astrolake.Service(service["url"])
    names, expected = cli_rows(ADQL, service["root"])
    df = svc.query(ADQL)
    assert list(df.columns) == names
    np.testing.assert_array_equal(df.to_numpy(dtype=float), expected)
    text = svc.query(ADQL, fmt="csv")
    assert text.splitlines()[0] == ",".join(names) and len(text.splitlines()) == 1 + len(expected)
    table = svc.query(ADQL, fmt="table")
    assert table.colnames == names and str(table["ra"].unit) == "deg"
    np.testing.assert_array_equal(np.array(table["id"], dtype=float), expected[:, 0])
    assert svc.query(ADQL, fmt="votable").startswith(b"<?xml")
    assert len(svc.query(ADQL, maxrec=5)) == 5


def test_tap_base_url_is_accepted(service, home):
    assert astrolake.Service(service["url"] + "/tap/").url == service["url"]


def test_async_job_wait_results(service, home):
    svc = astrolake.Service(service["url"])
    job = svc.query(ADQL, async_=True)
    assert isinstance(job, astrolake.Job) and re.fullmatch(r"[0-9a-f]+", job.id)
    assert svc.wait(job, timeout=60) == "COMPLETED"
    assert svc.status(job) == "COMPLETED"
    _, expected = cli_rows(ADQL, service["root"])
    np.testing.assert_array_equal(svc.results(job).to_numpy(dtype=float), expected)
    np.testing.assert_array_equal(svc.results(job.id).to_numpy(dtype=float), expected)
    csv_job = svc.query(ADQL, fmt="csv", async_=True)
    svc.wait(csv_job, timeout=60)
    assert svc.results(csv_job).count("\n") == 1 + len(expected)
    assert svc.results(csv_job.id).count("\n") == 1 + len(expected)


def test_query_errors_carry_the_service_message(service, home):
    svc = astrolake.Service(service["url"])
    with pytest.raises(astrolake.QueryError, match="nosuchcolumn"):
        svc.query("SELECT nosuchcolumn FROM small_sky")
    with pytest.raises(astrolake.QueryError, match="nosuchtable"):
        svc.query("SELECT * FROM nosuchtable")
    job = svc.query("SELECT nosuchcolumn FROM small_sky", async_=True)
    with pytest.raises(astrolake.QueryError, match="nosuchcolumn"):
        svc.wait(job, timeout=60)
    with pytest.raises(astrolake.QueryError):
        svc.status("0123456789abcdef")  # no such job: 404
    with pytest.raises(ValueError, match="fmt"):
        svc.query("SELECT * FROM small_sky", fmt="xlsx")
    with pytest.raises(ValueError, match="out"):
        svc.query("SELECT * FROM small_sky", out="/tmp/x.csv")


def test_abort_stops_a_job(service, home):
    svc = astrolake.Service(service["url"])
    # A self cross join large enough to run for a while on the small fixtures.
    job = svc.query("SELECT COUNT(*) AS n FROM small_sky AS a, small_sky AS b, small_sky AS c", async_=True)
    svc.abort(job)
    phase = svc.status(job)
    assert phase in ("ABORTED", "COMPLETED")
    if phase == "ABORTED":
        with pytest.raises(astrolake.QueryError, match="aborted"):
            svc.wait(job, timeout=60)


def test_unreachable_service_is_a_clear_error(home):
    svc = astrolake.Service("http://127.0.0.1:9")
    with pytest.raises(astrolake.QueryError, match="cannot reach http://127.0.0.1:9"):
        svc.query("SELECT * FROM small_sky")


def test_token_from_environment(service, home, monkeypatch):
    monkeypatch.setenv("ASTROLAKE_TOKEN", "abc123")
    assert astrolake.Service(service["url"]).token == "abc123"
    assert astrolake.Service(service["url"], token="given").token == "given"


@needs_accounts
def test_url_and_token_from_environment_as_in_the_hub(service, home, monkeypatch):
    # The platform's notebook servers get both; Service() then needs no arguments and no login.
    svc = astrolake.Service(service["url"])
    svc.login("alice", USERS["alice"])
    monkeypatch.setenv("ASTROLAKE_SERVICE_URL", service["url"] + "/tap")
    monkeypatch.setenv("ASTROLAKE_TOKEN", svc.token)
    assert astrolake.Service().whoami() == "alice"
    monkeypatch.delenv("ASTROLAKE_SERVICE_URL")
    with pytest.raises(ValueError, match="ASTROLAKE_SERVICE_URL"):
        astrolake.Service()


def test_remote_catalog_is_a_lazy_adql_handle(service, home):
    svc = astrolake.Service(service["url"])
    assert "small_sky" in svc.catalogs() and "small_sky_order1_collection" in svc.catalogs()
    cat = svc.remote_catalog("small_sky")
    assert {"id", "ra", "dec"} <= set(cat.columns)
    assert len(cat.head(3)) == 3
    near = cat.select(["id", "ra", "dec"]).cone_search(ra=315.0, dec=-66.0, radius_arcsec=3 * 3600)
    got = near.query("id > 0").compute().sort_values("id")
    _, expected = cli_rows("SELECT id, ra, dec FROM small_sky WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), "
                           "CIRCLE('ICRS', 315.0, -66.0, 3.0)) AND id > 0 ORDER BY id", service["root"])
    assert len(expected) > 0
    np.testing.assert_array_equal(got.to_numpy(dtype=float), expected)
    with pytest.raises(astrolake.QueryError, match="nosuch"):
        svc.remote_catalog("nosuch").columns


def test_open_catalog_reads_the_served_files_over_http(service, home):
    if not has_route(service["url"], "GET", "/catalogs/small_sky/properties"):
        pytest.skip("this build's service does not serve catalog files")
    svc = astrolake.Service(service["url"])
    for name in CATALOGS:
        web, local = svc.open_catalog(name), astrolake.open_catalog(os.path.join(service["root"], name))
        assert web.path.startswith(service["url"] + "/catalogs/")
        assert web.npartitions == local.npartitions and web.columns == local.columns
        a = web.compute(progress=False).sort_values("id").reset_index(drop=True)
        b = local.compute(progress=False).sort_values("id").reset_index(drop=True)
        assert len(a) == 131 and a.equals(b)
    # The lazy API on it: cone search, a cross-match (with the collection's margin), map_partitions.
    web = svc.open_catalog("small_sky_order1_collection")
    local = astrolake.open_catalog(os.path.join(service["root"], "small_sky_order1_collection"))
    cone = web.cone_search(315.0, -66.0, 3 * 3600).compute(progress=False)
    assert sorted(cone["id"]) == sorted(local.cone_search(315.0, -66.0, 3 * 3600).compute(progress=False)["id"])
    xm = web.crossmatch(svc.open_catalog("small_sky"), radius_arcsec=1).compute(progress=False)
    xm_local = local.crossmatch(astrolake.open_catalog(os.path.join(service["root"], "small_sky")),
                                radius_arcsec=1).compute(progress=False)
    pairs = ["id_small_sky_order1", "id_small_sky"]
    assert len(xm) == 131
    assert sorted(map(tuple, xm[pairs].to_numpy())) == sorted(map(tuple, xm_local[pairs].to_numpy()))
    counts = web.map_partitions(lambda df: df[["id"]].assign(n=len(df))).compute(progress=False)
    assert len(counts) == 131
    assert len(web.to_dask().compute()) == 131
    with pytest.raises(astrolake.QueryError, match="nosuch"):
        svc.open_catalog("nosuch")


@needs_accounts
def test_login_whoami_token_cache_logout(service, home, monkeypatch):
    svc = astrolake.Service(service["url"])
    assert svc.whoami() == "anonymous"
    monkeypatch.setattr("getpass.getpass", lambda prompt: USERS["alice"])  # the terminal prompt
    assert svc.login("alice") == "alice"
    assert svc.whoami() == "alice"
    cache = home / ".astrolake" / "tokens.json"
    assert cache.stat().st_mode & 0o777 == 0o600 and cache.parent.stat().st_mode & 0o777 == 0o700
    token = svc.token
    assert token and token not in str(os.environ)
    # A new client for the same URL finds the cached token; another URL does not.
    assert astrolake.Service(service["url"] + "/tap").whoami() == "alice"
    assert astrolake.Service(service["url"].replace("127.0.0.1", "localhost")).token is None
    svc.logout()
    assert svc.token is None and astrolake.Service(service["url"]).token is None
    # The old token is revoked on the service.
    with pytest.raises(astrolake.AuthError):
        astrolake.Service(service["url"], token=token).ls("vos://")


@needs_accounts
def test_bad_credentials_and_anonymous_storage(service, home):
    svc = astrolake.Service(service["url"])
    with pytest.raises(astrolake.AuthError) as e:
        svc.login("alice", "wrong password")
    assert str(e.value)
    with pytest.raises(astrolake.AuthError):
        svc.ls("vos://")
    assert not (home / ".astrolake" / "tokens.json").exists()


@needs_accounts
def test_storage_round_trip(service, home, tmp_path):
    svc = astrolake.Service(service["url"])
    svc.login("alice", USERS["alice"])
    local = tmp_path / "data.bin"
    payload = os.urandom(3 << 20)
    local.write_bytes(payload)
    st = svc.put(local, "vos://data/data.bin")
    assert st["size"] == len(payload)
    assert [e["name"] for e in svc.ls("vos://data")] == ["data.bin"]
    assert svc.get("vos://data/data.bin") == payload
    out = tmp_path / "copy.bin"
    assert svc.get("data/data.bin", out) == str(out) and out.read_bytes() == payload
    svc.mkdir("vos://data/old")
    svc.mv("vos://data/data.bin", "vos://data/old/data.bin")
    svc.cp("vos://data/old/data.bin", "vos://public/data.bin")
    assert svc.stat("vos://public/data.bin")["size"] == len(payload)
    with pytest.raises(astrolake.StorageError, match="data.bin"):
        svc.get("vos://data/data.bin")
    # bob reads alice's public copy, and nothing else of hers.
    bob = astrolake.Service(service["url"], token=None)
    bob.login("bob", USERS["bob"])
    assert bob.get("vos://~alice/public/data.bin") == payload
    with pytest.raises((astrolake.StorageError, astrolake.AuthError)):
        bob.get("vos://~alice/data/old/data.bin")
    svc.rm("vos://data", recursive=True)
    svc.rm("vos://public/data.bin")
    assert all(e["name"] != "data" for e in svc.ls("vos://"))


def has_route(url, method, path, **kw):
    """False when the service has no such route (httplib's 404 without a JSON error)."""
    import requests
    r = requests.request(method, url + path, **kw)
    return not (r.status_code == 404 and "error" not in r.text[:20])


def writes_out(url):
    """Whether the service honours OUT=vos://: anonymously that must be refused (401), where a
    service without it answers with the rows."""
    import requests
    r = requests.post(url + "/tap/sync", data={"LANG": "ADQL", "QUERY": "SELECT TOP 1 id FROM small_sky",
                                               "RESPONSEFORMAT": "csv", "OUT": "vos://probe.csv"})
    return r.status_code != 200


@needs_accounts
def test_query_into_storage(service, home):
    if not writes_out(service["url"]):
        pytest.skip("this build's service does not write query results into storage (OUT=)")
    svc = astrolake.Service(service["url"])
    with pytest.raises(astrolake.AuthError):
        svc.query(ADQL, out="vos://results/q1.csv")
    svc.login("alice", USERS["alice"])
    names, expected = cli_rows(ADQL, service["root"])
    info = svc.query(ADQL, out="vos://results/q1.csv")
    assert info["rows"] == len(expected) and info["out"].endswith("results/q1.csv")
    rows = list(csv.reader(io.StringIO(svc.get("vos://results/q1.csv").decode())))
    assert rows[0] == names and [[float(v) for v in r] for r in rows[1:]] == expected.tolist()
    job = svc.query(ADQL, out="vos://results/q2.parquet", async_=True)
    svc.wait(job, timeout=60)
    import pyarrow.parquet as pq
    back = pq.read_table(io.BytesIO(svc.get("vos://results/q2.parquet"))).to_pandas()
    np.testing.assert_array_equal(back.to_numpy(dtype=float), expected)


@needs_accounts
def test_mydb_import_query_drop(service, home):
    if not has_route(service["url"], "GET", "/mydb/list"):
        pytest.skip("this build's service has no MyDB")
    svc = astrolake.Service(service["url"])
    svc.login("alice", USERS["alice"])
    _, expected = cli_rows(ADQL, service["root"])
    df = svc.query(ADQL)
    svc.mydb_import("south", df, ra="ra", dec="dec")
    tables = {t["name"]: t for t in svc.mydb_list()}
    assert tables["south"]["rows"] == len(expected)
    back = svc.query("SELECT id, ra, dec FROM mydb.south ORDER BY id")
    np.testing.assert_array_equal(back.to_numpy(dtype=float), expected)
    svc.mydb_drop("south")
    assert "south" not in {t["name"] for t in svc.mydb_list()}
    with pytest.raises(astrolake.QueryError):
        svc.query("SELECT * FROM mydb.south")
    with pytest.raises(astrolake.StorageError, match="south"):
        svc.mydb_drop("south")


@needs_accounts
def test_mydb_from_csv_file_and_query_out(service, home, tmp_path):
    if not has_route(service["url"], "GET", "/mydb/list"):
        pytest.skip("this build's service has no MyDB")
    svc = astrolake.Service(service["url"])
    svc.login("bob", USERS["bob"])
    path = tmp_path / "mine.csv"
    path.write_text(svc.query("SELECT id, ra AS ra_deg, dec AS dec_deg FROM small_sky WHERE id < 720", fmt="csv"))
    made = svc.mydb_import("mine", str(path), ra="ra_deg", dec="dec_deg")
    assert made["name"] == "mine" and made["rows"] == 20
    # A query result saved as a personal table, then joined with a catalog.
    svc.query("SELECT id, ra, dec FROM small_sky WHERE dec < -60", out="mydb://far_south")
    n = svc.query("SELECT COUNT(*) AS n FROM mydb.far_south AS f JOIN small_sky AS s ON f.id = s.id")["n"][0]
    assert n == len(svc.query("SELECT id FROM small_sky WHERE dec < -60"))
    # alice sees neither of bob's tables.
    alice = astrolake.Service(service["url"], token=None)
    alice.login("alice", USERS["alice"])
    assert {"mine", "far_south"}.isdisjoint(t["name"] for t in alice.mydb_list())
    with pytest.raises(astrolake.QueryError):
        alice.query("SELECT * FROM mydb.mine")
    svc.mydb_drop("mine")
    svc.mydb_drop("far_south")


@needs_accounts
def test_usage_counts_files_and_tables_and_import_from_storage(service, home, tmp_path):
    if not has_route(service["url"], "GET", "/storage/usage"):
        pytest.skip("this build's service has no /storage/usage")
    svc = astrolake.Service(service["url"])
    svc.login("bob", USERS["bob"])
    before = svc.usage()
    assert before["user"] == "bob" and before["used"] + before["free"] == before["quota"]
    path = tmp_path / "stored.csv"
    path.write_text(svc.query("SELECT id, ra, dec FROM small_sky WHERE id < 720", fmt="csv"))
    svc.put(str(path), "vos://tables/stored.csv")
    assert svc.usage()["used"] == before["used"] + path.stat().st_size
    made = svc.mydb_import("stored", "vos://tables/stored.csv")
    assert made["rows"] == 20
    table = os.path.join(service["state"], "users", "bob", "mydb", "stored")
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(table) for f in fs)
    assert svc.usage()["used"] == before["used"] + path.stat().st_size + size
    svc.mydb_drop("stored")
    svc.rm("vos://tables", recursive=True)
    assert svc.usage()["used"] == before["used"]
    with pytest.raises(astrolake.AuthError, match="path outside your storage area"):
        svc.stat("vos://../alice/files")



def test_open_catalog_on_dask_worker_processes(service, home):
    """Worker processes of a real Dask LocalCluster read the served files themselves."""
    if not has_route(service["url"], "GET", "/catalogs/small_sky/properties"):
        pytest.skip("this build's service does not serve catalog files")
    from distributed import Client, LocalCluster

    svc = astrolake.Service(service["url"])
    web = svc.open_catalog("small_sky_order1_collection")
    local = astrolake.open_catalog(os.path.join(service["root"], "small_sky_order1_collection"))
    want = local.map_partitions(lambda df: df[["id", "ra"]]).compute(progress=False).sort_values("id")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        assert os.getpid() not in client.run(os.getpid).values()
        got = web.map_partitions(lambda df: df[["id", "ra"]]).compute(progress=False).sort_values("id")
        ddf = web.to_dask().compute().sort_values("id")
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert list(ddf["id"]) == list(want["id"])
