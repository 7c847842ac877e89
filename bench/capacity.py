"""The capacity plan's arithmetic (docs/capacity.md): scales what was measured here to 1,000
Dask workers reading a 10^10-row catalog from S3, and prices it.

Inputs, all produced by commands in bench/ (see docs/benchmarks.md):
  --layout FILE          capacity_layout's JSON for the 10^10-row layout
  --partition-info FILE  the layout's partition_info.csv (capacity_layout --partition-info)
  --requests A B         capacity_requests.sh output for two catalogs whose partitions differ in
                         size (row groups per partition), to separate per-object from
                         per-row-group requests
  --dask FILE            dask_task_rate.py output (its last line is the summary)
Everything else is an assumption, listed in ASSUMPTIONS and printed with the results.
"""
import argparse
import csv
import json
import math

ASSUMPTIONS = {
    "workers": 1000,
    "threads_per_worker": 4,             # deploy/k8s/dask.yaml: --nthreads 4
    "s3_mb_per_s_per_thread": 50.0,      # what one thread's sequential GETs from S3 deliver
    "node_gbit_per_s": 10.0,             # network of one worker pod's node
    "s3_get_per_s_per_prefix": 5500,     # AWS S3's published GET rate per prefix
    "wide_bytes_per_row": 1000.0,        # a wide catalog (hundreds of columns), for comparison
    "price_storage_gb_month": 0.023,     # USD per GB-month of object storage
    "price_get_per_1000": 0.0004,        # USD per 1,000 GET requests
    "price_vcpu_hour": 0.04,             # USD per vCPU-hour (with ~4 GiB)
    "users": 100,
    "user_notebook_hours_month": 40,     # a Small server (1 vCPU) this many hours a month
    "user_scans_month": 2,               # full two-column scans of the catalog per user
    "user_cones_month": 3000,            # 60" cone searches per user (service, warm catalog)
    "max_batch": 16,                     # python/astrolake/_execute.py MAX_BATCH
}


def load_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def mean(rows, key):
    return sum(r[key] for r in rows) / len(rows)


def op_rows(rows, op):
    found = [r for r in rows if r["op"] == op]
    if not found:
        raise SystemExit(f"no '{op}' lines in the requests file")
    return found


def per_object(rows, op):
    """Data requests per object read and row groups per partition, for one op in one catalog."""
    r = op_rows(rows, op)
    return {"requests": mean(r, "data_requests") / mean(r, "data_objects"),
            "row_groups": mean(r, "row_groups_read") / mean(r, "partitions_read"),
            "objects_per_partition": mean(r, "data_objects") / mean(r, "partitions_read"),
            "bytes_per_row": mean(r, "data_bytes") / r[0]["rows"],
            "meta_requests": mean(r, "meta_requests")}


def fit(a, b):
    """requests per object = r0 + r1 * row groups per object, through two measured catalogs."""
    if abs(a["row_groups"] - b["row_groups"]) < 0.5:
        return (a["requests"] + b["requests"]) / 2, 0.0
    r1 = (a["requests"] - b["requests"]) / (a["row_groups"] - b["row_groups"])
    return a["requests"] - r1 * a["row_groups"], r1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layout", required=True)
    ap.add_argument("--partition-info", required=True)
    ap.add_argument("--requests", nargs=2, required=True)
    ap.add_argument("--dask", required=True)
    args = ap.parse_args()
    A = ASSUMPTIONS
    layout = json.loads(open(args.layout).read())
    with open(args.partition_info) as f:
        pinfo = list(csv.DictReader(f))
    # S3 keys are dataset/Norder=k/Dir=d/Npix=p.parquet: the distinct Norder=k/Dir=d/ prefixes.
    prefixes = {(int(r["Norder"]), int(r["Npix"]) // 10000 * 10000) for r in pinfo}
    pinfo_bytes = sum(len(f"{r['Norder']},{r['Npix']}\n") for r in pinfo) + len("Norder,Npix\n")
    meas = [load_jsonl(p) for p in args.requests]
    dask = load_jsonl(args.dask)[-1]
    P, RG, N = layout["partitions"], layout["row_groups"], layout["rows"]
    threads = A["workers"] * A["threads_per_worker"]
    thread_bps = min(A["s3_mb_per_s_per_thread"] * 1e6, A["node_gbit_per_s"] * 1e9 / 8 / A["threads_per_worker"])
    out = {"assumptions": A, "layout": {"rows": N, "partitions": P, "row_groups": RG,
                                         "s3_prefixes": len(prefixes), "partition_info_bytes": pinfo_bytes}}

    # Opening a catalog (what every process does once: each Dask worker, the service, a CLI
    # run): its metadata requests, and the bytes of _metadata, which grow with row groups.
    # Taken from py_scan2, one process that opens the catalog as the client does and then as
    # a worker does before scanning (the larger of the two measured opens).
    opens = []
    for rows in meas:
        o = op_rows(rows, "py_scan2")[0]
        groups = op_rows(rows, "scan2")[0]["row_groups_read"]
        opens.append({"requests": o["meta_requests"], "bytes": o["meta_bytes"],
                      "metadata_bytes": o["metadata_file_bytes"], "row_groups": groups,
                      "metadata_bytes_per_row_group": o["metadata_file_bytes"] / groups})
    per_rg = max(o["metadata_bytes_per_row_group"] for o in opens)
    low_rg = min(o["metadata_bytes_per_row_group"] for o in opens)
    # At scale the partition_info.csv of the catalog and of its margin (one margin partition
    # per catalog partition, so about the same list) replace the measured small ones.
    open_bytes = (opens[0]["bytes"] - opens[0]["metadata_bytes"]) + per_rg * RG + 2 * pinfo_bytes
    out["open"] = {
        "measured": opens,
        "requests_per_process": opens[0]["requests"],
        "bytes_per_process": round(open_bytes),
        "bytes_per_process_low": round(open_bytes - (per_rg - low_rg) * RG),
        "all_workers_requests": opens[0]["requests"] * A["workers"],
        "all_workers_bytes": round(open_bytes * A["workers"]),
        "seconds_per_worker_one_stream": round(open_bytes / thread_bps, 1),
    }
    # One Dask task in a fresh worker process (py_task1, when measured): what it reads.
    tasks = [[r for r in rows if r["op"] == "py_task1"] for rows in meas]
    if all(tasks):
        out["open"]["worker_task_measured"] = [
            {k: t[0][k] for k in ("meta_requests", "meta_bytes", "metadata_file_bytes", "data_requests", "data_objects")}
            for t in tasks]

    ops = {}
    for op, n_catalogs in (("scan2", 1), ("scan_all", 1), ("xmatch", 2)):
        a, b = per_object(meas[0], op), per_object(meas[1], op)
        r0, r1 = fit(a, b)
        objects = a["objects_per_partition"] * n_catalogs * P   # xmatch: margin objects too
        rg_per_object = RG / P
        data_requests = objects * (r0 + r1 * rg_per_object)
        data_bytes = a["bytes_per_row"] * N
        seconds = data_bytes / (threads * thread_bps)
        tasks_partitions = P                                    # scan: one per partition; xmatch: per left partition
        batch = max(1, min(A["max_batch"], tasks_partitions // (4 * threads)))
        tasks = math.ceil(tasks_partitions / batch)
        task_seconds = seconds * threads / tasks
        ops[op] = {
            "requests_per_object_fit": {"r0": round(r0, 2), "per_row_group": round(r1, 3),
                                        "measured": [round(a["requests"], 2), round(b["requests"], 2)],
                                        "row_groups_per_partition": [round(a["row_groups"], 1), round(b["row_groups"], 1)]},
            "objects": round(objects), "data_requests": round(data_requests),
            "open_requests": round(a["meta_requests"] * A["workers"]),
            "data_bytes": round(data_bytes), "bytes_per_row": round(a["bytes_per_row"], 1),
            "seconds_bandwidth_bound": round(seconds, 1),
            "get_per_s": round(data_requests / seconds),
            "get_per_s_per_prefix_if_spread": round(data_requests / seconds / len(prefixes)),
            "seconds_at_5500_get_per_s": round(data_requests / A["s3_get_per_s_per_prefix"], 1),
            "dask_tasks": tasks, "partitions_per_task": batch, "task_seconds": round(task_seconds, 2),
            "tasks_per_s_needed": round(tasks / seconds, 1),
            "scheduler_seconds_at_measured_rate": round(tasks / dask["median_tasks_per_s"], 1),
        }
        # The slowest of the limits: bandwidth, S3's GET rate (spread over every Norder/Dir
        # prefix, or all on one), and the scheduler at the rate measured here.
        o = ops[op]
        o["seconds_limit_spread"] = max(seconds, data_requests / (A["s3_get_per_s_per_prefix"] * len(prefixes)),
                                        o["scheduler_seconds_at_measured_rate"])
        o["seconds_limit_one_prefix"] = max(seconds, o["seconds_at_5500_get_per_s"], o["scheduler_seconds_at_measured_rate"])
    wide = A["wide_bytes_per_row"] * N
    ops["scan_all"]["wide_catalog"] = {"data_bytes": round(wide),
                                       "seconds_bandwidth_bound": round(wide / (threads * thread_bps), 1)}
    cones = op_rows(meas[0], "cone60")
    touched = layout["cone_partitions"]["60"]["mean"]
    per_cone_object = mean(cones, "data_requests") / mean(cones, "data_objects")
    ops["cone60"] = {"data_requests_per_object": round(per_cone_object, 2),
                     "partitions_touched_at_scale": touched,
                     "data_requests": round(per_cone_object * touched, 2),
                     "data_bytes": round(mean(cones, "data_bytes") / mean(cones, "data_objects") * touched),
                     "requests_cold": round(opens[0]["requests"] + per_cone_object * touched, 1)}
    out["ops"] = ops
    out["dask"] = dask

    # Costs.
    storage_gb = ops["scan_all"]["data_bytes"] / 1e9
    per_tb = {}
    for op in ("scan2", "scan_all"):
        o = ops[op]
        tb = o["data_bytes"] / 1e12
        vcpu_h = o["seconds_bandwidth_bound"] * threads / 3600
        requests = o["data_requests"] + o["open_requests"]
        per_tb[op] = {"requests_per_tb": round(requests / tb), "get_usd": round(requests * A["price_get_per_1000"] / 1000 / tb, 3),
                      "vcpu_hours": round(vcpu_h / tb, 1), "compute_usd": round(vcpu_h * A["price_vcpu_hour"] / tb, 2)}
    s = ops["scan2"]
    scan_usd = ((s["data_requests"] + s["open_requests"]) * A["price_get_per_1000"] / 1000
                + s["seconds_bandwidth_bound"] * threads / 3600 * A["price_vcpu_hour"])
    # The same scan when the cluster is paid for the whole time the slowest limit takes.
    scan_usd_limited = ((s["data_requests"] + s["open_requests"]) * A["price_get_per_1000"] / 1000
                        + s["seconds_limit_one_prefix"] * threads / 3600 * A["price_vcpu_hour"])
    user = {"notebook_usd": A["user_notebook_hours_month"] * A["price_vcpu_hour"],
            "scans_usd": A["user_scans_month"] * scan_usd_limited,
            "cones_usd": A["user_cones_month"] * ops["cone60"]["data_requests"] * A["price_get_per_1000"] / 1000,
            "storage_share_usd": storage_gb * A["price_storage_gb_month"] / A["users"]}
    user["total_usd"] = sum(user.values())
    out["cost"] = {"storage_gb": round(storage_gb, 1),
                   "storage_usd_month": round(storage_gb * A["price_storage_gb_month"], 2),
                   "wide_storage_usd_month": round(wide / 1e9 * A["price_storage_gb_month"], 2),
                   "scan2_usd": round(scan_usd, 2), "scan2_usd_at_slowest_limit": round(scan_usd_limited, 2),
                   "per_tb_scanned": per_tb,
                   "per_user_month": {k: round(v, 3) for k, v in user.items()}}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
