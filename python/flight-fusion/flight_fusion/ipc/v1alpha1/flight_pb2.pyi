from flight_fusion.ipc.v1alpha1 import delta_pb2 as _delta_pb2
from flight_fusion.ipc.v1alpha1 import message_pb2 as _message_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FlightDoGetRequest(_message.Message):
    __slots__ = ("kql", "read", "query", "delta")
    KQL_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    kql: _message_pb2.CommandKqlOperation
    read: _message_pb2.CommandReadDataset
    query: _message_pb2.CommandExecuteQuery
    delta: _delta_pb2.DeltaOperationRequest
    def __init__(self, kql: _Optional[_Union[_message_pb2.CommandKqlOperation, _Mapping]] = ..., read: _Optional[_Union[_message_pb2.CommandReadDataset, _Mapping]] = ..., query: _Optional[_Union[_message_pb2.CommandExecuteQuery, _Mapping]] = ..., delta: _Optional[_Union[_delta_pb2.DeltaOperationRequest, _Mapping]] = ...) -> None: ...

class FlightDoPutRequest(_message.Message):
    __slots__ = ("storage", "delta")
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    storage: _message_pb2.CommandWriteIntoDataset
    delta: _delta_pb2.DeltaOperationRequest
    def __init__(self, storage: _Optional[_Union[_message_pb2.CommandWriteIntoDataset, _Mapping]] = ..., delta: _Optional[_Union[_delta_pb2.DeltaOperationRequest, _Mapping]] = ...) -> None: ...

class FlightDoPutResponse(_message.Message):
    __slots__ = ("update",)
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    update: _message_pb2.ResultDoPutUpdate
    def __init__(self, update: _Optional[_Union[_message_pb2.ResultDoPutUpdate, _Mapping]] = ...) -> None: ...

class FlightActionRequest(_message.Message):
    __slots__ = ("drop",)
    DROP_FIELD_NUMBER: _ClassVar[int]
    drop: _message_pb2.CommandDropSource
    def __init__(self, drop: _Optional[_Union[_message_pb2.CommandDropSource, _Mapping]] = ...) -> None: ...

class FlightActionResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: _message_pb2.ResultActionStatus
    def __init__(self, status: _Optional[_Union[_message_pb2.ResultActionStatus, _Mapping]] = ...) -> None: ...
