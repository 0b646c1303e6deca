"""Fixtures: one simulator per test session (virtual clock), reset before every test.

SDK clients are the real azure-mgmt ones, pointed at the simulator with ``base_url`` and the
simulator's CA, with a static token and no client-side retries so a test sees each answer.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.privatedns import PrivateDnsManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from simulator import Simulator
from tests.sim_behaviour import marked_behaviour

SUB = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
OTHER_SUB = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
TENANT = "7e1f0c2a-5b4d-4e6f-8a9b-0c1d2e3f4a5b"
NET_RG = "rg-network"
APIM_RG = "rg-apim"
DNS_RG = "rg-dns"
VNET = "vnet-apim"
VNET_ID = f"/subscriptions/{SUB}/resourceGroups/{NET_RG}/providers/Microsoft.Network/virtualNetworks/{VNET}"
APIM_ID = f"/subscriptions/{SUB}/resourceGroups/{APIM_RG}/providers/Microsoft.ApiManagement/service/apim-contoso"
ALICE = "a11ce000-0000-4000-8000-000000000001"
BOB = "b0b00000-0000-4000-8000-000000000002"
GROUP = "9a000000-0000-4000-8000-000000000003"
SP = "5e000000-0000-4000-8000-000000000004"
CAROL = "ca201000-0000-4000-8000-000000000005"


def subnet_id(name: str, vnet: str = VNET) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{NET_RG}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{name}"


class StaticToken:
    """Any bearer token satisfies the simulator; this one never expires during a test."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("simulator-token", int(time.time()) + 3600)


class SimControl:
    """Calls the simulator's /_sim/ control API."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def call(self, method: str, path: str, body: Any = None) -> Any:
        import ssl

        ctx = ssl.create_default_context(cafile=str(self.sim.ca))
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.sim.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, context=ctx) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def raw(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """One HTTP call without the SDK: (status, headers, parsed body or None)."""
        import ssl
        import urllib.error

        ctx = ssl.create_default_context(cafile=str(self.sim.ca))
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.sim.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", "Bearer simulator-token")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with urllib.request.urlopen(req, context=ctx) as resp:
                status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            status, hdrs, raw = exc.code, dict(exc.headers), exc.read()
        return status, hdrs, json.loads(raw) if raw else None

    def state(self) -> dict[str, Any]:
        return self.call("GET", "/_sim/state")

    def resource(self, resource_id: str) -> dict[str, Any] | None:
        for r in self.state()["resources"]:
            if r["id"].lower() == resource_id.lower():
                return r
        return None

    def advance(self, **delta: float) -> dict[str, Any]:
        return self.call("POST", "/_sim/clock/advance", delta)

    def fault(self, **rule: Any) -> dict[str, Any]:
        return self.call("POST", "/_sim/faults", rule)

    def requests(self) -> list[dict[str, Any]]:
        return self.call("GET", "/_sim/requests")

    def timings(self, **values: Any) -> dict[str, Any]:
        return self.call("POST", "/_sim/timings", values)

    def behaviour(self, **switches: Any) -> dict[str, Any]:
        return self.call("POST", "/_sim/behaviour", switches)


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    state_dir: Path = tmp_path_factory.mktemp("simulator")
    with Simulator(state_dir, clock="virtual") as sim:
        yield sim


@pytest.fixture
def sim(simulator: Simulator, request: pytest.FixtureRequest) -> SimControl:
    """The session simulator, reset to the default seed for this test, with the switches of
    its ``sim_behaviour`` marker (tests/sim_behaviour.py)."""
    return fresh_control(simulator, request)


def fresh_control(simulator: Simulator, request: pytest.FixtureRequest) -> SimControl:
    """Reset the simulator and apply the test's ``sim_behaviour`` switches."""
    control = SimControl(simulator)
    control.call("POST", "/_sim/reset")
    switches = marked_behaviour(request.node)
    if switches:
        control.behaviour(**switches)
    return control


def _kwargs(simulator: Simulator) -> dict[str, Any]:
    return {
        "base_url": simulator.url,
        "connection_verify": str(simulator.ca),
        "retry_total": 0,
        "polling_interval": 0,
    }


@pytest.fixture
def network(sim: SimControl) -> NetworkManagementClient:
    return NetworkManagementClient(StaticToken(), SUB, **_kwargs(sim.sim))


@pytest.fixture
def apim(sim: SimControl) -> ApiManagementClient:
    return ApiManagementClient(StaticToken(), SUB, **_kwargs(sim.sim))


@pytest.fixture
def dns(sim: SimControl) -> PrivateDnsManagementClient:
    return PrivateDnsManagementClient(StaticToken(), SUB, **_kwargs(sim.sim))


@pytest.fixture
def authz(sim: SimControl) -> AuthorizationManagementClient:
    return AuthorizationManagementClient(StaticToken(), SUB, **_kwargs(sim.sim))


@pytest.fixture
def resources(sim: SimControl) -> ResourceManagementClient:
    return ResourceManagementClient(StaticToken(), SUB, **_kwargs(sim.sim))
