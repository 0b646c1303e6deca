"""Workspace gateways: the hours-long build on the virtual clock, rules, failure, delete."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.apimanagement.models import (
    ApiManagementGatewayResource,
    ApiManagementGatewaySkuProperties,
    BackendConfiguration,
    BackendSubnetConfiguration,
)

from tests.simulator.conftest import APIM_RG, NET_RG, VNET, subnet_id

ASE = "Microsoft.Web/hostingEnvironments"
FARMS = "Microsoft.Web/serverFarms"


def _delegate(network, subnet: str, service: str, vnet: str = VNET, rg: str = NET_RG) -> str:
    current = network.subnets.get(rg, vnet, subnet)
    prefix = current.address_prefix or current.address_prefixes[0]
    body = {
        "properties": {
            "addressPrefix": prefix,
            "delegations": [{"name": "web", "properties": {"serviceName": service}}],
        }
    }
    return network.subnets.begin_create_or_update(rg, vnet, subnet, body).result().id


def _gateway(
    network_type: str = "Internal", subnet: str | None = None, location: str = "West Europe"
):
    return ApiManagementGatewayResource(
        location=location,
        sku=ApiManagementGatewaySkuProperties(name="WorkspaceGatewayPremium", capacity=1),
        virtual_network_type=network_type,
        backend=BackendConfiguration(subnet=BackendSubnetConfiguration(id=subnet))
        if subnet
        else None,
    )


def test_build_takes_three_simulated_hours_and_sdk_poller_waits(apim, network, sim):
    sid = _delegate(network, "snet-gw-a", ASE)
    poller = apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway("Internal", sid))
    assert apim.api_gateway.get(APIM_RG, "gw-a").provisioning_state == "Created"
    sim.advance(minutes=5)
    assert apim.api_gateway.get(APIM_RG, "gw-a").provisioning_state == "Activating"
    sim.advance(hours=2, minutes=50)
    assert not poller.done()
    sim.advance(minutes=5)
    result = poller.result()
    assert result.provisioning_state == "Succeeded"
    assert result.target_provisioning_state == ""


def test_put_answers_201_created_with_both_lro_headers(network, sim):
    sid = _delegate(network, "snet-gw-a", FARMS)
    path = (
        subnet_id("x").split("/resourceGroups/")[0]
        + f"/resourceGroups/{APIM_RG}/providers/Microsoft.ApiManagement/gateways/gw-a?api-version=2024-05-01"
    )
    body = {
        "location": "West Europe",
        "sku": {"name": "WorkspaceGatewayPremium", "capacity": 1},
        "properties": {"virtualNetworkType": "External", "backend": {"subnet": {"id": sid}}},
    }
    status, headers, answer = sim.raw("PUT", path, body)
    assert status == 201
    assert headers["Location"] == headers["Azure-AsyncOperation"]
    assert "/gateways/gw-a/operationresults/" in headers["Location"]
    assert headers["Location"].endswith("&asyncResponse")
    assert answer["properties"]["provisioningState"] == "Created"
    assert answer["properties"]["targetProvisioningState"] == "Activating"
    status, _, poll = sim.raw("GET", headers["Azure-AsyncOperation"].removeprefix(sim.sim.url))
    assert status == 200
    assert poll["status"] == "InProgress"


def test_continuation_token_resumes_polling_later(apim, network, sim):
    sid = _delegate(network, "snet-gw-a", ASE)
    token = apim.api_gateway.begin_create_or_update(
        APIM_RG, "gw-a", _gateway("Internal", sid)
    ).continuation_token()
    sim.advance(hours=3)
    resumed = apim.api_gateway.begin_create_or_update(
        APIM_RG, "gw-a", _gateway("Internal", sid), continuation_token=token
    )
    assert resumed.result().provisioning_state == "Succeeded"


# Real ARM shows neither (the defaults, tests/simulator/test_switches.py); the kinder switches.
@pytest.mark.sim_behaviour(gatewayExposesPrivateIp=True, gatewayHostname="also-frontend")
def test_injection_gateway_exposes_hostname_and_private_ip_after_build(apim, network, sim):
    sid = _delegate(network, "snet-gw-a", ASE)
    apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway("Internal", sid))
    sim.advance(hours=3)
    gateway = apim.api_gateway.get(APIM_RG, "gw-a")
    raw = sim.resource(gateway.id)["properties"]
    assert raw["privateIPAddresses"] == ["10.20.1.4"]
    host = gateway.frontend.default_hostname
    assert host.startswith("gw-a-") and host.endswith(".gateway.westeurope-01.azure-api.net")


def test_private_ip_can_be_hidden_like_real_arm(apim, network, sim):
    sim.timings(gatewayExposesPrivateIp=False)
    sid = _delegate(network, "snet-gw-a", ASE)
    apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway("Internal", sid))
    sim.advance(hours=3)
    assert (
        "privateIPAddresses"
        not in sim.resource(apim.api_gateway.get(APIM_RG, "gw-a").id)["properties"]
    )


def test_build_failure_when_told_surfaces_through_the_sdk(apim, network, sim):
    sim.call(
        "POST",
        "/_sim/provisioning",
        {
            "name": "gw-*",
            "outcome": "Failed",
            "error": {"code": "InternalError", "message": "boom"},
        },
    )
    sid = _delegate(network, "snet-gw-a", ASE)
    poller = apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway("Internal", sid))
    sim.advance(hours=3)
    with pytest.raises(HttpResponseError) as err:
        poller.result()
    assert err.value.error.code == "InternalError"
    assert apim.api_gateway.get(APIM_RG, "gw-a").provisioning_state == "Failed"


def test_provisioning_rule_shortens_a_build_in_flight(apim, network, sim):
    sid = _delegate(network, "snet-gw-a", ASE)
    poller = apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway("Internal", sid))
    sim.call("POST", "/_sim/provisioning", {"name": "gw-a", "buildMinutes": 10})
    sim.advance(minutes=10)
    assert poller.result().provisioning_state == "Succeeded"


def test_invalid_provisioning_rule_is_named(sim):
    status, _, body = sim.raw(
        "POST", "/_sim/provisioning", {"outcome": "Maybe", "buildMinutes": -1}
    )
    assert status == 400
    assert "'outcome'" in body["error"]["message"] and "'buildMinutes'" in body["error"]["message"]


def test_identical_re_put_is_200_and_starts_no_new_build(apim, network, sim):
    sid = _delegate(network, "snet-gw-a", ASE)
    apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway("Internal", sid))
    sim.advance(hours=3)
    again = apim.api_gateway.begin_create_or_update(
        APIM_RG, "gw-a", _gateway("Internal", sid)
    ).result()
    assert again.provisioning_state == "Succeeded"
    assert [
        r["status"] for r in sim.requests() if r["method"] == "PUT" and "/gateways/" in r["path"]
    ] == [201, 200]


def test_network_settings_are_immutable(apim, network):
    sid = _delegate(network, "snet-gw-a", ASE)
    apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway("Internal", sid))
    with pytest.raises(HttpResponseError) as err:
        apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway("External", sid))
    assert err.value.error.code == "ValidationError"
    assert "virtualNetworkType" in err.value.error.details[0].message


@pytest.mark.parametrize(
    ("subnet", "delegation", "network_type", "words"),
    [
        ("snet-gw-a", FARMS, "Internal", "hostingEnvironments"),
        ("snet-gw-a", ASE, "External", "serverFarms"),
        ("snet-small", ASE, "Internal", "/27 and /24"),
    ],
)
def test_subnet_rules_are_enforced(apim, network, subnet, delegation, network_type, words):
    sid = _delegate(network, subnet, delegation)
    with pytest.raises(HttpResponseError) as err:
        apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway(network_type, sid))
    assert err.value.status_code == 400
    assert words in err.value.error.details[0].message


def test_subnet_in_another_region_is_refused(apim, network):
    sid = _delegate(network, "snet-gw", ASE, vnet="vnet-eastus", rg="rg-network-eastus")
    with pytest.raises(HttpResponseError) as err:
        apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway("Internal", sid))
    assert "region" in err.value.error.details[0].message


def test_subnet_is_dedicated_to_one_gateway(apim, network, sim):
    sid = _delegate(network, "snet-gw-a", ASE)
    apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway("Internal", sid))
    links = sim.resource(sid)["properties"]["serviceAssociationLinks"]
    assert links[0]["properties"]["link"].endswith("/gateways/gw-a")
    with pytest.raises(HttpResponseError) as err:
        apim.api_gateway.begin_create_or_update(APIM_RG, "gw-b", _gateway("Internal", sid))
    assert "in use" in err.value.error.details[0].message


def test_subnet_in_use_by_a_gateway_refuses_delegation_change(apim, network):
    sid = _delegate(network, "snet-gw-a", ASE)
    apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway("Internal", sid))
    with pytest.raises(HttpResponseError) as err:
        _delegate(network, "snet-gw-a", FARMS)
    assert err.value.error.code == "SubnetDelegationsCannotChangeWhenSubnetUsedByResource"


def test_delete_is_202_then_gone_and_frees_the_subnet(apim, network, sim):
    sid = _delegate(network, "snet-gw-a", ASE)
    apim.api_gateway.begin_create_or_update(APIM_RG, "gw-a", _gateway("Internal", sid))
    sim.advance(hours=3)
    apim.api_gateway.begin_delete(APIM_RG, "gw-a").result()
    with pytest.raises(ResourceNotFoundError):
        apim.api_gateway.get(APIM_RG, "gw-a")
    assert "serviceAssociationLinks" not in sim.resource(sid)["properties"]
    apim.api_gateway.begin_delete(APIM_RG, "gw-a").result()
    assert [r["status"] for r in sim.requests() if r["method"] == "DELETE"] == [202, 204]


def test_gateway_list_by_resource_group(apim):
    names = sorted(g.name for g in apim.api_gateway.list_by_resource_group(APIM_RG))
    assert names == ["gw-legacy", "gw-shared"]
