"""The error boundary: every gRPC status a server can end a call with becomes the documented exception.

A raw gRPC server (grpcio) answers each call with the status code named in a request header, so the mapping is
checked against real pyarrow.flight behaviour without depending on what our server happens to send.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest

from flight_fusion import ClientOptions, FusionServiceClient
from flight_fusion import errors as E


class _StatusServer(grpc.GenericRpcHandler):
    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        def fail(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
            code = dict(context.invocation_metadata())["x-status"]
            context.abort(getattr(grpc.StatusCode, code), f"the server says {code}")
            yield b""

        return grpc.unary_stream_rpc_method_handler(fail, request_deserializer=bytes, response_serializer=bytes)


@pytest.fixture(scope="module")
def status_server() -> Iterator[int]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers([_StatusServer()])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield port
    server.stop(0)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("NOT_FOUND", E.DatasetNotFoundError),
        ("ALREADY_EXISTS", E.DatasetExistsError),
        ("INVALID_ARGUMENT", E.InvalidArgumentError),
        ("FAILED_PRECONDITION", E.InvalidArgumentError),
        ("UNAUTHENTICATED", E.FusionAuthenticationError),
        ("PERMISSION_DENIED", E.FusionPermissionError),
        ("UNIMPLEMENTED", E.UnsupportedOperationError),
        ("INTERNAL", E.FusionServerError),
        ("ABORTED", E.FusionServerError),
        ("UNKNOWN", E.FusionServerError),
        ("DEADLINE_EXCEEDED", E.FusionTimeoutError),
        ("UNAVAILABLE", E.FusionConnectionError),
    ],
)
def test_maps_grpc_status_to_the_documented_exception(status_server: int, status: str, expected: type) -> None:
    client = FusionServiceClient(ClientOptions(host="127.0.0.1", port=status_server, timeout=10, env={}))
    import pyarrow.flight as flight

    options = flight.FlightCallOptions(timeout=10, headers=[(b"x-status", status.encode())])
    with pytest.raises(expected) as caught, client.errors():
        list(client.flight_client.do_action(flight.Action("x", b""), options))
    assert isinstance(caught.value, E.FusionError)
    if status not in ("DEADLINE_EXCEEDED", "UNAVAILABLE"):
        assert f"the server says {status}" in str(caught.value)
    assert "Flight returned" not in str(caught.value)


def test_not_found_is_also_a_key_error_and_invalid_argument_a_value_error() -> None:
    assert issubclass(E.DatasetNotFoundError, KeyError)
    assert issubclass(E.InvalidArgumentError, ValueError)
    assert issubclass(E.FusionConnectionError, ConnectionError)
    assert str(E.DatasetNotFoundError("Dataset a/b does not exist")) == "Dataset a/b does not exist"
