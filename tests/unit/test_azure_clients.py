"""ARM client settings: defaults for Azure, the simulator's settings, and named errors."""

from __future__ import annotations

import pytest

from shared.azure_clients import PUBLIC_ARM, ArmSettings, ClientFactory, SettingsError


def test_defaults_target_public_arm_with_default_credential():
    settings = ArmSettings.from_env({})
    assert settings.endpoint == PUBLIC_ARM
    assert settings.credential == "default"
    assert "credential_scopes" not in settings.client_kwargs()
    assert "connection_verify" not in settings.client_kwargs()


def test_simulator_settings_carry_ca_and_public_audience(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    settings = ArmSettings.from_env(
        {
            "ARM_ENDPOINT": "https://127.0.0.1:8443/",
            "ARM_CA_BUNDLE": str(ca),
            "ARM_CREDENTIAL": "static",
            "ARM_POLLING_INTERVAL": "0",
        }
    )
    kwargs = settings.client_kwargs()
    assert kwargs["base_url"] == "https://127.0.0.1:8443"
    assert kwargs["connection_verify"] == str(ca)
    assert kwargs["credential_scopes"] == [f"{PUBLIC_ARM}/.default"]
    assert kwargs["polling_interval"] == 0


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ARM_ENDPOINT": "http://127.0.0.1:1"}, "ARM_ENDPOINT"),
        ({"ARM_CREDENTIAL": "static"}, "ARM_CREDENTIAL=static"),
        ({"ARM_CREDENTIAL": "password"}, "ARM_CREDENTIAL"),
        ({"ARM_CA_BUNDLE": "/nonexistent/ca.pem"}, "ARM_CA_BUNDLE"),
        ({"ARM_RETRY_TOTAL": "many"}, "ARM_RETRY_TOTAL"),
        ({"ARM_POLLING_INTERVAL": "-1"}, "ARM_POLLING_INTERVAL"),
    ],
)
def test_bad_settings_are_named(env, named):
    with pytest.raises(SettingsError, match=named):
        ArmSettings.from_env(env)


def test_factory_caches_one_client_per_subscription():
    factory = ClientFactory(ArmSettings(endpoint="https://127.0.0.1:1", credential="static"))
    assert factory.network("SUB-A") is factory.network("sub-a")
    assert factory.network("sub-a") is not factory.network("sub-b")


def test_servicebus_client_needs_one_of_the_two_settings():
    from shared.azure_clients import servicebus_client

    with pytest.raises(SettingsError, match="ServiceBusConnection__fullyQualifiedNamespace"):
        servicebus_client({})


def test_servicebus_client_from_connection_string():
    from shared.azure_clients import servicebus_client

    conn = (
        "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=RootManageSharedAccessKey;"
        "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;"
    )
    client = servicebus_client({"ServiceBusConnection": conn})
    assert client.fully_qualified_namespace == "127.0.0.1:5672"
