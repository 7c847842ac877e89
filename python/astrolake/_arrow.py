"""Arrow C Data Interface capsules from the extension -> pyarrow, and pyarrow -> pandas."""
import pandas as pd
import pyarrow as pa


class _Capsules:
    """Wraps the (schema, array) capsules so pyarrow imports them via the PyCapsule protocol."""

    __slots__ = ("pair",)

    def __init__(self, pair):
        self.pair = pair

    def __arrow_c_array__(self, requested_schema=None):
        return self.pair


def to_table(pair):
    """A zero-copy pyarrow Table from the extension's capsules."""
    return pa.Table.from_batches([pa.record_batch(_Capsules(pair))])


def to_capsules(table):
    """(schema, array) capsules of a pyarrow Table (one batch), for the extension."""
    table = normalize(table).combine_chunks()
    batches = table.to_batches()
    batch = batches[0] if batches else pa.RecordBatch.from_pylist([], schema=table.schema)
    return batch.__arrow_c_array__()


def _normal_type(t):
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.large_string()
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t):
        return pa.large_list(_normal_type(t.value_type))
    if pa.types.is_dictionary(t):
        return _normal_type(t.value_type)
    return t


def normalize(table):
    """Strings as large_string, lists as large_list: the types the engine exchanges."""
    schema = pa.schema([pa.field(f.name, _normal_type(f.type), f.nullable) for f in table.schema])
    return table if schema == table.schema else table.cast(schema)


def _types_mapper(t):
    if pa.types.is_large_list(t) or pa.types.is_list(t):
        return pd.ArrowDtype(t)
    return None


INDEX = "_healpix_29"


def to_pandas(table):
    """pandas with pyarrow-backed dtypes where numpy has none (lists); `_healpix_29`, when
    present, becomes the index as in LSDB."""
    df = table.to_pandas(types_mapper=_types_mapper)
    if INDEX in df.columns:
        df = df.set_index(INDEX)
    return df
