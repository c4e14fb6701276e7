from flight_fusion.ipc.v1alpha1 import common_pb2 as _common_pb2
from flight_fusion.ipc.v1alpha1 import metadata_pb2 as _metadata_pb2
from flight_fusion.ipc.v1alpha1 import signals_pb2 as _signals_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ActionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_STATUS_UNSPECIFIED: _ClassVar[ActionStatus]
    ACTION_STATUS_SUCCESS: _ClassVar[ActionStatus]
    ACTION_STATUS_FAILURE: _ClassVar[ActionStatus]
ACTION_STATUS_UNSPECIFIED: ActionStatus
ACTION_STATUS_SUCCESS: ActionStatus
ACTION_STATUS_FAILURE: ActionStatus

class CommandKqlOperation(_message.Message):
    __slots__ = ("service_name", "query")
    SERVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    service_name: str
    query: str
    def __init__(self, service_name: _Optional[str] = ..., query: _Optional[str] = ...) -> None: ...

class CommandListSources(_message.Message):
    __slots__ = ("recursive",)
    RECURSIVE_FIELD_NUMBER: _ClassVar[int]
    recursive: bool
    def __init__(self, recursive: _Optional[bool] = ...) -> None: ...

class CommandReadDataset(_message.Message):
    __slots__ = ("source", "column_names")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_NAMES_FIELD_NUMBER: _ClassVar[int]
    source: _common_pb2.AreaSourceReference
    column_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, source: _Optional[_Union[_common_pb2.AreaSourceReference, _Mapping]] = ..., column_names: _Optional[_Iterable[str]] = ...) -> None: ...

class CommandDropSource(_message.Message):
    __slots__ = ("source",)
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    source: _common_pb2.AreaSourceReference
    def __init__(self, source: _Optional[_Union[_common_pb2.AreaSourceReference, _Mapping]] = ...) -> None: ...

class CommandWriteIntoDataset(_message.Message):
    __slots__ = ("source", "save_mode")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SAVE_MODE_FIELD_NUMBER: _ClassVar[int]
    source: _common_pb2.AreaSourceReference
    save_mode: _common_pb2.SaveMode
    def __init__(self, source: _Optional[_Union[_common_pb2.AreaSourceReference, _Mapping]] = ..., save_mode: _Optional[_Union[_common_pb2.SaveMode, str]] = ...) -> None: ...

class CommandExecuteQuery(_message.Message):
    __slots__ = ("query", "source", "frame", "collection")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    query: str
    source: _common_pb2.AreaSourceReference
    frame: _signals_pb2.SignalFrame
    collection: _common_pb2.SourceCollection
    def __init__(self, query: _Optional[str] = ..., source: _Optional[_Union[_common_pb2.AreaSourceReference, _Mapping]] = ..., frame: _Optional[_Union[_signals_pb2.SignalFrame, _Mapping]] = ..., collection: _Optional[_Union[_common_pb2.SourceCollection, _Mapping]] = ...) -> None: ...

class ResultActionStatus(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: ActionStatus
    def __init__(self, status: _Optional[_Union[ActionStatus, str]] = ...) -> None: ...

class ResultDoPutUpdate(_message.Message):
    __slots__ = ("statistics",)
    STATISTICS_FIELD_NUMBER: _ClassVar[int]
    statistics: _metadata_pb2.BatchStatistics
    def __init__(self, statistics: _Optional[_Union[_metadata_pb2.BatchStatistics, _Mapping]] = ...) -> None: ...
