"""The pytest plugin as a user's own suite sees it: installed through the pytest11 entry point, no conftest."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from flight_fusion import FusionServiceClient
from flight_fusion.server_process import FusionServer

pytest_plugins = ["pytester"]


def test_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    names = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert names.get("flight_fusion") == "flight_fusion.pytest_plugin"


def test_fusion_server_is_a_real_server_on_a_free_port(fusion_server: FusionServer) -> None:
    assert fusion_server.url == f"grpc://127.0.0.1:{fusion_server.port}"
    assert fusion_server.port not in (0, 50051)
    assert fusion_server.process.poll() is None
    assert (fusion_server.workspace / "data").is_dir()


def test_fusion_client_talks_to_fusion_server(fusion_client: FusionServiceClient, fusion_server: FusionServer) -> None:
    assert fusion_client.options.port == fusion_server.port
    assert isinstance(fusion_client.list_datasets(), list)


def test_a_users_suite_gets_the_fixtures_and_the_server_stops_after(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
        import numpy as np
        import pandas as pd
        from flight_fusion import FusionServiceClient, SaveMode

        def test_roundtrip(fusion_client: FusionServiceClient, fusion_server):
            np.random.seed(42)
            df = pd.DataFrame(np.random.randn(5, 3), columns=["col1", "col2", "col3"])
            fds = fusion_client.get_dataset_client(name="table", areas=["test_roundtrip"])
            fds.write_into(df, SaveMode.SAVE_MODE_OVERWRITE)
            assert fds.load().to_pandas().equals(df)
            print("SERVER-PID", fusion_server.process.pid)
        """
    )
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    pid_line = next(line for line in result.outlines if "SERVER-PID" in line)
    pid = int(pid_line.split("SERVER-PID", 1)[1].split()[0])
    import os

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the session's server was stopped when the session ended
