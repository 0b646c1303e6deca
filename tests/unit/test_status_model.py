"""The one status model (issue 14, item 1): outcomes, step states and what the run waits for.

The saga is driven without a host (tests/unit/fake_azure.py); each custom status it publishes
is read through shared/status_model.py as the API would read it, so what a client sees while
a step retries, is held, or is undone is checked from the orchestration's own output.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shared import activity_table as acts
from shared import names
from shared import status_model as sm
from shared.custom_status import LIMIT, bounded, size
from tests.unit.fake_azure import fake_world, request, run
from tests.unit.orchestration_driver import step_error


def _view(custom: dict[str, Any], runtime: str = "Running", output: Any = None) -> sm.RunView:
    return sm.run_view("onboard-chg-1", runtime, custom, output)


def _step(view: sm.RunView, name: str) -> sm.StepView:
    return next(s for s in view.steps if s.name == name)


def _saga_statuses(world: Any) -> list[dict[str, Any]]:
    """The saga's own custom statuses (children publish theirs to the same world)."""
    return [s for s in world.statuses if isinstance(s, dict) and "steps" in s]


@pytest.mark.parametrize(
    ("runtime", "custom", "output", "outcome"),
    [
        ("Pending", {}, None, "Running"),
        ("Running", {"step": "wait", "waitingFor": "gateway build"}, None, "Running"),
        ("Running", {"step": "approval", "operatorEvent": "approval-1"}, None,
         "WaitingOnOperator"),
        ("Running", {"step": "compensate", "waitingFor": "undo x"}, None, "Compensating"),
        ("Completed", {}, {"outcome": "Succeeded"}, "Succeeded"),
        ("Completed", {}, {"outcome": "Compensated"}, "Compensated"),
        ("Completed", {}, {"outcome": "CompensationFailed"}, "CompensationFailed"),
        ("Completed", {}, {"outcome": "Failed"}, "Failed"),
        ("Completed", {}, None, "Failed"),
        ("Failed", {"step": "access"}, "boom", "Failed"),
        ("Terminated", {"step": "wait"}, "wrong team", "Terminated"),
    ],
)  # fmt: skip
def test_the_outcome_comes_first_and_a_compensated_run_is_not_just_completed(
    runtime: str, custom: dict, output: Any, outcome: str
) -> None:
    view = _view(custom, runtime, output)
    assert view.outcome == outcome
    body = sm.view_json(view)
    assert list(body)[:2] == ["id", "outcome"] and body["runtimeStatus"] == runtime


def test_a_retrying_step_shows_its_attempt_last_error_and_next_try_then_clears() -> None:
    world = fake_world()
    world.fail(acts.CREATE_WORKSPACE.name, step_error("transient", "InternalServerError"),
               step_error("transient", "InternalServerError"))  # fmt: skip
    result = run(world, request("none"))  # the workspace is created alone: inline retries
    assert result["outcome"] == "Succeeded"

    retrying = [s for s in _saga_statuses(world) if "workspace" in (s.get("retrying") or {})]
    assert [s["retrying"]["workspace"]["attempt"] for s in retrying] == [1, 2]
    view = _view(retrying[-1])
    step = _step(view, "workspace")
    assert step.status == "retrying" and view.outcome == "Running"
    assert step.attempts == 2 and step.retries == 1  # the second try failed, a third is due
    assert "InternalServerError" in (step.last_error or "")
    assert step.next_retry is not None and dt.datetime.fromisoformat(step.next_retry)
    assert not (_saga_statuses(world)[-1].get("retrying") or {})  # gone once it succeeded

    final = sm.run_view("x", "Completed", {}, result)
    workspace = _step(final, "workspace")
    assert workspace.status == "succeeded" and workspace.attempts == 3
    assert workspace.retries == 2 and workspace.last_error is None


def test_a_parallel_call_retrying_is_read_from_its_child_and_named_by_the_parent() -> None:
    world = fake_world()
    world.fail(acts.ENSURE_NSG.name, step_error("transient", "InternalServerError"))
    assert run(world, request("injection"))["outcome"] == "Succeeded"

    parent = next(s for s in _saga_statuses(world) if s.get("children"))
    assert len(parent["children"]) == 2 and all(":" in c for c in parent["children"])
    child = next(s for s in world.statuses if isinstance(s, dict) and s.get("retrying")
                 and "steps" not in s)  # fmt: skip
    found = sm.child_retrying(child)
    assert found is not None and found[0] == "network" and found[1].attempt == 1
    view = sm.run_view("x", "Running", parent, None, child_retrying=dict([found]))
    assert _step(view, "network").status == "retrying"
    assert "InternalServerError" in (_step(view, "network").last_error or "")


def test_a_held_failure_is_held_with_the_action_to_take() -> None:
    world = fake_world()
    world.fail(acts.CREATE_WORKSPACE.name, step_error("permanent", "BadThing"))
    world.raise_event(names.EVENT_FAILED_DECISION, dt.timedelta(hours=1), {"action": "retry"})
    run(world, request("injection"), failedStepHoldHours=24)
    held = next(s for s in _saga_statuses(world) if s.get("operatorEvent"))
    view = _view(held)
    assert view.outcome == "WaitingOnOperator" and view.current_step == "workspace"
    assert _step(view, "workspace").status == "held"
    assert "BadThing" in (_step(view, "workspace").last_error or "")
    wait = view.waiting_for
    assert wait is not None and wait.kind == names.EVENT_FAILED_DECISION
    assert wait.event == held["operatorEvent"] and wait.deadline == held["until"]
    assert "onboard retry onboard-chg-1" in wait.action and view.doing is None


def test_an_approval_wait_names_the_event_and_its_deadline() -> None:
    world = fake_world()
    world.raise_event(names.EVENT_APPROVAL, dt.timedelta(hours=1), {"approved": True})
    run(world, request("injection"), requireApproval=True)
    waiting = next(s for s in _saga_statuses(world) if s.get("operatorWait") == "approval")
    view = _view(waiting)
    assert view.outcome == "WaitingOnOperator"
    assert view.waiting_for is not None and view.waiting_for.event == "approval-1"
    assert "onboard approve" in view.waiting_for.action
    assert _step(view, "approval").status == "running"


def test_compensation_shows_the_step_being_undone_and_ends_undone() -> None:
    world = fake_world()
    world.fail(acts.BEGIN_GATEWAY.name, step_error("permanent", "Boom"))
    result = run(world, request("integration"))
    undoing = [s for s in _saga_statuses(world) if s.get("step") == "compensate"
               and s.get("undoing")]  # fmt: skip
    assert {s["undoing"] for s in undoing} >= {"workspace", "network"}
    view = _view(undoing[-1])
    assert (
        view.outcome == "Compensating" and _step(view, undoing[-1]["undoing"]).status == "undoing"
    )
    assert view.doing and view.doing.startswith("undo ")

    final = sm.run_view("x", "Completed", {}, result)
    assert final.outcome == "Compensated" and final.error and "Boom" in final.error
    assert _step(final, "workspace").status == "undone"
    assert _step(final, "gateway").status == "failed"
    assert "Boom" in (_step(final, "gateway").last_error or "")


def test_compensation_failed_lists_the_leftovers() -> None:
    world = fake_world()
    world.fail(acts.BEGIN_GATEWAY.name, step_error("permanent", "Boom"))
    world.fail(acts.UNDO_NSG.name, *[step_error("transient", "InternalServerError")] * 30)
    result = run(world, request("integration"))
    view = sm.run_view("x", "Completed", {}, result)
    assert view.outcome == "CompensationFailed" and view.leftovers
    network = _step(view, "network")
    assert network.status == "failed" and "undo failed" in (network.last_error or "")


def test_a_terminated_run_does_not_leave_a_step_running() -> None:
    custom = {
        "step": "wait",
        "waitingFor": "gateway build",
        "steps": [{"name": "wait", "status": "running", "started": "2026-01-01T00:00:00"}],
    }
    view = _view(custom, "Terminated", "wrong team")
    assert view.outcome == "Terminated" and _step(view, "wait").status == "failed"
    assert view.current_step is None and view.waiting_for is None and view.doing is None


def test_request_facts_come_from_the_input_of_a_saga_or_a_compensation_run() -> None:
    saga = {"request": {"ticketId": "CHG-1", "team": "pay", "workspace": {"name": "ws"}}}
    view = sm.run_view("x", "Running", {}, None, inp=saga)
    assert (view.ticket_id, view.team, view.workspace) == ("CHG-1", "pay", "ws")
    comp = '{"compensationOf": "onboard-chg-1", "ticketId": "CHG-1", "entries": []}'
    view = sm.run_view("x-c1", "Running", {"step": "compensate"}, None, inp=comp)
    assert view.ticket_id == "CHG-1" and view.compensation_of == "onboard-chg-1"


def test_milestones_and_rows_use_the_same_outcomes() -> None:
    assert sm.outcome_of_event("accepted") == "Running"
    assert sm.outcome_of_event("stepDone") == "Running"
    assert sm.outcome_of_event("waitingOnOperator") == "WaitingOnOperator"
    assert sm.outcome_of_event("failed") == "Compensating"
    assert sm.outcome_of_event("compensated", "Failed") == "Failed"
    assert sm.outcome_of_event("compensationFailed") == "CompensationFailed"
    rows = [
        {"status": "Running", "outcome": "Running"},
        {"status": "Running", "outcome": "WaitingOnOperator", "waitingFor": "approval"},
        {"status": "Running", "outcome": None, "waitingFor": "approval"},  # an older row
        {"status": "Completed", "outcome": "Compensated"},
        {"status": "Terminated", "outcome": "Running"},  # terminated after its last milestone
        {"status": "Failed", "outcome": None},
    ]
    assert sm.count(rows) == {"Running": 1, "WaitingOnOperator": 2, "Succeeded": 0,
                              "Compensating": 0, "Compensated": 1, "CompensationFailed": 0,
                              "Failed": 1, "Terminated": 1}  # fmt: skip
    wait = sm.row_waiting_for({"id": "r", "status": "Running", "outcome": "WaitingOnOperator",
                               "waitingFor": "approval of x", "waitingEvent": "approval-2",
                               "waitingUntil": "2026-01-04T00:00:00+00:00"})  # fmt: skip
    assert wait and wait["event"] == "approval-2" and wait["kind"] == "approval"
    assert "onboard approve r" in wait["action"]


def test_the_live_detail_survives_the_custom_status_bound() -> None:
    huge = {"step": "access", "waitingFor": "assign_role", "until": None,
            "retrying": {"access": {"activity": "assign_role", "attempt": 3,
                                    "lastError": "PrincipalNotFound: " + "x" * 280,
                                    "nextRetry": "2026-01-01T00:10:00+00:00"}},
            "children": [f"onboard-{'y' * 100}:{n}" for n in range(50)],
            "steps": [{"name": "access", "created": ["/s/" + "z" * 5000] * 1, "error": "e" * 6000},
                      *[{"name": f"s{n}", "error": "q" * 4000} for n in range(8)]],
            "asks": {"approval": {"grants": ["g" * 100] * 50}}}  # fmt: skip
    small = bounded(huge)
    assert size(small) <= LIMIT
    assert small["retrying"] == huge["retrying"] and small["children"] == huge["children"]
