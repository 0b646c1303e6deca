"""The 2.0 gateway waiter, driven without a host (tests/unit/orchestration_driver.py).

It reads the recorded durations of the gateway's region and SKU once, through an activity
(never in the orchestrator), polls on them, records its own build's duration, ends an execution
on its event budget whatever the polls answered, and keeps the 1.0 waiter's yields for 1.0 runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from orchestrators.gateway_waiter import wait_for_gateway
from shared import activity_table as acts
from shared import names
from shared.history_budget import END, EXECUTION_BUDGET, START, TASK
from tests.unit.orchestration_driver import START as T0
from tests.unit.orchestration_driver import Driver, World, step_error

GATEWAY = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/gateways/gw-a"
BUILD = dt.timedelta(hours=3, minutes=4)


def world(records: list[dict[str, float]], fail_every: int = 0) -> World:
    w = World()
    polls = {"n": 0}

    def state(_: Any, world: World) -> dict[str, Any]:
        polls["n"] += 1
        if fail_every and polls["n"] % fail_every == 0:
            raise step_error("transient", "TooManyRequests", retry_after=60)
        done = world.now - T0 >= BUILD
        return {"gatewayId": GATEWAY, "provisioningState": "Succeeded" if done else "Activating",
                "location": "West Europe", "sku": "WorkspaceGatewayPremium"}  # fmt: skip

    w.activities = {
        acts.GET_GATEWAY_STATE.name: state,
        acts.READ_BUILD_DURATIONS.name: lambda p, _: {"records": records},
        acts.RECORD_BUILD_DURATION.name: lambda p, _: None,
    }
    return w


def run(w: World, version: str | None = "2.0") -> tuple[dict[str, Any], list[int]]:
    """The waiter's result and, per execution, the history events it would have added."""
    executions: list[int] = []
    waiter = wait_for_gateway

    def counted(ctx: Any) -> Any:
        before = len(w.calls) + len(w.timers)
        result = yield from waiter(ctx)
        executions.append(START + TASK * (len(w.calls) + len(w.timers) - before) + END)
        return result

    drv = Driver(w, {names.GATEWAY_WAITER: counted})
    inp = {"gatewayId": GATEWAY, "startedAt": T0.isoformat(),
           "deadlineAt": (T0 + dt.timedelta(hours=6)).isoformat()}  # fmt: skip
    return drv.run(names.GATEWAY_WAITER, inp, "onboard-chg1:7", version), executions


KNOWN = [{"seconds": m * 60.0, "uncertainty": 60.0} for m in (176, 181, 186, 179, 183)]


def test_the_schedule_comes_from_the_records_read_by_an_activity() -> None:
    w = world(KNOWN)
    result, _ = run(w)
    assert result["state"] == "Succeeded"
    assert w.called(acts.READ_BUILD_DURATIONS.name) == [acts.READ_BUILD_DURATIONS.name]
    assert w.calls[1].payload == {"region": "West Europe", "sku": "WorkspaceGatewayPremium"}
    assert result["polls"] <= 15  # 27 on the adaptive clamp
    noticed = w.calls[-2].at - T0  # the poll that saw Succeeded, before the record
    assert noticed - BUILD < 0.02 * BUILD


def test_the_build_is_recorded_with_how_closely_the_polls_bracketed_it() -> None:
    w = world(KNOWN)
    run(w)
    (record,) = [c for c in w.calls if c.name == acts.RECORD_BUILD_DURATION.name]
    assert record.payload["region"] == "West Europe"
    assert record.payload["instanceId"] == "onboard-chg1"
    assert abs(record.payload["seconds"] - BUILD.total_seconds()) <= 0.02 * BUILD.total_seconds()


def test_without_records_the_adaptive_clamp_polls() -> None:
    result, _ = run(world([]))
    assert result["polls"] == 27


def test_every_execution_stays_within_the_budget_when_every_other_poll_fails() -> None:
    result, executions = run(world(KNOWN[:0], fail_every=2))
    assert result["state"] == "Succeeded"
    assert len(executions) > 2
    assert max(executions) <= EXECUTION_BUDGET


def test_a_version_1_run_keeps_the_first_waiter() -> None:
    w = world(KNOWN)
    result, _ = run(w, version="1.0")
    assert result["polls"] == 27
    assert acts.READ_BUILD_DURATIONS.name not in w.called()
