"""Subnets through the real NetworkManagementClient: reads, delegation PUTs and NRP's rules."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.network.models import Delegation, Subnet

from tests.simulator.conftest import NET_RG, OTHER_SUB, VNET, VNET_ID, StaticToken, _kwargs

WEB_FARMS = "Microsoft.Web/serverFarms"
WEB_ASE = "Microsoft.Web/hostingEnvironments"


def _delegate(subnet: Subnet, service: str) -> Subnet:
    subnet.delegations = [Delegation(name="web", service_name=service)]
    return subnet


def test_get_subnet_returns_prefix_and_succeeded_state(network):
    subnet = network.subnets.get(NET_RG, VNET, "snet-gw-a")
    assert subnet.address_prefix == "10.20.1.0/24"
    assert subnet.provisioning_state == "Succeeded"
    assert subnet.etag.startswith('W/"')


def test_subnet_with_only_address_prefixes_is_read_as_such(network):
    subnet = network.subnets.get(NET_RG, VNET, "snet-gw-c")
    assert subnet.address_prefix is None
    assert subnet.address_prefixes == ["10.20.5.0/27"]


def test_missing_subnet_is_resource_not_found(network):
    with pytest.raises(ResourceNotFoundError) as err:
        network.subnets.get(NET_RG, VNET, "snet-missing")
    assert err.value.error.code == "ResourceNotFound"


def test_missing_resource_group_is_named(network):
    with pytest.raises(ResourceNotFoundError) as err:
        network.subnets.get("rg-nope", VNET, "snet-gw-a")
    assert err.value.error.code == "ResourceGroupNotFound"


def test_delegation_put_is_an_lro_that_ends_succeeded(network, sim):
    subnet = _delegate(network.subnets.get(NET_RG, VNET, "snet-gw-a"), WEB_FARMS)
    poller = network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-a", subnet)
    result = poller.result()
    assert [d.service_name for d in result.delegations] == [WEB_FARMS]
    assert result.delegations[0].id.endswith("/subnets/snet-gw-a/delegations/web")
    assert result.provisioning_state == "Succeeded"
    verbs = [(r["method"], r["path"].rsplit("/", 2)[-2]) for r in sim.requests()]
    # PUT, one Azure-AsyncOperation poll, final GET: NRP's recorded shape.
    assert verbs[-3:] == [("PUT", "subnets"), ("GET", "operations"), ("GET", "subnets")]


def test_subnet_put_answers_updating_with_async_operation_header(network, sim):
    subnet = network.subnets.get(NET_RG, VNET, "snet-gw-b")
    status, headers, body = sim.raw(
        "PUT",
        subnet.id + "?api-version=2026-03-01",
        {"properties": {"addressPrefix": subnet.address_prefix}},
    )
    assert status == 200
    assert (
        "/providers/Microsoft.Network/locations/westeurope/operations/"
        in headers["Azure-AsyncOperation"]
    )
    assert body["properties"]["provisioningState"] == "Updating"


def test_run_twice_delegation_is_idempotent(network):
    for _ in range(2):
        subnet = _delegate(network.subnets.get(NET_RG, VNET, "snet-gw-a"), WEB_ASE)
        result = network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-a", subnet).result()
    assert [d.service_name for d in result.delegations] == [WEB_ASE]


def test_put_replaces_whole_subnet_dropping_omitted_fields(network):
    subnet = _delegate(network.subnets.get(NET_RG, VNET, "snet-gw-a"), WEB_FARMS)
    network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-a", subnet).result()
    bare = Subnet(address_prefix="10.20.1.0/24")
    result = network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-a", bare).result()
    assert result.delegations == []


def test_delegation_change_refused_while_subnet_in_use_by_a_nic(network, sim):
    subnet = _delegate(network.subnets.get(NET_RG, VNET, "snet-nic"), WEB_FARMS)
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(NET_RG, VNET, "snet-nic", subnet)
    assert err.value.status_code == 400
    assert err.value.error.code == "SubnetDelegationsCannotChangeWhenSubnetUsedByResource"
    assert "networkInterfaces/nic-build-agent" in err.value.error.message
    assert network.subnets.get(NET_RG, VNET, "snet-nic").delegations == []


def test_prefix_change_refused_while_subnet_in_use(network):
    subnet = network.subnets.get(NET_RG, VNET, "snet-nic")
    subnet.address_prefix = "10.20.4.0/25"
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(NET_RG, VNET, "snet-nic", subnet)
    assert err.value.error.code == "InUseSubnetCannotBeUpdated"


def test_new_subnet_outside_vnet_space_is_refused(network):
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(
            NET_RG, VNET, "snet-out", Subnet(address_prefix="10.99.0.0/24")
        )
    assert err.value.error.code == "NetcfgSubnetRangeOutsideVnet"


def test_new_subnet_overlapping_another_is_refused(network):
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(
            NET_RG, VNET, "snet-overlap", Subnet(address_prefix="10.20.1.128/25")
        )
    assert err.value.error.code == "NetcfgSubnetRangesOverlap"
    assert "snet-gw-a" in err.value.error.message


def test_prefix_with_host_bits_is_invalid_cidr(network):
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(
            NET_RG, VNET, "snet-bits", Subnet(address_prefix="10.20.9.1/24")
        )
    assert err.value.error.code == "InvalidCIDRNotation"
    assert "10.20.9.0/24" in err.value.error.message


def test_create_and_delete_a_subnet(network):
    created = network.subnets.begin_create_or_update(
        NET_RG, VNET, "snet-new", Subnet(address_prefix="10.20.10.0/26")
    ).result()
    assert created.provisioning_state == "Succeeded"
    network.subnets.begin_delete(NET_RG, VNET, "snet-new").result()
    with pytest.raises(ResourceNotFoundError):
        network.subnets.get(NET_RG, VNET, "snet-new")


def test_delete_of_missing_subnet_succeeds(network):
    network.subnets.begin_delete(NET_RG, VNET, "snet-never").result()


def test_in_use_subnet_cannot_be_deleted(network):
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_delete(NET_RG, VNET, "snet-nic")
    assert err.value.error.code == "InUseSubnetCannotBeDeleted"


def test_nsg_reference_must_exist(network):
    subnet = network.subnets.get(NET_RG, VNET, "snet-gw-a").as_dict()
    nsg_id = subnet["id"].split("/virtualNetworks/")[0] + "/networkSecurityGroups/nsg-none"
    body = {"properties": {"addressPrefix": "10.20.1.0/24", "networkSecurityGroup": {"id": nsg_id}}}
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-a", body)
    assert err.value.error.code == "InvalidResourceReference"


def test_delegating_to_unregistered_provider_is_missing_registration(sim):
    # The SDK's auto-registration policy would register and replay; turn it off by giving
    # the client its own policy list so the raw ARM answer is visible.
    from azure.core.pipeline import policies
    from azure.mgmt.network import NetworkManagementClient

    client = NetworkManagementClient(
        StaticToken(),
        OTHER_SUB,
        policies=[
            policies.RequestIdPolicy(),
            policies.HeadersPolicy(),
            policies.ContentDecodePolicy(),
            policies.BearerTokenCredentialPolicy(
                StaticToken(), "https://management.azure.com/.default"
            ),
        ],
        **_kwargs(sim.sim),
    )
    subnet = _delegate(client.subnets.get("rg-sandbox", "vnet-sandbox", "snet-gw"), WEB_FARMS)
    with pytest.raises(HttpResponseError) as err:
        client.subnets.begin_create_or_update("rg-sandbox", "vnet-sandbox", "snet-gw", subnet)
    assert err.value.status_code == 409
    assert err.value.error.code == "MissingSubscriptionRegistration"
    assert "'Microsoft.Web'" in err.value.error.message


def test_concurrent_write_on_same_vnet_is_retryable_429(network, sim):
    sim.timings(networkInProgressPolls=5)
    first = _delegate(network.subnets.get(NET_RG, VNET, "snet-gw-a"), WEB_FARMS)
    poller = network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-a", first)
    second = _delegate(network.subnets.get(NET_RG, VNET, "snet-gw-b"), WEB_FARMS)
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-b", second)
    assert err.value.status_code == 429
    assert err.value.error.code == "RetryableError"
    assert err.value.response.headers["Retry-After"] == "1"
    poller.result()
    network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-b", second).result()


def test_vnet_get_lists_subnets_and_normalised_location(network):
    vnet = network.virtual_networks.get(NET_RG, VNET)
    assert vnet.location == "westeurope"
    assert {s.name for s in vnet.subnets} >= {"snet-gw-a", "snet-nic", "snet-small"}


def test_vnet_in_another_region_reports_it(network):
    vnet = network.virtual_networks.get("rg-network-eastus", "vnet-eastus")
    assert vnet.location == "eastus"


# --- whole-resource read-modify-write: every property kept, ETag header, If-Match -------------

RICH_VNET = "vnet-rich"
EXOTIC = {
    "ipAllocations": [{"id": f"{VNET_ID.rsplit('/', 2)[0]}/IpAllocations/ipa-1"}],
    "sharingScope": "Tenant",
    "ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "256", "pool": {"id": "/pool/p1"}}],
    "serviceGateway": {"id": f"{VNET_ID.rsplit('/', 2)[0]}/serviceGateways/sgw-1"},
    "futureProperty": {"mode": "Strict", "levels": [1, 2]},  # one no SDK model knows yet
}


def _raw(pipeline_response, _deserialized, _headers):
    """``cls=`` hook: the HTTP response itself (raw JSON body and headers)."""
    return pipeline_response.http_response


@pytest.fixture
def rich(sim):
    """A subnet whose seed holds properties beyond the SDK's whitelist of writable fields."""
    vnet_id = VNET_ID.replace(VNET, RICH_VNET)
    sim.call("POST", "/_sim/seed", {"resources": [{
        "id": vnet_id, "location": "westeurope",
        "properties": {"addressSpace": {"addressPrefixes": ["10.60.0.0/16"]}, "subnets": [
            {"name": "snet-rich", "properties": {"addressPrefix": "10.60.1.0/24", **EXOTIC}},
        ]},
    }]})  # fmt: skip
    return "snet-rich"


def test_seeded_properties_are_served_and_survive_a_raw_read_modify_write(network, rich):
    raw = network.subnets.get(NET_RG, RICH_VNET, rich, cls=_raw).json()
    assert {k: raw["properties"][k] for k in EXOTIC} == EXOTIC
    raw["properties"]["delegations"] = [{"name": "d", "properties": {"serviceName": WEB_ASE}}]
    network.subnets.begin_create_or_update(NET_RG, RICH_VNET, rich, raw).result()
    after = network.subnets.get(NET_RG, RICH_VNET, rich, cls=_raw).json()["properties"]
    assert {k: after[k] for k in EXOTIC} == EXOTIC
    assert [d["properties"]["serviceName"] for d in after["delegations"]] == [WEB_ASE]


def test_a_put_keeps_every_property_it_sends_and_ignores_read_only_ones(network, sim):
    body = {"properties": {"addressPrefix": "10.20.1.0/24", **EXOTIC, "provisioningState": "X",
                           "ipConfigurations": [{"id": "/nic/ipconfig"}]}}  # fmt: skip
    network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-a", body).result()
    props = sim.resource(f"{VNET_ID}/subnets/snet-gw-a")["properties"]
    assert {k: props[k] for k in EXOTIC} == EXOTIC
    assert props["provisioningState"] == "Succeeded"
    assert "ipConfigurations" not in props  # Azure maintains it; a client cannot claim a NIC


@pytest.mark.parametrize(
    "read",
    [
        lambda n: n.virtual_networks.get(NET_RG, VNET, cls=_raw),
        lambda n: n.subnets.get(NET_RG, VNET, "snet-gw-a", cls=_raw),
    ],
    ids=["vnet", "subnet"],
)
def test_network_gets_carry_the_weak_etag_in_a_header(network, read):
    response = read(network)
    assert response.headers["ETag"] == response.json()["etag"]
    assert response.headers["ETag"].startswith('W/"')


def test_a_subnet_put_with_a_stale_if_match_is_nrp_412_and_changes_nothing(network, sim):
    response = network.subnets.get(NET_RG, VNET, "snet-gw-a", cls=_raw)
    stale, body = response.headers["ETag"], response.json()
    network.subnets.begin_create_or_update(NET_RG, VNET, "snet-gw-a", body).result()  # another
    body["properties"]["delegations"] = [{"name": "d", "properties": {"serviceName": WEB_ASE}}]
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_create_or_update(
            NET_RG, VNET, "snet-gw-a", body, headers={"If-Match": stale}
        )
    assert err.value.status_code == 412
    assert (err.value.error.code, err.value.error.message) == (
        "PreconditionFailed", "Precondition failed.",
    )  # fmt: skip
    detail = err.value.error.details[0]
    assert detail.code == "PreconditionFailedEtagMismatch"
    assert detail.message.startswith(f"Etag provided in if-match header {stale} does not match")
    assert sim.resource(f"{VNET_ID}/subnets/snet-gw-a")["properties"]["delegations"] == []


def test_a_subnet_put_with_the_current_if_match_is_written(network):
    response = network.subnets.get(NET_RG, VNET, "snet-gw-a", cls=_raw)
    body = response.json()
    body["properties"]["delegations"] = [{"name": "d", "properties": {"serviceName": WEB_ASE}}]
    result = network.subnets.begin_create_or_update(
        NET_RG, VNET, "snet-gw-a", body, headers={"If-Match": response.headers["ETag"]}
    ).result()
    assert [d.service_name for d in result.delegations] == [WEB_ASE]
