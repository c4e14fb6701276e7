"""Platform-wide settings shared by the Dagster resources: Flight service, MLflow tracking, MLServer.

Each setting comes from, in order: explicit configuration, the FF_* variables the original used, a default.
`mlfusion_configuration` is the original resource (so `mlfusion_configuration.configured({...})` works);
`MlFusionConfiguration` is the same as a modern ConfigurableResource.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dagster import ConfigurableResource, Field, InitResourceContext, IntSource, Noneable, StringSource, resource

if TYPE_CHECKING:
    from flight_fusion import ClientOptions

__all__ = ["MlFusionSettings", "MlFusionConfiguration", "mlfusion_configuration", "resolve_settings"]

#: setting -> environment variables consulted in order (the original's names first).
ENV_VARIABLES: dict[str, tuple[str, ...]] = {
    "flight_host": ("FF_FLIGHT_HOST", "FF_HOST"),
    "flight_port": ("FF_FLIGHT_PORT", "FF_PORT"),
    "flight_token": ("FF_FLIGHT_TOKEN", "FF_TOKEN"),
    "mlflow_tracking_uri": ("FF_MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_URI"),
    "mlserver_host": ("FF_MLSERVER_HOST",),
    "mlserver_port": ("FF_MLSERVER_PORT",),
}

DEFAULTS: dict[str, str | int | None] = {
    "flight_host": "localhost",
    "flight_port": 50051,
    "flight_token": None,
    "mlflow_tracking_uri": None,
    "mlserver_host": "localhost",
    "mlserver_port": 8081,
}


@dataclass(frozen=True)
class MlFusionSettings:
    """Resolved settings of the platform's services."""

    flight_host: str
    flight_port: int
    flight_token: str | None
    mlflow_tracking_uri: str | None
    mlserver_host: str
    mlserver_port: int

    def client_options(self) -> ClientOptions:
        """flight_fusion ClientOptions for the Flight service (explicit: FF_* were already applied)."""
        from flight_fusion import ClientOptions

        return ClientOptions(host=self.flight_host, port=self.flight_port, token=self.flight_token, env={})


def resolve_settings(config: Mapping[str, object], env: Mapping[str, str] | None = None) -> MlFusionSettings:
    """Settings from explicit `config` (None values ignored), then FF_* variables, then defaults."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    for name, default in DEFAULTS.items():
        value = config.get(name)
        if value is None:
            value = next((env[var] for var in ENV_VARIABLES[name] if env.get(var)), default)
        values[name] = value
    for name in ("flight_port", "mlserver_port"):
        try:
            values[name] = int(values[name])  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a port number, got {values[name]!r}.") from None
    return MlFusionSettings(**values)  # type: ignore[arg-type]


class MlFusionConfiguration(ConfigurableResource):
    """Where the platform's services are; unset fields come from FF_* variables.

    @example
    Definitions(resources={"mlfusion_config": MlFusionConfiguration(flight_port=50051)})
    """

    flight_host: str | None = None
    flight_port: int | None = None
    flight_token: str | None = None
    mlflow_tracking_uri: str | None = None
    mlserver_host: str | None = None
    mlserver_port: int | None = None

    def settings(self) -> MlFusionSettings:
        return resolve_settings(self.model_dump())


_CONFIG_SCHEMA = {
    "flight_host": Field(Noneable(StringSource), is_required=False, description="Flight service host (FF_HOST)."),
    "flight_port": Field(Noneable(IntSource), is_required=False, description="Flight service port (FF_PORT)."),
    "flight_token": Field(Noneable(StringSource), is_required=False, description="Bearer token (FF_TOKEN)."),
    "mlflow_tracking_uri": Field(Noneable(StringSource), is_required=False, description="MLflow tracking URI."),
    "mlserver_host": Field(Noneable(StringSource), is_required=False, description="MLServer host."),
    "mlserver_port": Field(Noneable(IntSource), is_required=False, description="MLServer port."),
}


@resource(config_schema=_CONFIG_SCHEMA, description="Settings shared by the ML Fusion resources (FF_* defaults).")
def mlfusion_configuration(context: InitResourceContext) -> MlFusionSettings:
    """The original configuration resource; its value is an MlFusionSettings."""
    return resolve_settings(context.resource_config or {})
