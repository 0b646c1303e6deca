"""Drift (issue 15, item 4): the pure comparison and repair plan, the routes' roles, the timer."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import json
from typing import Any

import azure.functions as func
import pytest
from azure.core.exceptions import ResourceNotFoundError

from shared.drift import Observation, ObservedGrant, compare, repair_plan
from shared.team_record import from_onboarding
from shared.team_store import TeamStore
from tests.unit.fake_azure import request
from tests.unit.principals import principal_headers
from tests.unit.test_team_record import _entries
from tests.unit.test_triggers import FakeClient
from triggers import drift_api

RECORD = from_onboarding(request("injection"), _entries(), "onboard-chg1", "2026-01-01T00:00:00Z")
ALL_THERE = Observation(
    workspace_exists=True, link_exists=True, gateway_exists=True,
    grants_present=[g.record.assignment_id for g in RECORD.grants],
    nsg_rules=[], subnet_prefixes=["10.20.1.0/24"],
    subnet_delegations=["Microsoft.Web/hostingEnvironments"],
    subnet_nsg_id=RECORD.network.nsg.nsg_id if RECORD.network and RECORD.network.nsg else None,
    dns_ips=["10.20.1.4"],
)  # fmt: skip


def _rules() -> list[dict[str, Any]]:
    from shared.nsg_rules import required_rules

    return [r.to_arm() for r in required_rules("injection", ["10.20.1.0/24"])]


def test_a_record_matching_arm_has_no_findings():
    assert compare(RECORD, ALL_THERE.model_copy(update={"nsg_rules": _rules()})) == []


def test_each_kind_of_drift_is_found_and_only_the_record_s_state_is_repairable():
    rules = _rules()
    rules[0]["properties"]["destinationPortRange"] = "8080"
    seen = ALL_THERE.model_copy(update={
        "nsg_rules": rules, "grants_present": ALL_THERE.grants_present[1:],
        "workspace_grants": [ObservedGrant(assignment_id="x/roleAssignments/outside")],
        "subnet_delegations": [], "subnet_nsg_id": None, "dns_ips": ["10.9.9.9"],
        "link_exists": False,
    })  # fmt: skip
    findings = compare(RECORD, seen)
    kinds = {f.kind for f in findings}
    assert kinds == {"grantMissing", "grantAdded", "nsgRuleChanged", "delegationRemoved",
                     "nsgAssociationRemoved", "dnsRecordChanged", "linkGone"}  # fmt: skip
    plan = repair_plan(RECORD, findings)
    assert [g.instance_id for g in plan.grants] == ["onboard-chg1"]  # as the run that made it
    assert plan.nsg and plan.nsg.tags == {"onboarding-instance": "onboard-chg1"}
    assert plan.subnet and plan.subnet.delegation == "Microsoft.Web/hostingEnvironments"
    assert plan.dns and plan.dns.private_ip == "10.20.1.4"
    assert {f.kind for f in plan.not_repairable} == {"grantAdded", "linkGone"}


def test_a_gone_record_and_zone_are_reported():
    findings = compare(RECORD, ALL_THERE.model_copy(update={"nsg_rules": None, "dns_ips": None,
                                                             "workspace_exists": False}))  # fmt: skip
    assert {f.kind for f in findings} >= {"nsgGone", "dnsRecordChanged", "workspaceGone"}


def _call(name: str, method: str, headers: dict[str, str], body: Any = None,
          route: dict[str, str] | None = None) -> func.HttpResponse:  # fmt: skip
    req = func.HttpRequest(method, "http://127.0.0.1:7071/api/drift",
                           body=json.dumps(body).encode() if body is not None else b"",
                           headers=headers, route_params=route or {})  # fmt: skip
    handler = inspect.unwrap(getattr(drift_api, name)._function._func)
    args = (req,) if name == "list_drift" else (req, FakeClient())
    return asyncio.run(handler(*args))


@pytest.mark.parametrize(("name", "method", "allowed"), [
    ("list_drift", "GET", {"Onboarding.Reader", "Onboarding.Requester", "Onboarding.Operator"}),
    ("check_drift", "POST", {"Onboarding.Operator"}),
    ("repair_team_route", "POST", {"Onboarding.Operator"}),
])  # fmt: skip
def test_drift_routes_check_app_roles(name, method, allowed, monkeypatch):
    monkeypatch.setattr(drift_api, "store_or_problem", lambda: func.HttpResponse(status_code=503))
    route = {"team": "payments"}
    assert _call(name, method, {}, {}, route).status_code == 401
    for role in ("Onboarding.Reader", "Onboarding.Requester", "Onboarding.Operator"):
        status = _call(name, method, principal_headers(role), {}, route).status_code
        assert (status != 403) == (role in allowed), (name, role, status)


def test_a_repair_request_names_its_ticket_workspace_and_service():
    reply = _call("repair_team_route", "POST", principal_headers("Onboarding.Operator"),
                  {"workspace": "ws/bad"}, {"team": "payments"})  # fmt: skip
    assert reply.status_code == 400
    fields = {e["field"] for e in json.loads(reply.get_body())["errors"]}
    assert fields == {"ticketId", "apimServiceId", "workspace"}


class _Table:
    def __init__(self, last: dt.datetime | None) -> None:
        self.rows = {} if last is None else {"~last-check": {"at": last.isoformat()}}

    def get_entity(self, pk: str, rk: str) -> dict[str, Any]:
        if rk not in self.rows:
            raise ResourceNotFoundError("no")
        return self.rows[rk]

    def upsert_entity(self, entity: dict[str, Any]) -> None:
        self.rows[entity["RowKey"]] = entity


class _Store(TeamStore):
    def __init__(self, last: dt.datetime | None, teams: bool = True) -> None:
        self.table = _Table(last)  # type: ignore[assignment]
        self.teams = [RECORD] if teams else []

    def list(self, team: str | None = None) -> list[Any]:
        return self.teams


@pytest.mark.parametrize(("hours", "ago", "teams", "starts"), [
    ("", None, True, False),  # the first tick notes the time: the first check is a day later
    ("", 1, True, False), ("", 25, True, True), ("6", 7, True, True), ("0", 99, True, False),
    ("", 25, False, False),  # nothing onboarded: no empty run
])  # fmt: skip
def test_the_timer_checks_once_per_interval(monkeypatch, hours, ago, teams, starts):
    monkeypatch.setenv("POLICY_DRIFT_CHECK_HOURS", hours)
    now = dt.datetime.now(dt.UTC)
    last = None if ago is None else now - dt.timedelta(hours=ago)
    store = _Store(last, teams)
    monkeypatch.setattr(drift_api, "store_or_problem", lambda: store)
    client = FakeClient()
    handler = inspect.unwrap(drift_api.drift_timer._function._func)
    asyncio.run(handler(None, client))  # the timer reads nothing of its TimerRequest
    assert bool(client.started) == starts
    if hours != "0":
        assert "~last-check" in store.table.rows
    if starts:
        assert client.started[0][1].startswith("drift-")
