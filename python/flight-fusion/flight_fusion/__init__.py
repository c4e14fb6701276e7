"""flight_fusion: the Python client of the ML Fusion platform's Arrow Flight service.

@example
from flight_fusion import FusionServiceClient, ClientOptions, SaveMode
ffc = FusionServiceClient(ClientOptions(host="localhost", port=50051))
fds = ffc.get_dataset_client(name="new_dataset", areas=["demo"])
fds.write_into(df, SaveMode.SAVE_MODE_OVERWRITE)
"""

from typing import Any

from flight_fusion.client_options import ClientOptions
from flight_fusion.context_client import ContextClient
from flight_fusion.dataset_client import DatasetClient
from flight_fusion.dataset_info import DatasetInfo, DatasetMetadata, HistoryEntry, WriteResult
from flight_fusion.errors import (
    DatasetExistsError,
    DatasetNotFoundError,
    FusionAuthenticationError,
    FusionConnectionError,
    FusionError,
)
from flight_fusion.save_mode import SaveMode
from flight_fusion.service_client import FusionServiceClient

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "AssetKey":  # Dagster's class when installed, imported only when asked for (it is slow to import)
        from flight_fusion import asset_key

        return asset_key.AssetKey
    raise AttributeError(f"module 'flight_fusion' has no attribute {name!r}")


__all__ = [
    "FusionServiceClient",
    "ClientOptions",
    "SaveMode",
    "AssetKey",
    "DatasetClient",
    "ContextClient",
    "DatasetInfo",
    "DatasetMetadata",
    "HistoryEntry",
    "WriteResult",
    "FusionError",
    "FusionConnectionError",
    "FusionAuthenticationError",
    "DatasetNotFoundError",
    "DatasetExistsError",
]
