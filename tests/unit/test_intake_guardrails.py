"""Guardrails at both entry points: a request outside policy starts no run and names the rule."""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

import pytest
from azure.functions.servicebus import ServiceBusMessage

from tests.unit.test_function_app import _INDEXED  # noqa: F401 - index once per process
from tests.unit.test_request_contract import SERVICE, SHARED_GW, SUBNET, VALID, _with
from tests.unit.test_triggers import FakeClient, _post
from triggers import servicebus

OTHER_SERVICE = SERVICE.replace("apim-contoso", "apim-other")


@pytest.fixture(autouse=True)
def _clean_policy(monkeypatch):
    for setting in ("AUTH_MODE", "POLICY_ALLOWED_APIM_SERVICES", "POLICY_ALLOWED_SUBNETS",
                    "POLICY_ALLOWED_DNS_RESOURCE_GROUPS", "POLICY_ALLOWED_ROLES_SERVICE",
                    "POLICY_ALLOWED_ROLES_WORKSPACE", "POLICY_ALLOWED_ROLES_GATEWAY",
                    "POLICY_MAX_GATEWAY_UNITS", "POLICY_WORKSPACE_NAME_PATTERN",
                    "POLICY_ALLOWED_SHARED_GATEWAYS"):  # fmt: skip
        monkeypatch.delenv(setting, raising=False)


def _violations(response: Any) -> list[dict[str, str]]:
    body = json.loads(response.get_body())
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert body["status"] == 403 and "policy" in body["title"]
    return body["violations"]


CASES = [
    ("POLICY_ALLOWED_APIM_SERVICES", json.dumps([OTHER_SERVICE]), VALID,
     "allowedApimServices", "apimServiceId"),
    ("POLICY_ALLOWED_SUBNETS", json.dumps([SUBNET.replace("snet-gw-a", "snet-x")]), VALID,
     "allowedSubnets", "gateway.network.subnetId"),
    ("POLICY_ALLOWED_DNS_RESOURCE_GROUPS", "[]", VALID,
     "allowedDnsResourceGroups", "dns.resourceGroupId"),
    ("POLICY_MAX_GATEWAY_UNITS", "2", _with("gateway.capacity", 3),
     "maxGatewayUnits", "gateway.capacity"),
    ("POLICY_WORKSPACE_NAME_PATTERN", "team-.+", VALID, "naming.workspace", "workspace.name"),
    ("POLICY_ALLOWED_ROLES_WORKSPACE", '["API Management Workspace Reader"]', VALID,
     "allowedRoles.workspace", "access[0].role"),
]  # fmt: skip


@pytest.mark.parametrize("setting,value,body,rule,field", CASES)
def test_post_outside_policy_is_403_naming_the_rule_and_starts_nothing(
    setting, value, body, rule, field, monkeypatch
):
    monkeypatch.setenv(setting, value)
    client = FakeClient()
    [violation] = _violations(_post(client, body))
    assert (violation["rule"], violation["field"]) == (rule, field)
    assert violation["message"]
    assert client.started == []


@pytest.mark.parametrize("setting,value,body,rule,field", CASES)
def test_dry_run_outside_policy_is_the_same_403_and_reads_nothing(
    setting, value, body, rule, field, monkeypatch
):
    from activities import preflight

    monkeypatch.setenv(setting, value)
    monkeypatch.setattr(preflight, "run_preflight", lambda inp: pytest.fail("preflight ran"))
    client = FakeClient()
    [violation] = _violations(_post(client, body, params={"dryRun": "true"}))
    assert violation["rule"] == rule
    assert client.started == []


def test_gateway_owner_is_refused_by_default_policy():
    body = _with("access", [dict(VALID["access"][0], scope="gateway", role="Owner")])
    client = FakeClient()
    [violation] = _violations(_post(client, body))
    assert violation == {
        "rule": "allowedRoles.gateway",
        "field": "access[0].role",
        "message": violation["message"],
    }
    assert "'Owner'" in violation["message"] and "Reader" in violation["message"]
    assert client.started == []


def _joining_foreign_gateway() -> dict:
    # A "gateway" in a resource group outside the APIM deployment, with a grant at its scope.
    foreign = SHARED_GW.replace("/rg-apim/", "/rg-team-sandbox/")
    body = _with("gateway", {"existingGatewayId": foreign, "network": {"mode": "none"}})
    del body["dns"]
    body["access"] = [dict(VALID["access"][0], scope="gateway", role="Reader")]
    return body


@pytest.mark.parametrize("params", [{}, {"dryRun": "true"}])
def test_a_foreign_shared_gateway_is_403_and_nothing_is_read_or_written(params, monkeypatch):
    from activities import preflight

    monkeypatch.setattr(preflight, "run_preflight", lambda inp: pytest.fail("preflight ran"))
    client = FakeClient()
    [violation] = _violations(_post(client, _joining_foreign_gateway(), params=params))
    assert (violation["rule"], violation["field"]) == (
        "allowedSharedGateways",
        "gateway.existingGatewayId",
    )
    assert client.started == []


def test_a_foreign_shared_gateway_message_is_rejected_and_starts_nothing(events):
    client = FakeClient()
    _deliver(json.dumps(_joining_foreign_gateway()).encode(), client)
    assert client.started == []
    [event] = events
    assert [v["rule"] for v in event["violations"]] == ["allowedSharedGateways"]


def test_within_policy_with_every_setting_present_starts_the_run(monkeypatch):
    monkeypatch.setenv("POLICY_ALLOWED_APIM_SERVICES", json.dumps([SERVICE.lower()]))
    monkeypatch.setenv("POLICY_ALLOWED_SUBNETS", json.dumps([SUBNET.upper()]))
    monkeypatch.setenv(
        "POLICY_ALLOWED_DNS_RESOURCE_GROUPS", json.dumps([VALID["dns"]["resourceGroupId"]])
    )
    monkeypatch.setenv("POLICY_MAX_GATEWAY_UNITS", "1")
    client = FakeClient()
    assert _post(client, VALID).status_code == 202
    assert len(client.started) == 1


def test_the_contract_is_checked_before_the_policy():
    client = FakeClient()
    response = _post(client, _with("gateway.capacity", 11))
    assert response.status_code == 400
    assert client.started == []


def test_unusable_policy_settings_refuse_work_naming_the_setting_only(monkeypatch):
    monkeypatch.setenv("POLICY_ALLOWED_SUBNETS", "[not json with a secret-looking value")
    client = FakeClient()
    response = _post(client, VALID)
    body = json.loads(response.get_body())
    assert response.status_code == 500 and "POLICY_ALLOWED_SUBNETS" in body["detail"]
    assert "secret-looking" not in response.get_body().decode()
    assert client.started == []


# -- Service Bus --------------------------------------------------------------------------------


def _deliver(body: bytes, client: FakeClient, properties: dict | None = None) -> None:
    msg = ServiceBusMessage(body=body, message_id="m-1", application_properties=properties or {},
                            user_properties={})  # fmt: skip
    handler = inspect.unwrap(servicebus.onboarding_message._function._func)
    asyncio.run(handler(msg, client))


@pytest.fixture
def events(monkeypatch) -> list[dict]:
    published: list[dict] = []
    monkeypatch.setattr(servicebus, "publish_event", published.append)
    return published


def test_message_outside_policy_is_rejected_with_violations_and_starts_nothing(monkeypatch, events):
    monkeypatch.setenv("POLICY_ALLOWED_APIM_SERVICES", json.dumps([OTHER_SERVICE]))
    client = FakeClient()
    _deliver(json.dumps(VALID).encode(), client)
    assert client.started == []
    [event] = events
    assert event["kind"] == "rejected" and event["messageId"] == "m-1"
    assert [(v["rule"], v["field"]) for v in event["violations"]] == [
        ("allowedApimServices", "apimServiceId")
    ]
    assert [e["field"] for e in event["errors"]] == ["apimServiceId"]
    assert json.loads(event["body"]) == VALID


def test_message_records_the_requester_from_the_property_and_the_request(events):
    client = FakeClient()
    _deliver(json.dumps(VALID).encode(), client, {"requestedBy": "servicenow-prod"})
    requested_by = client.started[0][2]["requestedBy"]
    assert requested_by == {"name": "servicenow-prod", "objectId": None, "source": "servicebus",
                            "claimed": VALID["requestedBy"]}  # fmt: skip
    assert events == []


def test_message_without_the_property_records_the_request_field(events):
    client = FakeClient()
    _deliver(json.dumps(VALID).encode(), client)
    assert client.started[0][2]["requestedBy"]["name"] == VALID["requestedBy"]
