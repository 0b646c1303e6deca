"""Offboarding (issue 15, item 3) with the real activities against the simulator.

* A team alone on its gateway: offboarding puts the simulator back exactly as it was before
  the onboarding (grants, DNS, link, gateway, workspace gone; the subnet's delegation and NSG
  association restored; the NSG it made deleted).
* Two teams sharing a gateway and a person: after a change of access of one, offboarding it
  leaves exactly the other team's resources (the gateway it still links, the person's shared
  grant) and removes the rest.
* A workspace holding an API is refused without force, and offboarded with it.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from activities import teams
from orchestrators.step_runner import run_step_body
from orchestrators.team_runs import change_access_body, offboard_body
from shared import names
from shared.arm_ids import gateway_id_for
from shared.team_store import team_store
from tests.activities.team_fixtures import indexed_world  # noqa: F401 - index on, real activities
from tests.activities.test_change_access import _grant, _run_as
from tests.activities.test_saga_against_simulator import SimWorld
from tests.simulator.conftest import BOB, CAROL
from tests.unit.fake_azure import SERVICE, request
from tests.unit.orchestration_driver import Driver

GATEWAY = gateway_id_for(SERVICE, "gw-payments")
WS_ROLE = "API Management Workspace Contributor"


def _state(sim) -> dict[str, Any]:
    return {r["id"].lower(): r for r in sim.state()["resources"]}


def _drive(w: SimWorld, name: str, body: dict[str, Any], instance_id: str) -> dict[str, Any]:
    orchestrators = {names.OFFBOARD: offboard_body, names.CHANGE_ACCESS: change_access_body,
                     names.RUN_STEP: run_step_body}  # fmt: skip
    drv = Driver(w, orchestrators)
    resolve = drv._resolve

    def resolve_with_clock(task):  # a durable timer moves the simulator's clock too
        if task.kind == "timer" and task.fire_at and task.fire_at > w.now:
            w.sim.advance(seconds=(task.fire_at - w.now).total_seconds())
        return resolve(task)

    drv._resolve = resolve_with_clock  # type: ignore[method-assign]
    return drv.run(name, {"request": body, "policy": {}}, instance_id=instance_id)


def _onboard(w: SimWorld, body: dict[str, Any]) -> None:
    result = _run_as(w, body, f"onboard-{body['ticketId'].lower()}")
    assert result["outcome"] == "Succeeded", result
    teams.record_onboarding(w.published[-1])


def _offboard(w: SimWorld, ticket: str, team: str, workspace: str, **extra: Any) -> dict[str, Any]:
    body = {"kind": "offboard", "ticketId": ticket, "team": team, "workspace": workspace,
            "requestedBy": "oncall@contoso.example", "apimServiceId": SERVICE, **extra}  # fmt: skip
    return _drive(w, names.OFFBOARD, body, f"offboard-{ticket.lower()}")


def _billing() -> dict[str, Any]:
    body = copy.deepcopy(request("integration", shared=True))
    body["gateway"]["existingGatewayId"] = GATEWAY
    body.update(ticketId="CHG2", team="billing", workspace={"name": "ws-billing",
                                                            "displayName": "Billing"})  # fmt: skip
    body["access"] = [body["access"][0], _grant(BOB, "workspace", WS_ROLE)]  # Alice's is shared
    return body


def test_offboarding_a_team_alone_on_its_gateway_restores_the_exact_prior_state(indexed_world, sim):  # noqa: F811 - the fixture
    world = indexed_world
    before = _state(sim)
    world.events.append(("private_ip-1", world.now + dt.timedelta(hours=4), {"ip": "10.20.1.9"}))
    _onboard(world, request("injection"))
    assert len(_state(sim)) > len(before)
    result = _offboard(world, "CHG9", "payments", "ws-payments")
    assert result["outcome"] == "Succeeded", result
    after = _state(sim)
    assert set(after) == set(before)
    subnet = next(k for k in before if k.endswith("/subnets/snet-gw-a"))
    assert after[subnet]["properties"].get("delegations") == before[subnet]["properties"].get(
        "delegations")  # fmt: skip
    assert after[subnet]["properties"].get("networkSecurityGroup") == before[subnet][
        "properties"].get("networkSecurityGroup")  # fmt: skip
    (record,) = team_store().list("payments")
    assert record.status == "offboarded" and record.workspace is None and record.grants == []
    assert [r.kind for r in record.runs] == ["onboard", "offboard"]


def test_two_teams_sharing_a_gateway_and_a_person(indexed_world, sim):  # noqa: F811 - the fixture
    world = indexed_world
    start = _state(sim)
    _onboard(world, request("integration"))  # payments makes gw-payments
    _onboard(world, _billing())  # billing joins it; Alice's service grant is shared
    change = {"kind": "changeAccess", "ticketId": "CHG3", "team": "payments",
              "requestedBy": "alice@contoso.example", "apimServiceId": SERVICE,
              "workspace": "ws-payments",
              "add": [_grant(CAROL, "workspace", "API Management Workspace Reader")]}  # fmt: skip
    assert _drive(world, names.CHANGE_ACCESS, change, "access-chg3")["outcome"] == "Succeeded"
    (payments,) = team_store().list("payments")
    (billing,) = team_store().list("billing")
    both = _state(sim)
    shared = {g.record.assignment_id.lower() for g in billing.grants}
    payments_grants = {g.record.assignment_id.lower() for g in payments.grants}
    assert payments_grants & shared  # Alice's service-scope grant: one assignment, both rely
    assert payments.workspace_id and payments.link
    own = {payments.workspace_id.lower(), payments.link.record.link_id.lower()}
    payments_only = (payments_grants - shared) | own
    result = _offboard(world, "CHG4", "payments", "ws-payments")
    assert result["outcome"] == "Succeeded", result
    after = _state(sim)
    assert set(after) == set(both) - payments_only
    # the other team's resources and the shared person's other grants are all there
    for grant in billing.grants:
        assert grant.record.assignment_id.lower() in after
    assert billing.workspace_id.lower() in after and GATEWAY.lower() in after
    steps = {s["name"]: s for s in result["steps"]}
    assert any("kept: gateway" in c for c in steps["record"]["created"])
    assert any("handed to billing/ws-billing" in c for c in steps["record"]["created"])
    (record,) = team_store().list("payments")
    assert record.status == "offboarded" and record.gateway is None and record.network is None
    (heir,) = team_store().list("billing")
    assert heir.gateway and heir.gateway.record.created and not heir.gateway.shared
    assert heir.network is not None and heir.network.run == "onboard-chg1"  # its maker's marks

    # billing, the gateway's last user, is offboarded: the gateway and its network go too, and
    # the simulator is as it was before either team was onboarded
    assert _offboard(world, "CHG10", "billing", "ws-billing")["outcome"] == "Succeeded"
    assert set(_state(sim)) == set(start)


def test_a_workspace_holding_an_api_is_refused_without_force(indexed_world, sim, factory):  # noqa: F811 - the fixture
    world = indexed_world
    _onboard(world, request("integration", shared=True))
    from azure.mgmt.apimanagement.models import ApiCreateOrUpdateParameter

    factory.apim(SERVICE.split("/")[2]).workspace_api.begin_create_or_update(
        "rg-apim", "apim-contoso", "ws-payments", "orders",
        ApiCreateOrUpdateParameter(display_name="Orders", path="orders")).result()  # fmt: skip
    refused = _offboard(world, "CHG5", "payments", "ws-payments")
    assert refused["outcome"] == "Failed"
    assert "still holds API orders" in refused["error"] and "force" in refused["error"]
    assert f"{SERVICE}/workspaces/ws-payments".lower() in _state(sim)
    forced = _offboard(world, "CHG6", "payments", "ws-payments", force=True)
    assert forced["outcome"] == "Succeeded", forced
    assert not any("/workspaces/ws-payments" in k for k in _state(sim))


def _deny_workspace_delete(sim, count: int = 1000) -> None:
    sim.call("POST", "/_sim/faults", {
        "method": "DELETE", "status": 403, "code": "AuthorizationFailed", "count": count,
        "path": "*/workspaces/ws-payments",
        "message": "does not have authorization to perform action "
                   "'Microsoft.ApiManagement/service/workspaces/delete'"})  # fmt: skip


def _offboard_held(w: SimWorld, ticket: str) -> dict[str, Any]:
    body = {"kind": "offboard", "ticketId": ticket, "team": "payments", "workspace": "ws-payments",
            "requestedBy": "oncall@contoso.example", "apimServiceId": SERVICE}  # fmt: skip
    drv = Driver(w, {names.OFFBOARD: offboard_body, names.RUN_STEP: run_step_body})
    return drv.run(names.OFFBOARD, {"request": body, "policy": {"failedStepHoldHours": 24}},
                   instance_id=f"offboard-{ticket.lower()}")  # fmt: skip


def test_a_failed_removal_is_held_and_nothing_is_put_back(indexed_world, sim):  # noqa: F811 - the fixture
    world = indexed_world
    _onboard(world, request("integration", shared=True))
    (before,) = team_store().list("payments")
    _deny_workspace_delete(sim)
    # nobody answers the hold: after 24 h the run ends Failed, listing what is left
    result = _offboard_held(world, "CHG7")
    assert result["outcome"] == "Failed", result
    steps = {s["name"]: s for s in result["steps"]}
    assert steps["access"]["status"] == "succeeded" and steps["gateway"]["status"] == "succeeded"
    assert steps["workspace"]["status"] == "failed"
    assert f"left behind: {before.workspace_id}" in result["error"]
    assert before.workspace_id and before.workspace_id.lower() in _state(sim)  # never deleted
    assert not any(
        g.record.assignment_id.lower() in _state(sim) for g in before.grants if g.record.created
    )  # the team's own grants are gone, not put back
    (left,) = team_store().list("payments")
    assert left.status == "active" and left.grants == [] and left.link is None
    assert left.workspace is not None and [r.outcome for r in left.runs] == ["Succeeded", "Failed"]

    # the operator fixes the cause and retries the held step: the offboarding ends
    sim.call("DELETE", "/_sim/faults")
    _deny_workspace_delete(sim, count=1)  # fails once more, then the cause is fixed
    world.events.append(("failed_decision-1", world.now + dt.timedelta(hours=1),
                         {"action": "retry", "by": "oncall"}))  # fmt: skip
    result = _offboard_held(world, "CHG8")
    assert result["outcome"] == "Succeeded", result
    (done,) = team_store().list("payments")
    assert done.status == "offboarded" and done.workspace is None
    assert before.workspace_id.lower() not in _state(sim)
