"""Private DNS virtual network links through the real SDK: LRO, VNet reference, preconditions."""

from __future__ import annotations

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from tests.simulator.conftest import DNS_RG, NET_RG, SUB, VNET_ID

ZONE = "gw-team-1a2b3c4d5e6f.gateway.westeurope-01.azure-api.net"
EASTUS_VNET = f"/subscriptions/{SUB}/resourceGroups/rg-network-eastus/providers/Microsoft.Network/virtualNetworks/vnet-eastus"


def _body(vnet_id: str = VNET_ID, registration: bool = False) -> dict:
    return {
        "location": "global",
        "properties": {"virtualNetwork": {"id": vnet_id}, "registrationEnabled": registration},
    }


@pytest.fixture
def zone(dns):
    return dns.private_zones.begin_create_or_update(DNS_RG, ZONE, {"location": "global"}).result()


def test_create_link_is_an_lro_ending_completed(dns, zone, sim):
    link = dns.virtual_network_links.begin_create_or_update(
        DNS_RG, ZONE, "link-apim", _body()
    ).result()
    assert link.type == "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
    assert link.location == "global"
    assert link.properties.virtual_network.id == VNET_ID
    assert link.properties.registration_enabled is False
    # SPEC-DNS VirtualNetworkLinkPut.json: virtualNetworkLinkState Completed when done.
    assert link.properties.virtual_network_link_state == "Completed"
    assert link.properties.provisioning_state == "Succeeded"
    after = dns.private_zones.get(DNS_RG, ZONE).properties
    assert after.number_of_virtual_network_links == 1
    assert after.number_of_virtual_network_links_with_registration == 0
    statuses = [r["status"] for r in sim.requests() if "privateDnsOperationStatuses" in r["path"]]
    assert statuses[-2:] == [202, 200]


def test_link_put_answers_202_in_progress_before_the_poll(dns, zone, sim):
    path = f"{zone.id}/virtualNetworkLinks/link-apim?api-version=2024-06-01"
    status, headers, body = sim.raw("PUT", path, _body())
    assert status == 202 and body == {}
    assert "privateDnsOperationStatuses" in headers["Azure-AsyncOperation"]
    state = sim.resource(f"{zone.id}/virtualNetworkLinks/link-apim")
    assert state["properties"]["virtualNetworkLinkState"] == "InProgress"


def test_registration_enabled_link_is_counted(dns, zone):
    dns.virtual_network_links.begin_create_or_update(
        DNS_RG, ZONE, "link-reg", _body(registration=True)
    ).result()
    props = dns.private_zones.get(DNS_RG, ZONE).properties
    assert props.number_of_virtual_network_links_with_registration == 1


def test_link_to_missing_vnet_is_bad_request(dns, zone):
    missing = VNET_ID.replace("vnet-apim", "vnet-missing")
    with pytest.raises(HttpResponseError) as err:
        dns.virtual_network_links.begin_create_or_update(DNS_RG, ZONE, "l", _body(missing))
    assert err.value.status_code == 400
    assert err.value.error.code == "BadRequest"
    assert "Virtual network resource not found" in err.value.error.message


def test_link_needs_a_virtual_network_id(dns, zone):
    with pytest.raises(HttpResponseError) as err:
        dns.virtual_network_links.begin_create_or_update(
            DNS_RG, ZONE, "l", {"location": "global", "properties": {}}
        )
    assert err.value.status_code == 400


def test_link_in_missing_zone_is_not_found(dns):
    with pytest.raises(ResourceNotFoundError) as err:
        dns.virtual_network_links.begin_create_or_update(DNS_RG, ZONE, "l", _body())
    # ARM refuses a nested resource under a missing parent itself (issue 13).
    assert err.value.error.code == "ParentResourceNotFound"
    assert f"Parent resource '{ZONE}' not found" in err.value.error.message


def test_second_link_to_the_same_vnet_is_refused(dns, zone):
    dns.virtual_network_links.begin_create_or_update(DNS_RG, ZONE, "link-a", _body()).result()
    with pytest.raises(ResourceExistsError) as err:
        dns.virtual_network_links.begin_create_or_update(DNS_RG, ZONE, "link-b", _body())
    assert err.value.status_code == 409


def test_links_to_two_vnets_are_fine(dns, zone):
    dns.virtual_network_links.begin_create_or_update(DNS_RG, ZONE, "link-a", _body()).result()
    dns.virtual_network_links.begin_create_or_update(
        DNS_RG, ZONE, "link-b", _body(EASTUS_VNET)
    ).result()
    names = sorted(link.name for link in dns.virtual_network_links.list(DNS_RG, ZONE))
    assert names == ["link-a", "link-b"]


def test_create_only_link_put_on_existing_link_fails_asynchronously(dns, zone):
    dns.virtual_network_links.begin_create_or_update(DNS_RG, ZONE, "link-a", _body()).result()
    with pytest.raises(HttpResponseError) as err:
        dns.virtual_network_links.begin_create_or_update(
            DNS_RG, ZONE, "link-a", _body(), match_condition=MatchConditions.IfMissing
        ).result()
    assert err.value.status_code == 200
    assert err.value.error.code == "PreconditionFailed"


def test_run_twice_link_is_idempotent(dns, zone):
    for _ in range(2):
        link = dns.virtual_network_links.begin_create_or_update(
            DNS_RG, ZONE, "link-a", _body()
        ).result()
    assert link.properties.virtual_network_link_state == "Completed"
    assert dns.private_zones.get(DNS_RG, ZONE).properties.number_of_virtual_network_links == 1


def test_get_missing_link_is_not_found(dns, zone):
    with pytest.raises(ResourceNotFoundError) as err:
        dns.virtual_network_links.get(DNS_RG, ZONE, "nope")
    assert f"privateDnsZones/{ZONE}/virtualNetworkLinks/nope" in err.value.error.message


def test_delete_link_then_zone(dns, zone, sim):
    dns.virtual_network_links.begin_create_or_update(DNS_RG, ZONE, "link-a", _body()).result()
    dns.virtual_network_links.begin_delete(DNS_RG, ZONE, "link-a").result()
    with pytest.raises(ResourceNotFoundError):
        dns.virtual_network_links.get(DNS_RG, ZONE, "link-a")
    dns.private_zones.begin_delete(DNS_RG, ZONE).result()
    # Deleting what is not there answers 204 (REC-privatedns test_DeleteLink_*_ExpectNoError).
    dns.virtual_network_links.begin_delete(DNS_RG, ZONE, "link-a").result()
    assert [r["status"] for r in sim.requests() if r["method"] == "DELETE"] == [202, 202, 204]


def test_link_reference_uses_the_network_backend(dns, zone, network):
    assert network.virtual_networks.get(NET_RG, "vnet-apim").id == VNET_ID
    link = dns.virtual_network_links.begin_create_or_update(
        DNS_RG, ZONE, "link-a", _body(VNET_ID.lower())
    ).result()
    assert link.properties.virtual_network.id.lower() == VNET_ID.lower()
