"""``GET /_sim/requests?bodies=true``: what a client sent and what it got, for tests to assert."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.apimanagement.models import WorkspaceContract

from tests.simulator.conftest import APIM_RG, NET_RG, VNET


def test_bodies_are_shown_only_when_asked(sim, apim):
    apim.workspace.create_or_update(
        APIM_RG, "apim-contoso", "ws-log", WorkspaceContract(display_name="Log", description="d")
    )
    plain = sim.requests()[-1]
    assert plain == {"method": "PUT", "path": plain["path"], "status": 201}
    shown = sim.call("GET", "/_sim/requests?bodies=true")[-1]
    assert shown["requestBody"] == {"properties": {"displayName": "Log", "description": "d"}}
    assert shown["responseBody"]["name"] == "ws-log"


def test_a_read_has_no_request_body_and_an_error_its_envelope(sim, network):
    with pytest.raises(ResourceNotFoundError):
        network.subnets.get(NET_RG, VNET, "snet-none")
    shown = sim.call("GET", "/_sim/requests?bodies=true")[-1]
    assert shown["requestBody"] is None
    assert shown["responseBody"]["error"]["code"] == "ResourceNotFound"


def test_the_logged_response_is_what_was_sent_then_not_the_state_now(sim, network):
    subnet = network.subnets.get(NET_RG, VNET, "snet-gw-a")
    body = {"properties": {"addressPrefix": subnet.address_prefix, "delegations": [
        {"name": "d", "properties": {"serviceName": "Microsoft.Web/serverFarms"}}]}}  # fmt: skip
    network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-a", body).result()
    rows = sim.call("GET", "/_sim/requests?bodies=true")
    first_get = next(r for r in rows if r["method"] == "GET" and r["path"].endswith("snet-gw-a"))
    assert first_get["responseBody"]["properties"].get("delegations") in (None, [])
    put = next(r for r in rows if r["method"] == "PUT")
    assert put["requestBody"]["properties"]["delegations"][0]["properties"]["serviceName"] == (
        "Microsoft.Web/serverFarms"
    )
