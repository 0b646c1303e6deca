"""The dry run's plan is the procedure itself: the same calls, in the same order, as a run."""

from __future__ import annotations

import pytest

from orchestrators.rehearsal import rehearse
from shared import activity_table as acts
from shared.preflight import PreflightResult
from tests.unit.fake_azure import fake_world, request, run

POLLS_AND_EVENTS = {acts.PUBLISH_EVENT.name, acts.GET_GATEWAY_STATE.name, acts.GET_LINK_STATE.name}


def _preflight(mode: str) -> PreflightResult:
    world = fake_world()
    raw = world.activities[acts.PREFLIGHT.name]({"mode": mode, "subnetId": "x"}, world)
    return PreflightResult.model_validate(raw)


@pytest.mark.parametrize(("mode", "shared"), [("injection", False), ("integration", False),
                                              ("none", False), ("integration", True)])  # fmt: skip
def test_the_plan_lists_the_calls_a_run_makes_in_the_same_order(mode, shared):
    body = request(mode, shared=shared)
    planned = rehearse({"request": body, "policy": {}}, _preflight(mode), "onboard-chg1")
    world = fake_world()
    run(world, body)
    made = [
        n for n in world.called() if n not in POLLS_AND_EVENTS and n not in acts.UNDO_OF.values()
    ]
    assert [p["activity"] for p in planned if p.get("activity")] == made


def test_the_plan_names_the_operator_waits_and_groups_parallel_calls():
    plan = rehearse({"request": request("injection"), "policy": {"requireApproval": True}},
                    _preflight("injection"), "onboard-chg1")  # fmt: skip
    waits = [(p["step"], p["waitsFor"]) for p in plan if p.get("waitsFor")]
    assert waits == [("approval", "approval"), ("wait", "the gateway build"), ("dns", "private_ip")]
    group = {p["activity"]: p["group"] for p in plan if p.get("activity") != "assign_role"
             and p.get("activity")}  # fmt: skip
    assert group["create_workspace"] == group["ensure_nsg"] != group["configure_subnet"]


def test_a_failed_preflight_plans_nothing_more():
    failed = _preflight("injection").model_copy(update={"passed": False})
    plan = rehearse({"request": request("injection"), "policy": {}}, failed, "onboard-chg1")
    assert [p.get("activity") for p in plan] == ["preflight"]
