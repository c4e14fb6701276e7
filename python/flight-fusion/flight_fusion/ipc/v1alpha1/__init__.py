"""The original ML Fusion wire protocol (flight_fusion.ipc.v1alpha1), generated from proto/ by
scripts/generate-protos.sh. The *_pb2 modules are generated: do not modify them.
"""

from flight_fusion.ipc.v1alpha1.common_pb2 import (
    AreaSourceReference,
    AreaTableId,
    AreaTableLocation,
    AreaTableUri,
    SourceCollection,
    Tag,
)
from flight_fusion.ipc.v1alpha1.delta_pb2 import (
    DeltaCreateOperation,
    DeltaOperationRequest,
    DeltaOperationResponse,
    DeltaReadOperation,
    DeltaWriteOperation,
)
from flight_fusion.ipc.v1alpha1.flight_pb2 import (
    FlightActionRequest,
    FlightActionResponse,
    FlightDoGetRequest,
    FlightDoPutRequest,
    FlightDoPutResponse,
)
from flight_fusion.ipc.v1alpha1.message_pb2 import (
    CommandDropSource,
    CommandExecuteQuery,
    CommandReadDataset,
    CommandWriteIntoDataset,
    ResultActionStatus,
    ResultDoPutUpdate,
)
from flight_fusion.ipc.v1alpha1.metadata_pb2 import AreaSourceMetadata, BatchStatistics, ColumnStatistics
from flight_fusion.save_mode import SaveMode

__all__ = [
    "AreaSourceMetadata",
    "AreaSourceReference",
    "AreaTableId",
    "AreaTableLocation",
    "AreaTableUri",
    "BatchStatistics",
    "ColumnStatistics",
    "CommandDropSource",
    "CommandExecuteQuery",
    "CommandReadDataset",
    "CommandWriteIntoDataset",
    "DeltaCreateOperation",
    "DeltaOperationRequest",
    "DeltaOperationResponse",
    "DeltaReadOperation",
    "DeltaWriteOperation",
    "FlightActionRequest",
    "FlightActionResponse",
    "FlightDoGetRequest",
    "FlightDoPutRequest",
    "FlightDoPutResponse",
    "ResultActionStatus",
    "ResultDoPutUpdate",
    "SaveMode",
    "SourceCollection",
    "Tag",
]
