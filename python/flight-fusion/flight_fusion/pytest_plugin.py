"""pytest plugin (entry point `pytest11`): fixtures that run the platform's real Flight server.

- `fusion_server` (session): `fusion start flight` on a free port with a temporary workspace; stopped after.
- `fusion_client` (function): a FusionServiceClient connected to it.
- `fusion_server_factory` (function): starts extra servers, e.g. with a token: `fusion_server_factory(token="s3cret")`.

Datasets persist for the session: give each test its own dataset names (e.g. from `request.node.name`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flight_fusion.server_process import FusionServer, start_fusion_server
from flight_fusion.service_client import FusionServiceClient


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flight-fusion")
    group.addoption(
        "--fusion-cli",
        default=None,
        help="The fusion CLI to start servers with (an executable or packages/cli/dist/bin.js); default: FUSION_CLI, "
        "the ML Fusion checkout, or `fusion` on the PATH.",
    )


@pytest.fixture(scope="session")
def fusion_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FusionServer]:
    """A real ML Fusion Flight server for the test session."""
    workspace = tmp_path_factory.mktemp("fusion-workspace")
    server = start_fusion_server(workspace, cli=request.config.getoption("--fusion-cli"))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fusion_client(fusion_server: FusionServer) -> Iterator[FusionServiceClient]:
    """A client of the session's server."""
    client = fusion_server.client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def fusion_server_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., FusionServer]]:
    """Starts servers with custom settings (token, env, port); all are stopped when the test ends."""
    started: list[FusionServer] = []

    def factory(**kwargs: Any) -> FusionServer:
        kwargs.setdefault("cli", request.config.getoption("--fusion-cli"))
        workspace = kwargs.pop("workspace", None) or tmp_path_factory.mktemp("fusion-workspace")
        server = start_fusion_server(workspace, **kwargs)
        started.append(server)
        return server

    try:
        yield factory
    finally:
        for server in started:
            server.close()
