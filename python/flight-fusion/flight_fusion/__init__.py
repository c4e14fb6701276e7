"""flight_fusion: the Python client of the ML Fusion platform's Arrow Flight service.

@example
from flight_fusion import FusionServiceClient, ClientOptions, SaveMode
ffc = FusionServiceClient(ClientOptions(host="localhost", port=50051))
fds = ffc.get_dataset_client(name="new_dataset", areas=["demo"])
fds.write_into(df, SaveMode.SAVE_MODE_OVERWRITE)
"""

from flight_fusion.asset_key import AssetKey
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
