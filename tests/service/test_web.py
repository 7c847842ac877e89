"""The web page in a real browser: Debian's chromium, headless, driven over the DevTools protocol
(cdp.py) against `astrolake serve` started here on 127.0.0.1. Results shown on the page are
checked against the CLI's `query`. Screenshots are kept in build/test-artifacts/ (or
$AL_ARTIFACTS). Run by CTest with .venv's Python (ASTROLAKE_BIN and AL_TEST_DATA set)."""
import csv
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import threading

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402

BIN = os.environ["ASTROLAKE_BIN"]
DATA = os.path.join(os.environ["AL_TEST_DATA"], "hats")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.environ.get("AL_ARTIFACTS", os.path.join(REPO, "build", "test-artifacts"))
PASSWORD = "correct horse battery staple"


def has_accounts():
    out = subprocess.run([BIN, "--help"], capture_output=True, text=True).stdout
    return re.search(r"^  user ", out, re.M) is not None


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    d = tmp_path_factory.mktemp("web")
    root = d / "root"
    root.mkdir()
    for c in ["small_sky", "small_sky_order1_collection"]:
        shutil.copytree(os.path.join(DATA, c), root / c)
    state = str(d / "state")
    if has_accounts():
        subprocess.run([BIN, "user", "add", "ada", "--state", state], input=PASSWORD + "\n", text=True,
                       check=True, capture_output=True)
    proc = subprocess.Popen([BIN, "serve", "--root", str(root), "--state", state, "--port", "0"],
                            stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    m = re.search(r'"url":"(http://127\.0\.0\.1:\d+)/tap"', line)
    assert m, f"service did not start: {line}"
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    yield {"url": m.group(1), "root": str(root), "state": state}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


def cli_rows(adql, root):
    out = subprocess.run([BIN, "query", adql, "--root", root, "--format", "csv", "-q"],
                         check=True, capture_output=True, text=True).stdout
    return list(csv.reader(io.StringIO(out)))


def shown_rows(browser):
    return browser.eval("[...document.querySelectorAll('#result-table tr')]"
                        ".map(tr => [...tr.children].map(c => c.textContent))")


def snap(browser, name):
    return browser.artifact(ARTIFACTS, name)


def test_page_is_served_with_its_files(service):
    page = requests.get(service["url"] + "/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in re.findall(r'(?:href|src)="(/[^"]+)"', page.text):
        r = requests.get(service["url"] + asset)
        assert r.status_code == 200 and len(r.content) > 500, asset
    assert requests.get(service["url"] + "/no-such-file.js").status_code == 404


def test_query_paging_and_catalog_list(service, browser):
    browser.goto(service["url"] + "/")
    browser.wait("[...document.querySelectorAll('#catalogs > li > button')].some(b => b.textContent == 'small_sky')")
    # Anonymous: the login form shows, the signed-in line does not.
    assert browser.eval("getComputedStyle(document.querySelector('#who')).display") == "none"
    assert browser.eval("getComputedStyle(document.querySelector('#login')).display") != "none"
    # The catalog's columns open beside the editor; selecting one adds it to the query.
    browser.eval("[...document.querySelectorAll('#catalogs > li > button')].find(b => b.textContent == 'small_sky')"
                 ".click()")
    cols = browser.eval("[...document.querySelectorAll('#catalogs > li')].find(li => li.firstChild.textContent"
                        " == 'small_sky').querySelectorAll('ul > li > button').length")
    assert cols >= 3
    adql = "SELECT id, ra, dec FROM small_sky ORDER BY id"
    browser.fill("#adql", adql)
    browser.click("#run-sync")
    browser.wait("document.querySelector('#result-info').textContent.includes('rows')")
    expected = cli_rows(adql, service["root"])
    header, body = expected[0], expected[1:]
    assert browser.eval("document.querySelector('#result-info').textContent") == f"{len(body)} rows"
    rows = shown_rows(browser)
    assert rows[0] == header and len(rows) == 1 + 50
    assert [[float(v) for v in r] for r in rows[1:]] == [[float(v) for v in r] for r in body[:50]]
    snap(browser, "web-query.png")
    # Paging: the second page holds rows 51..100.
    browser.click("#page-next")
    assert browser.eval("document.querySelector('#page-info').textContent") == \
        f"Page 2 of {(len(body) + 49) // 50}"
    assert [float(r[0]) for r in shown_rows(browser)[1:]] == [float(r[0]) for r in body[50:100]]
    assert browser.errors == []


def test_bad_query_shows_the_service_message(service, browser):
    browser.goto(service["url"] + "/")
    browser.fill("#adql", "SELECT nosuchcolumn FROM small_sky")
    browser.click("#run-sync")
    msg = browser.wait("document.querySelector('#message.error')?.textContent")
    assert "nosuchcolumn" in msg


def test_async_job_list_show_and_delete(service, browser):
    browser.goto(service["url"] + "/")
    adql = "SELECT id, dec FROM small_sky WHERE dec < -60 ORDER BY id"
    browser.fill("#adql", adql)
    browser.click("#run-async")
    browser.wait("!document.querySelector('#tab-jobs').hidden")
    browser.wait("[...document.querySelectorAll('#jobs-table tbody tr')].some(tr => "
                 "tr.children[1]?.textContent == 'COMPLETED' && tr.children[4].textContent.includes('dec < -60'))",
                 timeout=60)
    duration = browser.eval("[...document.querySelectorAll('#jobs-table tbody tr')].find(tr => "
                            "tr.children[4].textContent.includes('dec < -60')).children[3].textContent")
    assert re.fullmatch(r"\d+\.\d s", duration)
    snap(browser, "web-jobs.png")
    browser.eval("[...document.querySelectorAll('#jobs-table tbody tr')].find(tr => "
                 "tr.children[4].textContent.includes('dec < -60')).querySelector('button').click()")
    browser.wait("document.querySelector('#result-info').textContent.includes('from job')")
    expected = cli_rows(adql, service["root"])
    assert shown_rows(browser)[1:] == expected[1:51] or \
        [[float(v) for v in r] for r in shown_rows(browser)[1:]] == [[float(v) for v in r] for r in expected[1:51]]
    # Delete it from the list: the service forgets the job.
    browser.click("nav button[data-tab=jobs]")
    job_id = browser.wait("[...document.querySelectorAll('#jobs-table tbody tr')].find(tr => "
                          "tr.children[4]?.textContent.includes('dec < -60'))?.children[0].textContent")
    browser.eval(f"[...document.querySelectorAll('#jobs-table tbody tr')].find(tr => "
                 f"tr.children[0].textContent == '{job_id}').querySelector('td:last-child button:last-child').click()")
    browser.wait(f"![...document.querySelectorAll('#jobs-table tbody tr')].some(tr => "
                 f"tr.children[0].textContent == '{job_id}')")
    assert requests.get(f"{service['url']}/tap/async/{job_id}").status_code == 404
    assert browser.errors == []


def test_skymap_picture(service, browser):
    r = requests.get(service["url"] + "/web/skymap.png", params={"catalog": "small_sky", "order": 3})
    assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    bad = requests.get(service["url"] + "/web/skymap.png", params={"catalog": "../small_sky"})
    assert bad.status_code == 404 and "plain name" in bad.json()["error"]
    bad = requests.get(service["url"] + "/web/skymap.png", params={"catalog": "small_sky", "order": "12"})
    assert bad.status_code == 400 and "order" in bad.json()["error"]
    browser.goto(service["url"] + "/")
    browser.click("nav button[data-tab=skymap]")
    browser.wait("document.querySelector('#skymap-catalog').options.length > 0")
    browser.eval("document.querySelector('#skymap-catalog').value = 'small_sky_order1_collection'")
    browser.fill("#skymap-order", "4")
    browser.eval("document.querySelector('#skymap-form').requestSubmit()")
    width = browser.wait("(i => !i.hidden && i.complete && i.naturalWidth)(document.querySelector('#skymap-img'))")
    assert width == 1000
    assert "small_sky_order1_collection" in browser.eval("document.querySelector('#skymap-img').alt")
    snap(browser, "web-skymap.png")
    assert browser.errors == []


def test_downloads_csv_votable_parquet(service, browser, tmp_path):
    import pyarrow.parquet as pq
    from astropy.io.votable import parse_single_table

    browser.send("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(tmp_path))
    browser.goto(service["url"] + "/")
    adql = "SELECT id, ra, dec FROM small_sky WHERE dec < -40 ORDER BY id"
    browser.fill("#adql", adql)
    browser.click("#run-sync")
    browser.wait("document.querySelector('#result-info').textContent.includes('rows')")
    expected = cli_rows(adql, service["root"])
    ids = [int(r[0]) for r in expected[1:]]
    for fmt, name in [("csv", "result.csv"), ("votable", "result.vot"), ("parquet", "result.parquet")]:
        browser.click(f".downloads button[data-format={fmt}]")
        browser.wait(f"document.querySelector('#message').textContent == 'Downloaded {name}.'")
        path = tmp_path / name
        for _ in range(100):  # the browser finishes writing the file after the page is done
            if path.exists() and not list(tmp_path.glob("*.crdownload")):
                break
            threading.Event().wait(0.1)
        if fmt == "csv":
            assert list(csv.reader(io.StringIO(path.read_text()))) == expected
        elif fmt == "votable":
            assert [int(v) for v in parse_single_table(str(path)).to_table()["id"]] == ids
        else:
            assert pq.read_table(path).column("id").to_pylist() == ids
    assert browser.errors == []


@pytest.mark.skipif(not has_accounts(), reason="this build has no `astrolake user` (accounts)")
def test_login_upload_share_logout(service, browser, tmp_path):
    other = requests.post(service["url"] + "/tap/async", data={"LANG": "ADQL", "QUERY": "SELECT TOP 1 id FROM small_sky"})
    assert other.status_code == 200 and "<uws:jobId>" in other.text  # an anonymous job, not ada's
    browser.goto(service["url"] + "/")
    browser.fill("#login input[name=username]", "ada")
    browser.fill("#login input[name=password]", "wrong")
    browser.eval("document.querySelector('#login').requestSubmit()")
    assert browser.wait("document.querySelector('#message.error')?.textContent")
    browser.fill("#login input[name=password]", PASSWORD)
    browser.eval("document.querySelector('#login').requestSubmit()")
    browser.wait("document.querySelector('#who-name').textContent == 'ada'")
    assert browser.eval("document.querySelector('#login input[name=password]').value") == ""
    token = browser.eval("sessionStorage.getItem('astrolake-token')")
    auth = {"Authorization": "Bearer " + token}
    # Upload a file through the Files section; the service holds exactly its bytes.
    local = tmp_path / "notes.csv"
    local.write_text("id,ra,dec\n1,10.5,-20.25\n")
    browser.click("nav button[data-tab=files]")
    browser.choose_file("#upload-file", local)
    browser.eval("document.querySelector('#upload-form').requestSubmit()")
    browser.wait("[...document.querySelectorAll('#files-table tbody tr')].some(tr => "
                 "tr.children[0].textContent == 'notes.csv')")
    got = requests.get(service["url"] + "/storage/get", params={"name": "vos://notes.csv"}, headers=auth)
    assert got.status_code == 200 and got.content == local.read_bytes()
    # Share: a copy in public/.
    browser.eval("[...document.querySelectorAll('#files-table tbody tr')].find(tr => tr.children[0].textContent"
                 " == 'notes.csv').querySelectorAll('button')[1].click()")
    browser.wait("document.querySelector('#message').textContent.includes('vos://public/notes.csv')")
    got = requests.get(service["url"] + "/storage/get", params={"name": "vos://public/notes.csv"}, headers=auth)
    assert got.content == local.read_bytes()
    snap(browser, "web-files.png")
    # A query as ada, then the job list.
    browser.click("nav button[data-tab=query]")
    browser.fill("#adql", "SELECT TOP 5 id FROM small_sky ORDER BY id")
    browser.click("#run-sync")
    browser.wait("document.querySelector('#result-info').textContent == '5 rows'")
    # The same into storage ("Save to").
    browser.fill("#out", "vos://results/top5.csv")
    browser.click("#run-sync")
    browser.wait("document.querySelector('#message').textContent.startsWith('Stored 5 rows in')")
    got = requests.get(service["url"] + "/storage/get", params={"name": "vos://results/top5.csv"}, headers=auth)
    assert got.status_code == 200 and [r[0] for r in csv.reader(io.StringIO(got.text))] == \
        [r[0] for r in cli_rows("SELECT TOP 5 id FROM small_sky ORDER BY id", service["root"])]
    browser.fill("#out", "")
    browser.click("#run-async")
    browser.wait("!document.querySelector('#tab-jobs').hidden")
    browser.wait("[...document.querySelectorAll('#jobs-table tbody tr')].some(tr => "
                 "tr.children[1]?.textContent == 'COMPLETED')", timeout=60)
    # Only ada's own job is listed, not the anonymous ones of the other tests.
    assert browser.eval("[...document.querySelectorAll('#jobs-table tbody tr')].map(tr => "
                        "tr.children[4].textContent)") == ["SELECT TOP 5 id FROM small_sky ORDER BY id"]
    # My tables: import the uploaded CSV, query it, drop it.
    browser.click("nav button[data-tab=tables]")
    browser.fill("#import-name", "notes")
    browser.choose_file("#import-file", local)
    browser.eval("document.querySelector('#import-form').requestSubmit()")
    browser.wait("[...document.querySelectorAll('#tables-table tbody tr')].some(tr => "
                 "tr.children[0].textContent == 'notes' && tr.children[1].textContent == '1')", timeout=60)
    snap(browser, "web-tables.png")
    browser.eval("document.querySelector('#tables-table tbody tr button').click()")  # Query
    assert browser.eval("document.querySelector('#adql').value") == "SELECT TOP 100 * FROM mydb.notes"
    browser.click("#run-sync")
    browser.wait("document.querySelector('#result-info').textContent == '1 rows'")
    header, row = shown_rows(browser)
    shown = dict(zip(header, row))
    assert (shown["id"], shown["ra"], shown["dec"]) == ("1", "10.5", "-20.25")
    browser.eval("window.confirm = () => true")  # the page asks before dropping
    browser.click("nav button[data-tab=tables]")
    browser.wait("document.querySelector('#tables-table tbody tr')?.children[0].textContent == 'notes'")
    browser.eval("document.querySelectorAll('#tables-table tbody tr button')[1].click()")  # Drop
    browser.wait("document.querySelectorAll('#tables-table tbody tr').length == 0")
    browser.click("#logout")
    browser.wait("getComputedStyle(document.querySelector('#who')).display == 'none'")
    assert browser.eval("sessionStorage.getItem('astrolake-token')") is None
    assert requests.get(service["url"] + "/auth/isValidToken", params={"token": token}).text.strip() == "False"
    # A page opened with the revoked token still in the tab drops it and works anonymously.
    browser.eval(f"sessionStorage.setItem('astrolake-token', '{token}')")
    browser.goto(service["url"] + "/")
    browser.wait("document.querySelectorAll('#catalogs > li').length > 0")
    assert browser.eval("sessionStorage.getItem('astrolake-token')") is None
    assert browser.eval("getComputedStyle(document.querySelector('#who')).display") == "none"
    assert browser.errors == []
