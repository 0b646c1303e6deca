"""Private DNS zones through the real PrivateDnsManagementClient: the 202 LRO, async preconditions."""

from __future__ import annotations

import re

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.privatedns import PrivateDnsManagementClient

from tests.simulator.conftest import DNS_RG, SUB, VNET_ID, StaticToken, _kwargs

ZONE = "gw-team-1a2b3c4d5e6f.gateway.westeurope-01.azure-api.net"  # DESIGN: zone = hostname
ZONE_PATH = f"/subscriptions/{SUB}/resourceGroups/{DNS_RG}/providers/Microsoft.Network/privateDnsZones/{ZONE}"
API = "?api-version=2024-06-01"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _create(dns, name: str = ZONE, **kwargs):
    return dns.private_zones.begin_create_or_update(
        DNS_RG, name, {"location": "global"}, **kwargs
    ).result()


def _link(dns, name: str = "link-apim") -> None:
    body = {"location": "global", "properties": {"virtualNetwork": {"id": VNET_ID}}}
    dns.virtual_network_links.begin_create_or_update(DNS_RG, ZONE, name, body).result()


def test_create_zone_is_polled_by_the_sdk_and_reads_like_a_new_zone(dns, sim):
    zone = _create(dns)
    assert zone.id == ZONE_PATH
    assert zone.location == "global"
    assert zone.type == "Microsoft.Network/privateDnsZones"
    props = zone.properties
    assert props.provisioning_state == "Succeeded"
    # A new zone holds its SOA record set (REC-privatedns test_PutZone_ZoneNotExists...).
    assert props.number_of_record_sets == 1
    assert props.max_number_of_record_sets == 25000
    assert props.max_number_of_virtual_network_links == 1000
    assert props.max_number_of_virtual_network_links_with_registration == 100
    assert props.number_of_virtual_network_links == 0
    assert GUID.match(zone.etag)
    calls = [(r["method"], r["path"].split("/")[-2], r["status"]) for r in sim.requests()]
    # PUT 202, one InProgress status (202), Succeeded (200), then the SDK's final GET.
    assert calls == [
        ("PUT", "privateDnsZones", 202),
        ("GET", "privateDnsOperationStatuses", 202),
        ("GET", "privateDnsOperationStatuses", 200),
        ("GET", "privateDnsZones", 200),
    ]


def test_zone_put_answers_202_with_empty_body_and_both_operation_urls(sim):
    status, headers, body = sim.raw("PUT", ZONE_PATH + API, {"location": "global"})
    assert status == 202
    assert body == {}
    status_url = headers["Azure-AsyncOperation"]
    assert f"/resourceGroups/{DNS_RG}/providers/Microsoft.Network/privateDnsOperationStatuses/" in (
        status_url
    )
    assert "/providers/Microsoft.Network/privateDnsOperationResults/" in headers["Location"]
    poll_path = status_url[len(sim.sim.url) :]
    first = sim.raw("GET", poll_path)
    assert first[0] == 202 and first[2] == {"status": "InProgress"}
    assert "Azure-AsyncOperation" in first[1]
    second = sim.raw("GET", poll_path)
    assert second[0] == 200 and second[2] == {"status": "Succeeded"}


def test_get_zone_carries_the_unquoted_guid_etag_in_header_and_body(dns, sim):
    _create(dns)
    status, headers, body = sim.raw("GET", ZONE_PATH + API)
    assert status == 200
    assert headers["ETag"] == body["etag"]
    assert GUID.match(headers["ETag"])
    assert "tags" not in body  # a zone created without tags has none (REC-privatedns)


def test_create_only_put_on_existing_zone_fails_asynchronously_with_precondition_failed(dns):
    first = _create(dns)
    with pytest.raises(HttpResponseError) as err:
        _create(dns, match_condition=MatchConditions.IfMissing)
    # Accepted with 202; the status poll says Failed with HTTP 200 (REC-privatedns).
    assert err.value.status_code == 200
    assert err.value.error.code == "PreconditionFailed"
    assert "exists already and hence cannot be created again" in err.value.error.message
    assert dns.private_zones.get(DNS_RG, ZONE).etag == first.etag  # untouched


def test_create_only_put_succeeds_when_the_zone_is_new(dns):
    zone = _create(dns, match_condition=MatchConditions.IfMissing)
    assert zone.properties.provisioning_state == "Succeeded"


def test_stale_if_match_fails_asynchronously_and_current_etag_succeeds(dns):
    zone = _create(dns)
    stale = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(HttpResponseError) as err:
        _create(dns, etag=stale, match_condition=MatchConditions.IfNotModified)
    assert err.value.error.code == "PreconditionFailed"
    assert "etag mismatch" in err.value.error.message
    updated = dns.private_zones.begin_create_or_update(
        DNS_RG,
        ZONE,
        {"location": "global", "tags": {"owner": "platform"}},
        etag=zone.etag,
        match_condition=MatchConditions.IfNotModified,
    ).result()
    assert updated.tags == {"owner": "platform"}
    assert updated.etag != zone.etag


def test_run_twice_create_is_idempotent(dns):
    first = _create(dns)
    second = _create(dns)
    assert second.id == first.id
    assert second.properties.number_of_record_sets == 1
    assert [z.name for z in dns.private_zones.list_by_resource_group(DNS_RG)] == [ZONE]


def test_missing_zone_is_resource_not_found_with_the_arm_wording(dns, sim):
    with pytest.raises(ResourceNotFoundError) as err:
        dns.private_zones.get(DNS_RG, "missing.example.net")
    assert err.value.error.code == "ResourceNotFound"
    assert err.value.error.message.startswith(
        "The Resource 'Microsoft.Network/privateDnsZones/missing.example.net' under resource "
        f"group '{DNS_RG}' was not found."
    )
    _, headers, _ = sim.raw("GET", ZONE_PATH + API)
    assert headers["x-ms-failure-cause"] == "gateway"


def test_zone_in_missing_resource_group_is_named(dns):
    with pytest.raises(ResourceNotFoundError) as err:
        dns.private_zones.begin_create_or_update("rg-nope", ZONE, {"location": "global"})
    assert err.value.error.code == "ResourceGroupNotFound"


def test_zone_location_must_be_global(dns):
    with pytest.raises(HttpResponseError) as err:
        dns.private_zones.begin_create_or_update(DNS_RG, ZONE, {"location": "westeurope"})
    assert err.value.status_code == 400


def test_invalid_zone_name_is_refused(dns):
    with pytest.raises(HttpResponseError) as err:
        dns.private_zones.begin_create_or_update(DNS_RG, "single-label", {"location": "global"})
    assert err.value.status_code == 400


def test_list_zones_in_group_and_subscription(dns):
    _create(dns)
    _create(dns, name="other.example.net")
    in_group = sorted(z.name for z in dns.private_zones.list_by_resource_group(DNS_RG))
    assert in_group == sorted([ZONE, "other.example.net"])
    assert sorted(z.name for z in dns.private_zones.list()) == in_group


def test_delete_zone_is_an_lro_then_the_zone_is_gone(dns, sim):
    _create(dns)
    dns.private_zones.begin_delete(DNS_RG, ZONE).result()
    with pytest.raises(ResourceNotFoundError):
        dns.private_zones.get(DNS_RG, ZONE)
    deletes = [r["status"] for r in sim.requests() if r["method"] == "DELETE"]
    assert deletes == [202]


def test_delete_missing_zone_answers_204_and_the_sdk_is_content(dns, sim):
    dns.private_zones.begin_delete(DNS_RG, ZONE).result()
    assert [r["status"] for r in sim.requests() if r["method"] == "DELETE"] == [204]


def test_zone_with_vnet_links_cannot_be_deleted(dns):
    _create(dns)
    _link(dns)
    with pytest.raises(ResourceExistsError) as err:
        dns.private_zones.begin_delete(DNS_RG, ZONE)
    assert err.value.status_code == 409
    assert err.value.error.code == "CannotDeleteResource"
    assert f"privateDnsZones/{ZONE}/virtualNetworkLinks/link-apim" in err.value.error.message


def test_zone_create_resumes_from_a_continuation_token(dns, sim):
    poller = dns.private_zones.begin_create_or_update(DNS_RG, ZONE, {"location": "global"})
    token = poller.continuation_token()
    fresh = PrivateDnsManagementClient(StaticToken(), SUB, **_kwargs(sim.sim))
    resumed = fresh.private_zones.begin_create_or_update(
        DNS_RG, ZONE, {"location": "global"}, continuation_token=token
    )
    assert resumed.result().properties.provisioning_state == "Succeeded"


def test_zone_is_in_state_and_exists_for_other_providers(dns, sim):
    _create(dns)
    state = sim.resource(ZONE_PATH)
    assert state is not None
    assert state["type"] == "Microsoft.Network/privateDnsZones"
    assert state["location"] == "global"
    soa = sim.resource(ZONE_PATH + "/SOA/@")
    assert soa is not None and soa["properties"]["fqdn"] == f"{ZONE}."


def test_zones_links_and_records_can_be_seeded(dns, sim):
    added = sim.call(
        "POST",
        "/_sim/seed",
        {
            "resources": [
                {"id": ZONE_PATH, "location": "global", "tags": {"seeded": "yes"}},
                {
                    "id": ZONE_PATH + "/virtualNetworkLinks/link-seeded",
                    "location": "global",
                    "properties": {"virtualNetwork": {"id": VNET_ID}, "registrationEnabled": True},
                },
                {
                    "id": ZONE_PATH + "/A/@",
                    "properties": {"ttl": 300, "aRecords": [{"ipv4Address": "10.20.1.10"}]},
                },
            ]
        },
    )
    assert added["added"]["resources"] == 3
    zone = dns.private_zones.get(DNS_RG, ZONE)
    assert zone.tags == {"seeded": "yes"}
    assert zone.properties.number_of_record_sets == 2
    assert zone.properties.number_of_virtual_network_links_with_registration == 1
    record = dns.record_sets.get(DNS_RG, ZONE, "A", "@")
    assert record.properties.a_records[0].ipv4_address == "10.20.1.10"
