"""Intake of a change of access (issue 15, item 2) over HTTP and Service Bus: roles, guardrails
(the onboarding's own policy code), the team's record (404/409), dry run, one run per ticket."""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

import azure.functions as func
import pytest
from azure.functions.servicebus import ServiceBusMessage

from shared import names
from shared.team_record import TeamRecord, from_onboarding
from shared.team_store import TeamStore
from tests.unit.fake_azure import ALICE, SERVICE, request
from tests.unit.principals import principal_headers
from tests.unit.test_team_record import _entries
from tests.unit.test_triggers import FakeClient, _user_function
from triggers import servicebus, team_intake

BOB = "b0b00000-0000-4000-8000-000000000002"
RECORD = from_onboarding(request("injection"), _entries(), "onboard-chg1", "2026-01-01T00:00:00Z")


class FakeStore(TeamStore):
    def __init__(self, record: TeamRecord | None) -> None:
        self.record = record

    def find(self, team: str, apim_service_id: str, workspace: str) -> TeamRecord | None:
        return self.record if (team, workspace) == ("payments", "ws-payments") else None


@pytest.fixture(autouse=True)
def store(monkeypatch) -> FakeStore:
    fake = FakeStore(RECORD)
    monkeypatch.setattr(team_intake, "store_or_problem", lambda: fake)
    return fake


def _grant(principal: str, scope: str, role: str) -> dict[str, str]:
    return {"principalId": principal, "principalType": "User", "scope": scope, "role": role}


def change(**fields: Any) -> dict[str, Any]:
    return {"kind": "changeAccess", "ticketId": "CHG9", "team": "payments",
            "requestedBy": "alice@contoso.example", "apimServiceId": SERVICE,
            "workspace": "ws-payments",
            "add": [_grant(BOB, "workspace", "API Management Workspace Reader")], **fields}  # fmt: skip


def _post(client: FakeClient, body: Any, headers: dict[str, str] | None = None,
          params: dict[str, str] | None = None) -> func.HttpResponse:  # fmt: skip
    req = func.HttpRequest("POST", "http://127.0.0.1:7071/api/onboardings",
                           body=json.dumps(body).encode(), params=params or {},
                           headers=principal_headers() if headers is None else headers)  # fmt: skip
    return asyncio.run(_user_function("start_onboarding")(req, client))


def test_a_change_of_access_starts_its_own_run_once_per_ticket():
    client = FakeClient()
    reply = _post(client, change())
    assert reply.status_code == 202, reply.get_body()
    assert [(n, i) for n, i, _ in client.started] == [(names.CHANGE_ACCESS, "access-chg9")]
    started = client.started[0][2]
    assert started["request"]["kind"] == "changeAccess"
    assert started["policy"]["requireApproval"] is False  # POLICY_CHANGE_ACCESS_... default
    again = _post(client, change())
    assert again.status_code == 200 and json.loads(again.get_body())["existing"] is True
    assert len(client.started) == 1


def test_the_same_ticket_may_onboard_and_later_change_access():
    from shared.request import instance_id_for
    from shared.team_requests import kind_instance_id

    assert kind_instance_id("changeAccess", "CHG9") == "access-chg9"
    assert kind_instance_id("offboard", "chg_9").removeprefix("offboard") == instance_id_for(
        "chg_9").removeprefix("onboard")  # fmt: skip


def test_roles_and_guardrails_are_the_onboardings():
    client = FakeClient()
    assert _post(client, change(), headers={}).status_code == 401
    assert (
        _post(client, change(), headers=principal_headers("Onboarding.Reader")).status_code == 403
    )
    # gateway scope allows Reader only by default: the same rule and field naming as onboarding
    refused = _post(client, change(add=[_grant(BOB, "gateway", "Contributor")]))
    assert refused.status_code == 403
    (violation,) = json.loads(refused.get_body())["violations"]
    assert (violation["rule"], violation["field"]) == ("allowedRoles.gateway", "add[0].role")
    assert client.started == []


def test_the_record_decides_what_may_change(store):
    client = FakeClient()
    unknown = _post(client, change(workspace="ws-other"))
    assert unknown.status_code == 404
    not_held = _post(client, change(add=[], remove=[_grant(BOB, "workspace",
                                                           "API Management Workspace Reader")]))  # fmt: skip
    assert not_held.status_code == 409
    assert json.loads(not_held.get_body())["errors"][0]["field"] == "remove[0]"
    store.record = RECORD.model_copy(update={"status": "offboarded"})
    assert _post(client, change()).status_code == 409
    assert client.started == []


def test_a_dry_run_shows_the_plan_and_starts_nothing():
    client = FakeClient()
    reply = _post(client, change(remove=[_grant(ALICE, "workspace",
                                                 "API Management Workspace Contributor")]),
                  params={"dryRun": "true"})  # fmt: skip
    assert reply.status_code == 200
    body = json.loads(reply.get_body())
    assert body["kind"] == "changeAccess" and body["instanceId"] == "access-chg9"
    assert len(body["plan"]["add"]) == 1 and len(body["plan"]["remove"]) == 1
    assert client.started == []


def test_an_unknown_kind_and_a_bad_change_are_400():
    client = FakeClient()
    bad_kind = _post(client, {**change(), "kind": "delete"})
    assert bad_kind.status_code == 400
    assert json.loads(bad_kind.get_body())["errors"][0]["field"] == "kind"
    empty = _post(client, change(add=[]))
    assert empty.status_code == 400
    both = _post(client, change(remove=change()["add"]))
    assert json.loads(both.get_body())["errors"][0]["field"] == "remove[0]"


def test_offboarding_is_operator_only_by_default():
    client = FakeClient()
    body = {"kind": "offboard", "ticketId": "CHG10", "team": "payments",
            "requestedBy": "alice@contoso.example", "apimServiceId": SERVICE,
            "workspace": "ws-payments"}  # fmt: skip
    refused = _post(client, body, headers=principal_headers("Onboarding.Requester"))
    assert refused.status_code == 403
    assert json.loads(refused.get_body())["requiredRoles"] == ["Onboarding.Operator"]


def _deliver(body: dict[str, Any], client: FakeClient) -> None:
    msg = ServiceBusMessage(body=json.dumps(body).encode(), message_id="m-1",
                            application_properties={}, user_properties={}, delivery_count=1,
                            sequence_number=7)  # fmt: skip
    handler = inspect.unwrap(servicebus.onboarding_message._function._func)
    asyncio.run(handler(msg, client))


def test_service_bus_takes_a_change_of_access_and_rejects_what_does_not_fit(monkeypatch, store):
    import shared.team_store as team_store_module

    monkeypatch.setattr(team_store_module, "team_store", lambda: store)
    events: list[dict[str, Any]] = []
    monkeypatch.setattr(servicebus, "publish_event", events.append)
    client = FakeClient()
    _deliver(change(), client)
    assert [(n, i) for n, i, _ in client.started] == [(names.CHANGE_ACCESS, "access-chg9")]
    _deliver(change(ticketId="CHG11", workspace="ws-other"), client)
    (event,) = events
    assert event["kind"] == "rejected" and event["category"] == "noSuchTeam"
    offboard = {**change(ticketId="CHG12"), "kind": "offboard"}
    offboard.pop("add")
    _deliver(offboard, client)
    assert events[-1]["category"] == "forbidden"  # Operator-only: no Service Bus sender is one
    assert len(client.started) == 1


def test_an_operator_offboards_with_approval_and_held_failures_by_default():
    client = FakeClient()
    body = {"kind": "offboard", "ticketId": "CHG13", "team": "payments",
            "requestedBy": "alice@contoso.example", "apimServiceId": SERVICE,
            "workspace": "ws-payments", "force": True, "reason": "team dissolved"}  # fmt: skip
    reply = _post(client, body, headers=principal_headers("Onboarding.Operator"))
    assert reply.status_code == 202, reply.get_body()
    ((name, instance_id, started),) = client.started
    assert (name, instance_id) == (names.OFFBOARD, "offboard-chg13")
    assert started["policy"]["requireApproval"] is True  # POLICY_OFFBOARD_REQUIRE_APPROVAL
    assert started["policy"]["failedStepHoldHours"] > 0  # a failed removal waits for an operator
    assert started["request"]["force"] is True


def test_policy_settings_turn_offboarding_approval_off_and_open_it_to_requesters(monkeypatch):
    monkeypatch.setenv("POLICY_OFFBOARD_REQUIRE_APPROVAL", "false")
    monkeypatch.setenv("POLICY_OFFBOARD_ROLES", '["Onboarding.Operator", "Onboarding.Requester"]')
    client = FakeClient()
    body = {"kind": "offboard", "ticketId": "CHG14", "team": "payments",
            "requestedBy": "alice@contoso.example", "apimServiceId": SERVICE,
            "workspace": "ws-payments"}  # fmt: skip
    reply = _post(client, body, headers=principal_headers("Onboarding.Requester"))
    assert reply.status_code == 202
    assert client.started[0][2]["policy"]["requireApproval"] is False
    monkeypatch.setenv("POLICY_OFFBOARD_ROLES", '["Onboarding.Nobody"]')
    broken = _post(FakeClient(), {**body, "ticketId": "CHG15"},
                   headers=principal_headers("Onboarding.Operator"))  # fmt: skip
    assert broken.status_code == 500  # an unreadable setting refuses work
