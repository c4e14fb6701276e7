from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FileFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FILE_FORMAT_UNSPECIFIED: _ClassVar[FileFormat]
    FILE_FORMAT_PARQUET: _ClassVar[FileFormat]
    FILE_FORMAT_AVRO: _ClassVar[FileFormat]
    FILE_FORMAT_CSV: _ClassVar[FileFormat]

class SaveMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SAVE_MODE_UNSPECIFIED: _ClassVar[SaveMode]
    SAVE_MODE_APPEND: _ClassVar[SaveMode]
    SAVE_MODE_OVERWRITE: _ClassVar[SaveMode]
    SAVE_MODE_ERROR_IF_EXISTS: _ClassVar[SaveMode]
FILE_FORMAT_UNSPECIFIED: FileFormat
FILE_FORMAT_PARQUET: FileFormat
FILE_FORMAT_AVRO: FileFormat
FILE_FORMAT_CSV: FileFormat
SAVE_MODE_UNSPECIFIED: SaveMode
SAVE_MODE_APPEND: SaveMode
SAVE_MODE_OVERWRITE: SaveMode
SAVE_MODE_ERROR_IF_EXISTS: SaveMode

class FileReference(_message.Message):
    __slots__ = ("path", "format")
    PATH_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    path: str
    format: FileFormat
    def __init__(self, path: _Optional[str] = ..., format: _Optional[_Union[FileFormat, str]] = ...) -> None: ...

class TableReference(_message.Message):
    __slots__ = ("file",)
    FILE_FIELD_NUMBER: _ClassVar[int]
    file: FileReference
    def __init__(self, file: _Optional[_Union[FileReference, _Mapping]] = ...) -> None: ...

class AreaTableLocation(_message.Message):
    __slots__ = ("name", "areas")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AREAS_FIELD_NUMBER: _ClassVar[int]
    name: str
    areas: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., areas: _Optional[_Iterable[str]] = ...) -> None: ...

class AreaTableId(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class AreaTableUri(_message.Message):
    __slots__ = ("uri",)
    URI_FIELD_NUMBER: _ClassVar[int]
    uri: str
    def __init__(self, uri: _Optional[str] = ...) -> None: ...

class AreaSourceReference(_message.Message):
    __slots__ = ("location", "id", "uri")
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    location: AreaTableLocation
    id: AreaTableId
    uri: AreaTableUri
    def __init__(self, location: _Optional[_Union[AreaTableLocation, _Mapping]] = ..., id: _Optional[_Union[AreaTableId, _Mapping]] = ..., uri: _Optional[_Union[AreaTableUri, _Mapping]] = ...) -> None: ...

class SourceCollection(_message.Message):
    __slots__ = ("sources",)
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    sources: _containers.RepeatedCompositeFieldContainer[AreaSourceReference]
    def __init__(self, sources: _Optional[_Iterable[_Union[AreaSourceReference, _Mapping]]] = ...) -> None: ...

class Tag(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
