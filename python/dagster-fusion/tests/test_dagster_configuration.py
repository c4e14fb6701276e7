from dagster import build_init_resource_context

from dagster_fusion import FlightFusionResource, MlFusionConfiguration, mlfusion_configuration
from dagster_fusion.configuration import resolve_settings


def test_explicit_config_wins_over_ff_variables_which_win_over_defaults():
    env = {"FF_HOST": "env-host", "FF_PORT": "7000", "MLFLOW_TRACKING_URI": "http://mlflow:5000"}
    settings = resolve_settings({"flight_host": "cfg-host", "flight_port": None}, env)
    assert (settings.flight_host, settings.flight_port) == ("cfg-host", 7000)
    assert settings.mlflow_tracking_uri == "http://mlflow:5000"
    assert (settings.mlserver_host, settings.mlserver_port) == ("localhost", 8081)
    defaults = resolve_settings({}, {})
    assert (defaults.flight_host, defaults.flight_port, defaults.mlflow_tracking_uri) == ("localhost", 50051, None)


def test_the_original_specific_variables_take_precedence_over_the_generic_ones():
    settings = resolve_settings({}, {"FF_FLIGHT_HOST": "specific", "FF_HOST": "generic", "FF_MLSERVER_PORT": "9000"})
    assert (settings.flight_host, settings.mlserver_port) == ("specific", 9000)


def test_mlfusion_configuration_configured_as_in_the_readme(monkeypatch):
    monkeypatch.setenv("FF_PORT", "6001")
    configured = mlfusion_configuration.configured({"mlflow_tracking_uri": "http://localhost:5000"})
    settings = configured.resource_fn(
        build_init_resource_context(config={"mlflow_tracking_uri": "http://localhost:5000"})
    )
    assert settings.mlflow_tracking_uri == "http://localhost:5000"
    assert settings.flight_port == 6001


def test_configurable_classes_read_ff_variables(monkeypatch):
    monkeypatch.setenv("FF_HOST", "fusion.internal")
    monkeypatch.setenv("FF_TOKEN", "t")
    assert MlFusionConfiguration().settings().flight_host == "fusion.internal"
    client = FlightFusionResource(port=1234).get_client()
    assert (client.options.host, client.options.port, client.options.token) == ("fusion.internal", 1234, "t")
