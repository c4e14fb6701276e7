"""The one translation of Arrow Flight failures into flight_fusion exceptions (the client's error boundary).

pyarrow.flight turns gRPC status codes into exception types (measured against a raw gRPC server):
UNAVAILABLE -> FlightUnavailableError, DEADLINE_EXCEEDED -> FlightTimedOutError, NOT_FOUND -> ArrowKeyError,
UNAUTHENTICATED -> FlightUnauthenticatedError, PERMISSION_DENIED -> FlightUnauthorizedError,
INVALID_ARGUMENT / FAILED_PRECONDITION / OUT_OF_RANGE / RESOURCE_EXHAUSTED -> ArrowInvalid,
UNIMPLEMENTED -> ArrowNotImplementedError, INTERNAL / ABORTED -> FlightInternalError, UNKNOWN -> FlightServerError,
CANCELLED -> FlightCancelledError, and ALREADY_EXISTS -> a bare ArrowException.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.flight as flight

__all__ = [
    "FusionError",
    "FusionConnectionError",
    "FusionTimeoutError",
    "FusionAuthenticationError",
    "FusionPermissionError",
    "DatasetNotFoundError",
    "DatasetExistsError",
    "InvalidArgumentError",
    "UnsupportedOperationError",
    "FusionServerError",
    "translate_errors",
]


class FusionError(Exception):
    """Base class of every error the flight_fusion client raises."""


class FusionConnectionError(FusionError, ConnectionError):
    """The Flight server could not be reached (not running, wrong host/port, or shutting down)."""


class FusionTimeoutError(FusionError, TimeoutError):
    """A call did not finish within the client's timeout."""


class FusionAuthenticationError(FusionError):
    """The server rejected the call's credentials (missing or wrong token)."""


class FusionPermissionError(FusionAuthenticationError):
    """The credentials are valid but do not allow this operation."""


class DatasetNotFoundError(FusionError, KeyError):
    """The dataset (or version) does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DatasetExistsError(FusionError):
    """The dataset already exists (a write with SAVE_MODE_ERROR_IF_EXISTS)."""


class InvalidArgumentError(FusionError, ValueError):
    """The server refused the request as invalid (bad key, schema mismatch, bad predicate, ...)."""


class UnsupportedOperationError(FusionError, NotImplementedError):
    """The server does not implement this operation."""


class FusionServerError(FusionError):
    """The server failed internally or ended the call with an unexpected status."""


@contextmanager
def translate_errors(target: str, timeout: float | None = None) -> Iterator[None]:
    """Re-raises pyarrow.flight failures of the calls inside the block as flight_fusion exceptions.

    `target` names the server (e.g. grpc://localhost:50051) so that a connection error says where it looked.
    """
    try:
        yield
    except FusionError:
        raise
    except flight.FlightUnavailableError as error:
        raise FusionConnectionError(
            f"Could not reach the ML Fusion Flight server at {target}: {_message(error)}. "
            "Start it with `fusion start flight`, or point the client at it with FF_HOST/FF_PORT."
        ) from error
    except flight.FlightTimedOutError as error:
        limit = f" within {timeout:g}s" if timeout is not None else ""
        raise FusionTimeoutError(
            f"The call to {target} did not finish{limit}; raise ClientOptions.timeout or check the server."
        ) from error
    except flight.FlightUnauthorizedError as error:
        raise FusionPermissionError(f"{_message(error)}; use a token that allows this operation.") from error
    except flight.FlightUnauthenticatedError as error:
        raise FusionAuthenticationError(
            f"The server at {target} rejected the credentials: {_message(error)}. Set ClientOptions.token or FF_TOKEN "
            "to the server's token."
        ) from error
    except pa.ArrowKeyError as error:
        raise DatasetNotFoundError(_message(error)) from error
    except pa.ArrowInvalid as error:
        raise InvalidArgumentError(_message(error)) from error
    except pa.ArrowNotImplementedError as error:
        raise UnsupportedOperationError(_message(error)) from error
    except flight.FlightCancelledError as error:
        raise FusionServerError(f"The call was cancelled: {_message(error)}") from error
    except flight.FlightError as error:
        raise FusionServerError(_message(error)) from error
    except pa.ArrowException as error:
        # pyarrow has no exception type for ALREADY_EXISTS: it raises a bare ArrowException whose text is pyarrow's
        # fixed wording for that status, so this is the one place where the message decides.
        if type(error) is pa.ArrowException and "already exists" in str(error):
            raise DatasetExistsError(f"{_message(error)}; write with SAVE_MODE_OVERWRITE or APPEND instead.") from error
        raise


_PREFIXES = (
    "Unknown: ",
    "Flight returned not found error, with message: ",
    "Flight returned invalid argument error, with message: ",
    "Flight returned unauthenticated error, with message: ",
    "Flight returned unauthorized error, with message: ",
    "Flight returned unimplemented error, with message: ",
    "Flight returned internal error, with message: ",
    "Flight returned unavailable error, with message: ",
    "Flight returned already exists error, with message: ",
    "Flight returned timeout error, with message: ",
    "Flight RPC failed with message: ",
    "gRPC returned aborted error, with message: ",
    "gRPC returned precondition failed error, with message: ",
    "gRPC returned resource exhausted error, with message: ",
    "gRPC returned out-of-range error, with message: ",
)


def _message(error: BaseException) -> str:
    """The server's message without pyarrow's prefix and detail suffix."""
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
    for suffix in (". Detail: ", ". gRPC client debug context: "):
        index = text.find(suffix)
        if index >= 0:
            text = text[:index]
    return text.rstrip(". ")
