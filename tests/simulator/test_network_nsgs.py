"""Network security groups and rules through the real NetworkManagementClient."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.network.models import NetworkSecurityGroup, SecurityRule, Subnet

from tests.simulator.conftest import NET_RG, VNET


def _rule(name: str, priority: int = 100, direction: str = "Inbound") -> SecurityRule:
    return SecurityRule(
        name=name,
        protocol="Tcp",
        access="Allow",
        direction=direction,
        priority=priority,
        source_address_prefix="AzureLoadBalancer",
        source_port_range="*",
        destination_address_prefix="10.20.1.0/24",
        destination_port_range="80",
    )


def _nsg(*rules: SecurityRule) -> NetworkSecurityGroup:
    return NetworkSecurityGroup(location="westeurope", security_rules=list(rules))


def test_create_nsg_adds_the_six_default_rules(network):
    nsg = network.network_security_groups.begin_create_or_update(
        NET_RG, "nsg-a", _nsg(_rule("allow-lb"))
    ).result()
    assert nsg.provisioning_state == "Succeeded"
    assert [r.name for r in nsg.security_rules] == ["allow-lb"]
    assert {r.name for r in nsg.default_security_rules} == {
        "AllowVnetInBound",
        "AllowAzureLoadBalancerInBound",
        "DenyAllInBound",
        "AllowVnetOutBound",
        "AllowInternetOutBound",
        "DenyAllOutBound",
    }


def test_nsg_put_twice_keeps_one_nsg(network, sim):
    for _ in range(2):
        network.network_security_groups.begin_create_or_update(
            NET_RG, "nsg-a", _nsg(_rule("allow-lb"))
        ).result()
    nsgs = [r for r in sim.state()["resources"] if r["type"].endswith("networkSecurityGroups")]
    assert [n["name"] for n in nsgs] == ["nsg-a"]


def test_rule_with_bad_priority_is_refused(network):
    with pytest.raises(HttpResponseError) as err:
        network.network_security_groups.begin_create_or_update(
            NET_RG, "nsg-a", _nsg(_rule("r", priority=50))
        )
    assert err.value.error.code == "SecurityRuleInvalidParameter"


def test_two_rules_with_same_priority_and_direction_conflict(network):
    with pytest.raises(HttpResponseError) as err:
        network.network_security_groups.begin_create_or_update(
            NET_RG, "nsg-a", _nsg(_rule("a", 200), _rule("b", 200))
        )
    assert err.value.error.code == "SecurityRuleConflict"


def test_same_priority_in_other_direction_is_fine(network):
    nsg = network.network_security_groups.begin_create_or_update(
        NET_RG, "nsg-a", _nsg(_rule("a", 200), _rule("b", 200, "Outbound"))
    ).result()
    assert len(nsg.security_rules) == 2


def test_security_rule_child_resource_crud(network):
    network.network_security_groups.begin_create_or_update(NET_RG, "nsg-a", _nsg()).result()
    rule = network.security_rules.begin_create_or_update(
        NET_RG, "nsg-a", "allow-storage", _rule("allow-storage", 110, "Outbound")
    ).result()
    assert rule.provisioning_state == "Succeeded"
    assert network.security_rules.get(NET_RG, "nsg-a", "allow-storage").priority == 110
    network.security_rules.begin_delete(NET_RG, "nsg-a", "allow-storage").result()
    with pytest.raises(ResourceNotFoundError):
        network.security_rules.get(NET_RG, "nsg-a", "allow-storage")


def test_attached_nsg_is_listed_on_both_sides_and_cannot_be_deleted(network):
    nsg = network.network_security_groups.begin_create_or_update(
        NET_RG, "nsg-a", _nsg(_rule("allow-lb"))
    ).result()
    subnet = Subnet(address_prefix="10.20.1.0/24", network_security_group={"id": nsg.id})
    result = network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-a", subnet).result()
    assert result.network_security_group.id == nsg.id
    assert [s.id for s in network.network_security_groups.get(NET_RG, "nsg-a").subnets] == [
        result.id
    ]
    with pytest.raises(HttpResponseError) as err:
        network.network_security_groups.begin_delete(NET_RG, "nsg-a")
    assert err.value.error.code == "InUseNetworkSecurityGroupCannotBeDeleted"


def test_detached_nsg_deletes_and_second_delete_is_noop(network, sim):
    network.network_security_groups.begin_create_or_update(NET_RG, "nsg-a", _nsg()).result()
    network.network_security_groups.begin_delete(NET_RG, "nsg-a").result()
    network.network_security_groups.begin_delete(NET_RG, "nsg-a").result()
    statuses = [r["status"] for r in sim.requests() if r["method"] == "DELETE"]
    assert statuses == [202, 204]


def test_if_match_with_stale_etag_fails_and_current_etag_passes(network, sim):
    nsg = network.network_security_groups.begin_create_or_update(NET_RG, "nsg-a", _nsg()).result()
    path = nsg.id + "?api-version=2026-03-01"
    body = {"location": "westeurope", "properties": {}}
    status, _, error = sim.raw("PUT", path, body, {"If-Match": 'W/"stale"'})
    assert (status, error["error"]["code"]) == (412, "PreconditionFailed")
    status, _, _ = sim.raw("PUT", path, body, {"If-Match": nsg.etag})
    assert status == 200


def test_nsg_and_rule_gets_carry_the_weak_etag_in_a_header(network):
    # REC-network test_network_nsg: GET .../securityRules/web answers `etag: W/"..."`, the
    # body's etag.
    raw = lambda pipeline_response, _d, _h: pipeline_response.http_response  # noqa: E731
    network.network_security_groups.begin_create_or_update(
        NET_RG, "nsg-a", _nsg(_rule("allow-lb"))
    ).result()
    for response in (
        network.network_security_groups.get(NET_RG, "nsg-a", cls=raw),
        network.security_rules.get(NET_RG, "nsg-a", "allow-lb", cls=raw),
    ):
        assert response.headers["ETag"] == response.json()["etag"]
        assert response.headers["ETag"].startswith('W/"')
