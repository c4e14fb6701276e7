"""The taxi sample (../shared/data/taxi beside the repository) through a weekly-partitioned raw -> refined
pipeline and an unpartitioned summary, like the original project's example; one week is re-run to show that it
replaces its rows."""

from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dagster import AssetExecutionContext, AssetIn, AssetKey, WeeklyPartitionsDefinition, asset, materialize
from flight_fusion import FusionServiceClient

REPO_ROOT = Path(__file__).resolve().parents[3]
TAXI = REPO_ROOT.parent / "shared" / "data" / "taxi"
WEEKS = WeeklyPartitionsDefinition(start_date="2014-12-29", day_offset=1, end_date="2015-02-02")
PREFIX = ["taxi"]


def _sample() -> pa.Table:
    files = sorted(TAXI.glob("*.parquet"))
    if not files:
        pytest.skip(f"The taxi sample is absent: no Parquet files in {TAXI} (../shared/data/taxi beside the repo).")
    return pa.concat_tables([pq.read_table(file) for file in files])


@asset(
    key_prefix=PREFIX,
    partitions_def=WEEKS,
    io_manager_key="fusion_io",
    metadata={"partition_expr": "tpep_pickup_datetime"},
)
def raw_trips(context: AssetExecutionContext) -> pa.Table:
    """One week of raw trips, as in the source files (all-null columns typed as double: Delta has no null type)."""
    table = _sample()
    window = context.partition_time_window
    start = pa.scalar(window.start.replace(tzinfo=None), pa.timestamp("us"))
    end = pa.scalar(window.end.replace(tzinfo=None), pa.timestamp("us"))
    pickup = table["tpep_pickup_datetime"]
    table = table.filter(pc.and_(pc.greater_equal(pickup, start), pc.less(pickup, end)))
    for index, field in enumerate(table.schema):
        if pa.types.is_null(field.type):
            table = table.set_column(index, field.name, pc.cast(table[field.name], pa.float64()))
    return table


@asset(
    key_prefix=PREFIX,
    partitions_def=WEEKS,
    io_manager_key="fusion_io",
    metadata={"partition_expr": "pickup_date"},
    ins={
        "raw_trips": AssetIn(
            key=AssetKey([*PREFIX, "raw_trips"]),
            metadata={"columns": ["tpep_pickup_datetime", "tpep_dropoff_datetime", "trip_distance", "total_amount"]},
        )
    },
)
def refined_trips(raw_trips: pl.DataFrame) -> pl.DataFrame:
    """Valid trips with their date and duration."""
    return raw_trips.filter(pl.col("trip_distance") > 0).select(
        pl.col("tpep_pickup_datetime").dt.date().alias("pickup_date"),
        ((pl.col("tpep_dropoff_datetime") - pl.col("tpep_pickup_datetime")).dt.total_seconds() / 60).alias(
            "trip_minutes"
        ),
        pl.col("trip_distance"),
        pl.col("total_amount"),
    )


@asset(
    key_prefix=PREFIX,
    io_manager_key="fusion_io",
    ins={"refined_trips": AssetIn(key=AssetKey([*PREFIX, "refined_trips"]))},
)
def daily_summary(refined_trips: pd.DataFrame) -> pd.DataFrame:
    """Trips and revenue per day over all weeks."""
    return (
        refined_trips.groupby("pickup_date", as_index=False)
        .agg(trips=("total_amount", "size"), revenue=("total_amount", "sum"))
        .sort_values("pickup_date")
    )


def test_taxi_sample_through_partitioned_raw_and_refined(fusion_resources, fusion_client: FusionServiceClient) -> None:
    sample = _sample()
    weeks = WEEKS.get_partition_keys()
    assert len(weeks) == 5
    for week in [*weeks, weeks[1]]:  # the second week twice: the re-run replaces its rows
        assert materialize([raw_trips, refined_trips], partition_key=week, resources=fusion_resources).success
    assert materialize(
        [daily_summary, raw_trips.to_source_asset(), refined_trips.to_source_asset()], resources=fusion_resources
    ).success

    raw = fusion_client.get_dataset_client(AssetKey([*PREFIX, "raw_trips"])).load()
    assert raw.num_rows == sample.num_rows
    assert sorted(raw["tpep_pickup_datetime"].to_pylist()) == sorted(sample["tpep_pickup_datetime"].to_pylist())

    expected = sample.to_pandas()
    expected = expected[expected["trip_distance"] > 0]
    refined = fusion_client.get_dataset_client(AssetKey([*PREFIX, "refined_trips"])).load()
    assert refined.num_rows == len(expected)
    assert refined.schema.field("pickup_date").type == pa.date32()

    summary = fusion_client.get_dataset_client(AssetKey([*PREFIX, "daily_summary"])).load().to_pandas()
    by_day = expected.groupby(expected["tpep_pickup_datetime"].dt.date)["total_amount"].agg(["size", "sum"])
    assert summary["trips"].tolist() == by_day["size"].tolist()
    assert summary["revenue"].round(6).tolist() == by_day["sum"].round(6).tolist()
