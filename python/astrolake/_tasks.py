"""What a task runs: plain functions of small picklable specs (paths, column names,
expressions, numbers). A worker opens catalogs by path through the extension, which keeps
them in a per-process cache, so no C++ object ever travels in a Dask graph."""
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from . import _core
from ._arrow import INDEX, normalize, to_capsules, to_pandas, to_table


@dataclass(frozen=True)
class Read:
    """The rows of one catalog on disk that a plan starts from."""

    path: str
    margin: str = ""
    with_margin: bool = True
    columns: tuple = ()  # output columns, explicit
    wheres: tuple = ()   # ADQL conditions, ANDed
    regions: tuple = ()  # ("cone"|"box"|"polygon", ...) tuples, ANDed
    exprs: tuple = ()    # ((expression, name), ...): computed output instead of columns

    def scan(self, index):
        return to_table(_core.scan_partition(self.path, self.margin, self.with_margin, False, index,
                                             list(self.columns), list(self.wheres), list(self.regions),
                                             list(self.exprs)))

    def scan_region(self, region):
        """Rows of every partition inside `region` (and this Read's own selections)."""
        return to_table(_core.scan_region(self.path, list(self.columns), list(self.wheres),
                                          [region, *self.regions], list(self.exprs)))


def pixel_cone(order, pixel, extra_deg):
    """A cone holding the whole pixel, widened by extra_deg (never misses a row)."""
    import healpy as hp

    nside = 1 << order
    ra, dec = hp.pix2ang(nside, pixel, nest=True, lonlat=True)
    radius = hp.max_pixrad(nside, degrees=True) + extra_deg + 1e-9
    return ("cone", float(ra), float(dec), float(min(radius, 180.0)))


def eval_table(table, wheres=(), exprs=(), columns=()):
    """Filters/computes over an in-memory table with the engine's expressions."""
    return to_table(_core.eval_table(*to_capsules(table), list(wheres), list(exprs), list(columns)))


def _as_table(data):
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pd.DataFrame):
        has_index = data.index.name == INDEX
        return normalize(pa.Table.from_pandas(data, preserve_index=has_index))
    raise TypeError(f"expected a table, got {type(data).__name__} (after map_partitions only "
                    "map_partitions can follow)")


class Select:
    def __init__(self, columns):
        self.columns = tuple(columns)

    def apply(self, data, pixel):
        if isinstance(data, pd.DataFrame):
            return data[[c for c in self.columns if c != INDEX]]
        return data.select(list(self.columns))


class Eval:
    def __init__(self, wheres=(), exprs=()):
        self.wheres, self.exprs = tuple(wheres), tuple(exprs)

    def apply(self, data, pixel):
        return eval_table(_as_table(data), self.wheres, self.exprs)


def _suffixed(table, suffix, drop_index):
    names, cols = [], []
    for name, col in zip(table.column_names, table.columns):
        if name == INDEX and drop_index:
            continue
        names.append(name if name == INDEX else name + suffix)
        cols.append(col)
    return names, cols


class Crossmatch:
    """Per left partition, the engine's cross-match of its rows: the aligned right partition(s)
    plus the right margin when it is at least the radius wide, else the rows of neighbouring
    right partitions within reach. Every left row is in exactly one partition, so pairs are
    never produced twice and none across borders is missed."""

    def __init__(self, right, right_schema, lcoords, rcoords, radius_arcsec, k, how, suffixes):
        self.right, self.right_schema = right, right_schema
        self.lcoords, self.rcoords = lcoords, rcoords
        self.radius, self.k, self.how, self.suffixes = radius_arcsec, k, how, suffixes

    def apply(self, data, pixel):
        left = _as_table(data)
        ra, dec = _f64(left, self.lcoords[0]), _f64(left, self.lcoords[1])
        if left.num_rows > 0 and pixel is not None and pixel[0] >= 0:
            r = self.right
            li, dist, caps = _core.crossmatch_pixel(r.path, r.margin, r.with_margin, list(r.columns), list(r.wheres),
                                                    list(r.regions), int(pixel[0]), int(pixel[1]), ra, dec,
                                                    float(self.radius), int(self.k), self.how == "left")
            rt = to_table(caps)
        else:  # nothing to match against: a left join keeps every left row
            empty = np.empty(0)
            li, _, dist = _core.match_points(ra, dec, empty, empty, float(self.radius), int(self.k),
                                             self.how == "left")
            rt = pa.Table.from_arrays([pa.nulls(len(li), f.type) for f in self.right_schema],
                                      names=self.right_schema.names)
        lt = left.take(pa.array(li))
        ln, lc = _suffixed(lt, self.suffixes[0], drop_index=False)
        rn, rc = _suffixed(rt, self.suffixes[1], drop_index=True)
        return pa.Table.from_arrays(lc + rc + [pa.array(dist)], names=ln + rn + ["_dist_arcsec"])


def _f64(table, name):
    return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


class Join:
    """Key join of the rows of each left partition with the right rows in the same sky
    region (the pixel widened by `reach_arcsec`), as LSDB joins aligned partitions."""

    def __init__(self, right, right_schema, left_on, right_on, suffixes, reach_arcsec):
        self.right, self.right_schema = right, right_schema
        self.left_on, self.right_on, self.suffixes, self.reach = left_on, right_on, suffixes, reach_arcsec

    def apply(self, data, pixel):
        left = _as_table(data)
        if left.num_rows > 0 and pixel is not None:
            right = self.right.scan_region(pixel_cone(pixel[0], pixel[1], self.reach / 3600.0))
        else:
            right = self.right_schema.empty_table()
        ln, lc = _suffixed(left, self.suffixes[0], drop_index=False)
        rn, rc = _suffixed(right, self.suffixes[1], drop_index=True)
        lt = pa.Table.from_arrays(lc, names=ln)
        rt = pa.Table.from_arrays(rc, names=rn)
        joined = lt.join(rt, keys=self.left_on + self.suffixes[0], right_keys=self.right_on + self.suffixes[1],
                         join_type="inner", coalesce_keys=False)
        return joined.select(ln + rn)


class MapPartitions:
    def __init__(self, func, args, kwargs, include_pixel):
        self.func, self.args, self.kwargs, self.include_pixel = func, args, kwargs, include_pixel

    def apply(self, data, pixel):
        df = to_pandas(data) if isinstance(data, pa.Table) else data
        if self.include_pixel:
            return self.func(df, pixel, *self.args, **self.kwargs)
        return self.func(df, *self.args, **self.kwargs)


def run(read, index, pixel, ops):
    """One output partition: scan partition `index` of the catalog, then apply `ops`."""
    data = read.scan(index)
    for op in ops:
        data = op.apply(data, pixel)
    return data


def run_empty(empty, ops):
    """The pipeline over zero rows: the result's schema (meta). A map_partitions function
    given `meta` is not called; otherwise it gets an empty DataFrame (and pixel (-1, -1))."""
    data = empty
    for op in ops:
        meta = getattr(op, "meta", None)
        data = meta.iloc[:0] if meta is not None else op.apply(data, (-1, -1) if isinstance(op, MapPartitions) else None)
    return data


def count(read, index, pixel, ops):
    data = run(read, index, pixel, ops)
    return data.num_rows if isinstance(data, pa.Table) else len(data)


def finalize(parts):
    """Partition results, in partition order -> one pandas object."""
    parts = list(parts)
    if parts and all(isinstance(p, pa.Table) for p in parts):
        return to_pandas(pa.concat_tables(parts, promote_options="permissive"))
    frames = [to_pandas(p) if isinstance(p, pa.Table) else p for p in parts]
    frames = [f for f in frames if len(f)] or frames[:1]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames) if len(frames) > 1 else frames[0]


def to_frame(data):
    return to_pandas(data) if isinstance(data, pa.Table) else data
