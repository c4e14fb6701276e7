"""DatasetClient against the real server: writes in every save mode, reads, time travel, metadata, drop."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from flight_fusion import AssetKey, DatasetExistsError, DatasetNotFoundError, FusionServiceClient, SaveMode
from flight_fusion.errors import InvalidArgumentError


def test_writes_pandas_and_loads_a_pyarrow_table(fusion_client: FusionServiceClient, dataset_key: AssetKey) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    result = fds.write_into(df, SaveMode.SAVE_MODE_OVERWRITE)
    assert result.record_count == 3
    table = fds.load()
    assert isinstance(table, pa.Table)
    assert table.sort_by("a").to_pydict() == {"a": [1, 2, 3], "b": ["x", "y", "z"]}


def test_name_and_areas_address_the_same_dataset_as_the_asset_key(
    fusion_client: FusionServiceClient, dataset_key: AssetKey
) -> None:
    fusion_client.get_dataset_client(dataset_key).write_into(pa.table({"a": [1]}), SaveMode.SAVE_MODE_OVERWRITE)
    by_name = fusion_client.get_dataset_client(name=dataset_key.path[-1], areas=dataset_key.path[:-1])
    assert by_name.load().to_pydict() == {"a": [1]}
    assert fusion_client.get_dataset_client("/".join(dataset_key.path)).load().num_rows == 1


def test_writes_polars_and_pyarrow_data(fusion_client: FusionServiceClient, dataset_key: AssetKey) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    fds.write_into(pl.DataFrame({"a": [1, 2], "s": ["p", "q"]}), SaveMode.SAVE_MODE_OVERWRITE)
    fds.write_into(pa.table({"a": [3], "s": ["r"]}), SaveMode.SAVE_MODE_APPEND)
    fds.write_into(pa.record_batch({"a": [4], "s": ["t"]}), SaveMode.SAVE_MODE_APPEND)
    loaded = pl.from_arrow(fds.load()).sort("a")
    assert loaded["a"].to_list() == [1, 2, 3, 4]
    assert loaded["s"].to_list() == ["p", "q", "r", "t"]


def test_append_adds_rows_and_overwrite_replaces_them(
    fusion_client: FusionServiceClient, dataset_key: AssetKey
) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    fds.write_into(pa.table({"a": [1, 2]}), SaveMode.SAVE_MODE_APPEND)
    fds.write_into(pa.table({"a": [3]}), SaveMode.SAVE_MODE_APPEND)
    assert sorted(fds.load()["a"].to_pylist()) == [1, 2, 3]
    fds.write_into(pa.table({"a": [9]}), SaveMode.SAVE_MODE_OVERWRITE)
    assert fds.load()["a"].to_pylist() == [9]


def test_error_if_exists_creates_once_then_raises(fusion_client: FusionServiceClient, dataset_key: AssetKey) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    fds.write_into(pa.table({"a": [1]}), SaveMode.SAVE_MODE_ERROR_IF_EXISTS)
    with pytest.raises(DatasetExistsError):
        fds.write_into(pa.table({"a": [2]}), SaveMode.SAVE_MODE_ERROR_IF_EXISTS)
    assert fds.load()["a"].to_pylist() == [1]


def test_append_with_another_schema_is_refused_naming_the_column(
    fusion_client: FusionServiceClient, dataset_key: AssetKey
) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    fds.write_into(pa.table({"a": [1]}), SaveMode.SAVE_MODE_OVERWRITE)
    with pytest.raises(InvalidArgumentError, match="b"):
        fds.write_into(pa.table({"a": [1], "b": [2]}), SaveMode.SAVE_MODE_APPEND)


def test_loads_selected_columns(fusion_client: FusionServiceClient, dataset_key: AssetKey) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    fds.write_into(pa.table({"a": [1], "b": [2.0], "c": ["x"]}), SaveMode.SAVE_MODE_OVERWRITE)
    assert fds.load(columns=["c", "a"]).column_names == ["c", "a"]


def test_partition_by_and_replace_where_overwrite_only_the_slice(
    fusion_client: FusionServiceClient, dataset_key: AssetKey
) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    data = pa.table({"month": ["2024-01", "2024-01", "2024-02"], "v": [1, 2, 3]})
    fds.write_into(data, SaveMode.SAVE_MODE_OVERWRITE, partition_by=["month"])
    fds.write_into(
        pa.table({"month": ["2024-01"], "v": [10]}),
        SaveMode.SAVE_MODE_OVERWRITE,
        partition_by=["month"],
        predicate="month = '2024-01'",
    )
    rows = sorted(zip(*fds.load().to_pydict().values(), strict=True))
    assert rows == [("2024-01", 10), ("2024-02", 3)]
    assert fds.load(predicate="month = '2024-02'")["v"].to_pylist() == [3]


def test_time_travel_by_version_and_timestamp(fusion_client: FusionServiceClient, dataset_key: AssetKey) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    fds.write_into(pa.table({"a": [1]}), SaveMode.SAVE_MODE_OVERWRITE)
    time.sleep(0.01)  # commit timestamps have millisecond resolution
    between = datetime.now(UTC)
    time.sleep(0.01)
    fds.write_into(pa.table({"a": [2]}), SaveMode.SAVE_MODE_APPEND)
    fds.write_into(pa.table({"a": [3]}), SaveMode.SAVE_MODE_APPEND)
    assert fds.version() == 2
    assert fds.load_version(0)["a"].to_pylist() == [1]
    assert sorted(fds.load(version=1)["a"].to_pylist()) == [1, 2]
    assert fds.load(as_of=between)["a"].to_pylist() == [1]
    assert sorted(fds.load()["a"].to_pylist()) == [1, 2, 3]


def test_history_lists_commits_newest_first(fusion_client: FusionServiceClient, dataset_key: AssetKey) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    fds.write_into(pa.table({"a": [1, 2]}), SaveMode.SAVE_MODE_OVERWRITE)
    fds.write_into(pa.table({"a": [3]}), SaveMode.SAVE_MODE_APPEND)
    history = fds.history()
    assert [entry.version for entry in history] == [1, 0]
    assert history[0].rows_added == 1
    assert history[0].timestamp is not None and history[0].timestamp.tzinfo is not None
    assert [entry.version for entry in fds.history(limit=1)] == [1]


def test_schema_info_and_metadata_without_reading_data(
    fusion_client: FusionServiceClient, dataset_key: AssetKey
) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    fds.write_into(pa.table({"a": pa.array([1, 2], pa.int32()), "b": ["x", "y"]}), SaveMode.SAVE_MODE_OVERWRITE)
    assert fds.schema().field("a").type == pa.int32()
    info = fds.info()
    assert (info.total_records, info.path) == (2, list(dataset_key.path))
    updated = fds.set_metadata(description="demo data", tags={"team": "ml"}, properties={"owner": "me"})
    assert updated.description == "demo data"
    metadata = fds.get_metadata()
    assert (metadata.description, metadata.tags, metadata.properties["owner"]) == ("demo data", {"team": "ml"}, "me")
    assert metadata.id


def test_list_datasets_and_drop(fusion_client: FusionServiceClient, dataset_key: AssetKey) -> None:
    area = [*dataset_key.path[:-1], dataset_key.path[-1] + "_area"]
    first = fusion_client.get_dataset_client(AssetKey([*area, "one"]))
    second = fusion_client.get_dataset_client(AssetKey([*area, "two"]))
    first.write_into(pa.table({"a": [1]}), SaveMode.SAVE_MODE_OVERWRITE)
    second.write_into(pa.table({"a": [1]}), SaveMode.SAVE_MODE_OVERWRITE)
    assert fusion_client.list_datasets(area) == [AssetKey([*area, "one"]), AssetKey([*area, "two"])]
    assert AssetKey([*area, "one"]) in fusion_client.list_datasets()
    first.drop()
    assert fusion_client.list_datasets(area) == [AssetKey([*area, "two"])]
    assert not first.exists()
    with pytest.raises(DatasetNotFoundError):
        first.load()


def test_empty_tables_keep_their_schema(fusion_client: FusionServiceClient, dataset_key: AssetKey) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    fds.write_into(pa.table({"a": pa.array([], pa.int64())}), SaveMode.SAVE_MODE_OVERWRITE)
    loaded = fds.load()
    assert loaded.num_rows == 0
    assert loaded.schema.field("a").type == pa.int64()


def test_many_batches_round_trip(fusion_client: FusionServiceClient, dataset_key: AssetKey) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    n = 300_000
    fds.write_into(pa.table({"i": pa.array(range(n), pa.int64())}), SaveMode.SAVE_MODE_OVERWRITE)
    loaded = fds.load()
    assert loaded.num_rows == n
    assert pa.compute.sum(loaded["i"]).as_py() == n * (n - 1) // 2


def test_version_zero_keeps_its_types_and_honours_columns_and_predicate(
    fusion_client: FusionServiceClient, dataset_key: AssetKey
) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    first = pa.table(
        {
            "i": pa.array([1, 2], pa.int32()),
            "when": pa.array([datetime(2024, 1, 1), datetime(2024, 1, 2)], pa.timestamp("us", tz="Europe/Berlin")),
        }
    )
    fds.write_into(first, SaveMode.SAVE_MODE_OVERWRITE)
    fds.write_into(first, SaveMode.SAVE_MODE_APPEND)  # version 1, immediately after version 0
    assert fds.load_version(0).sort_by("i").equals(first)
    assert fds.load(version=0, columns=["when", "i"], predicate="i = 2").to_pydict() == {
        "when": [datetime(2024, 1, 2, tzinfo=UTC)],
        "i": [2],
    }
