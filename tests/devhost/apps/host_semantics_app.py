"""Orchestrators whose outcome differs between the Python SDK's model and the real .NET host.

Each one is driven by ``tests/devhost/test_host_semantics.py``; the docstrings say what the real
host does (the reference table in /work/shared/reference/durable-host-semantics.md).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.activity_trigger(input_name="what")
def boom(what: str) -> str:
    """Always fails."""
    raise RuntimeError(f"{what} failed")


@app.activity_trigger(input_name="what")
def echo(what: Any) -> Any:
    """Returns its input."""
    return what


@app.orchestration_trigger(context_name="context")
def released(context: df.DurableOrchestrationContext):
    """A child that finishes only when the ``release`` event arrives."""
    value = yield context.wait_for_external_event("release")
    return value


@app.orchestration_trigger(context_name="context")
def leaves_timer_open(context: df.DurableOrchestrationContext):
    """Returns when the event wins, cancelling the losing 1-hour timer only if asked to."""
    cancel = context.get_input()
    timer = context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    go = context.wait_for_external_event("go")
    winner = yield context.task_any([go, timer])
    if cancel:
        timer.cancel()
    return "event" if winner == go else "timer"


@app.orchestration_trigger(context_name="context")
def leaves_child_open(context: df.DurableOrchestrationContext):
    """A one-minute deadline beats a child; the code returns without waiting for the child."""
    child = context.call_sub_orchestrator("released", None, f"{context.instance_id}-child")
    timer = context.create_timer(context.current_utc_datetime + timedelta(minutes=1))
    winner = yield context.task_any([child, timer])
    return "child" if winner == child else "deadline"


@app.orchestration_trigger(context_name="context")
def all_with_failure(context: df.DurableOrchestrationContext):
    """task_all over a failing activity and a slow child; the failure is caught, then more work."""
    tasks = [
        context.call_activity("boom", "first"),
        context.call_sub_orchestrator("released", None, f"{context.instance_id}-child"),
    ]
    failed = False
    try:
        yield context.task_all(tasks)
    except Exception:
        failed = True  # caught: the point of the scenario
    after = yield context.call_activity("echo", "after")
    return after if failed else "no failure"


@app.orchestration_trigger(context_name="context")
def all_with_failure_raises(context: df.DurableOrchestrationContext):
    """task_all over a failing activity and a slow child, not caught: the run fails."""
    yield context.task_all(
        [
            context.call_activity("boom", "first"),
            context.call_sub_orchestrator("released", None, f"{context.instance_id}-child"),
        ]
    )
    return "unreachable"


@app.orchestration_trigger(context_name="context")
def waits_twice(context: df.DurableOrchestrationContext):
    """Sleeps a minute (an event raised meanwhile is buffered), then waits twice on one name."""
    yield context.create_timer(context.current_utc_datetime + timedelta(minutes=1))
    first = yield context.wait_for_external_event("answer")
    context.set_custom_status("first answered")
    second = yield context.wait_for_external_event("answer")
    return [first, second]


@app.orchestration_trigger(context_name="context")
def sets_status(context: df.DurableOrchestrationContext):
    """Sets the input as custom status, waits for ``go``, sets it to ``0`` and waits for ``end``."""
    context.set_custom_status(context.get_input())
    yield context.wait_for_external_event("go")
    context.set_custom_status(0)
    yield context.wait_for_external_event("end")
    return "done"


@app.orchestration_trigger(context_name="context")
def fans_out(context: df.DurableOrchestrationContext):
    """``n`` activities in one task_all."""
    results = yield context.task_all(
        [context.call_activity("echo", i) for i in range(context.get_input())]
    )
    return len(results)


@app.orchestration_trigger(context_name="context")
def own_child_id(context: df.DurableOrchestrationContext):
    """Schedules a sub-orchestration under its own instance id."""
    yield context.call_sub_orchestrator("released", None, context.instance_id)
    return "unreachable"


@app.orchestration_trigger(context_name="context")
def long_timer(context: df.DurableOrchestrationContext):
    """A 10-day timer; with ``race`` it races an event and is cancelled when the event wins."""
    race = context.get_input()
    timer = context.create_timer(context.current_utc_datetime + timedelta(days=10))
    if not race:
        yield timer
        return context.current_utc_datetime.isoformat()
    go = context.wait_for_external_event("go")
    winner = yield context.task_any([go, timer])
    if winner == go:
        timer.cancel()
    return context.current_utc_datetime.isoformat()


@app.activity_trigger(input_name="seconds")
def busy(seconds: float) -> int:
    """Sleeps (a sync activity holding a worker thread)."""
    time.sleep(seconds)
    return 1


@app.orchestration_trigger(context_name="context")
def busy_fan(context: df.DurableOrchestrationContext):
    """``n`` sync activities at once."""
    results = yield context.task_all(
        [context.call_activity("busy", 0.05) for _ in range(context.get_input())]
    )
    return sum(results)


@app.orchestration_trigger(context_name="context")
def waits_again_after_a_race(context: df.DurableOrchestrationContext):
    """A race for ``x`` the timer wins leaves its waiter behind; then a plain wait for ``x``."""
    first = context.wait_for_external_event("x")
    timer = context.create_timer(context.current_utc_datetime + timedelta(minutes=1))
    winner = yield context.task_any([first, timer])
    context.set_custom_status("waiting again")
    value = yield context.wait_for_external_event("x")
    return ["timer" if winner == timer else "event", value]
