"""`FusionServiceClient`: the entry point to an ML Fusion Flight server."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import pyarrow.flight as flight

from flight_fusion import asset_key as asset_keys
from flight_fusion.asset_key import asset_key_path
from flight_fusion.client_options import ClientOptions
from flight_fusion.errors import translate_errors
from flight_fusion.flight_requests import descriptor_path

if TYPE_CHECKING:
    from flight_fusion.asset_key import AssetKey
    from flight_fusion.context_client import ContextClient
    from flight_fusion.dataset_client import DatasetClient

__all__ = ["FusionServiceClient"]


class FusionServiceClient:
    """A client of one Flight server; cheap to create, safe to share between threads.

    @example
    ffc = FusionServiceClient(ClientOptions(host="localhost", port=50051))
    fds = ffc.get_dataset_client(name="new_dataset", areas=["demo"])
    """

    def __init__(self, options: ClientOptions | None = None, **overrides: Any) -> None:
        self.options = options if options is not None else ClientOptions(**overrides)
        self._flight = flight.FlightClient(
            self.options.location,
            generic_options=[
                ("grpc.max_receive_message_length", -1),
                ("grpc.max_send_message_length", -1),
            ],
        )

    @property
    def flight_client(self) -> flight.FlightClient:
        """The underlying pyarrow FlightClient, for plain Flight calls."""
        return self._flight

    def call_options(self, data: bool = False) -> flight.FlightCallOptions:
        """Per-call options: the timeout (`data_timeout` for data transfers) and, when a token is set, the bearer
        authorization header."""
        headers = []
        if self.options.token:
            headers.append((b"authorization", f"Bearer {self.options.token}".encode()))
        timeout = self.options.data_timeout if data else self.options.timeout
        return flight.FlightCallOptions(timeout=timeout, headers=headers)

    def errors(self, data: bool = False) -> AbstractContextManager[None]:
        """Translates Flight failures of the calls made inside the block (see flight_fusion.errors)."""
        return translate_errors(self.options.location, self.options.data_timeout if data else self.options.timeout)

    def get_dataset_client(
        self,
        asset_key: AssetKey | Sequence[str] | str | None = None,
        *,
        name: str | None = None,
        areas: Sequence[str] | None = None,
    ) -> DatasetClient:
        """A client for one dataset, named by an asset key or by `name` and `areas` (the original README's form)."""
        from flight_fusion.dataset_client import DatasetClient

        if asset_key is not None and name is not None:
            raise ValueError("Pass either an asset key or name (and areas), not both.")
        if asset_key is not None:
            path = asset_key_path(asset_key)
        elif name is not None:
            path = [*(areas or []), name]
        else:
            raise ValueError(
                "Name the dataset: get_dataset_client(asset_key) or get_dataset_client(name=..., areas=...)."
            )
        if not path or any(not isinstance(segment, str) or not segment for segment in path):
            raise ValueError(f"Every asset key segment must be a non-empty string, got {path!r}.")
        return DatasetClient(self, path)

    def get_context(self, keys: Sequence[AssetKey | Sequence[str] | str]) -> ContextClient:
        """A query context over several datasets: `get_context([key_a, key_b]).query(sql)`."""
        from flight_fusion.context_client import ContextClient

        if not keys:
            raise ValueError("A context needs at least one dataset key.")
        return ContextClient(self, [asset_key_path(key) for key in keys])

    def list_datasets(self, prefix: AssetKey | Sequence[str] | str | None = None) -> list[AssetKey]:
        """The asset keys of all datasets, or of those under an area prefix such as ["demo"]."""
        criteria = b""
        if prefix is not None:
            criteria = ("/".join(asset_key_path(prefix)) + "/").encode()
        keys: list[AssetKey] = []
        with self.errors():
            for info in self._iter_flights(criteria):
                path = descriptor_path(info.descriptor)
                if path:
                    keys.append(asset_keys.AssetKey(path))
        return sorted(keys, key=lambda key: list(key.path))

    def _iter_flights(self, criteria: bytes) -> Iterator[flight.FlightInfo]:
        yield from self._flight.list_flights(criteria, self.call_options())

    def close(self) -> None:
        """Closes the connection."""
        self._flight.close()

    def __enter__(self) -> FusionServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FusionServiceClient({self.options.location!r})"
