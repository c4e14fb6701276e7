"""Conversions between the data users hold (pandas, polars, pyarrow) and the Arrow tables sent over Flight.

Delta Lake (where datasets live) stores timestamps in microseconds and has no dictionary or view types, so
outgoing tables are normalised here once: nanosecond timestamps are truncated to microseconds and dictionary
(categorical) columns are decoded to their values (the lossy steps, documented in the README), string/binary
views become large strings/binaries. Loading back to pandas uses
nullable dtypes so that integer and boolean columns with nulls keep their type.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["to_arrow_table", "normalize_for_delta", "to_pandas", "to_polars", "convert_table"]


def to_arrow_table(data: Any) -> pa.Table:
    """A pyarrow Table from a pyarrow Table/RecordBatch/RecordBatchReader, a pandas or a polars DataFrame."""
    if isinstance(data, pa.Table):
        table = data
    elif isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
    elif isinstance(data, pa.RecordBatchReader):
        table = data.read_all()
    else:
        module = type(data).__module__.split(".")[0]
        if module == "pandas":
            table = pa.Table.from_pandas(data, preserve_index=_keeps_index(data))
        elif module == "polars":
            if type(data).__name__ == "LazyFrame":
                data = data.collect()
            table = data.to_arrow()
        elif hasattr(data, "__arrow_c_stream__"):
            table = pa.table(data)
        else:
            raise TypeError(
                f"Cannot write a {type(data).__name__}; pass a pandas or polars DataFrame or a pyarrow Table."
            )
    return normalize_for_delta(table)


def _keeps_index(frame: Any) -> bool:
    """Keep a pandas index only when it carries information (named or not a default RangeIndex)."""
    import pandas as pd

    index = frame.index
    return not (isinstance(index, pd.RangeIndex) and index.name is None)


def normalize_for_delta(table: pa.Table) -> pa.Table:
    """Casts columns to the types a Delta table stores (see the module docstring); drops schema metadata."""
    fields = []
    changed = False
    for field in table.schema:
        target = _delta_type(field.type)
        changed = changed or target != field.type
        fields.append(pa.field(field.name, target, field.nullable))
    if not changed:
        return table.replace_schema_metadata(None)
    columns = []
    for column, field in zip(table.columns, fields, strict=True):
        if column.type == field.type:
            columns.append(column)
        else:
            columns.append(pc.cast(column, field.type, safe=False))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _delta_type(data_type: pa.DataType) -> pa.DataType:
    if pa.types.is_dictionary(data_type):
        # Delta stores no dictionary encoding (and pandas 3 categoricals are dictionaries of large strings).
        return _delta_type(data_type.value_type)
    if pa.types.is_timestamp(data_type) and data_type.unit == "ns":
        return pa.timestamp("us", tz=data_type.tz)
    if pa.types.is_string_view(data_type):
        return pa.large_string()
    if pa.types.is_binary_view(data_type):
        return pa.large_binary()
    if pa.types.is_list_view(data_type) or pa.types.is_large_list_view(data_type):
        return pa.large_list(_delta_type(data_type.value_type))
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        inner = _delta_type(data_type.value_type)
        if inner == data_type.value_type:
            return data_type
        return pa.large_list(inner) if pa.types.is_large_list(data_type) else pa.list_(inner)
    if pa.types.is_struct(data_type):
        children = [pa.field(f.name, _delta_type(f.type), f.nullable) for f in data_type]
        return pa.struct(children)
    return data_type


def _nullable_pandas_dtype(data_type: pa.DataType) -> Any:
    import pandas as pd

    mapping = {
        pa.int8(): pd.Int8Dtype(),
        pa.int16(): pd.Int16Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.uint8(): pd.UInt8Dtype(),
        pa.uint16(): pd.UInt16Dtype(),
        pa.uint32(): pd.UInt32Dtype(),
        pa.uint64(): pd.UInt64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
    }
    return mapping.get(data_type)


def to_pandas(table: pa.Table, nullable: bool = True) -> Any:
    """A pandas DataFrame; with `nullable`, integer/boolean columns with nulls keep pandas' nullable dtypes."""
    if not nullable:
        return table.to_pandas()
    # Only columns that hold nulls need a nullable dtype: plain int64/bool columns stay numpy-backed.
    nullable_types = {
        field.name
        for field, column in zip(table.schema, table.columns, strict=True)
        if column.null_count > 0 and _nullable_pandas_dtype(field.type) is not None
    }
    if not nullable_types:
        return table.to_pandas()
    frame = table.to_pandas()
    for name in nullable_types:
        column = table.column(name)
        frame[name] = column.to_pandas(types_mapper=_nullable_pandas_dtype)
    return frame


def to_polars(table: pa.Table) -> Any:
    """A polars DataFrame (zero-copy where polars allows)."""
    import polars as pl

    return pl.from_arrow(table)


def convert_table(table: pa.Table, target: Any) -> Any:
    """The table as `target`: a pandas or polars DataFrame class, or pyarrow.Table (anything else: the Table)."""
    module = getattr(target, "__module__", "").split(".")[0]
    name = getattr(target, "__name__", "")
    if module == "pandas" and name == "DataFrame":
        return to_pandas(table)
    if module == "polars" and name == "DataFrame":
        return to_polars(table)
    if module == "polars" and name == "LazyFrame":
        return to_polars(table).lazy()
    return table
