"""Partitioned assets: each materialization replaces exactly its partition's rows (replaceWhere), so re-running
a partition is idempotent; downstream partitions load only their slice."""

from datetime import datetime

import pandas as pd
import pyarrow as pa
import pytest
from dagster import (
    AssetExecutionContext,
    AssetKey,
    MonthlyPartitionsDefinition,
    StaticPartitionsDefinition,
    asset,
    materialize,
)
from flight_fusion import FusionServiceClient

MONTHLY = MonthlyPartitionsDefinition(start_date="2024-01-01")


def _monthly_assets(prefix: list[str], runs: dict[str, int]) -> list:
    @asset(
        key_prefix=prefix,
        partitions_def=MONTHLY,
        io_manager_key="fusion_io",
        metadata={"partition_expr": "day"},
    )
    def readings(context: AssetExecutionContext) -> pd.DataFrame:
        window = context.partition_time_window
        days = pd.date_range(window.start, window.end, freq="D", inclusive="left")
        runs[context.partition_key] = runs.get(context.partition_key, 0) + 1
        return pd.DataFrame({"day": days, "run": runs[context.partition_key], "value": range(len(days))})

    @asset(key_prefix=prefix, partitions_def=MONTHLY, io_manager_key="fusion_io", metadata={"partition_expr": "day"})
    def monthly_totals(context: AssetExecutionContext, readings: pa.Table) -> pa.Table:
        days = readings["day"].to_pylist()
        window = context.partition_time_window
        assert all(window.start <= day < window.end for day in days), "loaded rows outside the partition"
        return pa.table({"day": pa.array([window.start], pa.timestamp("us", tz="UTC")), "rows": [readings.num_rows]})

    return [readings, monthly_totals]


def test_monthly_partitions_materialized_twice_hold_exactly_the_right_rows(
    fusion_resources, fusion_client: FusionServiceClient, key_prefix: list[str]
) -> None:
    runs: dict[str, int] = {}
    assets = _monthly_assets(key_prefix, runs)
    for partition in ["2024-01-01", "2024-02-01", "2024-01-01"]:
        result = materialize(assets, partition_key=partition, resources=fusion_resources)
        assert result.success

    stored = fusion_client.get_dataset_client(AssetKey([*key_prefix, "readings"])).load().to_pandas()
    per_month = stored.groupby(stored["day"].dt.strftime("%Y-%m")).agg(rows=("day", "size"), runs=("run", "unique"))
    assert per_month.loc["2024-01", "rows"] == 31 and list(per_month.loc["2024-01", "runs"]) == [2]
    assert per_month.loc["2024-02", "rows"] == 29 and list(per_month.loc["2024-02", "runs"]) == [1]
    assert len(stored) == 60 and not stored["day"].duplicated().any()

    totals = fusion_client.get_dataset_client(AssetKey([*key_prefix, "monthly_totals"])).load().sort_by("day")
    assert totals["rows"].to_pylist() == [31, 29]
    assert totals["day"].to_pylist()[0] == datetime.fromisoformat("2024-01-01T00:00:00+00:00")


def test_static_partitions_replace_their_keys(
    fusion_resources, fusion_client: FusionServiceClient, key_prefix: list[str]
) -> None:
    regions = StaticPartitionsDefinition(["eu", "us"])
    calls: list[str] = []

    @asset(
        key_prefix=key_prefix,
        partitions_def=regions,
        io_manager_key="fusion_io",
        metadata={"partition_expr": "region", "partition_by": ["region"]},
    )
    def sales(context: AssetExecutionContext) -> pa.Table:
        calls.append(context.partition_key)
        n = len(calls)
        return pa.table({"region": [context.partition_key] * 2, "amount": [n, n]})

    for region in ["eu", "us", "eu"]:
        assert materialize([sales], partition_key=region, resources=fusion_resources).success
    stored = fusion_client.get_dataset_client(AssetKey([*key_prefix, "sales"])).load()
    rows = sorted(zip(stored["region"].to_pylist(), stored["amount"].to_pylist(), strict=True))
    assert rows == [("eu", 3), ("eu", 3), ("us", 2), ("us", 2)]


def test_a_partitioned_asset_without_partition_expr_fails_saying_what_to_add(
    fusion_resources, key_prefix: list[str]
) -> None:
    @asset(key_prefix=key_prefix, partitions_def=MONTHLY, io_manager_key="fusion_io")
    def unlabeled(context: AssetExecutionContext) -> pa.Table:
        return pa.table({"a": [1]})

    with pytest.raises(ValueError, match="partition_expr"):
        materialize([unlabeled], partition_key="2024-01-01", resources=fusion_resources)


def test_multi_partitions_replace_the_slice_of_both_dimensions(
    fusion_resources, fusion_client: FusionServiceClient, key_prefix: list[str]
) -> None:
    from dagster import MultiPartitionKey, MultiPartitionsDefinition

    partitions = MultiPartitionsDefinition({"month": MONTHLY, "region": StaticPartitionsDefinition(["eu", "us"])})
    runs: list[str] = []

    @asset(
        key_prefix=key_prefix,
        partitions_def=partitions,
        io_manager_key="fusion_io",
        metadata={"partition_expr": {"month": "day", "region": "region"}},
    )
    def regional(context: AssetExecutionContext) -> pd.DataFrame:
        key = context.partition_key.keys_by_dimension
        runs.append(str(context.partition_key))
        days = pd.date_range(key["month"], periods=2, freq="D", tz="UTC")
        return pd.DataFrame({"day": days, "region": key["region"], "run": len(runs)})

    for month, region in [("2024-01-01", "eu"), ("2024-01-01", "us"), ("2024-02-01", "eu"), ("2024-01-01", "eu")]:
        key = MultiPartitionKey({"month": month, "region": region})
        assert materialize([regional], partition_key=key, resources=fusion_resources).success

    stored = fusion_client.get_dataset_client(AssetKey([*key_prefix, "regional"])).load().to_pandas()
    got = sorted(zip(stored["day"].dt.strftime("%Y-%m"), stored["region"], stored["run"], strict=True))
    assert got == [("2024-01", "eu", 4)] * 2 + [("2024-01", "us", 2)] * 2 + [("2024-02", "eu", 3)] * 2
