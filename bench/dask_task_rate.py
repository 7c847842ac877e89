"""How many tasks per second one Dask scheduler gets through on this machine: N tasks that do
nothing (a no-op function on an integer), submitted at once with Client.map to a LocalCluster
of worker processes, timed from the first submit until every result is back. The scheduler's
per-task cost is what limits a cluster whose tasks are short; bench/capacity.py uses the rate
measured here. Prints one JSON line per round and a summary line.

usage: .venv/bin/python bench/dask_task_rate.py [TASKS] [ROUNDS] [WORKERS]   (20000 3 2)"""
import json
import os
import statistics
import sys
import time

from distributed import Client, LocalCluster, wait


def noop(i):
    return i


def main():
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    load = os.getloadavg()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster, Client(cluster) as client:
        client.gather(client.map(noop, range(100), key=[f"warm-{i}" for i in range(100)]))
        rates = []
        for r in range(rounds):
            t0 = time.perf_counter()
            futures = client.map(noop, range(tasks), key=[f"r{r}-{i}" for i in range(tasks)])
            wait(futures)
            t1 = time.perf_counter()
            assert sum(f.result() for f in futures[:10]) == sum(range(10))
            del futures
            rates.append(tasks / (t1 - t0))
            print(json.dumps({"round": r, "tasks": tasks, "seconds": round(t1 - t0, 3),
                              "tasks_per_s": round(rates[-1])}), flush=True)
    print(json.dumps({"tasks": tasks, "workers": workers, "median_tasks_per_s": round(statistics.median(rates)),
                      "per_task_ms": round(1000 / statistics.median(rates), 3), "cores": os.cpu_count(),
                      "load_before": [round(x, 2) for x in load],
                      "load_after": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()
