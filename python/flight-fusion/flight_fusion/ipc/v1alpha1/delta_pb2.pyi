from flight_fusion.ipc.v1alpha1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeltaCreateOperation(_message.Message):
    __slots__ = ("save_mode", "metadata")
    SAVE_MODE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    save_mode: _common_pb2.SaveMode
    metadata: str
    def __init__(self, save_mode: _Optional[_Union[_common_pb2.SaveMode, str]] = ..., metadata: _Optional[str] = ...) -> None: ...

class DeltaWriteOperation(_message.Message):
    __slots__ = ("save_mode", "partition_by", "predicate")
    SAVE_MODE_FIELD_NUMBER: _ClassVar[int]
    PARTITION_BY_FIELD_NUMBER: _ClassVar[int]
    PREDICATE_FIELD_NUMBER: _ClassVar[int]
    save_mode: _common_pb2.SaveMode
    partition_by: _containers.RepeatedScalarFieldContainer[str]
    predicate: str
    def __init__(self, save_mode: _Optional[_Union[_common_pb2.SaveMode, str]] = ..., partition_by: _Optional[_Iterable[str]] = ..., predicate: _Optional[str] = ...) -> None: ...

class DeltaReadOperation(_message.Message):
    __slots__ = ("version", "timestamp", "predicate", "column_names")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    PREDICATE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_NAMES_FIELD_NUMBER: _ClassVar[int]
    version: int
    timestamp: str
    predicate: str
    column_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, version: _Optional[int] = ..., timestamp: _Optional[str] = ..., predicate: _Optional[str] = ..., column_names: _Optional[_Iterable[str]] = ...) -> None: ...

class DeltaOperationRequest(_message.Message):
    __slots__ = ("source", "create", "write", "read")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_FIELD_NUMBER: _ClassVar[int]
    WRITE_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    source: _common_pb2.AreaSourceReference
    create: DeltaCreateOperation
    write: DeltaWriteOperation
    read: DeltaReadOperation
    def __init__(self, source: _Optional[_Union[_common_pb2.AreaSourceReference, _Mapping]] = ..., create: _Optional[_Union[DeltaCreateOperation, _Mapping]] = ..., write: _Optional[_Union[DeltaWriteOperation, _Mapping]] = ..., read: _Optional[_Union[DeltaReadOperation, _Mapping]] = ...) -> None: ...

class DeltaOperationResponse(_message.Message):
    __slots__ = ("stats",)
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: str
    def __init__(self, stats: _Optional[str] = ...) -> None: ...
