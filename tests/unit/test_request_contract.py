"""The request contract: a valid request, CloudEvents, and a table of bad requests by field."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from shared.request import RequestInvalid, instance_id_for, json_schema, parse_request

SUB = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
SERVICE = f"/subscriptions/{SUB}/resourceGroups/rg-apim/providers/Microsoft.ApiManagement/service/apim-contoso"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-apim/subnets/snet-gw-a"
ALICE = "a11ce000-0000-4000-8000-000000000001"
SHARED_GW = f"/subscriptions/{SUB}/resourceGroups/rg-apim/providers/Microsoft.ApiManagement/gateways/gw-shared"

VALID: dict[str, Any] = {
    "ticketId": "CHG0012345",
    "team": "payments",
    "requestedBy": "alice@contoso.example",
    "apimServiceId": SERVICE,
    "workspace": {"name": "ws-payments", "displayName": "Payments", "description": "APIs"},
    "gateway": {"name": "gw-payments", "capacity": 1,
                "network": {"mode": "injection", "subnetId": SUBNET}},
    "dns": {"resourceGroupId": f"/subscriptions/{SUB}/resourceGroups/rg-dns"},
    "access": [
        {"principalId": ALICE, "principalType": "User", "scope": "workspace",
         "role": "API Management Workspace Contributor"},
    ],
}  # fmt: skip


def _with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node: Any = body
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    if value is _DELETE:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return body


_DELETE = object()

BAD = [
    (_with("ticketId", _DELETE), "ticketId"),
    (_with("ticketId", ""), "ticketId"),
    (_with("ticketId", "CHG 1"), "ticketId"),
    (_with("ticketId", "x" * 65), "ticketId"),
    (_with("team", ""), "team"),
    (_with("requestedBy", _DELETE), "requestedBy"),
    (_with("apimServiceId", "apim-contoso"), "apimServiceId"),
    (_with("apimServiceId", SUBNET), "apimServiceId"),
    (_with("workspace.name", "ws*bad"), "workspace.name"),
    (_with("workspace.name", "w" * 81), "workspace.name"),
    (_with("workspace.displayName", ""), "workspace.displayName"),
    (_with("workspace.colour", "blue"), "workspace.colour"),
    (_with("gateway.name", "1gw"), "gateway.name"),
    (_with("gateway.name", "gw-"), "gateway.name"),
    (_with("gateway.name", "g" * 46), "gateway.name"),
    (_with("gateway.capacity", 0), "gateway.capacity"),
    (_with("gateway.capacity", "two"), "gateway.capacity"),
    (_with("gateway.network.mode", "peering"), "gateway.network.mode"),
    (_with("gateway.network.subnetId", _DELETE), "gateway.network.subnetId"),
    (_with("gateway.network.subnetId", SERVICE), "gateway.network.subnetId"),
    (_with("gateway.network", {"mode": "none", "subnetId": SUBNET}), "gateway.network.subnetId"),
    (_with("gateway.network", _DELETE), "gateway.network"),
    (_with("gateway.capacity", 11), "gateway.capacity"),
    (_with("gateway.name", _DELETE), "gateway.name"),
    (_with("gateway.existingGatewayId", SHARED_GW), "gateway.existingGatewayId"),
    (_with("gateway.existingGatewayId", "gw-shared"), "gateway.existingGatewayId"),
    (_with("dns", _DELETE), "dns"),
    (_with("gateway.network", {"mode": "integration", "subnetId": SUBNET}), "dns"),
    (_with("dns.resourceGroupId", "rg-dns"), "dns.resourceGroupId"),
    (_with("access.0.principalId", "alice"), "access[0].principalId"),
    (_with("access.0.principalType", "Robot"), "access[0].principalType"),
    (_with("access.0.scope", "subscription"), "access[0].scope"),
    (_with("access.0.role", "Owner"), "access[0].role"),
    (_with("access.0.role", "API Management Service Workspace API Developer"), "access[0].role"),
    (_with("access.0.principalType", _DELETE), "access[0].principalType"),
    (_with("access", [VALID["access"][0], VALID["access"][0]]), "access[1]"),
    (_with("access", "alice"), "access"),
    (_with("notify", {"email": "x@contoso.example"}), "notify.email"),
    (_with("workspace.name", _DELETE), "workspace.name"),
    (_with("access.0.extra", 1), "access[0].extra"),
    (_with("unexpected", True), "unexpected"),
]


@pytest.mark.parametrize(("payload", "field"), BAD)
def test_bad_request_names_the_field(payload, field):
    with pytest.raises(RequestInvalid) as err:
        parse_request(payload)
    assert field in [e.field for e in err.value.errors], err.value.errors


def test_the_table_has_at_least_25_rows():
    assert len(BAD) >= 25


def test_several_bad_fields_are_all_named():
    payload = _with("team", "")
    payload["gateway"]["capacity"] = 0
    with pytest.raises(RequestInvalid) as err:
        parse_request(payload)
    assert {"team", "gateway.capacity"} <= {e.field for e in err.value.errors}


def test_cross_field_problems_are_all_named_at_their_fields():
    payload = _with("gateway.existingGatewayId", SHARED_GW)
    payload["gateway"]["network"]["mode"] = "integration"
    del payload["dns"]
    with pytest.raises(RequestInvalid) as err:
        parse_request(payload)
    fields = [e.field for e in err.value.errors]
    assert fields == ["gateway.existingGatewayId", "gateway.network.subnetId"]


def test_cloudevents_envelope_of_another_version_is_refused():
    envelope = {"specversion": "0.3", "id": "e1", "source": "/t", "type": "x", "data": VALID}
    with pytest.raises(RequestInvalid) as err:
        parse_request(envelope)
    assert [e.field for e in err.value.errors] == ["specversion"]


def test_cloudevents_envelope_without_data_names_it():
    envelope = {"specversion": "1.0", "id": "e1", "source": "/t", "type": "x"}
    with pytest.raises(RequestInvalid) as err:
        parse_request(envelope)
    assert [e.field for e in err.value.errors] == ["data"]


def test_cloudevents_data_errors_are_named_inside_the_request():
    envelope = {"specversion": "1.0", "id": "e1", "source": "/t", "type": "x",
                "data": _with("gateway.name", "gw-")}  # fmt: skip
    with pytest.raises(RequestInvalid) as err:
        parse_request(envelope)
    assert [e.field for e in err.value.errors] == ["gateway.name"]


def test_valid_request_parses_and_derives_the_instance_id():
    request = parse_request(VALID)
    assert request.instance_id == "onboard-chg0012345"
    assert request.access[0].principal_id == ALICE


def test_cloudevents_envelope_is_accepted():
    envelope = {"specversion": "1.0", "id": "e1", "source": "/ticketing", "type": "onboarding.requested",
                "data": VALID}  # fmt: skip
    assert parse_request(envelope).ticket_id == "CHG0012345"


def test_cloudevents_envelope_without_id_names_it():
    envelope = {"specversion": "1.0", "source": "/t", "type": "x", "data": VALID}
    with pytest.raises(RequestInvalid) as err:
        parse_request(envelope)
    assert [e.field for e in err.value.errors] == ["id"]


def test_shared_gateway_request_needs_no_name_or_dns():
    payload = copy.deepcopy(VALID)
    payload["gateway"] = {"existingGatewayId": SERVICE.split("/service/")[0] + "/gateways/gw-shared",
                          "network": {"mode": "integration"}}  # fmt: skip
    del payload["dns"]
    assert parse_request(payload).gateway.existing_gateway_id


def test_instance_ids_are_normalised():
    # Readable (lower case, other characters as "-"); a ticket that loses something in that
    # form keeps its own run through a hash of the exact ticket (tests/unit/test_instance_ids.py).
    assert instance_id_for("CHG-00-12") == "onboard-chg-00-12"
    assert instance_id_for("CHG_00.12") == "onboard-chg-00-12_641ea037"


def test_non_object_is_refused():
    with pytest.raises(RequestInvalid):
        parse_request(["not", "an", "object"])


def test_published_schema_matches_the_models():
    published = Path(__file__).resolve().parents[2] / "docs" / "request.schema.json"
    assert json.loads(published.read_text()) == json_schema(), "run: make schema"
