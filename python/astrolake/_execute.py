"""Running a plan's tasks: on the current distributed Client when one exists, else on a pool
of local threads. Every task of a plan is a (function, *args) tuple with no dependencies (one
per output partition), so each is submitted on its own; results come back in task order with
a bounded number in flight. A tqdm bar advances as results arrive, in both modes; an exception
or KeyboardInterrupt cancels every outstanding task before it propagates."""
import concurrent.futures
import os
import sys


def client():
    """The current distributed Client, or None."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


def _bar(total, desc, enabled):
    if not enabled:
        return None
    try:
        import ipywidgets  # noqa: F401  (tqdm.auto shows a widget in Jupyter only with it)
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="part", file=sys.stderr)


def stream(graph, keys, window=None, progress=True, desc="astrolake"):
    """Yields the results of `keys` in order, with at most `window` tasks submitted and not
    yet consumed (default: two per core), so results larger than memory can be processed
    partition by partition."""
    c = client()
    cores = os.cpu_count() or 1
    window = window or 2 * cores
    bar = _bar(len(keys), desc, progress)
    pool = None if c is not None else concurrent.futures.ThreadPoolExecutor(cores)
    pending = []

    def submit(key):
        func, *args = graph[key]
        pending.append(c.submit(func, *args, key=key, pure=False) if c is not None else pool.submit(func, *args))

    def take():
        result = pending[0].result()
        pending.pop(0)
        if bar is not None:
            bar.update(1)
        return result

    try:
        for key in keys:
            submit(key)
            if len(pending) >= window:
                yield take()
        while pending:
            yield take()
    finally:
        for f in pending:
            f.cancel()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if bar is not None:
            bar.close()


def run(graph, keys, progress=True, desc="astrolake"):
    """Results of `keys` in order, every task submitted at once."""
    return list(stream(graph, keys, window=max(1, len(keys)), progress=progress, desc=desc))
