"""The Python API on a bucket: write_catalog("s3://...") and open_catalog of s3:// URLs, against
a real S3 server (Ceph radosgw on 127.0.0.1, started here with tests/storage/s3_server.sh)."""
import os
import socket
import subprocess

import pandas as pd
import pytest

import astrolake as al
from conftest import ROOT

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
