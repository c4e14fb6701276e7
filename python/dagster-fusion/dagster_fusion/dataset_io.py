"""Storing Dagster outputs as datasets and loading inputs from them: plain functions over a FusionServiceClient,
so that they are tested directly; io_manager.py adapts them to Dagster's contexts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
from dagster import MetadataValue, TableColumn, TableSchema
from flight_fusion import FusionServiceClient, SaveMode
from flight_fusion.table_conversion import convert_table, to_arrow_table

__all__ = ["OutputSettings", "InputSettings", "store_output", "load_input", "table_schema_metadata"]


@dataclass(frozen=True)
class OutputSettings:
    """How an output is written: from the asset's metadata (`save_mode`, `partition_by`) and its partition."""

    save_mode: SaveMode = SaveMode.SAVE_MODE_OVERWRITE
    partition_by: Sequence[str] = ()
    #: replaceWhere: only the rows matching it are replaced (a partition's slice).
    predicate: str | None = None


@dataclass(frozen=True)
class InputSettings:
    """What an input loads: from AssetIn metadata (`columns`, `version`, `as_of`) and the partitions asked for."""

    columns: Sequence[str] | None = None
    version: int | None = None
    as_of: datetime | str | None = None
    predicate: str | None = None


def table_schema_metadata(schema: pa.Schema) -> TableSchema:
    """Dagster's column schema of an Arrow schema."""
    return TableSchema(columns=[TableColumn(name=field.name, type=str(field.type)) for field in schema])


def store_output(
    client: FusionServiceClient, path: Sequence[str], obj: Any, settings: OutputSettings
) -> dict[str, Any]:
    """Writes `obj` (pandas, polars or pyarrow) into the dataset `path`; returns the output metadata, computed
    from the data in hand and the dataset's FlightInfo (no scan of the stored data).
    """
    table = to_arrow_table(obj)
    dataset = client.get_dataset_client(list(path))
    result = dataset.write_into(
        table,
        settings.save_mode,
        partition_by=list(settings.partition_by) or None,
        predicate=settings.predicate,
    )
    info = dataset.info()
    version = info.version if info.version is not None else dataset.version()
    metadata: dict[str, Any] = {
        "dagster/row_count": MetadataValue.int(result.record_count),
        "dagster/column_schema": MetadataValue.table_schema(table_schema_metadata(info.schema)),
        "dataset_version": MetadataValue.int(version),
        "dataset_total_records": MetadataValue.int(info.total_records),
        "dataset_key": MetadataValue.text("/".join(path)),
        "save_mode": MetadataValue.text(settings.save_mode.name),
    }
    if settings.predicate is not None:
        metadata["partition_predicate"] = MetadataValue.text(settings.predicate)
    return metadata


def load_input(client: FusionServiceClient, path: Sequence[str], target: Any, settings: InputSettings) -> Any:
    """Loads the dataset `path` as `target` (pandas.DataFrame, polars.DataFrame/LazyFrame or pyarrow.Table)."""
    table = client.get_dataset_client(list(path)).load(
        columns=list(settings.columns) if settings.columns else None,
        version=settings.version,
        as_of=settings.as_of,
        predicate=settings.predicate,
    )
    return convert_table(table, target)


def parse_save_mode(metadata: Mapping[str, Any], default: SaveMode) -> SaveMode:
    value = metadata.get("save_mode")
    return default if value is None else SaveMode.parse(value)


def parse_columns(metadata: Mapping[str, Any]) -> list[str] | None:
    columns = metadata.get("columns")
    if columns is None:
        return None
    if isinstance(columns, str) or not all(isinstance(column, str) for column in columns):
        raise ValueError(f'Input metadata "columns" must be a list of column names, got {columns!r}.')
    return list(columns)


def parse_partition_by(metadata: Mapping[str, Any]) -> list[str]:
    value = metadata.get("partition_by") or []
    return [value] if isinstance(value, str) else list(value)
