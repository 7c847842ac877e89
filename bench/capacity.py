"""The capacity plan's arithmetic (docs/capacity.md): scales what was measured here to 1,000
Dask workers reading a 10^10-row catalog from S3, and prices it.

Inputs, all produced by commands in bench/ (see docs/benchmarks.md):
  --layout FILE          capacity_layout's JSON for the 10^10-row layout
  --partition-info FILE  the layout's partition_info.csv (capacity_layout --partition-info)
  --requests FILE...     capacity_requests.sh output, two catalogs of different partition sizes
  --dask FILE            dask_task_rate.py output (its last line is the summary)
Everything else is an assumption, listed in ASSUMPTIONS and printed with the results.

usage: python3 bench/capacity.py --layout L.json --partition-info P.csv --requests A.jsonl B.jsonl --dask D.jsonl
"""
import argparse
import csv
import json
import math

ASSUMPTIONS = {
    "workers": 1000,
    "threads_per_worker": 4,               # deploy/k8s/dask.yaml: --nthreads 4
    "s3_mb_per_s_per_thread": 50.0,        # one GET stream from S3 to a pod (assumed)
    "node_gbit_per_s": 10.0,               # network of one worker pod's node (assumed)
    "s3_get_per_s_per_prefix": 5500,       # AWS S3's published per-prefix GET rate
    "wide_bytes_per_row": 1000.0,          # a wide catalog (hundreds of columns), for scale
    "price_storage_gb_month": 0.023,       # USD, object storage, per GB-month (assumed)
    "price_get_per_1000": 0.0004,          # USD per 1,000 GET requests (assumed)
    "price_vcpu_hour": 0.04,               # USD per vCPU-hour with 4 GiB (assumed)
    "users": 100,
    "user_notebook_hours_month": 40,       # hours a user's server runs, Small size: 1 vCPU
    "user_scans_month": 2,                 # full scans of the catalog's few columns per user
    "user_cones_month": 3000,              # cone searches per user (TAP or Python)
    "max_batch": 16,                       # python/astrolake/_execute.py MAX_BATCH
}


def load_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def per_partition(rows, op):
    """(requests per partition, row groups per partition, data bytes per row) of one op in one
    measured catalog: the op's requests minus its EXPLAIN (opening and planning only)."""
    by = {}
    for r in rows:
        by.setdefault(r["op"], []).append(r)
    opener = by["open_xmatch" if op == "xmatch" else "open"][0]
    runs = by[op]
    req = sum(r["requests"] for r in runs) / len(runs)
    got = sum(r["bytes"] for r in runs) / len(runs)
    parts = sum(r["partitions_read"] for r in runs) / len(runs)
    groups = sum(r["row_groups_read"] for r in runs) / len(runs)
    return {"requests": (req - opener["requests"]) / parts, "row_groups": groups / parts,
            "bytes_per_partition": (got - opener["bytes"]) / parts, "partitions": parts,
            "open_requests": opener["requests"], "open_bytes": opener["bytes"], "rows": runs[0]["rows"]}


def fit(a, b):
    """requests per partition = r0 + r1 * row groups, through the two measured catalogs."""
    if abs(a["row_groups"] - b["row_groups"]) < 1e-9:
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
    # S3 keys: dataset/Norder=k/Dir=d/Npix=p.parquet; distinct "Norder=k/Dir=d/" prefixes.
    prefixes = {(int(r["Norder"]), int(r["Npix"]) // 10000 * 10000) for r in pinfo}
    pinfo_bytes = sum(len(f"{r['Norder']},{r['Npix']}\n") for r in pinfo) + len("Norder,Npix\n")
    meas = [load_jsonl(p) for p in args.requests]
    dask = load_jsonl(args.dask)[-1]
    P, RG, N = layout["partitions"], layout["row_groups"], layout["rows"]
    threads = A["workers"] * A["threads_per_worker"]
    thread_bps = min(A["s3_mb_per_s_per_thread"] * 1e6, A["node_gbit_per_s"] * 1e9 / 8 / A["threads_per_worker"])

    out = {"assumptions": A, "layout": {"rows": N, "partitions": P, "row_groups": RG, "s3_prefixes": len(prefixes),
                                         "partition_info_bytes": pinfo_bytes}}
    ops = {}
    for op, n_catalogs in (("scan2", 1), ("scan_all", 1), ("xmatch", 2)):
        a, b = per_partition(meas[0], op), per_partition(meas[1], op)
        r0, r1 = fit(a, b)
        bytes_per_row = (a["bytes_per_partition"] * a["partitions"]) / (a["rows"] * n_catalogs)
        requests = n_catalogs * (r0 * P + r1 * RG)
        data_bytes = bytes_per_row * N * n_catalogs
        seconds_bw = data_bytes / (threads * thread_bps)                # every thread streaming
        rate = requests / seconds_bw                                     # GET/s at that speed
        seconds_prefix = requests / (A["s3_get_per_s_per_prefix"] * len(prefixes))
        seconds_one_prefix = requests / A["s3_get_per_s_per_prefix"]
        tasks_partitions = n_catalogs * P if op != "xmatch" else P       # xmatch: one task per left partition
        batch = max(1, min(A["max_batch"], tasks_partitions // (4 * threads)))
        tasks = math.ceil(tasks_partitions / batch)
        task_seconds = seconds_bw * threads / tasks                      # one task's duration
        ops[op] = {
            "requests_per_partition": {"r0": round(r0, 2), "per_row_group": round(r1, 3),
                                       "measured": [round(a["requests"], 2), round(b["requests"], 2)],
                                       "row_groups_per_partition_measured": [round(a["row_groups"], 2), round(b["row_groups"], 2)]},
            "requests": round(requests), "bytes": round(data_bytes), "bytes_per_row": round(bytes_per_row, 1),
            "seconds_if_bandwidth_bound": round(seconds_bw, 1), "get_per_s_needed": round(rate),
            "seconds_if_s3_prefix_bound_all_prefixes": round(seconds_prefix, 1),
            "seconds_if_s3_prefix_bound_one_prefix": round(seconds_one_prefix, 1),
            "dask_tasks": tasks, "partitions_per_task": batch, "task_seconds": round(task_seconds, 3),
            "scheduler_tasks_per_s_needed": round(threads / task_seconds),
            "scheduler_seconds_at_measured_rate": round(tasks / dask["median_tasks_per_s"], 1),
        }
        if op == "scan_all":
            wide = A["wide_bytes_per_row"] * N
            ops[op]["wide_catalog"] = {"bytes": round(wide), "seconds_if_bandwidth_bound": round(wide / (threads * thread_bps), 1)}
    cone = [r for r in meas[0] if r["op"] == "cone60"]
    opener = [r for r in meas[0] if r["op"] == "open"][0]
    cone_req = sum(r["requests"] for r in cone) / len(cone)
    cone_bytes = sum(r["bytes"] for r in cone) / len(cone)
    cone_parts = sum(r["partitions_read"] for r in cone) / len(cone)
    per_part = (cone_req - opener["requests"]) / cone_parts
    touched = layout["cone_partitions"]["60"]["mean"]
    ops["cone60"] = {"requests_cold": round(opener["requests"] + per_part * touched, 1),
                     "requests_warm": round(per_part * touched, 1),
                     "bytes": round(cone_bytes - opener["bytes"]), "partitions_touched": touched}
    # Opening: every worker process opens each catalog once (per-process cache).
    open_req = opener["requests"]
    open_bytes_scaled = opener["bytes"] - (12 + 6 * cone_parts) + pinfo_bytes
    out["open"] = {"requests_per_process": open_req, "bytes_per_process_small": opener["bytes"],
                   "bytes_per_process_at_scale": round(open_bytes_scaled),
                   "requests_all_workers": open_req * A["workers"],
                   "bytes_all_workers": round(open_bytes_scaled * A["workers"]),
                   "seconds_same_prefix": round(open_req * A["workers"] / A["s3_get_per_s_per_prefix"], 2)}
    out["ops"] = ops
    out["dask"] = dask

    # Costs.
    storage_gb = ops["scan_all"]["bytes"] / 1e9
    per_tb = {}
    for op in ("scan2", "scan_all"):
        o = ops[op]
        tb = o["bytes"] / 1e12
        cpu_hours = o["seconds_if_bandwidth_bound"] * threads / 3600
        per_tb[op] = {"get_usd": round(o["requests"] * A["price_get_per_1000"] / 1000 / tb, 3),
                      "compute_usd": round(cpu_hours * A["price_vcpu_hour"] / tb, 2),
                      "vcpu_hours": round(cpu_hours / tb, 1)}
    scan = ops["scan2"]
    user = {
        "notebook_usd": A["user_notebook_hours_month"] * 1 * A["price_vcpu_hour"],
        "scans_usd": A["user_scans_month"] * (scan["requests"] * A["price_get_per_1000"] / 1000
                                              + scan["seconds_if_bandwidth_bound"] * threads / 3600 * A["price_vcpu_hour"]),
        "cones_usd": A["user_cones_month"] * ops["cone60"]["requests_cold"] * A["price_get_per_1000"] / 1000,
        "storage_share_usd": storage_gb * A["price_storage_gb_month"] / A["users"],
    }
    user["total_usd"] = sum(user.values())
    out["cost"] = {"storage_gb": round(storage_gb, 1),
                   "storage_usd_month": round(storage_gb * A["price_storage_gb_month"], 2),
                   "wide_storage_usd_month": round(A["wide_bytes_per_row"] * N / 1e9 * A["price_storage_gb_month"], 2),
                   "per_tb_scanned": per_tb, "per_user_month": {k: round(v, 2) for k, v in user.items()}}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
