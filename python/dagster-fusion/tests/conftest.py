"""Fixtures of the dagster-fusion tests; the server fixtures come from flight-fusion's pytest plugin."""

from __future__ import annotations

import re

import pytest
from flight_fusion.server_process import FusionServer

from dagster_fusion import FlightFusionIOManager, FlightFusionResource


@pytest.fixture
def key_prefix(request: pytest.FixtureRequest) -> list[str]:
    """An area of its own for each test (the session's server is shared)."""
    return ["dagster_tests", re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name).strip("_")[:100]]


@pytest.fixture
def fusion_resources(fusion_server: FusionServer) -> dict[str, object]:
    """Modern resources pointing at the session's server."""
    fusion = FlightFusionResource(host=fusion_server.host, port=fusion_server.port)
    return {"fusion_io": FlightFusionIOManager(fusion=fusion), "fusion": fusion}
