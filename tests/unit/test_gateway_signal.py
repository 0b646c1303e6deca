"""The gateway push signal (issue 17, item 2): parsing ARM's events, and the waiter's decisions.

Events (shared/gateway_signal.py): a gateway write's ResourceWriteSuccess/Failure in the Event
Grid or the CloudEvents schema is a signal; anything else is ignored with a reason. The waiter
(orchestrators/gateway_waiter.py, driven without a host): started with ``pushSignal`` it
registers once, waits on the timer or the event, confirms with one GET when the event wins and
goes on with the schedule when the GET says it is still building; without the field it makes
exactly the calls and timers it made before.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from orchestrators.gateway_waiter import wait_for_gateway
from shared import activity_table as acts
from shared import gateway_signal as gs
from shared import names
from shared import saga_inputs as inputs
from shared.history_budget import END, EXECUTION_BUDGET, START, TASK
from shared.request import OnboardingRequest
from shared.saga_models import SagaPolicy
from shared.saga_plan import plan_for
from tests.unit.fake_azure import request
from tests.unit.orchestration_driver import START as T0
from tests.unit.orchestration_driver import Driver, World
from triggers.settings import saga_policy

GATEWAY = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/gateways/gw-a"
BUILD = dt.timedelta(hours=3, minutes=4)
KNOWN = [{"seconds": m * 60.0, "uncertainty": 60.0} for m in (176, 181, 186, 179, 183)]


def grid_event(**over: Any) -> dict[str, Any]:
    data = {"resourceUri": GATEWAY, "operationName": gs.GATEWAY_WRITE, "status": "Succeeded"}
    event = {"id": "e-1", "subject": GATEWAY, "eventType": gs.WRITE_SUCCESS,
             "eventTime": "2026-03-02T12:04:00Z", "data": data}  # fmt: skip
    data.update(over.pop("data", {}))
    event.update(over)
    return event


# --- parsing --------------------------------------------------------------------------------


def test_a_gateway_write_success_is_a_signal() -> None:
    (signal,), ignored = gs.parse_message(json.dumps(grid_event()).encode())
    assert ignored == []
    assert signal.gateway_id == GATEWAY and signal.outcome == "succeeded"


def test_a_write_failure_says_failed() -> None:
    event = grid_event(eventType=gs.WRITE_FAILURE, data={"status": "Failed"})
    (signal,), _ = gs.parse_message(json.dumps(event))
    assert signal.outcome == "failed"


def test_the_cloudevents_schema_and_arrays_are_read() -> None:
    cloud = {"specversion": "1.0", "type": gs.WRITE_SUCCESS, "source": "/subscriptions/s",
             "subject": GATEWAY, "id": "c-1", "time": "2026-03-02T12:04:00Z",
             "data": grid_event()["data"]}  # fmt: skip
    signals, ignored = gs.parse_message(json.dumps([cloud, grid_event()]))
    assert [s.event_id for s in signals] == ["c-1", "e-1"] and ignored == []


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"\xff not json", "not JSON"),
        (json.dumps("text"), "not an event object"),
        (
            json.dumps(grid_event(eventType="Microsoft.Resources.ResourceDeleteSuccess")),
            "not a resource write",
        ),
        (
            json.dumps(
                grid_event(data={"operationName": "Microsoft.Network/virtualNetworks/write"})
            ),
            "not a gateway write",
        ),
        (
            json.dumps(grid_event(data={"resourceUri": GATEWAY + "/configConnections/c1"})),
            "not a workspace gateway",
        ),
        (json.dumps(grid_event(data={"resourceUri": "not an id"})), "not a workspace gateway"),
        (json.dumps({"eventType": gs.WRITE_SUCCESS, "data": "x"}), "no data object"),
    ],
    ids=["bytes", "string", "delete", "other-op", "child", "bad-id", "no-data"],
)
def test_anything_else_is_ignored_with_a_reason(body: Any, why: str) -> None:
    signals, ignored = gs.parse_message(body)
    assert signals == [] and len(ignored) == 1 and why in ignored[0]


def test_the_watch_partition_ignores_the_ids_case_and_refuses_non_gateways() -> None:
    assert gs.partition(GATEWAY) == gs.partition(
        GATEWAY.upper().replace("SUBSCRIPTIONS", "subscriptions")
    )
    assert gs.partition(GATEWAY).startswith(gs.WATCH_PREFIX) and "/" not in gs.partition(GATEWAY)
    with pytest.raises(ValueError):
        gs.partition(GATEWAY + "/configConnections/c1")


def test_the_setting_is_off_unless_set() -> None:
    assert not gs.enabled(None) and not gs.enabled("") and not gs.enabled("false")
    assert gs.enabled("true") and gs.enabled(" On ")


# --- the waiter -----------------------------------------------------------------------------


def world(build: dt.timedelta = BUILD, outcome: str = "Succeeded", watching: bool = True) -> World:
    w = World()

    def state(_: Any, world: World) -> dict[str, Any]:
        done = world.now - T0 >= build
        return {"gatewayId": GATEWAY, "provisioningState": outcome if done else "Activating",
                "location": "West Europe", "sku": "WorkspaceGatewayPremium"}  # fmt: skip

    w.activities = {
        acts.GET_GATEWAY_STATE.name: state,
        acts.READ_BUILD_DURATIONS.name: lambda p, _: {"records": KNOWN},
        acts.RECORD_BUILD_DURATION.name: lambda p, _: None,
        acts.WATCH_GATEWAY.name: lambda p, _: {"watching": watching},
    }
    return w


def run(w: World, push: bool | None) -> tuple[dict[str, Any], list[int]]:
    executions: list[int] = []

    def counted(ctx: Any) -> Any:
        calls, statuses, timers = len(w.calls), len(w.statuses), len(w.timers)
        result = yield from wait_for_gateway(ctx)
        waits = [s for s in w.statuses[statuses:] if "nextPollAt" in s]
        signalled = sum("signalEvent" in s for s in waits)
        plain = len(w.timers[timers:]) if not signalled else 0
        # A signalled wait adds at most: TimerCreated, TimerFired or EventRaised, its episode,
        # and the other one arriving later in an episode of its own (3 more).
        executions.append(START + TASK * (len(w.calls) - calls + plain)
                          + (TASK + 3) * signalled + END)  # fmt: skip
        return result

    inp: dict[str, Any] = {"gatewayId": GATEWAY, "startedAt": T0.isoformat(),
                           "deadlineAt": (T0 + dt.timedelta(hours=6)).isoformat()}  # fmt: skip
    if push is not None:
        inp["pushSignal"] = push
    drv = Driver(w, {names.GATEWAY_WAITER: counted})
    return drv.run(names.GATEWAY_WAITER, inp, "onboard-chg1:7", "2.0"), executions


def polls_at(w: World) -> list[dt.timedelta]:
    return [c.at - T0 for c in w.calls if c.name == acts.GET_GATEWAY_STATE.name]


def test_without_the_field_the_waiter_calls_and_waits_as_before() -> None:
    before, after = world(), world()
    run(before, None)
    run(after, False)
    assert [c.name for c in after.calls] == [c.name for c in before.calls]
    assert after.timers == before.timers
    assert acts.WATCH_GATEWAY.name not in after.called()
    assert all("signalEvent" not in s for s in after.statuses)


def test_the_event_at_the_builds_end_is_confirmed_by_one_poll_at_once() -> None:
    plain, pushed = world(), world()
    polled, _ = run(plain, None)
    pushed.raise_event(gs.EVENT_GATEWAY_WRITE, BUILD, {"outcome": "succeeded"})
    result, _ = run(pushed, True)
    assert result["state"] == "Succeeded"
    assert pushed.called()[0] == acts.WATCH_GATEWAY.name  # registered before the first poll
    assert polls_at(pushed)[-1] == BUILD  # noticed when the event came, not at the next poll
    assert polls_at(plain)[-1] > BUILD
    assert result["polls"] == polled["polls"]  # the confirming GET replaces the next poll
    # Each wait's event is named from the poll before it on (an event during the poll is kept).
    names_ = [s["signalEvent"] for s in pushed.statuses]
    assert names_[0] == f"{gs.EVENT_GATEWAY_WRITE}-1"
    assert names_[:-1:2] == names_[1::2]  # the poll's status, then the wait's: one name


def test_a_failure_before_the_window_is_noticed_at_once() -> None:
    early = dt.timedelta(minutes=40)  # the records put the window near 3 h: polls are sparse
    plain, pushed = world(early, "Failed"), world(early, "Failed")
    run(plain, None)
    pushed.raise_event(gs.EVENT_GATEWAY_WRITE, early, {"outcome": "failed"})
    result, _ = run(pushed, True)
    assert result["state"] == "Failed"
    assert polls_at(pushed)[-1] == early
    assert polls_at(plain)[-1] - early > dt.timedelta(minutes=30)


def test_an_early_event_costs_one_poll_and_the_schedule_goes_on() -> None:
    w = world()
    w.raise_event(gs.EVENT_GATEWAY_WRITE, dt.timedelta(minutes=3), {"outcome": "succeeded"})
    plain = world()
    polled, _ = run(plain, None)
    result, _ = run(w, True)
    assert result["state"] == "Succeeded"
    assert dt.timedelta(minutes=3) in polls_at(w)
    assert result["polls"] == polled["polls"] + 1


def test_a_lost_event_falls_back_to_the_schedule() -> None:
    plain, pushed = world(), world()
    run(plain, None)
    run(pushed, True)  # nothing raised
    assert polls_at(pushed) == polls_at(plain)


def test_without_a_registration_the_waiter_polls_on_plain_timers() -> None:
    w = world(watching=False)
    plain = world()
    run(plain, None)
    run(w, True)
    assert polls_at(w) == polls_at(plain)
    assert all("signalEvent" not in s for s in w.statuses)


def test_every_execution_stays_within_the_budget_counting_the_signal() -> None:
    # A long build with no records: the clamp's polls, each wait counted as two tasks.
    w = world(dt.timedelta(hours=5, minutes=50))
    w.activities[acts.READ_BUILD_DURATIONS.name] = lambda p, _: {"records": []}
    for minutes in range(7, 350, 20):
        w.raise_event(gs.EVENT_GATEWAY_WRITE, dt.timedelta(minutes=minutes), {})
    result, executions = run(w, True)
    assert result["state"] == "Succeeded"
    assert len(executions) > 1
    assert max(executions) <= EXECUTION_BUDGET


# --- where the flag comes from ------------------------------------------------------------------


def test_the_setting_reaches_the_waiter_input_only_when_on() -> None:
    assert saga_policy({}).gateway_push_signal is False
    assert saga_policy({gs.SETTING: "true"}).gateway_push_signal is True
    req = OnboardingRequest.model_validate(request("injection"))
    run = inputs.Run(req, plan_for(req, SagaPolicy()), "onboard-chg1")
    off = inputs.waiter(run, "t0", "t1").model_dump(by_alias=True)
    on = inputs.waiter(run, "t0", "t1", push_signal=True).model_dump(by_alias=True)
    assert "pushSignal" not in off  # the input of runs without it is byte for byte as before
    assert on == {**off, "pushSignal": True}


def test_the_function_raises_the_event_the_current_wait_listens_for() -> None:
    assert gs.signal_event({"signalEvent": "gateway_write-7"}) == "gateway_write-7"
    assert gs.signal_event('{"signalEvent": "gateway_write-12"}') == "gateway_write-12"
    for status in (None, "", "x", {"polls": 3}, {"signalEvent": "approval-1"},
                   {"signalEvent": "gateway_write-"}, {"signalEvent": 5}):  # fmt: skip
        assert gs.signal_event(status) is None
