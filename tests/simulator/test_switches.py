"""Every value of every simulator switch (``/_sim/behaviour``), seen through the real SDK clients.

Each switch is one thing Azure leaves undocumented (or a default that follows real ARM and a
kinder variant); simulator/README.md, "Switches", says what is known and where from. The
``sim_behaviour`` marker (tests/sim_behaviour.py) sets them per test, as the e2e matrix does.
"""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.apimanagement.models import (
    ApiManagementGatewayConfigConnectionResource,
    ApiManagementGatewayResource,
    ApiManagementGatewaySkuProperties,
    BackendConfiguration,
    BackendSubnetConfiguration,
    WorkspaceContract,
)

from simulator.settings import choices, switch_names
from tests.simulator.conftest import APIM_RG, NET_RG, SUB, VNET

SVC = "apim-contoso"
ASE = "Microsoft.Web/hostingEnvironments"
GW_ID = f"/subscriptions/{SUB}/resourceGroups/{APIM_RG}/providers/Microsoft.ApiManagement/gateways"


def _injection_gateway(apim, network, name: str = "gw-a", polling: bool = False):
    current = network.subnets.get(NET_RG, VNET, "snet-gw-a")
    body = {
        "properties": {
            "addressPrefix": current.address_prefix,
            "delegations": [{"name": "ase", "properties": {"serviceName": ASE}}],
        }
    }
    sid = network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-a", body).result().id
    return apim.api_gateway.begin_create_or_update(
        APIM_RG, name, ApiManagementGatewayResource(
            location="West Europe",
            sku=ApiManagementGatewaySkuProperties(name="WorkspaceGatewayPremium", capacity=1),
            virtual_network_type="Internal",
            backend=BackendConfiguration(subnet=BackendSubnetConfiguration(id=sid))),
        polling=polling,
    )  # fmt: skip


def _workspace(apim, name: str = "ws-pay") -> str:
    return str(
        apim.workspace.create_or_update(
            APIM_RG, SVC, name, WorkspaceContract(display_name=name, description="")
        ).id
    )


def _link(apim, gateway: str, source: str, name: str = "ws-pay"):
    return apim.api_gateway_config_connection.begin_create_or_update(
        APIM_RG, gateway, name, ApiManagementGatewayConfigConnectionResource(source_id=source),
        polling=False,
    ).result()  # fmt: skip


def _raw_gateway(sim, name: str = "gw-a") -> dict:
    status, _, body = sim.raw("GET", f"{GW_ID}/{name}?api-version=2024-05-01")
    assert status == 200
    return body["properties"]


# --- /_sim/behaviour itself ---------------------------------------------------------------


def test_behaviour_lists_every_switch_with_real_arm_defaults(sim):
    switches = sim.call("GET", "/_sim/behaviour")
    assert sorted(switches) == sorted(switch_names())
    assert switches["gatewayExposesPrivateIp"] is False
    assert switches["gatewayHostname"] == "config-connection"
    assert switches["directoryCheckWithPrincipalType"] == "skipped"
    assert "gatewayBuildMinutes" not in switches  # a timing, not a switch


def test_behaviour_refuses_timings_unknown_names_and_values(sim):
    for body in ({"gatewayBuildMinutes": 5}, {"noSuchSwitch": 1}, {"gatewayHostname": "x"}):
        status, _, _ = sim.raw("POST", "/_sim/behaviour", body)
        assert status == 400, body
    assert sim.call("GET", "/_sim/behaviour")["gatewayHostname"] == "config-connection"


def test_a_seed_sets_switches_and_reset_restores_the_defaults(sim):
    sim.call("POST", "/_sim/seed", {"behaviour": {"gatewayDeleteWithLinks": "conflict"}})
    assert sim.call("GET", "/_sim/behaviour")["gatewayDeleteWithLinks"] == "conflict"
    sim.call("POST", "/_sim/reset")
    assert sim.call("GET", "/_sim/behaviour")["gatewayDeleteWithLinks"] == "cascade"


def test_choices_name_every_value_of_a_switch():
    assert choices("gatewayHostname") == ("config-connection", "also-frontend", "after-succeeded")
    assert choices("gatewayExposesPrivateIp") == (False, True)


@pytest.mark.sim_behaviour(gatewayHostname="also-frontend")
def test_the_marker_sets_switches_before_the_test(sim):
    assert sim.call("GET", "/_sim/behaviour")["gatewayHostname"] == "also-frontend"


# --- gatewayExposesPrivateIp ---------------------------------------------------------------


def test_by_default_a_built_injection_gateway_shows_no_private_ip(sim, apim, network):
    _injection_gateway(apim, network)
    sim.advance(hours=3)
    props = _raw_gateway(sim)
    assert props["provisioningState"] == "Succeeded"
    assert not any("ip" in name.lower() for name in props)  # no VIP field of any spelling


def test_the_portal_view_shows_the_vip_arm_hides(sim, apim, network):
    _injection_gateway(apim, network)
    sim.advance(hours=3)
    overview = sim.call("GET", f"/_sim/portal/gateway?id={GW_ID}/gw-a")
    assert overview["privateIpAddress"] == "10.20.1.4"
    assert overview["provisioningState"] == "Succeeded"
    assert sim.raw("GET", "/_sim/portal/gateway?id=nonsense")[0] == 400


@pytest.mark.sim_behaviour(gatewayExposesPrivateIp=True)
def test_switched_on_the_private_ip_is_in_a_field_once_built(sim, apim, network):
    _injection_gateway(apim, network)
    assert "privateIPAddresses" not in _raw_gateway(sim)
    sim.advance(hours=3)
    assert _raw_gateway(sim)["privateIPAddresses"] == ["10.20.1.4"]


# --- gatewayHostname -------------------------------------------------------------------------


def test_by_default_the_hostname_is_on_the_config_connection_only(sim, apim, network):
    _injection_gateway(apim, network)
    link = _link(apim, "gw-a", _workspace(apim))
    sim.advance(hours=3)
    gateway = apim.api_gateway.get(APIM_RG, "gw-a")
    assert gateway.frontend is None and "frontend" not in _raw_gateway(sim)
    assert link.default_hostname.startswith("gw-a-")
    assert link.default_hostname.endswith(".gateway.westeurope-01.azure-api.net")
    assert link.hostnames == [link.default_hostname]


@pytest.mark.sim_behaviour(gatewayHostname="also-frontend")
def test_also_frontend_shows_it_on_the_gateway_too_from_the_put_on(sim, apim, network):
    _injection_gateway(apim, network)
    link = _link(apim, "gw-a", _workspace(apim))
    assert apim.api_gateway.get(APIM_RG, "gw-a").frontend.default_hostname == (
        link.default_hostname
    )


@pytest.mark.sim_behaviour(gatewayHostname="after-succeeded")
def test_after_succeeded_shows_it_only_once_the_build_succeeded(sim, apim, network):
    _injection_gateway(apim, network)
    link = _link(apim, "gw-a", _workspace(apim))
    assert link.default_hostname is None and not link.hostnames
    sim.advance(hours=3)
    got = apim.api_gateway_config_connection.get(APIM_RG, "gw-a", "ws-pay")
    assert got.default_hostname.startswith("gw-a-")
    assert apim.api_gateway.get(APIM_RG, "gw-a").frontend is None


# --- gatewayBuildOutcome ---------------------------------------------------------------------


def test_by_default_a_build_succeeds(sim, apim, network):
    _injection_gateway(apim, network)
    sim.advance(hours=3)
    assert apim.api_gateway.get(APIM_RG, "gw-a").provisioning_state == "Succeeded"


@pytest.mark.sim_behaviour(gatewayBuildOutcome="failed")
def test_a_failed_build_ends_failed_and_the_sdk_raises_its_error(sim, apim, network):
    poller = _injection_gateway(apim, network, polling=True)
    sim.advance(hours=3)
    with pytest.raises(HttpResponseError) as err:
        poller.result()
    assert err.value.error.code == "GatewayProvisioningFailed"
    assert apim.api_gateway.get(APIM_RG, "gw-a").provisioning_state == "Failed"


@pytest.mark.sim_behaviour(gatewayBuildOutcome="never")
def test_a_build_that_never_ends_stays_activating(sim, apim, network):
    _injection_gateway(apim, network)
    sim.advance(days=30)
    assert apim.api_gateway.get(APIM_RG, "gw-a").provisioning_state == "Activating"
    apim.api_gateway.begin_delete(APIM_RG, "gw-a").result()  # deletable


# --- configConnectionDuringBuild: "accept" (refuse/await-build: test_apim_link_during_build) --


@pytest.mark.sim_behaviour(configConnectionDuringBuild="accept")
def test_accept_links_while_the_gateway_builds(sim, apim, network):
    _injection_gateway(apim, network)
    _link(apim, "gw-a", _workspace(apim))
    assert apim.api_gateway.get(APIM_RG, "gw-a").provisioning_state != "Succeeded"
    sim.advance(minutes=1)
    got = apim.api_gateway_config_connection.get(APIM_RG, "gw-a", "ws-pay")
    assert got.provisioning_state == "Succeeded"


# --- workspaceDeleteWithLinks / gatewayDeleteWithLinks ---------------------------------------


def test_by_default_deleting_a_linked_workspace_takes_its_links(sim, apim):
    _link(apim, "gw-shared", _workspace(apim))
    sim.advance(minutes=1)
    apim.workspace.delete(APIM_RG, SVC, "ws-pay", if_match="*")
    assert [c.name for c in apim.api_gateway_config_connection.list_by_gateway(
        APIM_RG, "gw-shared")] == []  # fmt: skip


@pytest.mark.sim_behaviour(workspaceDeleteWithLinks="conflict")
def test_conflict_refuses_deleting_a_linked_workspace_until_unlinked(sim, apim):
    _link(apim, "gw-shared", _workspace(apim))
    sim.advance(minutes=1)
    with pytest.raises(HttpResponseError) as err:
        apim.workspace.delete(APIM_RG, SVC, "ws-pay", if_match="*")
    assert err.value.status_code == 409 and err.value.error.code == "Conflict"
    apim.api_gateway_config_connection.begin_delete(
        APIM_RG, "gw-shared", "ws-pay", if_match="*").result()  # fmt: skip
    apim.workspace.delete(APIM_RG, SVC, "ws-pay", if_match="*")


def test_by_default_deleting_a_linked_gateway_takes_its_links(sim, apim, network):
    _injection_gateway(apim, network)
    sim.advance(hours=3)
    _link(apim, "gw-a", _workspace(apim))
    apim.api_gateway.begin_delete(APIM_RG, "gw-a").result()
    assert sim.resource(f"{GW_ID}/gw-a/configConnections/ws-pay") is None


@pytest.mark.sim_behaviour(gatewayDeleteWithLinks="conflict")
def test_conflict_refuses_deleting_a_linked_gateway_until_unlinked(sim, apim, network):
    _injection_gateway(apim, network)
    sim.advance(hours=3)
    _link(apim, "gw-a", _workspace(apim))
    sim.advance(minutes=1)
    with pytest.raises(HttpResponseError) as err:
        apim.api_gateway.begin_delete(APIM_RG, "gw-a")
    assert err.value.status_code == 409
    apim.api_gateway_config_connection.begin_delete(
        APIM_RG, "gw-a", "ws-pay", if_match="*").result()  # fmt: skip
    apim.api_gateway.begin_delete(APIM_RG, "gw-a").result()
    assert sim.resource(f"{GW_ID}/gw-a") is None


# --- nonWebDelegationNeedsRegistration -------------------------------------------------------

ACI = "Microsoft.ContainerInstance/containerGroups"


def _delegate_body(network, service: str) -> dict:
    current = network.subnets.get(NET_RG, VNET, "snet-gw-b")
    return {"properties": {"addressPrefix": current.address_prefix,
                           "delegations": [{"name": "d", "properties": {"serviceName": service}}]}}  # fmt: skip


def test_by_default_a_non_web_delegation_needs_no_registration(sim, network):
    body = _delegate_body(network, ACI)
    result = network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-b", body).result()
    assert result.delegations[0].service_name == ACI


@pytest.mark.sim_behaviour(nonWebDelegationNeedsRegistration=True)
def test_switched_on_a_non_web_delegation_needs_its_namespace_registered(sim, network):
    body = _delegate_body(network, ACI)
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-b", body)
    assert err.value.error.code == "MissingSubscriptionRegistration"
    assert "Microsoft.ContainerInstance" in err.value.error.message
    sim.call("POST", "/_sim/seed", {"subscriptions": [
        {"subscriptionId": SUB, "providers": {"Microsoft.ContainerInstance": "Registered"}}]})  # fmt: skip
    assert network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-b", body).result()
