from flight_fusion import ClientOptions


def test_explicit_arguments_win_over_ff_variables():
    options = ClientOptions(host="example", port=1234, token="t", env={"FF_HOST": "h", "FF_PORT": "9", "FF_TOKEN": "x"})
    assert (options.host, options.port, options.token) == ("example", 1234, "t")


def test_unset_fields_come_from_ff_host_ff_port_ff_token():
    options = ClientOptions(env={"FF_HOST": "fusion.internal", "FF_PORT": "6000", "FF_TOKEN": "s3cret"})
    assert (options.host, options.port, options.token) == ("fusion.internal", 6000, "s3cret")
    assert options.location == "grpc://fusion.internal:6000"


def test_defaults_are_the_original_localhost_50051():
    options = ClientOptions.from_env({})
    assert (options.host, options.port, options.token) == ("localhost", 50051, None)


def test_ff_use_tls_selects_grpc_tls():
    assert ClientOptions(env={"FF_USE_TLS": "true"}).location == "grpc+tls://localhost:50051"


def test_a_bad_ff_port_says_what_is_wrong():
    import pytest

    with pytest.raises(ValueError, match="FF_PORT must be a port number"):
        ClientOptions(env={"FF_PORT": "fifty"})
