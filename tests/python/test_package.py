"""The package itself: the extension is importable from .venv, results cross zero-copy
through the Arrow C Data Interface, C++ calls release the GIL."""
import threading
import time

import numpy as np
import pyarrow as pa

import astrolake as al
from astrolake import _core
from astrolake._arrow import to_capsules, to_table


def test_arrow_export_is_zero_copy(survey):
    cat = al.open_catalog(survey["ztf"])
    before = pa.total_allocated_bytes()
    t = cat.to_arrow(progress=False)
    # The engine's buffers are adopted, not copied into pyarrow's pool.
    assert t.nbytes > 1_000_000
    assert pa.total_allocated_bytes() - before < t.nbytes / 20
    assert pa.types.is_large_list(t.schema.field("mag").type)
    assert pa.types.is_large_string(t.schema.field("band").type.value_type)


def test_arrow_round_trip_all_types():
    t = pa.table({
        "i8": pa.array([1, None, -3], pa.int8()), "u32": pa.array([1, 2, None], pa.uint32()),
        "f": pa.array([1.5, None, 2.5], pa.float32()), "d": [0.25, 1e300, -2.0],
        "b": pa.array([True, None, False]), "s": pa.array(["a", None, "ééé"]),
        "l": pa.array([[1.0, 2.0], None, []], pa.list_(pa.float64())),
        "ls": pa.array([["g", "r"], [], None], pa.list_(pa.string())),
        "ts": pa.array([0, 10**15, None], pa.timestamp("us", tz="UTC")),
    })
    back = to_table(_core.eval_table(*to_capsules(t), [], [], []))
    assert back.to_pylist() == t.to_pylist()
    # Slices (non-zero offsets) import correctly.
    sl = t.slice(1, 2)
    assert to_table(_core.eval_table(*to_capsules(sl), [], [], [])).to_pylist() == sl.to_pylist()
    filtered = to_table(_core.eval_table(*to_capsules(t), ["d > 0"], [("lc_n(l)", "n")], []))
    assert filtered.column("n").to_pylist() == [2, 0]


def test_gil_released_during_engine_calls():
    rng = np.random.default_rng(1)
    n = 3_000_000
    ra, dec = rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    ticks = []
    done = threading.Event()

    def work():
        _core.match_points(ra, dec, ra, dec, 1.0, 1, False)
        done.set()

    th = threading.Thread(target=work)
    th.start()
    start = time.time()
    while not done.is_set():
        ticks.append(time.time())
        time.sleep(0.001)
    th.join()
    elapsed = time.time() - start
    # If the GIL were held, the loop would stall for the whole call.
    assert elapsed > 0.05
    gaps = np.diff([start] + ticks)
    assert gaps.max() < max(0.5, elapsed / 2)
