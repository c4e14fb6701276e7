"""The Flight client as a Dagster resource: `flight_fusion_resource` (original) and `FlightFusionResource`."""

from __future__ import annotations

from dagster import ConfigurableResource, InitResourceContext, resource
from flight_fusion import FusionServiceClient

from dagster_fusion.configuration import MlFusionSettings, resolve_settings

__all__ = ["FlightFusionResource", "flight_fusion_resource"]


class FlightFusionResource(ConfigurableResource):
    """A FusionServiceClient factory; unset fields come from FF_HOST, FF_PORT and FF_TOKEN.

    @example
    Definitions(assets=[...], resources={"fusion": FlightFusionResource(host="localhost", port=50051)})
    """

    host: str | None = None
    port: int | None = None
    token: str | None = None
    timeout: float = 30.0

    def settings(self) -> MlFusionSettings:
        return resolve_settings({"flight_host": self.host, "flight_port": self.port, "flight_token": self.token})

    def get_client(self) -> FusionServiceClient:
        options = self.settings().client_options()
        options.timeout = self.timeout
        return FusionServiceClient(options)


@resource(
    description="Service client of the ML Fusion Flight service.",
    required_resource_keys={"mlfusion_config"},
)
def flight_fusion_resource(context: InitResourceContext) -> FusionServiceClient:
    """The original resource: a FusionServiceClient configured by the `mlfusion_config` resource."""
    config = context.resources.mlfusion_config
    settings = config.settings() if hasattr(config, "settings") else config
    return FusionServiceClient(settings.client_options())
