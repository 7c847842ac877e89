"""Peer for the CSV import row of bench/speed.sh: hats-import (PyPI) of the same CSV into HATS, on
a Dask LocalCluster of THREADS single-threaded worker processes, pixel_threshold 1,000,000 and
highest order 10 (astrolake import's --max-rows and --highest-order defaults). The time includes
starting the cluster. Prints one JSON line.

usage: .venv/bin/python bench/hats_import_csv.py CSV OUT_DIR [THREADS]
"""
import json
import os
import shutil
import sys
import time

from distributed import Client
from hats_import.catalog.arguments import ImportArguments
from hats_import.pipeline import pipeline_with_client
import hats_import

def main():
    csv, out = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    args = ImportArguments(output_artifact_name=os.path.basename(out), output_path=os.path.dirname(out) or ".",
                           input_file_list=[csv], file_reader="csv", ra_column="ra", dec_column="dec",
                           pixel_threshold=1_000_000, highest_healpix_order=10, progress_bar=False,
                           tmp_dir=out + ".tmp")
    with Client(n_workers=threads, threads_per_worker=1, dashboard_address=":0") as client:
        pipeline_with_client(args, client)
    secs = time.perf_counter() - t0
    shutil.rmtree(out + ".tmp", ignore_errors=True)
    print(json.dumps({"seconds": secs, "hats_import": hats_import.__version__}))


if __name__ == "__main__":  # the workers are spawned processes that import this file
    main()
