"""Shared fixtures. The server fixtures (fusion_server, fusion_client, fusion_server_factory) come from this
package's own pytest plugin, loaded through its pytest11 entry point."""

from __future__ import annotations

import re

import pytest

from flight_fusion import AssetKey


@pytest.fixture
def dataset_key(request: pytest.FixtureRequest) -> AssetKey:
    """A dataset key of its own for each test (the session's server is shared)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name).strip("_")[:100]
    return AssetKey(["tests", request.module.__name__.rsplit(".", 1)[-1], name])
