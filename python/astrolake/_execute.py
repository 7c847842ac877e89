"""Running a plan's tasks: on the distributed Client when one exists, else on local threads
(Dask's threaded scheduler on a pool owned here, so Ctrl-C can cancel what has not started).
A tqdm bar advances in both modes; KeyboardInterrupt cancels the outstanding tasks."""
import concurrent.futures
import os
import sys

from dask.callbacks import Callback


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
        import ipywidgets  # noqa: F401
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="part", file=sys.stderr)


class _Progress(Callback):
    def __init__(self, bar):
        super().__init__()
        self.bar = bar

    def _posttask(self, key, result, dsk, state, worker_id):
        if self.bar is not None:
            self.bar.update(1)


def run(graph, keys, progress=True, desc="astrolake"):
    """Results of `keys` in order."""
    c = client()
    bar = _bar(len(keys), desc, progress)
    try:
        if c is not None:
            return _run_distributed(c, graph, keys, bar)
        return _run_local(graph, keys, bar)
    finally:
        if bar is not None:
            bar.close()


def _run_distributed(c, graph, keys, bar):
    from distributed import as_completed

    futures = c.get(graph, keys, sync=False)
    try:
        for _ in as_completed(futures):
            if bar is not None:
                bar.update(1)
        return c.gather(futures)
    except BaseException:
        c.cancel(futures)
        raise


def _run_local(graph, keys, bar):
    import dask.threaded

    pool = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1)
    try:
        with _Progress(bar):
            return dask.threaded.get(graph, keys, pool=pool)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=False)


def stream(graph, keys, window=None, progress=True, desc="astrolake"):
    """Yields results in key order with at most `window` tasks outstanding, so a result
    larger than memory can be processed partition by partition. Every task of a plan is a
    (function, *args) tuple with no dependencies, so each is submitted on its own."""
    c = client()
    window = window or max(2, (os.cpu_count() or 1) * 2)
    bar = _bar(len(keys), desc, progress)
    pool = None if c is not None else concurrent.futures.ThreadPoolExecutor(min(window, os.cpu_count() or 1))
    pending = []
    try:
        for key in keys:
            func, *args = graph[key]
            if c is not None:
                pending.append(c.submit(func, *args, key=key, pure=False))
            else:
                pending.append(pool.submit(func, *args))
            if len(pending) >= window:
                yield pending.pop(0).result()
                if bar is not None:
                    bar.update(1)
        while pending:
            yield pending.pop(0).result()
            if bar is not None:
                bar.update(1)
    finally:
        for f in pending:
            f.cancel()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if bar is not None:
            bar.close()
