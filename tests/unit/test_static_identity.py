"""The local static token names the app identity when ARM_STATIC_PRINCIPAL_ID is set.

The simulator reads the principal from the token's ``oid`` / ``appid`` claims, as ARM reads a
managed identity's token, and holds it to its role assignments (simulator/access.py); without
the setting the token is opaque, the simulator's unrestricted operator.
"""

from __future__ import annotations

import pytest

from shared.azure_clients import ArmSettings, ClientFactory, SettingsError
from simulator.access import Caller, caller_of
from simulator.wire import Request

LOCAL = {"ARM_ENDPOINT": "https://127.0.0.1:8443", "ARM_CREDENTIAL": "static"}
OID = "a9900000-0000-4000-8000-0000000000a1"


def _caller(env: dict[str, str]) -> Caller | None:
    token = ClientFactory(ArmSettings.from_env(env)).credential.get_token("scope").token
    return caller_of(
        Request("GET", "/subscriptions/x", headers={"authorization": f"Bearer {token}"})
    )


def test_the_token_names_the_principal_and_client() -> None:
    caller = _caller({**LOCAL, "ARM_STATIC_PRINCIPAL_ID": OID, "AZURE_CLIENT_ID": "client-1"})
    assert caller is not None
    assert (caller.object_id, caller.client_id) == (OID, "client-1")


def test_without_a_principal_the_token_is_opaque() -> None:
    assert _caller(dict(LOCAL)) is None


def test_a_principal_is_only_read_with_the_static_credential() -> None:
    with pytest.raises(SettingsError, match="ARM_STATIC_PRINCIPAL_ID"):
        ArmSettings.from_env({"ARM_STATIC_PRINCIPAL_ID": OID})
