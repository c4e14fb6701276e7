from flight_fusion.ipc.v1alpha1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignalType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNAL_TYPE_UNSPECIFIED: _ClassVar[SignalType]
    SIGNAL_TYPE_OBSERVATION: _ClassVar[SignalType]
    SIGNAL_TYPE_CONSTANT: _ClassVar[SignalType]
    SIGNAL_TYPE_EXPRESSION: _ClassVar[SignalType]
    SIGNAL_TYPE_MODEL: _ClassVar[SignalType]

class DataType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATA_TYPE_UNSPECIFIED: _ClassVar[DataType]
SIGNAL_TYPE_UNSPECIFIED: SignalType
SIGNAL_TYPE_OBSERVATION: SignalType
SIGNAL_TYPE_CONSTANT: SignalType
SIGNAL_TYPE_EXPRESSION: SignalType
SIGNAL_TYPE_MODEL: SignalType
DATA_TYPE_UNSPECIFIED: DataType

class ExpressionReference(_message.Message):
    __slots__ = ("uid", "expression")
    UID_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    uid: str
    expression: str
    def __init__(self, uid: _Optional[str] = ..., expression: _Optional[str] = ...) -> None: ...

class ModelReference(_message.Message):
    __slots__ = ("uri",)
    URI_FIELD_NUMBER: _ClassVar[int]
    uri: str
    def __init__(self, uri: _Optional[str] = ...) -> None: ...

class Signal(_message.Message):
    __slots__ = ("uid", "name", "description", "data_type", "nullable", "traits", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    UID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DATA_TYPE_FIELD_NUMBER: _ClassVar[int]
    NULLABLE_FIELD_NUMBER: _ClassVar[int]
    TRAITS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    uid: str
    name: str
    description: str
    data_type: DataType
    nullable: bool
    traits: _containers.RepeatedCompositeFieldContainer[SignalTrait]
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, uid: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., data_type: _Optional[_Union[DataType, str]] = ..., nullable: _Optional[bool] = ..., traits: _Optional[_Iterable[_Union[SignalTrait, _Mapping]]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SignalTrait(_message.Message):
    __slots__ = ("sensitive", "time_series", "entity_reference")
    SENSITIVE_FIELD_NUMBER: _ClassVar[int]
    TIME_SERIES_FIELD_NUMBER: _ClassVar[int]
    ENTITY_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    sensitive: SensitiveDataTrait
    time_series: TimeSeriesTrait
    entity_reference: EntityReferenceTrait
    def __init__(self, sensitive: _Optional[_Union[SensitiveDataTrait, _Mapping]] = ..., time_series: _Optional[_Union[TimeSeriesTrait, _Mapping]] = ..., entity_reference: _Optional[_Union[EntityReferenceTrait, _Mapping]] = ...) -> None: ...

class SensitiveDataTrait(_message.Message):
    __slots__ = ("level",)
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    level: str
    def __init__(self, level: _Optional[str] = ...) -> None: ...

class TimeSeriesTrait(_message.Message):
    __slots__ = ("level",)
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    level: str
    def __init__(self, level: _Optional[str] = ...) -> None: ...

class EntityReferenceTrait(_message.Message):
    __slots__ = ("level",)
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    level: str
    def __init__(self, level: _Optional[str] = ...) -> None: ...

class SignalProvider(_message.Message):
    __slots__ = ("uid", "name", "description", "signals", "inputs", "table", "expression", "model")
    UID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    uid: str
    name: str
    description: str
    signals: _containers.RepeatedCompositeFieldContainer[Signal]
    inputs: _containers.RepeatedCompositeFieldContainer[Signal]
    table: _common_pb2.TableReference
    expression: ExpressionReference
    model: ModelReference
    def __init__(self, uid: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., signals: _Optional[_Iterable[_Union[Signal, _Mapping]]] = ..., inputs: _Optional[_Iterable[_Union[Signal, _Mapping]]] = ..., table: _Optional[_Union[_common_pb2.TableReference, _Mapping]] = ..., expression: _Optional[_Union[ExpressionReference, _Mapping]] = ..., model: _Optional[_Union[ModelReference, _Mapping]] = ...) -> None: ...

class SignalFrame(_message.Message):
    __slots__ = ("uid", "name", "description", "providers")
    UID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    uid: str
    name: str
    description: str
    providers: _containers.RepeatedCompositeFieldContainer[SignalProvider]
    def __init__(self, uid: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., providers: _Optional[_Iterable[_Union[SignalProvider, _Mapping]]] = ...) -> None: ...
