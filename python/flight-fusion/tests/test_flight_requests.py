"""The original protocol's messages as this client builds them (decoded with the generated classes)."""

from datetime import UTC, datetime, timedelta, timezone

import pyarrow.flight as flight
import pytest

from flight_fusion import AssetKey, SaveMode
from flight_fusion.asset_key import asset_key_path
from flight_fusion.flight_requests import (
    descriptor_path,
    drop_action,
    put_descriptor,
    query_ticket,
    read_ticket,
    source_reference,
    to_rfc3339,
)
from flight_fusion.ipc.v1alpha1 import (
    AreaSourceMetadata,
    FlightActionRequest,
    FlightDoGetRequest,
    FlightDoPutRequest,
)


def test_asset_key_maps_to_areas_and_name():
    source = source_reference(["demo", "model_training", "dataset"])
    assert list(source.location.areas) == ["demo", "model_training"]
    assert source.location.name == "dataset"


def test_save_mode_numbers_match_the_wire_enum():
    from flight_fusion.ipc.v1alpha1 import common_pb2

    for mode in SaveMode:
        assert common_pb2.SaveMode.Value(mode.name) == mode.value


def test_save_mode_parses_names_used_in_metadata():
    assert SaveMode.parse("overwrite") is SaveMode.SAVE_MODE_OVERWRITE
    assert SaveMode.parse("SAVE_MODE_APPEND") is SaveMode.SAVE_MODE_APPEND
    assert SaveMode.parse("error") is SaveMode.SAVE_MODE_ERROR_IF_EXISTS
    with pytest.raises(ValueError, match="Unknown save mode"):
        SaveMode.parse("upsert")


def test_put_descriptor_carries_a_delta_write_operation():
    descriptor = put_descriptor(["a", "b"], SaveMode.SAVE_MODE_OVERWRITE, ["month"], "month = '2024-01'")
    assert descriptor.descriptor_type == flight.DescriptorType.CMD
    request = FlightDoPutRequest.FromString(descriptor.command)
    write = request.delta.write
    assert (write.save_mode, list(write.partition_by), write.predicate) == (2, ["month"], "month = '2024-01'")
    assert request.delta.source.location.name == "b"


def test_put_descriptor_leaves_the_predicate_unset_when_none():
    request = FlightDoPutRequest.FromString(put_descriptor(["a", "b"], SaveMode.SAVE_MODE_APPEND).command)
    assert not request.delta.write.HasField("predicate")


def test_read_ticket_carries_time_travel_and_columns():
    request = FlightDoGetRequest.FromString(read_ticket(["a", "b"], ["x"], 3, None, "x > 1").ticket)
    read = request.delta.read
    assert (read.version, read.timestamp, read.predicate, list(read.column_names)) == (3, "", "x > 1", ["x"])


def test_query_ticket_uses_a_source_or_a_collection():
    single = FlightDoGetRequest.FromString(query_ticket("SELECT 1", [["a", "b"]]).ticket)
    assert single.query.WhichOneof("context") == "source"
    many = FlightDoGetRequest.FromString(query_ticket("SELECT 1", [["a", "b"], ["a", "c"]]).ticket)
    assert [s.location.name for s in many.query.collection.sources] == ["b", "c"]


def test_drop_action_is_the_original_flight_action_request():
    action = drop_action(["a", "b"])
    assert action.type == "drop"
    assert FlightActionRequest.FromString(action.body.to_pybytes()).drop.source.location.name == "b"


def test_descriptor_path_reads_path_and_cmd_descriptors():
    assert descriptor_path(flight.FlightDescriptor.for_path("a", "b")) == ["a", "b"]
    metadata = AreaSourceMetadata(name="b", source=source_reference(["a", "b"]))
    assert descriptor_path(flight.FlightDescriptor.for_command(metadata.SerializeToString())) == ["a", "b"]
    reference = source_reference(["x", "y", "z"]).SerializeToString()
    assert descriptor_path(flight.FlightDescriptor.for_command(reference)) == ["x", "y", "z"]


def test_rfc3339_takes_naive_datetimes_as_utc():
    assert to_rfc3339(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05Z"
    berlin = timezone(timedelta(hours=1))
    assert to_rfc3339(datetime(2024, 1, 2, 4, 4, 5, tzinfo=berlin)) == "2024-01-02T03:04:05Z"
    assert to_rfc3339(datetime(2024, 1, 2, tzinfo=UTC)) == "2024-01-02T00:00:00Z"


def test_asset_key_is_dagsters_when_dagster_is_installed():
    import dagster

    assert AssetKey is dagster.AssetKey
    assert asset_key_path(AssetKey(["demo", "x"])) == ["demo", "x"]
    assert asset_key_path("demo/x") == ["demo", "x"]


def test_local_asset_key_mirrors_dagsters():
    from flight_fusion.asset_key import _LocalAssetKey

    key = _LocalAssetKey(["demo", "model_training", "dataset"])
    assert key.path == ["demo", "model_training", "dataset"]
    assert key.to_user_string() == "demo/model_training/dataset"
    assert key == _LocalAssetKey.from_user_string("demo/model_training/dataset")
    assert asset_key_path(key) == ["demo", "model_training", "dataset"]


def test_asset_key_falls_back_to_the_local_class_without_dagster():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['dagster'] = None\n"
        "from flight_fusion import AssetKey\n"
        "print(AssetKey.__module__, AssetKey(['a', 'b']).path)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "flight_fusion.asset_key ['a', 'b']"
