"""Catalogs in and out: from_dataframe (a DataFrame imported as a HATS catalog) and
write_catalog (a plan's result as a new HATS catalog). Both end in the engine's importer,
which partitions like hats-import, writes margins, and renames its output into place only
when complete (atomic)."""
import atexit
import hashlib
import os
import shutil
import tempfile

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import _core, _execute
from ._arrow import INDEX, normalize
from .errors import ArgumentError, CatalogError

_temp_dirs = []


@atexit.register
def _cleanup():
    for d in _temp_dirs:
        shutil.rmtree(d, ignore_errors=True)


def _write_parquet_atomic(table, path):
    tmp = f"{path}.tmp-{os.getpid()}"
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def from_dataframe(df, ra="ra", dec="dec", path=None, name=None, margin_arcsec=5.0, partition_rows=None,
                   lowest_order=0, highest_order=7):
    """A catalog from a pandas DataFrame or pyarrow Table, partitioned like an import
    (adaptive HEALPix partitions of at most partition_rows rows) with a margin of
    margin_arcsec. It is written to `path` (default: a temporary folder removed at exit; give
    a path every worker sees when computing on a multi-host cluster)."""
    from .catalog import open_catalog

    table = df if isinstance(df, pa.Table) else pa.Table.from_pandas(df, preserve_index=False)
    for c in (ra, dec):
        if c not in table.column_names:
            raise ArgumentError(f"no column {c!r} in the DataFrame; columns are: {', '.join(table.column_names)}")
    if INDEX in table.column_names:
        table = table.drop_columns([INDEX])
    if table.num_rows == 0:
        raise ArgumentError("from_dataframe: the DataFrame has no rows")
    if path is None:
        base = tempfile.mkdtemp(prefix="astrolake-df-")
        _temp_dirs.append(base)
        path = os.path.join(base, name or "dataframe")
    name = name or os.path.basename(os.path.normpath(path))
    staging = tempfile.mkdtemp(prefix="astrolake-in-")
    try:
        src = os.path.join(staging, "input.parquet")
        pq.write_table(normalize(table), src)
        rows = partition_rows or max(1000, min(1_000_000, table.num_rows // (os.cpu_count() or 1) + 1))
        _core.import_catalog([src], os.path.abspath(path), name, ra, dec, float(margin_arcsec or 0),
                             int(rows), int(lowest_order), int(highest_order), False)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return open_catalog(path)


def _write_part(read, i, pixel, ops, file):
    """Runs one output partition and writes it to `file` (on the worker); returns its rows."""
    from . import _tasks

    data = _tasks.run(read, i, pixel, ops)
    if isinstance(data, pd.DataFrame):
        data = pa.Table.from_pandas(data.reset_index() if data.index.name == INDEX else data, preserve_index=False)
    if INDEX in data.column_names:
        data = data.drop_columns([INDEX])
    if data.num_rows == 0:
        open(file + ".empty", "w").close()
        return 0
    _write_parquet_atomic(normalize(data), file)
    return data.num_rows


def write_catalog(cat, path, name=None, margin_arcsec=None, overwrite=False, resume=False, ra_column=None,
                  dec_column=None, progress=True, max_rows=None):
    """Writes `cat`'s result as a HATS catalog at `path` (a collection with a margin catalog
    when margin_arcsec > 0). Partitions stream through `<path>.parts/` (written by the
    workers, one file per output partition; a path every worker sees on a cluster), then the
    engine's importer builds the catalog and moves it into place atomically. With
    resume=True, partitions already in `<path>.parts/` from an interrupted run are kept.

    `path` may be an s3:// URL: the engine's importer builds the catalog locally and uploads
    it (data objects first, properties last), and refuses an existing catalog there unless
    overwrite=True. The partitions then stream through a local folder named after the URL
    (under the temporary directory), so the workers must share this machine's disk."""
    from .catalog import _location

    path = _location(path)
    remote = path.startswith(("s3://", "http://", "https://"))
    if not remote and os.path.exists(path) and not overwrite:
        raise CatalogError(f"{path} already exists (pass overwrite=True to replace it)")
    if remote:
        digest = hashlib.sha256(path.encode()).hexdigest()[:16]
        parts_dir = os.path.join(tempfile.gettempdir(), f"astrolake-parts-{digest}")
    else:
        parts_dir = path + ".parts"
    plan_file = os.path.join(parts_dir, "PLAN")
    if os.path.isdir(parts_dir):
        same = os.path.exists(plan_file) and open(plan_file).read() == cat._key()
        if resume and not same:
            raise CatalogError(f"cannot resume: {parts_dir} holds partitions of a different computation")
        if not resume:
            shutil.rmtree(parts_dir)
    os.makedirs(parts_dir, exist_ok=True)
    if not os.path.exists(plan_file):
        with open(plan_file + ".tmp", "w") as f:
            f.write(cat._key())
        os.replace(plan_file + ".tmp", plan_file)
    ra = ra_column or _coord(cat, "ra")
    dec = dec_column or _coord(cat, "dec")
    graph, keys, files = {}, [], []
    for key, (i, pixel) in zip(cat._keys(), cat._task_list()):
        file = os.path.join(parts_dir, f"part-{key[1]:06d}.parquet")
        files.append(file)
        if resume and (os.path.exists(file) or os.path.exists(file + ".empty")):
            continue
        wkey = ("write-" + key[0], key[1])
        graph[wkey] = (_write_part, cat._read, i, pixel, cat._ops, file)
        keys.append(wkey)
    for _ in _execute.stream(graph, keys, progress=progress, desc=f"write {os.path.basename(path)}"):
        pass
    inputs = [f for f in files if os.path.exists(f)]
    if not inputs:
        raise CatalogError(f"nothing to write to {path}: the result has no rows")
    rows = max_rows or 1_000_000
    try:
        _core.import_catalog(inputs, path, name or os.path.basename(path.rstrip("/")), ra, dec,
                             float(margin_arcsec or 0), int(rows), 0, 10, bool(overwrite))
    except RuntimeError as e:  # a catalog already in the bucket (the importer checks there)
        if "already exists" in str(e):
            raise CatalogError(str(e)) from None
        raise
    shutil.rmtree(parts_dir, ignore_errors=True)
    return path


def _coord(cat, which):
    base = cat._info[which]
    cols = cat.columns
    if base in cols:
        return base
    for c in cols:
        if c.startswith(base + "_"):
            return c
    raise ArgumentError(f"cannot tell the {which} column of the result; pass {which}_column=")
