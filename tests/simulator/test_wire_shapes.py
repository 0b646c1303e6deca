"""Bodies shaped as ARM shapes them (issue 13): NSG rules' empty arrays, DNS link etags,
ParentResourceNotFound for children of a missing zone, If-Match on a create."""

from __future__ import annotations

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError

from tests.simulator.conftest import DNS_RG, NET_RG, SUB, VNET_ID

NSGS = f"/subscriptions/{SUB}/resourceGroups/{NET_RG}/providers/Microsoft.Network/networkSecurityGroups"
ZONES = f"/subscriptions/{SUB}/resourceGroups/{DNS_RG}/providers/Microsoft.Network/privateDnsZones"
RULE = {"properties": {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "443",
                       "sourceAddressPrefix": "VirtualNetwork", "destinationAddressPrefix": "*",
                       "access": "Allow", "priority": 100, "direction": "Inbound"}}  # fmt: skip
ARRAYS = ("sourcePortRanges", "destinationPortRanges", "sourceAddressPrefixes",
          "destinationAddressPrefixes")  # fmt: skip


def test_rules_carry_their_empty_array_defaults(sim, network):
    network.network_security_groups.begin_create_or_update(
        NET_RG, "nsg-x", {"location": "westeurope", "properties": {"securityRules": [
            {"name": "https", **RULE}]}}).result()  # fmt: skip
    _, _, nsg = sim.raw("GET", f"{NSGS}/nsg-x?api-version=2024-05-01")
    for rule in nsg["properties"]["securityRules"] + nsg["properties"]["defaultSecurityRules"]:
        assert all(rule["properties"][name] == [] for name in ARRAYS), rule["name"]
    # Sent back as read (singular and empty plural), the rule is still valid.
    rule = nsg["properties"]["securityRules"][0]
    status, _, _ = sim.raw("PUT", f"{NSGS}/nsg-x/securityRules/https?api-version=2024-05-01",
                           {"properties": rule["properties"]})  # fmt: skip
    assert status in (200, 201)


def test_children_of_a_missing_zone_are_parent_resource_not_found(sim):
    for path, body in (
        (f"{ZONES}/nowhere.example/A/@", {"properties": {"ttl": 300, "aRecords": []}}),
        (f"{ZONES}/nowhere.example/virtualNetworkLinks/l",
         {"location": "global", "properties": {"virtualNetwork": {"id": VNET_ID}}}),
    ):  # fmt: skip
        status, _, answer = sim.raw("PUT", f"{path}?api-version=2024-06-01", body)
        assert status == 404
        assert answer["error"]["code"] == "ParentResourceNotFound"


def test_vnet_link_etags_are_quoted_and_match_quoted_or_not(sim, dns):
    dns.private_zones.begin_create_or_update(DNS_RG, "z.example", {"location": "global"}).result()
    link = dns.virtual_network_links.begin_create_or_update(
        DNS_RG, "z.example", "l", {"location": "global", "properties": {
            "virtualNetwork": {"id": VNET_ID}, "registrationEnabled": False}}).result()  # fmt: skip
    assert link.etag.startswith('"') and link.etag.endswith('"')
    _, headers, body = sim.raw(
        "GET", f"{ZONES}/z.example/virtualNetworkLinks/l?api-version=2024-06-01"
    )
    assert headers["ETag"] == body["etag"] == link.etag
    zone = dns.private_zones.get(DNS_RG, "z.example")
    assert not zone.etag.startswith('"')  # zones keep the bare GUID


def test_if_match_star_on_a_create_is_precondition_failed(sim):
    status, _, answer = sim.raw(
        "PUT", f"{NSGS}/nsg-new?api-version=2024-05-01",
        {"location": "westeurope", "properties": {}}, headers={"If-Match": "*"},
    )  # fmt: skip
    assert status == 412 and answer["error"]["code"] == "PreconditionFailed"
    assert sim.resource(f"{NSGS}/nsg-new") is None


def test_if_match_star_on_a_record_create_is_refused(dns):
    dns.private_zones.begin_create_or_update(DNS_RG, "r.example", {"location": "global"}).result()
    with pytest.raises(HttpResponseError) as err:
        dns.record_sets.create_or_update(
            DNS_RG, "r.example", "A", "@", {"properties": {"ttl": 60, "aRecords": []}},
            match_condition=MatchConditions.IfPresent,  # If-Match: *
        )  # fmt: skip
    assert err.value.status_code == 412


APIM = f"/subscriptions/{SUB}/resourceGroups/rg-apim/providers/Microsoft.ApiManagement"


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (f"{APIM}/gateways/{'g' * 46}", "gatewayName"),
        (f"{APIM}/gateways/1gw", "gatewayName"),
        (f"{APIM}/gateways/gw-", "gatewayName"),
        (f"{APIM}/gateways/gw_a", "gatewayName"),
        (f"{APIM}/service/apim-contoso/workspaces/{'w' * 81}", "workspaceId"),
        (f"{APIM}/service/apim-contoso/workspaces/ws%2Bplus", "workspaceId"),
        (f"{APIM}/service/apim-contoso/workspaces/ws:colon", "workspaceId"),
    ],
)  # fmt: skip
def test_apim_names_follow_the_specs_path_rules(sim, path, target):
    body = {"location": "West Europe", "sku": {"name": "WorkspaceGatewayPremium", "capacity": 1},
            "properties": {"displayName": "x", "virtualNetworkType": "None"}}  # fmt: skip
    status, _, answer = sim.raw("PUT", f"{path}?api-version=2024-05-01", body)
    assert status == 400, answer
    assert answer["error"]["code"] == "ValidationError"
    assert answer["error"]["details"][0]["target"] == target


def test_names_at_the_limits_are_taken(sim):
    body = {"location": "West Europe", "sku": {"name": "WorkspaceGatewayPremium", "capacity": 1},
            "properties": {"virtualNetworkType": "None"}}  # fmt: skip
    assert sim.raw("PUT", f"{APIM}/gateways/{'g' * 45}?api-version=2024-05-01", body)[0] == 201
    ws = f"{APIM}/service/apim-contoso/workspaces/{'w' * 78}_x?api-version=2024-05-01"
    assert sim.raw("PUT", ws, {"properties": {"displayName": "W"}})[0] == 201


def test_a_workspace_list_carries_its_count_like_apim(sim, apim):
    status, _, body = sim.raw(
        "GET", f"{APIM}/service/apim-contoso/workspaces?api-version=2024-05-01"
    )
    assert status == 200 and body["count"] == len(body["value"]) >= 1
    assert [w.name for w in apim.workspace.list_by_service("rg-apim", "apim-contoso")] == [
        w["name"] for w in body["value"]
    ]
