"""The Catalog: an immutable, picklable, lazy plan over a HATS catalog on disk. Nothing is
read until a result is asked for (compute, head, iter_partitions, write_catalog, ...); then
the plan becomes one task per output partition, run on local threads or on the current
distributed Client."""
import math
import os
import warnings

import numpy as np
import pyarrow as pa

from . import _aggregate, _core, _execute, _tasks
from ._arrow import INDEX, to_table
from .errors import ArgumentError

#: compute() warns before materialising a result estimated above this many bytes.
WARN_BYTES = 1 << 30


def _schema_of(info):
    return to_table(info["schema"]).schema


def _location(path):
    """An absolute local path, or an s3:// or http(s):// URL as given (the engine's storage
    layer reads those; each Dask worker opens the URL itself)."""
    path = os.fspath(path)
    if path.startswith(("s3://", "http://", "https://")):
        return path.rstrip("/")
    return os.path.abspath(path)


def open_catalog(path, columns=None, margin=None):
    """Opens a HATS catalog or collection (with its default margin attached): a local path, or
    a URL (http(s)://, s3://) read through the engine's storage layer.

    columns: None (the catalog's default columns, else all), "all", or a list.
    margin: None (the collection's default margin), False (none), or a margin name or path.
    """
    path = _location(path)
    with_margin = margin is not False
    info = dict(_core.catalog_info(path, margin or "" if with_margin else "", with_margin))
    info["schema"] = _schema_of(info)
    if info.get("margin"):
        m = dict(info["margin"])
        m["schema"] = _schema_of(m)
        info["margin"] = m
    names = info["schema"].names
    if columns is None:
        cols = list(info["default_columns"]) or names
    elif columns == "all":
        cols = names
    else:
        cols = [columns] if isinstance(columns, str) else list(columns)
    read = _tasks.Read(path=path, margin=margin or "" if with_margin else "",
                       with_margin=with_margin, columns=tuple(_with_index(cols, names)))
    _check_columns(read.columns, names, info["name"])
    return Catalog(info, read, tuple(range(len(info["partitions"]))), ())


def _with_index(cols, names):
    cols = [c for c in cols if c != INDEX]
    return ([INDEX] if INDEX in names else []) + cols


def _check_columns(cols, names, what):
    missing = [c for c in cols if c not in names]
    if missing:
        raise ArgumentError(f"no column {missing[0]!r} in {what}; columns are: {', '.join(names)}")


def _literal(v):
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    raise ArgumentError(f"cannot search for value {v!r} of type {type(v).__name__}")


class Catalog:
    """A lazy plan. Methods return new Catalogs; results come from compute() and friends."""

    def __init__(self, info, read, parts, ops, pixel_restricted=False):
        self._info, self._read, self._parts, self._ops = info, read, parts, ops
        self._pixel_restricted = pixel_restricted

    def _replace(self, **kw):
        state = dict(info=self._info, read=self._read, parts=self._parts, ops=self._ops,
                     pixel_restricted=self._pixel_restricted)
        state.update(kw)
        return Catalog(**state)

    # ---- metadata ------------------------------------------------------------------------
    @property
    def name(self):
        return self._info["name"]

    @property
    def path(self):
        return self._read.path

    @property
    def npartitions(self):
        return len(self._parts)

    @property
    def pixels(self):
        """(order, pixel) of each output partition, in spatial order."""
        return [tuple(self._info["partitions"][i][:2]) for i in self._parts]

    @property
    def margin(self):
        return self._info.get("margin")

    def _meta(self):
        empty = self._info["schema"].empty_table()
        if self._read.exprs:
            base = _tasks.eval_table(empty, (), self._read.exprs)
        else:
            base = empty.select(list(self._read.columns))
        return _tasks.run_empty(base, self._ops)

    @property
    def columns(self):
        meta = _tasks.to_frame(self._meta())
        return list(meta.columns) if hasattr(meta, "columns") else [meta.name]

    @property
    def dtypes(self):
        return _tasks.to_frame(self._meta()).dtypes

    def _partition_rows(self):
        """Rows of each partition on disk (-1: unknown). Opening does not read them (they
        come from the _metadata footer, megabytes for thousands of partitions)."""
        rows = self._info.get("partition_rows")
        if rows is None:
            r = self._read
            rows = self._info["partition_rows"] = tuple(_core.partition_rows(r.path, r.margin, r.with_margin, False))
        return rows

    def __len__(self):
        if not self._ops and not self._read.wheres and not self._read.regions:
            rows = [self._partition_rows()[i] for i in self._parts]
            if all(r >= 0 for r in rows):
                return int(sum(rows))
        return int(sum(_execute.run(self._graph(_tasks.count), self._keys(), progress=False)))

    def __repr__(self):
        return (f"<astrolake.Catalog {self.name!r}: {self.npartitions} partitions, "
                f"{len(self._read.columns)} columns, lazy>")

    # ---- selections ----------------------------------------------------------------------
    def _no_ops(self, what):
        if self._ops:
            raise ArgumentError(f"{what} must come before crossmatch/join/map_partitions")

    def _search(self, region):
        self._no_ops("a spatial search")
        parts = [self._info["partitions"][i][:2] for i in self._parts]
        keep = _core.region_partitions([region], [tuple(p) for p in parts])
        new_parts = tuple(i for i, k in zip(self._parts, keep) if k)
        read = _replace_read(self._read, regions=self._read.regions + (region,))
        return self._replace(read=read, parts=new_parts)

    def cone_search(self, ra, dec, radius_arcsec):
        """Rows within radius_arcsec of (ra, dec) (degrees), exact (haversine, inclusive)."""
        if not radius_arcsec >= 0:
            raise ArgumentError(f"radius_arcsec must be >= 0, got {radius_arcsec}")
        return self._search(("cone", float(ra), float(dec), float(radius_arcsec) / 3600.0))

    def box_search(self, ra=None, dec=None):
        """Rows with ra in [ra[0], ra[1]] (wrapping through 0 when ra[0] > ra[1]) and dec in
        [dec[0], dec[1]], as hats' box search."""
        ra = (0.0, 0.0) if ra is None else ra
        dec = (-90.0, 90.0) if dec is None else dec
        return self._search(("box", float(ra[0]), float(ra[1]), float(dec[0]), float(dec[1])))

    def polygon_search(self, vertices):
        """Rows inside a convex polygon of (ra, dec) vertices with great-circle edges."""
        v = [(float(a), float(b)) for a, b in vertices]
        return self._search(("polygon", [a for a, _ in v], [b for _, b in v]))

    def order_search(self, min_order=0, max_order=None):
        """Only the partitions with min_order <= order <= max_order."""
        self._no_ops("order_search")
        hi = 29 if max_order is None else max_order
        if min_order > hi:
            raise ArgumentError(f"min_order {min_order} > max_order {max_order}")
        parts = tuple(i for i in self._parts if min_order <= self._info["partitions"][i][0] <= hi)
        return self._replace(parts=parts, pixel_restricted=True)

    def pixel_search(self, pixels):
        """Only the partitions overlapping the given (order, pixel) pairs."""
        self._no_ops("pixel_search")
        want = [(int(o), int(p)) for o, p in pixels]

        def overlaps(o, p):
            for wo, wp in want:
                if (wo >= o and wp >> (2 * (wo - o)) == p) or (wo < o and p >> (2 * (o - wo)) == wp):
                    return True
            return False

        parts = tuple(i for i in self._parts if overlaps(*self._info["partitions"][i][:2]))
        return self._replace(parts=parts, pixel_restricted=True)

    def id_search(self, values):
        """Rows whose columns equal the given values: {"col": value or [values]}."""
        if not isinstance(values, dict) or not values:
            raise ArgumentError("id_search takes a non-empty dict {column: value or list of values}")
        conds = []
        for col, v in values.items():
            vs = list(v) if isinstance(v, (list, tuple, set, np.ndarray)) else [v]
            if not vs:
                raise ArgumentError(f"id_search: no values for column {col!r}")
            conds.append(f'"{col}" IN ({", ".join(_literal(x) for x in vs)})')
        return self.query(" AND ".join(conds))

    def query(self, expr):
        """Rows where the ADQL condition holds, e.g. "parallax > 1 AND phot_g_mean_mag < 18"
        (the engine's expression language, with its functions such as lc_n or dip_depth).
        Pushed into the scan: row groups are pruned by statistics and only needed columns read."""
        if not isinstance(expr, str) or not expr.strip():
            raise ArgumentError("query takes a non-empty condition string")
        if self._ops:
            return self._replace(ops=self._ops + (_tasks.Eval(wheres=(expr,)),))
        self._validate_expr(expr)
        return self._replace(read=_replace_read(self._read, wheres=self._read.wheres + (expr,)))

    def _validate_expr(self, expr, as_value=False):
        empty = self._info["schema"].empty_table()
        if as_value:
            _tasks.eval_table(empty, (), ((expr, "x"),))
        else:
            _tasks.eval_table(empty, (expr,), ())

    def __getitem__(self, cols):
        cols = [cols] if isinstance(cols, str) else list(cols)
        if self._ops or self._read.exprs:
            have = self.columns
            _check_columns([c for c in cols if c != INDEX], have, "the result")
            keep = ([INDEX] if INDEX in _tasks.to_frame(self._meta()).index.names else []) + cols
            return self._replace(ops=self._ops + (_tasks.Select(keep),))
        names = self._info["schema"].names
        _check_columns(cols, names, f"catalog {self.name}")
        return self._replace(read=_replace_read(self._read, columns=tuple(_with_index(cols, names))))

    # ---- computed columns ----------------------------------------------------------------
    def select_expr(self, **exprs):
        """A catalog of computed columns: name=ADQL expression (evaluated in C++)."""
        pairs = tuple((text, name) for name, text in exprs.items())
        if self._ops or self._read.exprs:
            return self._replace(ops=self._ops + (_tasks.Eval(exprs=pairs),))
        for text, _ in pairs:
            self._validate_expr(text, as_value=True)
        names = self._info["schema"].names
        keep = ((f'"{INDEX}"', INDEX),) if INDEX in names else ()
        return self._replace(read=_replace_read(self._read, exprs=keep + pairs))

    def lc_features(self, time="mjd", mag="mag", err="magerr", band="band", keep=None, dips=True):
        """Per-object light-curve statistics computed in C++ from list columns: n, mean, std,
        median, min, max, amplitude, weighted mean and chi2, and (dips=True) the dimming-event
        detector's depth, duration, start, point count, score and is_dipper."""
        names = self._info["schema"].names
        keep = [c for c in (keep if keep is not None else [self._info["ra"], self._info["dec"]]) if c in names]
        for c in (time, mag, err) + ((band,) if band else ()):
            if c not in names:
                raise ArgumentError(f"no light-curve column {c!r} in catalog {self.name}")
        m, e, t = f'"{mag}"', f'"{err}"', f'"{time}"'
        feats = {
            "n": f"lc_n({m})", "mean": f"lc_mean({m})", "std": f"lc_std({m})",
            "median": f"lc_median({m})", "min": f"lc_min({m})", "max": f"lc_max({m})",
            "amplitude": f"lc_max({m}) - lc_min({m})", "wmean": f"lc_wmean({m}, {e})",
            "chi2": f"lc_chi2({m}, {e})",
        }
        if dips:
            args = f"{t}, {m}, {e}" + (f', "{band}"' if band else "")
            for k, fn in [("dip_depth", "dip_depth"), ("dip_max_depth", "dip_max_depth"),
                          ("dip_duration", "dip_duration"), ("dip_start", "dip_start"),
                          ("dip_npoints", "dip_npoints"), ("dip_score", "dip_score"),
                          ("is_dipper", "is_dipper")]:
                feats[k] = f"{fn}({args})"
        kept = {c: f'"{c}"' for c in keep}
        return self.select_expr(**kept, **feats)

    # ---- between catalogs ----------------------------------------------------------------
    def crossmatch(self, other, radius_arcsec=1.0, n_neighbors=1, how="inner", suffixes=None,
                   ra_column="ra", dec_column="dec"):
        """For each row, the n_neighbors nearest rows of `other` within radius_arcsec (all of
        them with n_neighbors=None), exact. Columns are suffixed `_<catalog name>` as in LSDB,
        plus `_dist_arcsec`. `other` may be a Catalog or a pandas DataFrame."""
        return crossmatch(self, other, radius_arcsec=radius_arcsec, n_neighbors=n_neighbors, how=how,
                          suffixes=suffixes, ra_column=ra_column, dec_column=dec_column)

    def join(self, other, left_on, right_on, suffixes=None, reach_arcsec=5.0):
        """Rows of both catalogs with equal keys, joined region by region: each partition with
        the other side's rows in its pixel (widened by reach_arcsec), as LSDB aligns them."""
        other = _as_catalog(other, "ra", "dec")
        other._right_side("join")
        if left_on not in self._info["schema"].names and not self._ops:
            raise ArgumentError(f"no column {left_on!r} in catalog {self.name}")
        if right_on not in other._info["schema"].names:
            raise ArgumentError(f"no column {right_on!r} in catalog {other.name}")
        suffixes = suffixes or (f"_{self.name}", f"_{other.name}")
        read = self._read
        if not self._ops and left_on not in read.columns:
            read = _replace_read(read, columns=read.columns + (left_on,))
        rread = other._read
        if right_on not in rread.columns:
            rread = _replace_read(rread, columns=rread.columns + (right_on,))
        op = _tasks.Join(rread, other._meta_for(rread), left_on, right_on, tuple(suffixes), float(reach_arcsec))
        return self._replace(read=read, ops=self._ops + (op,))

    def _meta_for(self, read):
        empty = self._info["schema"].empty_table()
        return (_tasks.eval_table(empty, (), read.exprs) if read.exprs else empty.select(list(read.columns))).schema

    def _right_side(self, what):
        if self._ops or self._read.exprs:
            raise ArgumentError(f"the right side of a {what} must be a catalog with searches, "
                                "filters and projections only")
        if self._pixel_restricted:
            raise ArgumentError(f"pixel_search/order_search on the right side of a {what} is not "
                                "supported; use a spatial search")

    def map_partitions(self, func, *args, meta=None, include_pixel=False, **kwargs):
        """func(df, *args, **kwargs) on each partition's pandas DataFrame (with the partition's
        (order, pixel) as the second argument when include_pixel), wherever the graph runs."""
        if not callable(func):
            raise ArgumentError("map_partitions needs a callable")
        op = _tasks.MapPartitions(func, args, kwargs, include_pixel)
        if meta is not None:
            op.meta = meta
        return self._replace(ops=self._ops + (op,))

    # ---- results -------------------------------------------------------------------------
    def _task_list(self):
        parts = self._info["partitions"]
        return [(i, tuple(parts[i][:2])) for i in self._parts]

    def _key(self):
        from dask.base import tokenize

        return "astrolake-" + tokenize(self._read, self._parts, [_op_token(o) for o in self._ops])

    def _keys(self):
        k = self._key()
        return [(k, j) for j in range(len(self._parts))]

    def _graph(self, func=_tasks.run):
        keys = self._keys()
        return {key: (func, self._read, i, pixel, self._ops) for key, (i, pixel) in zip(keys, self._task_list())}

    def _estimate_bytes(self):
        width = 0
        for f in self._info["schema"]:
            if self._read.columns and f.name not in self._read.columns:
                continue
            width += 200 if pa.types.is_large_list(f.type) or pa.types.is_list(f.type) else (
                32 if pa.types.is_large_string(f.type) or pa.types.is_string(f.type) else 8)
        known = self._info.get("partition_rows")
        total, nparts = self._info.get("nrows", -1), len(self._info["partitions"])
        if known is None and total >= 0 and nparts:
            # From hats_nrows, spread evenly over the partitions: a warning threshold is no reason
            # to read the _metadata footer (hundreds of MB for a 10^10-row catalog).
            return total * len(self._parts) / nparts * width
        rows = sum(max(self._partition_rows()[i], 0) for i in self._parts)
        return rows * width

    def compute(self, progress=True, warn=True):
        """The result as a pandas DataFrame (indexed by _healpix_29 when present)."""
        if warn and not self._read.regions and not self._read.wheres:
            est = self._estimate_bytes()
            if est > WARN_BYTES:
                warnings.warn(f"compute() will materialise about {est / 2**30:.1f} GiB; use "
                              "iter_partitions() or write_catalog() to stream instead",
                              ResourceWarning, stacklevel=2)
        if not self._parts:
            return _tasks.to_frame(self._meta())
        results = _execute.run(self._graph(), self._keys(), progress=progress, desc=f"compute {self.name}")
        return _tasks.finalize(results)

    to_pandas = compute

    def to_arrow(self, progress=True):
        """The result as a pyarrow Table (before map_partitions: zero-copy from the engine)."""
        if not self._parts:
            parts = [self._meta()]
        else:
            parts = _execute.run(self._graph(), self._keys(), progress=progress, desc=f"compute {self.name}")
        if all(isinstance(p, pa.Table) for p in parts):
            return pa.concat_tables(parts, promote_options="permissive")
        return pa.Table.from_pandas(_tasks.finalize(parts))

    def head(self, n=5):
        """The first n rows, reading partitions one after another until it has them."""
        got, total = [], 0
        for i, pixel in self._task_list():
            data = _tasks.to_frame(_tasks.run(self._read, i, pixel, self._ops))
            if len(data):
                got.append(data.iloc[: n - total])
                total += len(got[-1])
            if total >= n:
                break
        return _tasks.finalize(got) if got else _tasks.to_frame(self._meta())

    def iter_partitions(self, progress=False, window=None):
        """Yields each output partition's DataFrame in order, with a bounded number of tasks
        in flight: memory stays bounded whatever the catalog's size."""
        graph, keys = self._graph(), self._keys()
        for data in _execute.stream(graph, keys, window=window, progress=progress, desc=f"partitions {self.name}"):
            yield _tasks.to_frame(data)

    def to_delayed(self):
        """One dask Delayed per output partition (a pandas DataFrame each)."""
        from dask.delayed import delayed

        return [delayed(_run_frame, pure=True)(self._read, i, pixel, self._ops) for i, pixel in self._task_list()]

    def to_dask(self):
        """A dask DataFrame with one partition per output partition."""
        import dask.dataframe as dd

        meta = _tasks.to_frame(self._meta())
        args = [(self._read, i, pixel, self._ops) for i, pixel in self._task_list()]
        return dd.from_map(_run_frame_args, args, meta=meta, enforce_metadata=False)

    def explain(self):
        """What a computation will do and touch: the plan and the metadata estimate."""
        total = len(self._info["partitions"])
        rows = sum(max(self._partition_rows()[i], 0) for i in self._parts)
        lines = [f"catalog {self.name} at {self.path}",
                 f"  partitions: {len(self._parts)} of {total} (rows in them: {rows})",
                 f"  columns read: {', '.join(self._read.columns) or '(computed)'}"]
        for r in self._read.regions:
            lines.append(f"  region: {r[0]} {r[1:]}")
        for w in self._read.wheres:
            lines.append(f"  filter (pushed into the scan): {w}")
        for text, name in self._read.exprs:
            lines.append(f"  computed: {name} = {text}")
        for op in self._ops:
            lines.append(f"  then: {type(op).__name__}")
        lines.append(f"  estimated bytes to materialise: {self._estimate_bytes()}")
        lines.append(f"  tasks: {len(self._parts)} (one per output partition)")
        return "\n".join(lines)

    # ---- aggregates computed in C++ --------------------------------------------------------
    def _reduce(self, func, *args, progress=False):
        graph = {key: (func, self._read, i, pixel, self._ops, *args)
                 for key, (i, pixel) in zip(self._keys(), self._task_list())}
        return _execute.run(graph, list(graph), progress=progress, desc=f"aggregate {self.name}")

    def _range(self, col):
        parts = self._reduce(_aggregate.min_max, col)
        lo = min((p[0] for p in parts if p is not None), default=None)
        hi = max((p[1] for p in parts if p is not None), default=None)
        if lo is None:
            raise ArgumentError(f"column {col!r} has no values to take a range from")
        return (lo, hi if hi > lo else lo + 1.0)

    def histogram(self, column, bins=50, range=None, progress=False):
        """(counts, edges) of `column`, as numpy.histogram gives them; binned in C++."""
        lo, hi = range if range is not None else self._range(column)
        parts = self._reduce(_aggregate.hist, column, float(lo), float(hi), int(bins), None, 0.0, 1.0, 1, progress=progress)
        counts = sum(parts, np.zeros((bins, 1), dtype=np.int64))[:, 0]
        return counts, np.linspace(lo, hi, bins + 1)

    def histogram2d(self, x, y, bins=50, range=None, progress=False):
        """(counts[x_bin, y_bin], x_edges, y_edges), as numpy.histogram2d; binned in C++."""
        bx, by = (bins, bins) if np.isscalar(bins) else bins
        (xlo, xhi), (ylo, yhi) = range if range is not None else (self._range(x), self._range(y))
        parts = self._reduce(_aggregate.hist, x, float(xlo), float(xhi), int(bx), y, float(ylo), float(yhi), int(by),
                             progress=progress)
        counts = sum(parts, np.zeros((bx, by), dtype=np.int64))
        return counts, np.linspace(xlo, xhi, bx + 1), np.linspace(ylo, yhi, by + 1)

    def skymap(self, order=6, column=None, agg="count", progress=False):
        """A nested HEALPix map at `order`: rows per pixel (agg="count") or the sum, mean, min
        or max of `column`; pixels without data hold 0 (count/sum) or healpy's UNSEEN."""
        if agg not in ("count", "sum", "mean", "min", "max"):
            raise ArgumentError(f"agg must be count, sum, mean, min or max, got {agg!r}")
        if agg != "count" and column is None:
            raise ArgumentError(f"agg={agg!r} needs a column")
        if not 0 <= order <= 13:
            raise ArgumentError(f"skymap order must be in [0, 13], got {order}")
        ra, dec = self._coords()
        parts = self._reduce(_aggregate.skymap_part, int(order), ra, dec, column if agg != "count" else None, progress=progress)
        npix = 12 * 4 ** order
        count = np.zeros(npix, np.int64)
        total = np.zeros(npix)
        lo = np.full(npix, np.inf)
        hi = np.full(npix, -np.inf)
        for c, s, mn, mx in parts:
            count += c
            total += s
            lo = np.minimum(lo, mn)
            hi = np.maximum(hi, mx)
        unseen = -1.6375e30
        if agg == "count":
            return count.astype(np.float64)
        if agg == "sum":
            return total
        with np.errstate(invalid="ignore", divide="ignore"):
            out = {"mean": total / count, "min": lo, "max": hi}[agg]
        out[count == 0] = unseen
        return out

    def _coords(self):
        return self._info["ra"], self._info["dec"]

    # ---- pictures --------------------------------------------------------------------------
    def plot_pixels(self, title=None):
        """A Mollweide map of the partitions, coloured by order. Returns the matplotlib Figure."""
        from . import plotting

        return plotting.plot_pixels(self.pixels, title or f"{self.name}: {self.npartitions} partitions")

    def plot_skymap(self, order=6, column=None, agg="count", title=None):
        from . import plotting

        values = self.skymap(order=order, column=column, agg=agg)
        return plotting.plot_map(values, title or f"{self.name}: {agg}{'' if column is None else ' ' + column}",
                                 log=agg in ("count", "sum"))

    # ---- writing ---------------------------------------------------------------------------
    def write_catalog(self, path, name=None, margin_arcsec=None, overwrite=False, resume=False,
                      ra_column=None, dec_column=None, progress=True, max_rows=None):
        """Writes the result as a new HATS catalog (a collection with a margin when
        margin_arcsec is given). See astrolake.io.write_catalog."""
        from . import io

        return io.write_catalog(self, path, name=name, margin_arcsec=margin_arcsec, overwrite=overwrite,
                                resume=resume, ra_column=ra_column, dec_column=dec_column, progress=progress,
                                max_rows=max_rows)

    to_hats = write_catalog

    # ---- the dask collection protocol ------------------------------------------------------
    def __dask_graph__(self):
        return self._graph()

    def __dask_keys__(self):
        return self._keys()

    def __dask_layers__(self):
        return (self._key(),)

    def __dask_postcompute__(self):
        return _tasks.finalize, ()

    def __dask_tokenize__(self):
        return self._key()

    @staticmethod
    def __dask_optimize__(dsk, keys, **kwargs):
        return dsk

    @staticmethod
    def __dask_scheduler__(dsk, keys, **kwargs):
        import dask.threaded

        return dask.threaded.get(dsk, keys, **kwargs)


def _op_token(op):
    from dask.base import tokenize

    return (type(op).__name__, tokenize(vars(op)))


def _replace_read(read, **kw):
    from dataclasses import replace

    return replace(read, **kw)


def _run_frame(read, i, pixel, ops):
    return _tasks.to_frame(_tasks.run(read, i, pixel, ops))


def _run_frame_args(args):
    return _run_frame(*args)


def _as_catalog(x, ra, dec):
    if isinstance(x, Catalog):
        return x
    from . import io

    return io.from_dataframe(x, ra=ra, dec=dec)


def crossmatch(left, right, radius_arcsec=1.0, n_neighbors=1, how="inner", suffixes=None,
               ra_column="ra", dec_column="dec"):
    """Exact positional cross-match (see Catalog.crossmatch); either side may be a DataFrame
    (ra_column/dec_column name its coordinates)."""
    left = _as_catalog(left, ra_column, dec_column)
    right = _as_catalog(right, ra_column, dec_column)
    if how not in ("inner", "left"):
        raise ArgumentError(f"how must be 'inner' or 'left', got {how!r}")
    if not (isinstance(radius_arcsec, (int, float)) and radius_arcsec > 0 and math.isfinite(radius_arcsec)):
        raise ArgumentError(f"radius_arcsec must be a positive number, got {radius_arcsec!r}")
    if n_neighbors is not None and (not isinstance(n_neighbors, (int, np.integer)) or n_neighbors < 1):
        raise ArgumentError(f"n_neighbors must be a positive integer or None (all), got {n_neighbors!r}")
    right._right_side("crossmatch")
    suffixes = tuple(suffixes) if suffixes else (f"_{left.name}", f"_{right.name}")
    lra, ldec = left._info["ra"], left._info["dec"]
    rra, rdec = right._info["ra"], right._info["dec"]
    read = left._read
    if not left._ops and not read.exprs:
        missing = tuple(c for c in (lra, ldec) if c not in read.columns)
        read = _replace_read(read, columns=read.columns + missing)
    rread = right._read
    if rread.exprs:
        raise ArgumentError("the right side of a crossmatch cannot have computed columns")
    rread = _replace_read(rread, columns=rread.columns + tuple(c for c in (rra, rdec) if c not in rread.columns))
    op = _tasks.Crossmatch(rread, right._meta_for(rread), (lra, ldec), (rra, rdec), float(radius_arcsec),
                           0 if n_neighbors is None else int(n_neighbors), how, suffixes)
    return left._replace(read=read, ops=left._ops + (op,))
