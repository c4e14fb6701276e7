from flight_fusion.ipc.v1alpha1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AreaSourceMetadata(_message.Message):
    __slots__ = ("id", "name", "description", "is_versioned", "source", "tags", "properties")
    class PropertiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    IS_VERSIONED_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    is_versioned: bool
    source: _common_pb2.AreaSourceReference
    tags: _containers.RepeatedCompositeFieldContainer[_common_pb2.Tag]
    properties: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., is_versioned: _Optional[bool] = ..., source: _Optional[_Union[_common_pb2.AreaSourceReference, _Mapping]] = ..., tags: _Optional[_Iterable[_Union[_common_pb2.Tag, _Mapping]]] = ..., properties: _Optional[_Mapping[str, str]] = ...) -> None: ...

class AreaSourceDetails(_message.Message):
    __slots__ = ("id", "metadata")
    ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    metadata: AreaSourceMetadata
    def __init__(self, id: _Optional[str] = ..., metadata: _Optional[_Union[AreaSourceMetadata, _Mapping]] = ...) -> None: ...

class BatchStatistics(_message.Message):
    __slots__ = ("record_count", "total_byte_size", "column_statistics", "is_exact")
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTE_SIZE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_STATISTICS_FIELD_NUMBER: _ClassVar[int]
    IS_EXACT_FIELD_NUMBER: _ClassVar[int]
    record_count: int
    total_byte_size: int
    column_statistics: _containers.RepeatedCompositeFieldContainer[ColumnStatistics]
    is_exact: bool
    def __init__(self, record_count: _Optional[int] = ..., total_byte_size: _Optional[int] = ..., column_statistics: _Optional[_Iterable[_Union[ColumnStatistics, _Mapping]]] = ..., is_exact: _Optional[bool] = ...) -> None: ...

class ColumnStatistics(_message.Message):
    __slots__ = ("null_count", "max_value", "min_value", "distinct_count")
    NULL_COUNT_FIELD_NUMBER: _ClassVar[int]
    MAX_VALUE_FIELD_NUMBER: _ClassVar[int]
    MIN_VALUE_FIELD_NUMBER: _ClassVar[int]
    DISTINCT_COUNT_FIELD_NUMBER: _ClassVar[int]
    null_count: int
    max_value: str
    min_value: str
    distinct_count: int
    def __init__(self, null_count: _Optional[int] = ..., max_value: _Optional[str] = ..., min_value: _Optional[str] = ..., distinct_count: _Optional[int] = ...) -> None: ...
