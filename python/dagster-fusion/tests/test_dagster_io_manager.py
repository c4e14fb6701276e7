"""The dataset IO manager with real Dagster runs, and the plain functions it adapts, against the real server."""

import pandas as pd
import polars as pl
import pyarrow as pa
from dagster import AssetIn, AssetKey, asset, materialize
from flight_fusion import FusionServiceClient, SaveMode

from dagster_fusion import InputSettings, OutputSettings, load_input, store_output


def test_store_output_and_load_input_as_plain_functions(fusion_client: FusionServiceClient, key_prefix) -> None:
    path = [*key_prefix, "plain"]
    metadata = store_output(fusion_client, path, pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}), OutputSettings())
    assert metadata["dagster/row_count"].value == 2
    assert metadata["dataset_version"].value == 0
    frame = load_input(fusion_client, path, pd.DataFrame, InputSettings(columns=["b"]))
    assert isinstance(frame, pd.DataFrame) and frame["b"].tolist() == ["x", "y"]
    lazy = load_input(fusion_client, path, pl.LazyFrame, InputSettings())
    assert lazy.collect().sort("a")["a"].to_list() == [1, 2]


def test_outputs_of_every_type_load_as_the_annotated_type(fusion_resources, key_prefix) -> None:
    @asset(key_prefix=key_prefix, io_manager_key="fusion_io")
    def from_pandas() -> pd.DataFrame:
        return pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64"), "s": ["a", "b", "c"]})

    @asset(key_prefix=key_prefix, io_manager_key="fusion_io")
    def from_polars(from_pandas: pl.DataFrame) -> pl.DataFrame:
        assert isinstance(from_pandas, pl.DataFrame)
        assert from_pandas.sort("s")["n"].to_list() == [1, None, 3]
        return from_pandas.with_columns(pl.col("n").fill_null(0))

    @asset(key_prefix=key_prefix, io_manager_key="fusion_io")
    def as_pandas(from_polars: pd.DataFrame) -> pa.Table:
        assert isinstance(from_polars, pd.DataFrame)
        assert str(from_polars["n"].dtype) == "int64"
        return pa.table({"total": [int(from_polars["n"].sum())]})

    result = materialize([from_pandas, from_polars, as_pandas], resources=fusion_resources)
    assert result.success
    events = result.get_asset_materialization_events()
    metadata = {event.asset_key: event.materialization.metadata for event in events}
    first = metadata[AssetKey([*key_prefix, "from_pandas"])]
    assert first["dagster/row_count"].value == 3
    column = first["dagster/column_schema"].value.columns[0]
    assert (column.name, column.type) == ("n", "int64")
    assert first["dataset_version"].value == 0
    assert first["save_mode"].value == "SAVE_MODE_OVERWRITE"


def test_materializing_again_overwrites_by_default_and_appends_when_asked(
    fusion_resources, fusion_client: FusionServiceClient, key_prefix
) -> None:
    @asset(key_prefix=key_prefix, io_manager_key="fusion_io")
    def snapshot() -> pa.Table:
        return pa.table({"a": [1, 2]})

    @asset(key_prefix=key_prefix, io_manager_key="fusion_io", metadata={"save_mode": "append"})
    def log() -> pa.Table:
        return pa.table({"a": [1, 2]})

    for _ in range(2):
        result = materialize([snapshot, log], resources=fusion_resources)
        assert result.success
    assert fusion_client.get_dataset_client([*key_prefix, "snapshot"]).load().num_rows == 2
    assert fusion_client.get_dataset_client([*key_prefix, "log"]).load().num_rows == 4
    events = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert events[AssetKey([*key_prefix, "log"])]["dataset_version"].value == 1


def test_an_input_can_pin_a_dataset_version(fusion_resources, fusion_client: FusionServiceClient, key_prefix) -> None:
    source = fusion_client.get_dataset_client([*key_prefix, "source"])
    source.write_into(pa.table({"v": [1]}), SaveMode.SAVE_MODE_OVERWRITE)
    source.write_into(pa.table({"v": [2]}), SaveMode.SAVE_MODE_OVERWRITE)
    source.write_into(pa.table({"v": [3]}), SaveMode.SAVE_MODE_OVERWRITE)
    seen: dict[str, list[int]] = {}

    def reader(name: str, metadata: dict) -> object:
        @asset(
            name=name,
            key_prefix=key_prefix,
            ins={"source": AssetIn(key=AssetKey([*key_prefix, "source"]), metadata=metadata)},
            io_manager_key="fusion_io",
        )
        def _reader(source: pa.Table) -> None:
            seen[name] = source["v"].to_pylist()

        return _reader

    from dagster import AssetSpec

    spec = AssetSpec(AssetKey([*key_prefix, "source"])).with_io_manager_key("fusion_io")
    result = materialize(
        [spec, reader("pinned_0", {"version": 0}), reader("pinned_1", {"version": 1}), reader("latest", {})],
        resources=fusion_resources,
    )
    assert result.success
    assert seen == {"pinned_0": [1], "pinned_1": [2], "latest": [3]}


def test_a_server_with_a_token_is_reached_with_the_configured_token(fusion_server_factory, key_prefix) -> None:
    from dagster_fusion import FlightFusionIOManager, FlightFusionResource

    server = fusion_server_factory(token="s3cret")

    @asset(key_prefix=key_prefix, io_manager_key="fusion_io")
    def secured() -> pa.Table:
        return pa.table({"a": [1]})

    fusion = FlightFusionResource(host=server.host, port=server.port, token="s3cret")
    assert materialize([secured], resources={"fusion_io": FlightFusionIOManager(fusion=fusion)}).success
    assert server.client_options().token == "s3cret"
    assert fusion.get_client().get_dataset_client([*key_prefix, "secured"]).load().num_rows == 1

    wrong = FlightFusionResource(host=server.host, port=server.port, token="guess")
    result = materialize([secured], resources={"fusion_io": FlightFusionIOManager(fusion=wrong)}, raise_on_error=False)
    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    error = failure.step_failure_data.error
    causes = [error]
    while causes[-1].cause is not None:
        causes.append(causes[-1].cause)
    assert any(cause.cls_name == "FusionAuthenticationError" for cause in causes)


def test_original_resources_take_env_sourced_config(fusion_server, monkeypatch, key_prefix) -> None:
    """The README's `{"env": VAR}` config syntax works with the original resource definitions."""
    from dagster_fusion import flight_fusion_io_manager, flight_fusion_resource, mlfusion_configuration

    monkeypatch.setenv("MY_FUSION_HOST", fusion_server.host)
    monkeypatch.setenv("MY_FUSION_PORT", str(fusion_server.port))
    monkeypatch.setenv("FF_PORT", "1")  # explicit config wins over FF_* variables

    @asset(key_prefix=key_prefix, io_manager_key="fusion_io")
    def configured() -> pa.Table:
        return pa.table({"a": [1, 2]})

    resources = {
        "mlfusion_config": mlfusion_configuration.configured(
            {"flight_host": {"env": "MY_FUSION_HOST"}, "flight_port": {"env": "MY_FUSION_PORT"}}
        ),
        "fusion_client": flight_fusion_resource,
        "fusion_io": flight_fusion_io_manager,
    }
    assert materialize([configured], resources=resources).success
