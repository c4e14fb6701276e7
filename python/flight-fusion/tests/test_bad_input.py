"""Bad input a user meets: no server, an unknown dataset, a wrong or missing token, nonsense keys."""

from __future__ import annotations

import socket
import time

import pyarrow as pa
import pytest

from flight_fusion import (
    AssetKey,
    ClientOptions,
    DatasetNotFoundError,
    FusionAuthenticationError,
    FusionConnectionError,
    FusionServiceClient,
    SaveMode,
)
from flight_fusion.errors import InvalidArgumentError


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_server_not_running_raises_a_connection_error_within_the_timeout() -> None:
    port = _closed_port()
    client = FusionServiceClient(ClientOptions(host="127.0.0.1", port=port, timeout=5, env={}))
    fds = client.get_dataset_client(name="anything", areas=["demo"])
    started = time.monotonic()
    with pytest.raises(FusionConnectionError) as caught:
        fds.write_into(pa.table({"a": [1]}), SaveMode.SAVE_MODE_APPEND)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert f"grpc://127.0.0.1:{port}" in message and "fusion start flight" in message
    with pytest.raises(FusionConnectionError):
        fds.load()
    with pytest.raises(FusionConnectionError):
        client.list_datasets()


def test_unknown_dataset_raises_not_found(fusion_client: FusionServiceClient) -> None:
    fds = fusion_client.get_dataset_client(name="does_not_exist", areas=["nowhere"])
    with pytest.raises(DatasetNotFoundError, match="nowhere/does_not_exist"):
        fds.load()
    with pytest.raises(DatasetNotFoundError):
        fds.schema()
    with pytest.raises(DatasetNotFoundError):
        fds.history()
    with pytest.raises(DatasetNotFoundError):
        fds.drop()
    assert not fds.exists()


def test_unknown_version_raises_not_found(fusion_client: FusionServiceClient, dataset_key: AssetKey) -> None:
    fds = fusion_client.get_dataset_client(dataset_key)
    fds.write_into(pa.table({"a": [1]}), SaveMode.SAVE_MODE_OVERWRITE)
    with pytest.raises(DatasetNotFoundError):
        fds.load(version=42)


def test_wrong_or_missing_token_raises_an_authentication_error(fusion_server_factory) -> None:
    server = fusion_server_factory(token="s3cret")
    good = FusionServiceClient(ClientOptions(host=server.host, port=server.port, token="s3cret", env={}))
    good.get_dataset_client(name="d", areas=["auth"]).write_into(pa.table({"a": [1]}), SaveMode.SAVE_MODE_OVERWRITE)
    assert good.list_datasets() == [AssetKey(["auth", "d"])]

    wrong = FusionServiceClient(ClientOptions(host=server.host, port=server.port, token="guess", env={}))
    with pytest.raises(FusionAuthenticationError, match="token"):
        wrong.get_dataset_client(name="d", areas=["auth"]).load()
    missing = FusionServiceClient(ClientOptions(host=server.host, port=server.port, env={}))
    with pytest.raises(FusionAuthenticationError):
        missing.list_datasets()


def test_token_comes_from_ff_token(fusion_server_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    server = fusion_server_factory(token="from-env")
    monkeypatch.setenv("FF_HOST", server.host)
    monkeypatch.setenv("FF_PORT", str(server.port))
    monkeypatch.setenv("FF_TOKEN", "from-env")
    assert FusionServiceClient().list_datasets() == []


@pytest.mark.parametrize("segment", ["..", ".hidden", "a/b", "_delta_log"])
def test_keys_that_could_escape_the_data_root_are_refused(fusion_client: FusionServiceClient, segment: str) -> None:
    fds = fusion_client.get_dataset_client(AssetKey(["bad", segment]))
    with pytest.raises(InvalidArgumentError):
        fds.write_into(pa.table({"a": [1]}), SaveMode.SAVE_MODE_OVERWRITE)


def test_predicate_without_overwrite_is_refused_before_sending(fusion_client: FusionServiceClient) -> None:
    fds = fusion_client.get_dataset_client(name="x", areas=["bad"])
    with pytest.raises(ValueError, match="SAVE_MODE_OVERWRITE"):
        fds.write_into(pa.table({"a": [1]}), SaveMode.SAVE_MODE_APPEND, predicate="a = 1")
    with pytest.raises(ValueError, match="partition_by"):
        fds.write_into(pa.table({"a": [1]}), SaveMode.SAVE_MODE_OVERWRITE, partition_by=["nope"])
    with pytest.raises(TypeError, match="pandas or polars"):
        fds.write_into({"a": [1]}, SaveMode.SAVE_MODE_OVERWRITE)
