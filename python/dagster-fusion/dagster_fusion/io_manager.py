"""The dataset IO manager: outputs are stored as datasets keyed by their asset key, inputs are loaded as the
type they are annotated with. `flight_fusion_io_manager` is the original definition (needs the `fusion_client`
resource); `FlightFusionIOManager` is the modern ConfigurableIOManagerFactory.

Asset metadata it reads:
- outputs: `save_mode` ("overwrite" by default, "append", "error_if_exists"), `partition_by` (columns),
  `partition_expr` (partitioned assets: the column, or {dimension: column}, holding the partition).
- inputs (`AssetIn(metadata=...)`): `columns`, `version` (pin a dataset version), `as_of` (a time).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
from dagster import (
    ConfigurableIOManagerFactory,
    InputContext,
    IOManager,
    MultiPartitionKey,
    OutputContext,
    TimeWindowPartitionsDefinition,
    io_manager,
)
from dagster import MultiPartitionsDefinition as _MultiPartitions
from flight_fusion import FusionServiceClient, SaveMode
from flight_fusion.table_conversion import to_arrow_table

from dagster_fusion.dataset_io import (
    InputSettings,
    OutputSettings,
    load_input,
    parse_columns,
    parse_partition_by,
    parse_save_mode,
    store_output,
)
from dagster_fusion.fusion_resource import FlightFusionResource
from dagster_fusion.partition_predicate import PartitionSlice, slice_predicate

__all__ = ["DatasetIOManager", "FlightFusionIOManager", "flight_fusion_io_manager"]


class PartitionExprMissingError(ValueError):
    """A partitioned asset stored by the dataset IO manager has no `partition_expr` metadata."""


def _definition_metadata(context: OutputContext | InputContext) -> Mapping[str, Any]:
    return context.definition_metadata or {}


def _partition_slice(context: OutputContext | InputContext) -> PartitionSlice:
    definition = context.asset_partitions_def
    if isinstance(definition, TimeWindowPartitionsDefinition):
        window = context.asset_partitions_time_window
        return PartitionSlice(time_window=(window.start, window.end), keys=context.asset_partition_keys)
    if isinstance(definition, _MultiPartitions):
        keys = [key for key in context.asset_partition_keys if isinstance(key, MultiPartitionKey)]
        dimensions: dict[str, PartitionSlice] = {}
        for dimension in definition.partitions_defs:
            values = sorted({key.keys_by_dimension[dimension.name] for key in keys})
            sub = dimension.partitions_def
            if isinstance(sub, TimeWindowPartitionsDefinition) and len(values) == 1:
                window = sub.time_window_for_partition_key(values[0])
                dimensions[dimension.name] = PartitionSlice(time_window=(window.start, window.end), keys=values)
            else:
                dimensions[dimension.name] = PartitionSlice(keys=values)
        return PartitionSlice(dimensions=dimensions)
    return PartitionSlice(keys=context.asset_partition_keys)


def _all_partitions(context: InputContext) -> bool:
    """Whether the step reads every partition of the upstream asset (then no filter is needed)."""
    definition = context.asset_partitions_def
    if definition is None:
        return True
    return set(context.asset_partition_keys) >= set(definition.get_partition_keys())


def _partition_expr(metadata: Mapping[str, Any], asset: str) -> str | Mapping[str, str]:
    expr = metadata.get("partition_expr")
    if expr is None:
        raise PartitionExprMissingError(
            f'Asset {asset} is partitioned: add metadata={{"partition_expr": "<column>"}} naming the column that '
            "holds the partition, so that each run replaces exactly its slice."
        )
    return expr


class DatasetIOManager(IOManager):
    """Stores outputs in, and loads inputs from, the datasets of an ML Fusion Flight server."""

    def __init__(self, client: FusionServiceClient) -> None:
        self._client = client

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        if obj is None:
            return
        path = list(context.asset_key.path)
        metadata = _definition_metadata(context)
        settings = OutputSettings(
            save_mode=parse_save_mode(metadata, SaveMode.SAVE_MODE_OVERWRITE),
            partition_by=parse_partition_by(metadata),
        )
        if context.has_asset_partitions:
            if settings.save_mode != SaveMode.SAVE_MODE_OVERWRITE:
                raise ValueError(
                    f"Asset {'/'.join(path)} is partitioned: its save_mode must be overwrite, so that re-running a "
                    "partition replaces exactly its rows."
                )
            table = to_arrow_table(obj)
            expr = _partition_expr(metadata, "/".join(path))
            predicate = slice_predicate(expr, _partition_slice(context), table.schema)
            settings = OutputSettings(settings.save_mode, settings.partition_by, predicate)
            obj = table
        context.add_output_metadata(store_output(self._client, path, obj, settings))

    def load_input(self, context: InputContext) -> Any:
        path = list(context.asset_key.path)
        metadata = _definition_metadata(context)
        predicate = None
        if context.has_asset_partitions and context.upstream_output is not None and not _all_partitions(context):
            upstream = _definition_metadata(context.upstream_output)
            expr = _partition_expr(upstream, "/".join(path))
            schema = self._client.get_dataset_client(path).schema()
            predicate = slice_predicate(expr, _partition_slice(context), schema)
        settings = InputSettings(
            columns=parse_columns(metadata),
            version=metadata.get("version"),
            as_of=metadata.get("as_of"),
            predicate=predicate,
        )
        target = context.dagster_type.typing_type if context.dagster_type is not None else pa.Table
        return load_input(self._client, path, target, settings)


class FlightFusionIOManager(ConfigurableIOManagerFactory):
    """Modern form of the dataset IO manager.

    @example
    Definitions(assets=[...], resources={"fusion_io": FlightFusionIOManager(fusion=FlightFusionResource())})
    """

    fusion: FlightFusionResource

    def create_io_manager(self, context: Any) -> DatasetIOManager:
        return DatasetIOManager(self.fusion.get_client())


@io_manager(
    description="Stores assets as ML Fusion datasets keyed by asset key (pandas, polars, pyarrow).",
    required_resource_keys={"fusion_client"},
)
def flight_fusion_io_manager(init_context: Any) -> DatasetIOManager:
    """The original IO manager definition; needs the `fusion_client` resource (flight_fusion_resource)."""
    return DatasetIOManager(init_context.resources.fusion_client)
