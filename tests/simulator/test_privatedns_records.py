"""Private DNS record sets through the real SDK: synchronous writes, lower-cased names, SOA."""

from __future__ import annotations

import re

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from tests.simulator.conftest import DNS_RG

ZONE = "gw-team-1a2b3c4d5e6f.gateway.westeurope-01.azure-api.net"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
VIP = "10.20.1.4"


def _a(ip: str = VIP, ttl: int = 3600) -> dict:
    return {"properties": {"ttl": ttl, "aRecords": [{"ipv4Address": ip}]}}


@pytest.fixture
def zone(dns):
    return dns.private_zones.begin_create_or_update(DNS_RG, ZONE, {"location": "global"}).result()


def test_apex_a_record_maps_the_gateway_hostname_to_the_vip(dns, zone):
    record = dns.record_sets.create_or_update(DNS_RG, ZONE, "A", "@", _a())
    assert record.name == "@"
    assert record.type == "Microsoft.Network/privateDnsZones/A"
    assert record.id == f"{zone.id}/A/@"
    assert record.properties.fqdn == f"{ZONE}."
    assert record.properties.ttl == 3600
    assert record.properties.is_auto_registered is False
    assert [a.ipv4_address for a in record.properties.a_records] == [VIP]
    assert GUID.match(record.etag)


def test_record_put_is_synchronous_201_then_200(dns, zone, sim):
    path = f"{zone.id}/A/Gateway?api-version=2024-06-01"
    created = sim.raw("PUT", path, _a())
    assert created[0] == 201
    # SPEC-DNS RecordSetAPut.json: recordA -> recorda; fqdn ends with a dot.
    assert created[2]["name"] == "gateway"
    assert created[2]["properties"]["fqdn"] == f"gateway.{ZONE}."
    assert created[1]["ETag"] == created[2]["etag"]
    assert "Azure-AsyncOperation" not in created[1]
    updated = sim.raw("PUT", path, _a("10.20.1.5"))
    assert updated[0] == 200
    assert updated[2]["etag"] != created[2]["etag"]


def test_run_twice_record_is_idempotent_and_counted_once(dns, zone):
    for _ in range(2):
        dns.record_sets.create_or_update(DNS_RG, ZONE, "A", "@", _a())
    assert dns.private_zones.get(DNS_RG, ZONE).properties.number_of_record_sets == 2


def test_every_zone_has_its_soa_record(dns, zone):
    soa = dns.record_sets.get(DNS_RG, ZONE, "SOA", "@")
    assert soa.type == "Microsoft.Network/privateDnsZones/SOA"
    assert soa.properties.fqdn == f"{ZONE}."
    assert soa.properties.soa_record.host == "azureprivatedns.net"


def test_create_only_record_put_on_existing_record_is_412(dns, zone, sim):
    dns.record_sets.create_or_update(DNS_RG, ZONE, "A", "@", _a())
    with pytest.raises(ResourceExistsError) as err:
        dns.record_sets.create_or_update(
            DNS_RG, ZONE, "A", "@", _a(), match_condition=MatchConditions.IfMissing
        )
    assert err.value.status_code == 412
    assert err.value.error.code == "PreconditionFailed"
    # REC-privatedns: this 412 body is not wrapped in "error".
    status, _, body = sim.raw(
        "PUT", f"{zone.id}/A/@?api-version=2024-06-01", _a(), {"If-None-Match": "*"}
    )
    assert status == 412
    assert body["code"] == "PreconditionFailed"
    assert "exists already and hence cannot be created again" in body["message"]


def test_stale_if_match_on_record_is_412(dns, zone):
    dns.record_sets.create_or_update(DNS_RG, ZONE, "A", "@", _a())
    with pytest.raises(HttpResponseError) as err:
        dns.record_sets.create_or_update(
            DNS_RG,
            ZONE,
            "A",
            "@",
            _a(),
            etag="11111111-2222-4333-8444-555555555555",
            match_condition=MatchConditions.IfNotModified,
        )
    assert err.value.status_code == 412


def test_record_in_missing_zone_is_not_found(dns):
    with pytest.raises(ResourceNotFoundError) as err:
        dns.record_sets.create_or_update(DNS_RG, ZONE, "A", "@", _a())
    # ARM refuses a nested resource under a missing parent itself (issue 13).
    assert err.value.error.code == "ParentResourceNotFound"
    assert f"Parent resource '{ZONE}' not found" in err.value.error.message


def test_invalid_ipv4_is_bad_request(dns, zone):
    with pytest.raises(HttpResponseError) as err:
        dns.record_sets.create_or_update(DNS_RG, ZONE, "A", "@", _a("10.0.0.300"))
    assert err.value.status_code == 400


def test_get_missing_record_is_not_found(dns, zone):
    with pytest.raises(ResourceNotFoundError):
        dns.record_sets.get(DNS_RG, ZONE, "A", "nope")


def test_delete_record_200_then_204(dns, zone, sim):
    dns.record_sets.create_or_update(DNS_RG, ZONE, "A", "@", _a())
    dns.record_sets.delete(DNS_RG, ZONE, "A", "@")
    dns.record_sets.delete(DNS_RG, ZONE, "A", "@")
    assert [r["status"] for r in sim.requests() if r["method"] == "DELETE"] == [200, 204]
    with pytest.raises(ResourceNotFoundError):
        dns.record_sets.get(DNS_RG, ZONE, "A", "@")


def test_list_by_type_and_all(dns, zone):
    dns.record_sets.create_or_update(DNS_RG, ZONE, "A", "@", _a())
    dns.record_sets.create_or_update(DNS_RG, ZONE, "A", "portal", _a("10.20.1.6"))
    by_type = sorted(r.name for r in dns.record_sets.list_by_type(DNS_RG, ZONE, "A"))
    assert by_type == ["@", "portal"]
    every = sorted((r.type.rsplit("/", 1)[1], r.name) for r in dns.record_sets.list(DNS_RG, ZONE))
    assert every == [("A", "@"), ("A", "portal"), ("SOA", "@")]


def test_unknown_record_type_is_bad_request(dns, zone, sim):
    status, _, body = sim.raw("GET", f"{zone.id}/XYZ/@?api-version=2024-06-01")
    assert status == 400
    assert body["error"]["code"] == "BadRequest"
