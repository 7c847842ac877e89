"""The Python API on a bucket: write_catalog("s3://...") and open_catalog of s3:// URLs, against
a real S3 server (Ceph radosgw on 127.0.0.1, started here with tests/storage/s3_server.sh)."""
import os
import pickle
import socket
import subprocess
import sys
from urllib.parse import unquote

import pandas as pd
import pytest

import astrolake as al
from conftest import ROOT, run_cli

SERVER = os.path.join(ROOT, "tests", "storage", "s3_server.sh")


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    """The test bucket's URL, with the AWS_* variables pointing at a fresh radosgw."""
    d = tmp_path_factory.mktemp("s3") / "server"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(["bash", SERVER, "start", str(d), str(port)], check=True, capture_output=True,
                   stdin=subprocess.DEVNULL)
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "astrolake-test",
           "AWS_SECRET_ACCESS_KEY": "astrolake-test-secret", "AWS_REGION": "us-east-1"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield "s3://astrolake-test"
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        subprocess.run(["bash", SERVER, "stop", str(d)], capture_output=True)


def test_write_catalog_into_a_bucket_and_read_it_back(survey, bucket):
    cat = al.open_catalog(survey["gaia"]).box_search(ra=(200, 320), dec=(-60, 30))
    want = cat.compute(progress=False).sort_values("source_id").reset_index(drop=True)
    assert len(want) > 100
    url = f"{bucket}/py/gaia_box"
    cat.write_catalog(url, margin_arcsec=5, progress=False)
    back = al.open_catalog(url)
    assert back.margin is not None
    got = back.compute(progress=False).sort_values("source_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)
    with pytest.raises(al.CatalogError, match="already exists"):
        cat.write_catalog(url, progress=False)
    cat.write_catalog(url, overwrite=True, progress=False)
    again = al.open_catalog(url).compute(progress=False).sort_values("source_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(again[want.columns], want, check_dtype=False)


# What a Dask worker runs for one task: the (function, *args) tuple of the plan's graph, sent
# pickled, in a process that has opened nothing yet. Its requests are traced to stderr.
WORKER = """
import pickle, sys
func, *args = pickle.load(sys.stdin.buffer)
sys.stdout.buffer.write(pickle.dumps(func(*args)))
"""


def _run_task_fresh(task):
    env = dict(os.environ, ASTROLAKE_HTTP_STATS="2")
    r = subprocess.run([sys.executable, "-c", WORKER], input=pickle.dumps(task), capture_output=True, env=env)
    assert r.returncode == 0, r.stderr.decode()
    urls = [unquote(line.split()[2]) for line in r.stderr.decode().splitlines()
            if line.startswith("http: ") and " -> " in line]
    return pickle.loads(r.stdout), urls


def _tasks_of(cat):
    return list(cat._graph().values())


def _sorted_frame(table, key):
    return table.to_pandas().sort_values(key).reset_index(drop=True)


METADATA = ("collection.properties", "hats.properties", "/properties", "partition_info.csv", "_common_metadata")


def _check_worker_requests(urls, leaves):
    """Only the catalogs' small metadata files and the task's own leaves; never _metadata."""
    assert urls, "the task made no request"
    assert not [u for u in urls if u.endswith("/_metadata")], urls
    for u in urls:
        assert u.endswith(METADATA) or any(u.endswith(leaf) for leaf in leaves), (u, leaves)


def _leaf(pixel):
    order, pix = pixel
    return f"/dataset/Norder={order}/Dir={pix // 10000 * 10000}/Npix={pix}.parquet"


@pytest.fixture(scope="module")
def remote_survey(survey, bucket):
    """The survey's catalogs imported into the bucket with the same arguments as on disk."""
    urls = {}
    for name, rows in (("ztf", 800), ("gaia", 1200)):
        url = f"{bucket}/worker_path/{name}"
        run_cli("import", survey[f"{name}_parquet"], "--ra", "ra", "--dec", "dec", "-o", url, "--max-rows", rows,
                "--margin-arcsec", 10, "--threads", 2, "-q")
        urls[name] = url
    return urls


def test_worker_task_reads_no_metadata_footer(survey, remote_survey):
    cols = ["source_id", "ra", "dec", "phot_g_mean_mag"]
    local, remote = (al.open_catalog(p, columns=cols) for p in (survey["gaia"], remote_survey["gaia"]))
    assert remote.pixels == local.pixels and remote.npartitions > 3

    # A scan of one partition: properties, partition_info.csv and _common_metadata of the
    # catalog and its margin, then that one leaf.
    j = remote.npartitions // 2
    got, urls = _run_task_fresh(_tasks_of(remote)[j])
    want, _ = _run_task_fresh(_tasks_of(local)[j])
    assert got.num_rows > 0
    pd.testing.assert_frame_equal(_sorted_frame(got, "source_id"), _sorted_frame(want, "source_id"))
    _check_worker_requests(urls, [_leaf(remote.pixels[j])])
    # collection.properties, then hats.properties, partition_info.csv and _common_metadata of
    # the catalog and of its margin; then the leaf (its last 64 KiB, then the chunks not in them).
    leaves = [u for u in urls if "Npix=" in u]
    assert len(urls) - len(leaves) == 7, urls
    margin_key = remote.margin["dir"].split("/", 3)[3] + "/"  # s3://bucket/KEY
    assert 1 <= len(leaves) <= 2 and len(set(leaves)) == 1 and margin_key not in leaves[0], urls

    # A cone: the partitions it touches, each task reading its own leaf only.
    ra, dec = (float(x) for x in want.to_pandas()[["ra", "dec"]].iloc[0])
    lc, rc = local.cone_search(ra, dec, 3600), remote.cone_search(ra, dec, 3600)
    assert rc.pixels == lc.pixels and rc.npartitions >= 1
    total = 0
    for task_r, task_l, pixel in zip(_tasks_of(rc), _tasks_of(lc), rc.pixels):
        got, urls = _run_task_fresh(task_r)
        want, _ = _run_task_fresh(task_l)
        pd.testing.assert_frame_equal(_sorted_frame(got, "source_id"), _sorted_frame(want, "source_id"))
        _check_worker_requests(urls, [_leaf(pixel)])
        total += got.num_rows
    assert total > 0

    # A cross-match: the left leaf, and the right catalog's leaves and margin leaves near it.
    ztf_l = al.open_catalog(survey["ztf"], columns=["object_id", "ra", "dec"])
    ztf_r = al.open_catalog(remote_survey["ztf"], columns=["object_id", "ra", "dec"])
    xl, xr = ztf_l.crossmatch(local, radius_arcsec=1.0), ztf_r.crossmatch(remote, radius_arcsec=1.0)
    right_leaves = [_leaf(p) for p in remote.pixels] + [_leaf(p) for p in remote.margin["partitions"]]
    pairs = 0
    for task_r, task_l in list(zip(_tasks_of(xr), _tasks_of(xl)))[:3]:
        got, urls = _run_task_fresh(task_r)
        want, _ = _run_task_fresh(task_l)
        ids = [c for c in got.column_names if c.startswith(("object_id", "source_id"))]
        assert len(ids) == 2, got.column_names
        pd.testing.assert_frame_equal(_sorted_frame(got, ids), _sorted_frame(want, ids))
        _check_worker_requests(urls, right_leaves + [_leaf(p) for p in ztf_r.pixels])
        pairs += got.num_rows
    assert pairs > 0

    # A region read of a catalog the process already opened with its margin (a join after a
    # cross-match, on one worker) reuses that open: no metadata request at all.
    code = ("import pickle, sys; from astrolake import _core, _tasks; "
            "path, cone = pickle.load(sys.stdin.buffer); _core.catalog_info(path, '', True); "
            "sys.stderr.write('-- opened\\n'); "
            "sys.stdout.buffer.write(pickle.dumps(_tasks.Read(path=path, columns=('source_id',)).scan_region(cone)))")
    cone = ("cone", ra, dec, 1.0)
    tables = []
    for path in (remote_survey["gaia"], survey["gaia"]):
        r = subprocess.run([sys.executable, "-c", code], input=pickle.dumps((path, cone)), capture_output=True,
                           env=dict(os.environ, ASTROLAKE_HTTP_STATS="2"))
        assert r.returncode == 0, r.stderr.decode()
        tables.append(pickle.loads(r.stdout))
        after = r.stderr.decode().split("-- opened\n", 1)[1]
        assert not [u for u in after.split() if u.endswith(METADATA) or u.endswith("/_metadata")], after
    assert tables[0].num_rows > 0
    pd.testing.assert_frame_equal(_sorted_frame(tables[0], "source_id"), _sorted_frame(tables[1], "source_id"))


def test_changed_aws_environment_is_used_in_the_same_process(survey, bucket):
    # A notebook may set AWS_* after its first s3:// read; the process-wide S3 client must follow
    # (it once kept the first endpoint for the life of the process).
    url = f"{bucket}/env_change/gaia"
    run_cli("import", survey["gaia_parquet"], "--ra", "ra", "--dec", "dec", "-o", url)
    good = os.environ["AWS_ENDPOINT_URL"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]  # nothing listens here once the socket is closed
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{dead}"
    try:
        with pytest.raises(al.CatalogError, match=f"127.0.0.1:{dead}"):
            al.open_catalog(url)
    finally:
        os.environ["AWS_ENDPOINT_URL"] = good
    cat = al.open_catalog(url, columns=["source_id"])
    assert len(cat.compute(progress=False)) == len(al.open_catalog(survey["gaia"]).compute(progress=False))
