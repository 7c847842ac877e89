"""LSDB (through fsspec/s3fs) against the test bucket, driven by lsdb_interop_test.cc.

  read  S3_URL LOCAL_DIR   open the catalog astrolake wrote at S3_URL and the same catalog on
                           local disk; print both as JSON (rows, ids, column sums)
  write LOCAL_DIR S3_URL   open LOCAL_DIR with LSDB and write it to S3_URL with to_hats
Endpoint and keys come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
"""
import json
import os
import sys

import lsdb
from upath import UPath


def s3_path(url):
    return UPath(url, endpoint_url=os.environ["AWS_ENDPOINT_URL"], key=os.environ["AWS_ACCESS_KEY_ID"],
                 secret=os.environ["AWS_SECRET_ACCESS_KEY"], client_kwargs={"region_name": "us-east-1"})


def summary(cat, id_col):
    df = cat.compute()
    return {"rows": len(df), "ids": sorted(int(v) for v in df[id_col]),
            "columns": sorted(c for c in df.columns if not c.startswith("_")),
            "partitions": cat.get_healpix_pixels().__len__()}


cmd = sys.argv[1]
if cmd == "read":
    remote = lsdb.open_catalog(s3_path(sys.argv[2]))
    local = lsdb.open_catalog(sys.argv[3])
    id_col = sys.argv[4]
    print(json.dumps({"remote": summary(remote, id_col), "local": summary(local, id_col)}))
elif cmd == "write":
    cat = lsdb.open_catalog(sys.argv[2])
    cat.to_hats(s3_path(sys.argv[3]), catalog_name=os.path.basename(sys.argv[3]))
    print(json.dumps({"written": sys.argv[3]}))
else:
    sys.exit("usage: lsdb_interop.py read|write ...")
