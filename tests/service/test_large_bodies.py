"""Request bodies larger than the 64 MiB held in memory, against a real `astrolake serve` on
127.0.0.1: storage uploads stream to disk whatever their size (with and without
Content-Length), an upload past the quota is refused with 413 and leaves nothing, and bodies
that would be held in memory (TAP forms, inline MyDB imports) get 413. Every refusal is read by
the client as an answer (the service reads and drops the rest of the body), and every request
has a timeout, so no test can hang. Run by CTest with .venv's Python (ASTROLAKE_BIN set)."""
import hashlib
import os
import re
import signal
import subprocess
import threading

import pytest
import requests

BIN = os.environ["ASTROLAKE_BIN"]
MIB = 1 << 20
BIG = 80 * MIB
TIMEOUT = (10, 120)  # connect, and each send or read: a stuck exchange fails instead of hanging


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    d = tmp_path_factory.mktemp("bodies")
    (d / "root").mkdir()
    state = str(d / "state")
    for user, quota in (("alice", "1GiB"), ("bob", "8MiB")):
        subprocess.run([BIN, "user", "add", user, "--state", state, "--quota", quota], input=user + "-password\n",
                       text=True, check=True, capture_output=True)
    proc = subprocess.Popen([BIN, "serve", "--root", str(d / "root"), "--state", state, "--port", "0"],
                            stderr=subprocess.PIPE, text=True)
    m = re.search(r'"url":"(http://127\.0\.0\.1:\d+)/tap"', proc.stderr.readline())
    assert m, "service did not start"
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    url = m.group(1)

    def session(user):
        s = requests.Session()
        r = s.post(url + "/auth/login", data={"username": user, "password": user + "-password"}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        s.headers["Authorization"] = "Bearer " + r.text
        return s

    yield {"url": url, "state": state, "session": session}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


@pytest.fixture(scope="module")
def big():
    return os.urandom(BIG)


def chunks(data, size=MIB):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def put(s, url, name, body):
    return s.put(url + "/storage/put", params={"name": name}, data=body, timeout=TIMEOUT)


def download_sha256(s, url, name):
    h = hashlib.sha256()
    with s.get(url + "/storage/get", params={"name": name}, stream=True, timeout=TIMEOUT) as r:
        assert r.status_code == 200, r.text
        for block in r.iter_content(MIB):
            h.update(block)
    return h.hexdigest()


def tmp_dir_empty(service, user):
    return os.listdir(os.path.join(service["state"], "users", user, "tmp")) == []


def test_80_mib_uploads_round_trip(service, big, tmp_path):
    s, url = service["session"]("alice"), service["url"]
    want = hashlib.sha256(big).hexdigest()
    # From a generator: chunked transfer encoding, no Content-Length.
    r = put(s, url, "vos://big/chunked.bin", chunks(big))
    assert r.status_code == 201, r.text
    assert r.json()["size"] == BIG
    assert download_sha256(s, url, "vos://big/chunked.bin") == want
    # From a file: with Content-Length.
    path = tmp_path / "big.bin"
    path.write_bytes(big)
    with open(path, "rb") as f:
        r = put(s, url, "vos://big/sized.bin", f)
    assert r.status_code == 201, r.text
    assert download_sha256(s, url, "vos://big/sized.bin") == want
    assert s.get(url + "/storage/usage", timeout=TIMEOUT).json()["used"] == 2 * BIG
    assert tmp_dir_empty(service, "alice")


def test_over_quota_upload_is_refused_and_leaves_nothing(service, big, tmp_path):
    s, url = service["session"]("bob"), service["url"]
    old = os.urandom(MIB)
    assert put(s, url, "vos://keep.bin", old).status_code == 201
    path = tmp_path / "big.bin"
    path.write_bytes(big)
    for label, body in (("chunked", lambda: chunks(big)), ("sized", lambda: open(path, "rb"))):
        for name in ("vos://keep.bin", "vos://new.bin"):
            r = put(s, url, name, body())
            assert r.status_code == 413, (label, name, r.text)
            assert "storage quota exceeded" in r.json()["error"]
            assert "nothing was stored" in r.json()["error"]
    # The old file is intact, the new one was never made, no temporary file is left, and the
    # same connection serves the next request.
    assert download_sha256(s, url, "vos://keep.bin") == hashlib.sha256(old).hexdigest()
    assert s.get(url + "/storage/stat", params={"name": "vos://new.bin"}, timeout=TIMEOUT).status_code == 404
    assert tmp_dir_empty(service, "bob")
    assert s.get(url + "/storage/usage", timeout=TIMEOUT).json()["used"] == MIB


def test_bodies_held_in_memory_are_capped_at_64_mib(service, big):
    s, url = service["session"]("alice"), service["url"]
    # A TAP form of 80 MiB: the DALI error document with 413.
    form = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": "SELECT 1 -- " + "x" * BIG}
    r = s.post(url + "/tap/sync", data=form, timeout=TIMEOUT)
    assert r.status_code == 413
    assert "VOTABLE" in r.text and "64 MiB" in r.text
    r = s.post(url + "/tap/sync", files={"UPLOAD": ("t.vot", big)}, data={"QUERY": "SELECT 1"}, timeout=TIMEOUT)
    assert r.status_code == 413
    # An inline MyDB import of 80 MiB: JSON error naming the way for large tables.
    r = s.post(url + "/mydb/import", params={"table": "huge"}, data=chunks(big), timeout=TIMEOUT)
    assert r.status_code == 413
    assert "from=vos://" in r.json()["error"]
    assert s.get(url + "/mydb/describe", params={"table": "huge"}, timeout=TIMEOUT).status_code == 404
    # A POST to a path no route takes, and an upload without a token: answered, not reset.
    assert s.post(url + "/no/such/route", data=chunks(big), timeout=TIMEOUT).status_code == 404
    r = requests.put(url + "/storage/put", params={"name": "vos://x.bin"}, data=chunks(big), timeout=TIMEOUT)
    assert r.status_code == 401
    # The session still works after all that.
    assert s.get(url + "/auth/whoAmI", timeout=TIMEOUT).text == "alice"


def test_refused_bodies_keep_the_connection_in_step(service):
    url = service["url"]
    s = requests.Session()  # one keep-alive connection, no token
    for _ in range(3):
        r = s.post(url + "/storage/mkdir", data={"dir": "vos://x"}, timeout=TIMEOUT)
        assert r.status_code == 401
        # The unread form body was dropped, so the next request on the connection is read whole.
        r = s.get(url + "/auth/whoAmI", timeout=TIMEOUT)
        assert (r.status_code, r.text) == (200, "anonymous")
    # A body that cannot be read (multipart without a boundary) does not change the answer.
    r = requests.post(url + "/storage/mkdir", data=b"x", headers={"Content-Type": "multipart/form-data"},
                      timeout=TIMEOUT)
    assert r.status_code == 401, r.text


def test_large_bodies_on_other_methods_are_refused(service):
    import socket
    host, port = re.match(r"http://([^:]+):(\d+)", service["url"]).groups()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /auth/whoAmI HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % BIG)
        head = sock.recv(4096).decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head
    assert "at most 64 MiB" in head
