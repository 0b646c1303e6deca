"""The team record an onboarding leaves (issue 15, item 1): the saga with the real activities
against the simulator, the record written from its last milestone into the simulator's Table
service, read back through GET /api/teams and GET /api/teams/{team}."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import json
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest

from activities import teams
from shared.azure_clients import reset_clients
from shared.team_store import team_store
from tests.activities.test_saga_against_simulator import SimWorld, _run
from tests.e2e.conftest import principal
from tests.unit.fake_azure import request
from triggers import teams_api


@pytest.fixture
def world(sim, factory, monkeypatch) -> Iterator[SimWorld]:
    from shared import azure_clients

    monkeypatch.setattr(azure_clients, "_default", factory)
    monkeypatch.setenv("RUN_INDEX_ENDPOINT", f"{sim.sim.url}/devstoreaccount1")
    monkeypatch.setenv("ARM_ENDPOINT", sim.sim.url)
    monkeypatch.setenv("ARM_CREDENTIAL", "static")
    monkeypatch.setenv("ARM_CA_BUNDLE", str(sim.sim.ca))
    reset_clients()
    monkeypatch.setattr(azure_clients, "_default", factory)
    yield SimWorld(sim)
    reset_clients()


def _get(name: str, path: str, roles: tuple[str, ...] = ("Onboarding.Reader",),
         **route: str) -> func.HttpResponse:  # fmt: skip
    req = func.HttpRequest("GET", f"http://127.0.0.1:7071/api/{path}", body=b"",
                           route_params=route, headers=principal(*roles) if roles else {})  # fmt: skip
    handler = inspect.unwrap(getattr(teams_api, name)._function._func)
    return asyncio.run(handler(req))


def _onboard(world: SimWorld, body: dict[str, Any]) -> dict[str, Any]:
    # ARM shows no private VIP (the simulator's default, as Azure): an operator supplies it.
    world.events.append(("private_ip-1", world.now + dt.timedelta(hours=4), {"ip": "10.20.1.9"}))
    result = _run(world, body)
    assert result["outcome"] == "Succeeded", result
    last = world.published[-1]
    assert last["kind"] == "succeeded" and "inventory" in last
    teams.record_onboarding(last)
    teams.record_onboarding(last)  # a re-run of the publish activity changes nothing
    return result


def test_an_injection_onboarding_leaves_a_record_readable_over_http(world, sim):
    body = request("injection")
    result = _onboard(world, body)
    reply = _get("get_team", "teams/payments", team="payments")
    assert reply.status_code == 200, reply.get_body()
    detail = json.loads(reply.get_body())
    (ws,) = detail["workspaces"]
    assert ws["workspace"]["record"]["created"] is True
    assert ws["gateway"]["shared"] is False and ws["gateway"]["record"]["created"] is True
    assert ws["link"]["record"]["linkId"].endswith("/configConnections/ws-payments")
    assert ws["network"]["subnet"]["priorDelegations"] == []
    assert ws["network"]["nsg"]["created"] is True
    assert ws["dns"]["privateIp"] and ws["dns"]["record"]["zoneCreated"] is True
    assert {(g["scope"], g["role"]) for g in ws["grants"]} == {
        (a["scope"], a["role"]) for a in body["access"]}  # fmt: skip
    # every part names the run that made it, and the run is listed
    assert {ws[p]["run"] for p in ("workspace", "gateway", "link", "network", "dns")} == {
        result["instanceId"]}  # fmt: skip
    assert [r["id"] for r in ws["runs"]] == [result["instanceId"]]
    # every recorded id exists in the simulator
    for rid in (
        ws["workspace"]["record"]["workspaceId"],
        ws["gateway"]["record"]["gatewayId"],
        ws["link"]["record"]["linkId"],
        *(g["record"]["assignmentId"] for g in ws["grants"]),
    ):
        assert sim.resource(rid) is not None, rid  # fmt: skip

    listed = json.loads(_get("list_teams", "teams").get_body())
    assert [(i["team"], i["workspace"], i["grants"]) for i in listed["items"]] == [
        ("payments", "ws-payments", 3)]  # fmt: skip


def test_a_shared_gateway_is_recorded_as_joined(world, sim):
    _onboard(world, request("integration", shared=True))
    (record,) = team_store().list("payments")
    assert record.gateway and record.gateway.shared and not record.gateway.record.created


def test_team_routes_need_a_read_role_and_name_unknown_teams(world):
    assert _get("list_teams", "teams", roles=()).status_code == 401
    assert _get("list_teams", "teams", roles=("Something.Else",)).status_code == 403
    assert _get("get_team", "teams/x", roles=(), team="x").status_code == 401
    assert _get("get_team", "teams/x", roles=("Something.Else",), team="x").status_code == 403
    for role in ("Onboarding.Reader", "Onboarding.Requester", "Onboarding.Operator"):
        assert _get("get_team", "teams/nobody", roles=(role,), team="nobody").status_code == 404
    assert _get("get_team", "teams/x", team="bad\x1bteam").status_code == 400
