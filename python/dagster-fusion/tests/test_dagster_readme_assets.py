"""The original README's Dagster material on Dagster 1.13: its RESOURCES_LOCAL dict and its assets
(`dataset` -> `training_data` with column selection, annotated pa.Table and pl.DataFrame), materialized end to end.

Adaptations, because Dagster 1.13 removed the APIs the README used: `@asset(namespace=...)` is `key_prefix=...`,
`AssetIn(asset_key=...)` is `AssetIn(key=...)`, and the README's `...` bodies return real data.
"""

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from dagster import AssetIn, AssetKey, OpExecutionContext, asset, materialize
from flight_fusion import FusionServiceClient

from dagster_fusion import flight_fusion_io_manager, flight_fusion_resource, mlfusion_configuration

DATASET_KEY = AssetKey(["demo", "model_training", "dataset"])
TRAINING_KEY = AssetKey(["demo", "model_training", "training_data"])


@pytest.fixture
def resources_local(fusion_server, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """RESOURCES_LOCAL as in the README (minus the MLflow entries); the server is found through FF_HOST/FF_PORT."""
    monkeypatch.setenv("FF_HOST", fusion_server.host)
    monkeypatch.setenv("FF_PORT", str(fusion_server.port))
    return {
        "mlfusion_config": mlfusion_configuration.configured({"mlflow_tracking_uri": "http://localhost:5000"}),
        "fusion_client": flight_fusion_resource,
        "fusion_io": flight_fusion_io_manager,
    }


@asset(
    name="dataset",
    key_prefix=["demo", "model_training"],
    description="Randomly generated dataset for regression problem.",
    io_manager_key="fusion_io",
)
def dataset(context: OpExecutionContext) -> pa.Table:
    rng = np.random.default_rng(42)
    features = rng.normal(size=(100, 3))
    frame = pd.DataFrame(features, columns=["feature_1", "feature_2", "feature_3"])
    frame["target"] = features @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.1, size=100)
    return pa.Table.from_pandas(frame)


def _training_data_asset(annotation: type) -> object:
    @asset(
        name="training_data",
        key_prefix=["demo", "model_training"],
        description="Data used for model training",
        io_manager_key="fusion_io",
        ins={
            "dataset": AssetIn(
                key=AssetKey(["demo", "model_training", "dataset"]),
                metadata={"columns": ["feature_1", "feature_2", "target"]},
            )
        },
    )
    def training_data(context: OpExecutionContext, dataset: annotation) -> pa.Table:  # type: ignore[valid-type]
        assert isinstance(dataset, annotation), type(dataset)
        assert list(dataset.columns if isinstance(dataset, pl.DataFrame) else dataset.column_names) == [
            "feature_1",
            "feature_2",
            "target",
        ]
        table = dataset.to_arrow() if isinstance(dataset, pl.DataFrame) else dataset
        return table.filter(pa.compute.greater(table["target"], 0))

    return training_data


@pytest.mark.parametrize("annotation", [pa.Table, pl.DataFrame], ids=["pa.Table", "pl.DataFrame"])
def test_readme_assets_materialize_end_to_end(resources_local, fusion_client: FusionServiceClient, annotation) -> None:
    result = materialize([dataset, _training_data_asset(annotation)], resources=resources_local)
    assert result.success

    stored = fusion_client.get_dataset_client(DATASET_KEY).load()
    assert stored.num_rows == 100 and stored.column_names == ["feature_1", "feature_2", "feature_3", "target"]
    training = fusion_client.get_dataset_client(TRAINING_KEY).load()
    assert training.column_names == ["feature_1", "feature_2", "target"]
    assert training.num_rows == pa.compute.sum(pa.compute.greater(stored["target"], 0)).as_py()

    materializations = {m.asset_key: m for m in result.asset_materializations_for_node("demo__model_training__dataset")}
    metadata = materializations[DATASET_KEY].metadata
    assert metadata["dagster/row_count"].value == 100
    assert [c.name for c in metadata["dagster/column_schema"].value.columns] == stored.column_names
    assert metadata["dataset_version"].value == fusion_client.get_dataset_client(DATASET_KEY).version()
