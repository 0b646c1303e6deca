"""Change of a team's access (issue 15, item 2) with the real activities against the simulator.

Two teams share a person (one service-scope assignment, relied on by both). Changing one
team's access adds a grant and removes two: its own workspace grant goes, the shared service
grant stays (the other team relies on it); the team's record follows. A change whose add fails
for good is undone: the grants it released are put back, with their marks and reliance rows.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from activities import teams
from orchestrators.step_runner import run_step_body
from orchestrators.team_runs import change_access_body
from shared import names
from shared.team_store import team_store
from tests.activities.team_fixtures import indexed_world  # noqa: F401 - index on, real activities
from tests.activities.test_saga_against_simulator import SimWorld
from tests.simulator.conftest import ALICE, BOB
from tests.unit.fake_azure import SERVICE, request
from tests.unit.fake_azure import driver as make_driver
from tests.unit.orchestration_driver import Driver, step_error

SERVICE_ROLE = "API Management Service Workspace API Developer"
WS_ROLE = "API Management Workspace Contributor"


def _grant(principal: str, scope: str, role: str, kind: str = "User") -> dict[str, str]:
    return {"principalId": principal, "principalType": kind, "scope": scope, "role": role}


def _onboard(w: SimWorld, ticket: str, team: str, workspace: str) -> dict[str, Any]:
    body = copy.deepcopy(request("integration", shared=True))
    body.update(ticketId=ticket, team=team,
                workspace={"name": workspace, "displayName": team})  # fmt: skip
    result = _run_as(w, body, f"onboard-{ticket.lower()}")
    assert result["outcome"] == "Succeeded", result
    teams.record_onboarding(w.published[-1])
    return result


def _run_as(w: SimWorld, body: dict[str, Any], instance_id: str) -> dict[str, Any]:
    """The onboarding saga as ``instance_id`` (each team its own run and marks)."""
    drv = make_driver(w)
    resolve = drv._resolve

    def resolve_with_clock(task):
        if task.kind == "timer" and task.fire_at and task.fire_at > w.now:
            w.sim.advance(seconds=(task.fire_at - w.now).total_seconds())
        return resolve(task)

    drv._resolve = resolve_with_clock  # type: ignore[method-assign]
    return drv.run(names.SAGA, {"request": body, "policy": {}}, instance_id=instance_id)


def _change(w: SimWorld, ticket: str, **fields: Any) -> dict[str, Any]:
    body = {"kind": "changeAccess", "ticketId": ticket, "team": "payments",
            "requestedBy": "alice@contoso.example", "apimServiceId": SERVICE,
            "workspace": "ws-payments", **fields}  # fmt: skip
    driver = Driver(w, {names.CHANGE_ACCESS: change_access_body, names.RUN_STEP: run_step_body})
    return driver.run(names.CHANGE_ACCESS, {"request": body, "policy": {}},
                      instance_id=f"access-{ticket.lower()}")  # fmt: skip


def _assignments(sim) -> dict[str, dict[str, Any]]:
    return {r["id"].lower(): r for r in sim.state()["resources"]
            if "/roleassignments/" in r["id"].lower()}  # fmt: skip


@pytest.fixture
def two_teams(indexed_world, sim):  # noqa: F811 - the fixture
    _onboard(indexed_world, "CHG1", "payments", "ws-payments")
    _onboard(indexed_world, "CHG2", "billing", "ws-billing")
    return indexed_world


def test_a_change_adds_removes_its_own_and_keeps_a_grant_another_team_relies_on(two_teams, sim):
    w = two_teams
    (before,) = team_store().list("payments")
    shared = before.grant(ALICE, "service", SERVICE_ROLE)
    own = before.grant(ALICE, "workspace", WS_ROLE)
    assert shared and own and own.record.created
    result = _change(w, "CHG3", add=[_grant(BOB, "workspace", "API Management Workspace Reader")],
                     remove=[_grant(ALICE, "service", SERVICE_ROLE),
                             _grant(ALICE, "workspace", WS_ROLE)])  # fmt: skip
    assert result["outcome"] == "Succeeded", result
    held = _assignments(sim)
    assert shared.record.assignment_id.lower() in held  # billing still relies on it
    assert own.record.assignment_id.lower() not in held
    (after,) = team_store().list("payments")
    bob = after.grant(BOB, "workspace", "API Management Workspace Reader")
    assert bob and bob.record.created and bob.run == "access-chg3"
    assert bob.record.assignment_id.lower() in held
    assert after.grant(ALICE, "service", SERVICE_ROLE) is None
    assert after.grant(ALICE, "workspace", WS_ROLE) is None
    assert [r.kind for r in after.runs] == ["onboard", "changeAccess"]
    # billing's record and grants are untouched
    (billing,) = team_store().list("billing")
    assert billing.grant(ALICE, "service", SERVICE_ROLE) is not None


def test_a_failed_add_undoes_the_change_and_puts_released_grants_back(two_teams, sim):
    w = two_teams
    (before,) = team_store().list("payments")
    own = before.grant(ALICE, "workspace", WS_ROLE)
    assert own is not None
    sim.call("POST", "/_sim/faults", {
        "method": "PUT", "status": 403, "code": "AuthorizationFailed", "count": 100,
        "path": "*/gateways/*/providers/Microsoft.Authorization/roleAssignments/*",
        "message": "does not have authorization to perform action "
                   "'Microsoft.Authorization/roleAssignments/write'"})  # fmt: skip
    result = _change(w, "CHG4",
                     add=[_grant(BOB, "workspace", "API Management Workspace Reader"),
                          _grant(BOB, "gateway", "Reader")],
                     remove=[_grant(ALICE, "workspace", WS_ROLE)])  # fmt: skip
    assert result["outcome"] == "Compensated", result
    held = _assignments(sim)
    assert not any(BOB in str(a["properties"].get("principalId")) for a in held.values())
    (after,) = team_store().list("payments")
    assert after == before  # the record did not change


def test_a_change_refuses_a_removal_the_team_does_not_hold(two_teams):
    result = _change(two_teams, "CHG5", remove=[_grant(BOB, "workspace", WS_ROLE)])
    assert result["outcome"] == "Failed"
    assert "remove[0]: is not a grant of this team" in result["error"]


def test_a_change_failing_after_its_releases_puts_the_grant_back_with_its_mark(two_teams, sim):
    w = two_teams
    (before,) = team_store().list("payments")
    own = before.grant(ALICE, "workspace", WS_ROLE)
    assert own is not None
    assignment = own.record.assignment_id.lower()
    mark = _assignments(sim)[assignment]["properties"]["description"]
    # the record cannot be written (for good): the change is undone after the release
    w.fail("update_team", *[step_error("permanent", "TeamRecordUnavailable")] * 20)
    result = _change(w, "CHG6", remove=[_grant(ALICE, "workspace", WS_ROLE)])
    assert result["outcome"] == "Compensated", result
    back = _assignments(sim).get(assignment)
    assert back is not None and back["properties"]["description"] == mark
    rows = [r for r in sim.state()["tables"]["devstoreaccount1"]["onboardingruns"]
            if str(r["PartitionKey"]).startswith("grant-") and r["RowKey"] == own.run]  # fmt: skip
    assert any(r["assignmentId"].lower() == assignment for r in rows)  # relied on again
    (after,) = team_store().list("payments")
    assert after == before
