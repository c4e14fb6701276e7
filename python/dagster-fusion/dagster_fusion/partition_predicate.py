"""The row filter that selects a Dagster partition's slice of a dataset (used as replaceWhere on write and as
the read filter on load), in the server's filter language: `col >= '...' AND col < '...'`, `col IN ('a', 'b')`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import pyarrow as pa

__all__ = ["PartitionSlice", "slice_predicate", "quote_column", "quote_literal"]


class PartitionSlice:
    """What a step's partitions cover: a time window, a set of keys, or both per dimension (multi-partitions)."""

    def __init__(
        self,
        time_window: tuple[datetime, datetime] | None = None,
        keys: Sequence[str] | None = None,
        dimensions: Mapping[str, PartitionSlice] | None = None,
    ) -> None:
        self.time_window = time_window
        self.keys = list(keys or [])
        self.dimensions = dict(dimensions or {})


def quote_column(name: str) -> str:
    """A column reference; names that are not plain identifiers are double-quoted."""
    if name.replace("_", "a").isalnum() and not name[0].isdigit():
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _time_literal(moment: datetime, column_type: pa.DataType | None) -> str:
    if column_type is not None and pa.types.is_date(column_type):
        return quote_literal(moment.date().isoformat())
    if column_type is not None and pa.types.is_timestamp(column_type) and column_type.tz is not None:
        moment = moment.astimezone(UTC) if moment.tzinfo is not None else moment
    # timestamps without a zone compare on wall time; tz-aware ones on UTC instants
    return quote_literal(moment.replace(tzinfo=None).isoformat(sep=" "))


def slice_predicate(
    partition_expr: str | Mapping[str, str],
    selected: PartitionSlice,
    schema: pa.Schema | None = None,
) -> str:
    """The filter selecting `selected` on the column(s) named by `partition_expr` (one column, or one per
    dimension of a multi-partitions definition). `schema`, when known, decides how time literals are written.
    """
    if isinstance(partition_expr, Mapping):
        if not selected.dimensions:
            raise ValueError("partition_expr is a mapping, but the asset's partitions have no dimensions.")
        parts = []
        for dimension, column in partition_expr.items():
            if dimension not in selected.dimensions:
                raise ValueError(f"partition_expr names dimension {dimension!r}, which the partitions do not have.")
            parts.append("(" + slice_predicate(column, selected.dimensions[dimension], schema) + ")")
        return " AND ".join(parts)
    column = quote_column(partition_expr)
    column_type = schema.field(partition_expr).type if schema is not None and partition_expr in schema.names else None
    is_time_column = column_type is not None and (pa.types.is_timestamp(column_type) or pa.types.is_date(column_type))
    if selected.time_window is not None and (column_type is None or is_time_column):
        start, end = selected.time_window
        return f"{column} >= {_time_literal(start, column_type)} AND {column} < {_time_literal(end, column_type)}"
    if not selected.keys:
        raise ValueError("The step selects no partitions.")
    return f"{column} IN ({', '.join(quote_literal(key) for key in selected.keys)})"
