"""SQL through the original CommandExecuteQuery: over one dataset, and over a context of several."""

import pyarrow as pa

from flight_fusion import AssetKey, FusionServiceClient, SaveMode


def test_dataset_query_names_the_dataset_by_its_last_segment(
    fusion_client: FusionServiceClient, dataset_key: AssetKey
) -> None:
    fds = fusion_client.get_dataset_client(AssetKey([*dataset_key.path[:-1], "trips"]))
    fds.write_into(pa.table({"city": ["a", "a", "b"], "fare": [1.0, 2.0, 5.0]}), SaveMode.SAVE_MODE_OVERWRITE)
    result = fds.query("SELECT city, sum(fare) AS total FROM trips GROUP BY city ORDER BY city")
    assert result.to_pydict() == {"city": ["a", "b"], "total": [3.0, 5.0]}


def test_context_query_joins_datasets(fusion_client: FusionServiceClient, dataset_key: AssetKey) -> None:
    area = [*dataset_key.path]
    left = AssetKey([*area, "orders"])
    right = AssetKey([*area, "customers"])
    fusion_client.get_dataset_client(left).write_into(
        pa.table({"customer_id": [1, 2, 1], "amount": [10, 20, 30]}), SaveMode.SAVE_MODE_OVERWRITE
    )
    fusion_client.get_dataset_client(right).write_into(
        pa.table({"customer_id": [1, 2], "name": ["ann", "bob"]}), SaveMode.SAVE_MODE_OVERWRITE
    )
    result = fusion_client.get_context([left, right]).query(
        "SELECT name, sum(amount) AS total FROM orders JOIN customers USING (customer_id) GROUP BY name ORDER BY name"
    )
    assert result.to_pydict() == {"name": ["ann", "bob"], "total": [40, 20]}
