#!/usr/bin/env python3
"""A short mixed load on a real `astrolake serve`: N clients (own accounts) log in, run small TAP
queries, upload files of random bytes, download and verify them by SHA-256, list, and log in
again now and then. At the end every client downloads every file it wrote and checks its SHA-256
(nothing lost or corrupted). Standard library only. Prints latency percentiles per operation
(figures only: nothing is asserted about time); exits 1 on any error or any corrupted or lost
file. CTest runs it as service_load (16 clients, 60 s).

  python3 tests/service/load_run.py BINARY CATALOG_DIR [--clients 16] [--seconds 60]
"""
import argparse, hashlib, http.client, json, os, random, re, shutil, subprocess, sys, tempfile, threading, time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("catalog")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="al_load_")
    root, state = os.path.join(work, "root"), os.path.join(work, "state")
    os.makedirs(root)
    name = os.path.basename(args.catalog.rstrip("/"))
    shutil.copytree(args.catalog, os.path.join(root, name))
    users = ["u%02d" % i for i in range(args.clients)]
    for u in users:
        subprocess.run([args.binary, "user", "add", u, "--state", state], input=b"password-" + u.encode() + b"\n",
                       check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([args.binary, "serve", "--root", root, "--state", state, "--port", "0"],
                            stderr=subprocess.PIPE, text=True)
    port = None
    for line in proc.stderr:
        m = re.search(r'"url":"http://127.0.0.1:(\d+)', line)
        if m:
            port = int(m.group(1))
            break
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # drain the access log
    lat, errors, verified, lock = {}, [], [], threading.Lock()
    stop_at = time.time() + args.seconds

    def call(conn, op, method, path, body=None, headers=None):
        t = time.perf_counter()
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        with lock:
            lat.setdefault(op, []).append(time.perf_counter() - t)
        return r.status, data

    def client(u):
        rng = random.Random(u)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        files = {}
        token = None
        n = 0
        try:
            while time.time() < stop_at:
                if token is None or n % 25 == 0:
                    st, body = call(conn, "login", "POST", "/auth/login",
                                    urllib.parse.urlencode({"username": u, "password": "password-" + u}),
                                    {"Content-Type": "application/x-www-form-urlencoded"})
                    if st != 200:
                        raise RuntimeError("login %d %s" % (st, body[:200]))
                    token = body.decode()
                auth = {"Authorization": "Bearer " + token}
                n += 1
                op = rng.choice(["query", "put", "put", "get", "get", "ls"])
                if op == "query":
                    q = urllib.parse.urlencode({"REQUEST": "doQuery", "LANG": "ADQL", "RESPONSEFORMAT": "csv",
                                                "QUERY": "SELECT TOP %d * FROM %s" % (rng.randint(1, 100), name)})
                    st, body = call(conn, "query", "POST", "/tap/sync", q,
                                    dict(auth, **{"Content-Type": "application/x-www-form-urlencoded"}))
                    if st != 200:
                        raise RuntimeError("query %d %s" % (st, body[:200]))
                elif op == "put" or not files:
                    data = os.urandom(rng.randint(1, 1 << 20))
                    f = "vos://load/f%d" % rng.randint(0, 9)
                    st, body = call(conn, "put", "PUT", "/storage/put?name=" + urllib.parse.quote(f), data, auth)
                    if st != 201:
                        raise RuntimeError("put %d %s" % (st, body[:200]))
                    files[f] = hashlib.sha256(data).hexdigest()
                elif op == "get":
                    f = rng.choice(sorted(files))
                    st, body = call(conn, "get", "GET", "/storage/get?name=" + urllib.parse.quote(f), None, auth)
                    if st != 200 or hashlib.sha256(body).hexdigest() != files[f]:
                        raise RuntimeError("get %s: status %d, checksum mismatch or lost" % (f, st))
                else:
                    st, body = call(conn, "ls", "GET", "/storage/ls?name=vos://load", None, auth)
                    if st != 200 or len(json.loads(body)) != len(files):
                        raise RuntimeError("ls %d %s" % (st, body[:200]))
            # Every file this client wrote is there with the bytes it wrote last.
            for f in sorted(files):
                st, body = call(conn, "verify", "GET", "/storage/get?name=" + urllib.parse.quote(f), None, auth)
                if st != 200 or hashlib.sha256(body).hexdigest() != files[f]:
                    raise RuntimeError("final check of %s: status %d, lost or corrupted" % (f, st))
            with lock:
                verified.append(len(files))
        except Exception as e:  # noqa: BLE001 - every failure is counted and reported
            with lock:
                errors.append("%s: %s" % (u, e))

    threads = [threading.Thread(target=client, args=(u,)) for u in users]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
    total = sum(len(v) for v in lat.values())
    print("%d clients, %.1f s, %d requests (%.0f/s), %d errors, %d files verified by SHA-256" % (
        args.clients, elapsed, total, total / elapsed, len(errors), sum(verified)))
    for op in sorted(lat):
        v = sorted(lat[op])
        pct = lambda p: v[min(len(v) - 1, int(p * len(v)))] * 1000  # noqa: E731
        print("  %-6s n=%5d  p50=%7.1f ms  p99=%7.1f ms  max=%7.1f ms" % (op, len(v), pct(0.5), pct(0.99), v[-1] * 1000))
    for e in errors[:10]:
        print("ERROR", e)
    sys.exit(1 if errors or len(verified) != args.clients else 0)


if __name__ == "__main__":
    main()
