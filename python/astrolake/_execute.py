"""Running a plan's tasks: on the current distributed Client when one exists, else on a pool
of local threads. Every task of a plan is a (function, *args) tuple with no dependencies (one
per output partition); results come back in task order with a bounded number in flight. On a
cluster, consecutive tasks are sent in batches (a few per worker thread, at most
MAX_BATCH partitions each): a partition's work is often milliseconds, less than what the
scheduler and the transfer of one future cost, so one future per partition would not scale
with workers. A tqdm bar advances as results arrive, in both modes; an exception or
KeyboardInterrupt cancels every outstanding task before it propagates."""
import concurrent.futures
import os
import sys


#: Most partitions one cluster task runs (bounds the memory a batch's results take).
MAX_BATCH = 16


def _run_batch(tasks):
    return [func(*args) for func, *args in tasks]


def batch_size(n_tasks, threads):
    """Partitions per cluster task: about four tasks per worker thread, 1..MAX_BATCH."""
    return max(1, min(MAX_BATCH, n_tasks // (4 * max(1, threads))))


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
    size = 1
    if c is not None:
        size = batch_size(len(keys), sum(c.nthreads().values()))
    batches = [keys[i:i + size] for i in range(0, len(keys), size)]
    window = max(1, window // size)
    bar = _bar(len(keys), desc, progress)
    pool = None if c is not None else concurrent.futures.ThreadPoolExecutor(cores)
    pending = []

    def submit(batch):
        if c is not None:
            name = f"{batch[0][0]}-batch-{batch[0][1]}" if isinstance(batch[0], tuple) else f"{batch[0]}-batch"
            pending.append((len(batch), c.submit(_run_batch, [graph[k] for k in batch], key=name, pure=False)))
        else:
            func, *args = graph[batch[0]]
            pending.append((0, pool.submit(func, *args)))

    def take():
        n, fut = pending[0]
        result = fut.result()
        pending.pop(0)
        if bar is not None:
            bar.update(max(n, 1))
        return result if n else [result]

    try:
        for batch in batches:
            submit(batch)
            if len(pending) >= window:
                yield from take()
        while pending:
            yield from take()
    finally:
        for _, f in pending:
            f.cancel()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if bar is not None:
            bar.close()


def run(graph, keys, progress=True, desc="astrolake"):
    """Results of `keys` in order, every task submitted at once."""
    return list(stream(graph, keys, window=max(1, len(keys)), progress=progress, desc=desc))
