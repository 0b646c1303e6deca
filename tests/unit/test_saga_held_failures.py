"""A held failure (POLICY_FAILED_STEP_HOLD_HOURS) names the step that failed; retry reruns that call.

Each forward call fails once, permanently; the operator answers ``retry`` an hour later. The
hold must be shown under the failed call's own step (not whichever step began last), and the
retry must run only the failed call again, keeping everything that succeeded.
"""

from __future__ import annotations

import datetime as dt

import pytest

from shared import activity_table as acts
from shared import names
from tests.unit.fake_azure import fake_world, request, run
from tests.unit.orchestration_driver import step_error

CASES = [
    (acts.PREFLIGHT, "preflight"),
    (acts.CREATE_WORKSPACE, "workspace"),
    (acts.ENSURE_NSG, "network"),
    (acts.CONFIGURE_SUBNET, "network"),
    (acts.ASSIGN_ROLE, "access"),
    (acts.BEGIN_GATEWAY, "gateway"),
    (acts.LINK_WORKSPACE, "gateway"),
    (acts.ENSURE_PRIVATE_DNS, "dns"),
]


def _held(world) -> list[dict]:
    return [s for s in world.statuses if s.get("operatorWait") == names.EVENT_FAILED_DECISION]


@pytest.mark.parametrize(("activity", "step"), CASES, ids=[a.name for a, _ in CASES])
def test_a_held_failure_names_its_own_step_and_retry_reruns_only_that_call(activity, step):
    world = fake_world()
    world.fail(activity.name, step_error("permanent", "BadThing"))
    world.raise_event(names.EVENT_FAILED_DECISION, dt.timedelta(hours=1), {"action": "retry"})
    baseline = fake_world()
    run(baseline, request("injection"))

    result = run(world, request("injection"), failedStepHoldHours=24)

    assert result["outcome"] == "Succeeded"
    held = _held(world)
    assert held and {s["step"] for s in held} == {step}
    assert all(f"failed {step} step" in s["waitingFor"] for s in held)
    failed = {s["name"]: s for s in held[0]["steps"]}[step]
    assert failed["status"] == "failed" and "BadThing" in failed["error"]
    # Only the failed call ran again: one call more than an undisturbed run, of that activity.
    extra = {n: world.called().count(n) - baseline.called().count(n) for n in acts.ACTIVITIES}
    extra.pop(acts.PUBLISH_EVENT.name)
    extra.pop(acts.GET_GATEWAY_STATE.name)  # polls depend on how long the hold lasted
    assert {n: c for n, c in extra.items() if c} == {activity.name: 1}


def test_a_held_failure_without_an_answer_compensates_its_own_step():
    world = fake_world()
    world.fail(acts.CREATE_WORKSPACE.name, step_error("permanent", "BadThing"))
    result = run(world, request("injection"), failedStepHoldHours=2)
    assert result["outcome"] == "Compensated"
    steps = {s["name"]: s for s in result["steps"]}
    assert steps["workspace"]["status"] == "failed" and "BadThing" in steps["workspace"]["error"]
    assert result["error"].startswith("workspace:")
    assert steps["network"]["status"] == "undone"  # the NSG made beside it was undone
