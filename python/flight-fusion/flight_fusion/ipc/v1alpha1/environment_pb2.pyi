from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ServiceConnection(_message.Message):
    __slots__ = ("host", "port")
    HOST_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    host: str
    port: int
    def __init__(self, host: _Optional[str] = ..., port: _Optional[int] = ...) -> None: ...

class EnvironmentInfo(_message.Message):
    __slots__ = ("server_version", "artifact_service", "model_serving", "data_sets", "pipelines_ui", "models_ui")
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_SERVICE_FIELD_NUMBER: _ClassVar[int]
    MODEL_SERVING_FIELD_NUMBER: _ClassVar[int]
    DATA_SETS_FIELD_NUMBER: _ClassVar[int]
    PIPELINES_UI_FIELD_NUMBER: _ClassVar[int]
    MODELS_UI_FIELD_NUMBER: _ClassVar[int]
    server_version: str
    artifact_service: ServiceConnection
    model_serving: ServiceConnection
    data_sets: ServiceConnection
    pipelines_ui: ServiceConnection
    models_ui: ServiceConnection
    def __init__(self, server_version: _Optional[str] = ..., artifact_service: _Optional[_Union[ServiceConnection, _Mapping]] = ..., model_serving: _Optional[_Union[ServiceConnection, _Mapping]] = ..., data_sets: _Optional[_Union[ServiceConnection, _Mapping]] = ..., pipelines_ui: _Optional[_Union[ServiceConnection, _Mapping]] = ..., models_ui: _Optional[_Union[ServiceConnection, _Mapping]] = ...) -> None: ...
