"""`ClientOptions`: where the Flight server is and how to talk to it; unset fields come from FF_* variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["ClientOptions", "DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_TIMEOUT"]

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 50051
DEFAULT_TIMEOUT = 30.0


@dataclass
class ClientOptions:
    """Connection settings. Explicit arguments win; then FF_HOST, FF_PORT, FF_TOKEN, FF_USE_TLS; then defaults.

    @example
    options = ClientOptions(host="localhost", port=50051)
    """

    host: str | None = None
    port: int | None = None
    #: Bearer token sent with every call (the server's FF_TOKEN).
    token: str | None = None
    #: Seconds a metadata call (schema, info, list, actions) may take, connection attempts included.
    timeout: float = DEFAULT_TIMEOUT
    #: Seconds a data transfer (load, write_into, query) may take; None: no limit, as large tables take long.
    data_timeout: float | None = None
    use_tls: bool | None = None
    env: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False, compare=False)

    def __post_init__(self) -> None:
        env = self.env
        if self.host is None:
            self.host = env.get("FF_HOST") or DEFAULT_HOST
        if self.port is None:
            raw = env.get("FF_PORT")
            try:
                self.port = int(raw) if raw else DEFAULT_PORT
            except ValueError:
                raise ValueError(f"FF_PORT must be a port number, got {raw!r}.") from None
        if self.token is None:
            self.token = env.get("FF_TOKEN") or None
        if self.use_tls is None:
            self.use_tls = env.get("FF_USE_TLS", "").strip().lower() in {"1", "true", "yes"}
        if not 0 <= int(self.port) <= 65535:
            raise ValueError(f"The port must be between 0 and 65535, got {self.port}.")
        self.port = int(self.port)
        if self.timeout <= 0 or (self.data_timeout is not None and self.data_timeout <= 0):
            raise ValueError(f"Timeouts must be positive seconds, got {self.timeout} and {self.data_timeout}.")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClientOptions:
        """Options from FF_HOST, FF_PORT, FF_TOKEN and FF_USE_TLS alone."""
        return cls(env=os.environ if env is None else env)

    @property
    def location(self) -> str:
        """The Flight location, e.g. grpc://localhost:50051."""
        scheme = "grpc+tls" if self.use_tls else "grpc"
        host = f"[{self.host}]" if self.host and ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"
