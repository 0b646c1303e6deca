"""devhost follows the real .NET host where it differs from the Python SDK's own model.

Rows of /work/shared/reference/durable-host-semantics.md: open tasks keep a run Running (1),
task_all waits for every child before the failure has effects (2), a buffered event reaches
exactly one wait (3). The sample app is ``apps/host_semantics_app.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devhost import DevHost

APP = "tests.devhost.apps.host_semantics_app"
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def host(tmp_path: Path) -> Iterator[DevHost]:
    """A started host on a virtual clock; sequence numbers cross-checked against the SDK."""
    with DevHost(
        APP, app_dir=REPO, db=tmp_path / "devhost.sqlite", clock="virtual", check_sequencing=True
    ) as started:
        yield started
        assert started.engine.stats.sequence_mismatches == []


def until(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.01)


def kinds(host: DevHost, instance_id: str) -> list[str]:
    """The event types of the host's history view."""
    events = host.status(instance_id, show_history=True).get("historyEvents") or []
    return [e["EventType"] for e in events]


def scheduled(host: DevHost, instance_id: str) -> list[str]:
    """Names of the activities scheduled so far (completed or pending)."""
    events = host.status(instance_id, show_history=True).get("historyEvents") or []
    return [e.get("Name") or e.get("FunctionName") for e in events if "Task" in e["EventType"]]


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- row 1: open tasks keep the run Running ----------------------------------------------------
def test_return_with_an_uncancelled_timer_stays_running_until_it_fires(host: DevHost) -> None:
    with host.clock.hold():
        iid = host.start_new("leaves_timer_open", False)
        until(lambda: host.status(iid)["runtimeStatus"] == "Running")
        host.raise_event(iid, "go", "now")
        until(lambda: "EventRaised" in kinds(host, iid))
        # The SDK has returned "event", but the host still waits for the 1-hour timer.
        assert host.status(iid)["runtimeStatus"] == "Running"
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == "event"
    assert stamp(status["lastUpdatedTime"]) - stamp(status["createdTime"]) >= timedelta(hours=1)


def test_return_after_cancelling_the_timer_completes_at_once(host: DevHost) -> None:
    with host.clock.hold():
        iid = host.start_new("leaves_timer_open", True)
        until(lambda: host.status(iid)["runtimeStatus"] == "Running")
        host.raise_event(iid, "go", "now")
        status = host.wait_for(iid)
    assert status["output"] == "event"
    assert stamp(status["lastUpdatedTime"]) - stamp(status["createdTime"]) < timedelta(hours=1)


def test_return_with_an_open_child_stays_running_until_the_child_ends(host: DevHost) -> None:
    iid = host.start_new("leaves_child_open", instance_id="parent1")
    # The deadline timer wins (the clock skips a minute); the code has returned "deadline".
    until(lambda: "TimerFired" in kinds(host, iid))
    time.sleep(0.2)
    assert host.status(iid)["runtimeStatus"] == "Running"
    host.raise_event("parent1-child", "release", "late")
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == "deadline"
    assert host.status("parent1-child")["runtimeStatus"] == "Completed"


# -- row 2: task_all waits for every child -----------------------------------------------------
def test_work_after_a_caught_task_all_failure_waits_for_the_slowest_child(host: DevHost) -> None:
    iid = host.start_new("all_with_failure", instance_id="fan1")
    until(lambda: "TaskFailed" in kinds(host, iid))
    time.sleep(0.2)
    # The SDK already raised into the code, which scheduled "echo"; the host has not.
    assert "echo" not in scheduled(host, iid)
    assert host.status(iid)["runtimeStatus"] == "Running"
    host.raise_event("fan1-child", "release", "done")
    status = host.wait_for(iid)
    assert status["output"] == "after"
    assert "echo" in scheduled(host, iid)


def test_an_uncaught_task_all_failure_fails_the_run_after_the_slowest_child(host: DevHost) -> None:
    iid = host.start_new("all_with_failure_raises", instance_id="fan2")
    until(lambda: "TaskFailed" in kinds(host, iid))
    time.sleep(0.2)
    assert host.status(iid)["runtimeStatus"] == "Running"
    host.raise_event("fan2-child", "release", "done")
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Failed"
    assert "first failed" in status["output"]


# -- row 3: a buffered event reaches exactly one wait ------------------------------------------
def test_a_buffered_event_answers_one_wait_and_the_second_waits_for_another(
    host: DevHost,
) -> None:
    with host.clock.hold():
        iid = host.start_new("waits_twice")
        until(lambda: host.status(iid)["runtimeStatus"] == "Running")
        host.raise_event(iid, "answer", "one")  # buffered: nothing waits yet
        until(lambda: "EventRaised" in kinds(host, iid))
    until(lambda: "TimerFired" in kinds(host, iid))
    time.sleep(0.2)
    # The SDK hands "one" to both waits and returns; the host's second wait is still open.
    status = host.status(iid)
    assert status["runtimeStatus"] == "Running"
    host.raise_event(iid, "answer", "two")
    status = host.wait_for(iid)
    assert status["runtimeStatus"] == "Completed"
    # What the code saw is the SDK's doing (both waits got the buffered payload; SDK issue
    # #507): the host only decides when the run may go on.
    assert status["output"] == ['"one"', '"one"']


# -- row 11: the status API's defaults and history shape ---------------------------------------
def test_status_shows_input_by_default_and_history_keeps_pending_scheduling_events(
    host: DevHost,
) -> None:
    from tests.devhost.conftest import http

    key = host.ready_info()["systemKey"]
    iid = host.start_new("all_with_failure", {"ticket": 7}, instance_id="shape1")
    until(lambda: "TaskFailed" in kinds(host, iid))
    reply = http("GET", f"{host.webhook_url}/instances/{iid}?showHistory=true&code={key}")
    assert reply.status == 202
    assert reply.body["input"] == '{"ticket": 7}'  # showInput defaults to true
    events = {e["EventType"]: e for e in reply.body["historyEvents"]}
    # The failed activity's TaskScheduled is folded into its TaskFailed; the child still runs,
    # so its SubOrchestrationInstanceCreated stays listed (without Version).
    assert "TaskScheduled" not in events
    assert events["TaskFailed"]["FunctionName"] == "boom"
    assert events["TaskFailed"]["Input"] == '["\\"first\\""]'
    created = events["SubOrchestrationInstanceCreated"]
    assert created["Name"] == "released" and "Version" not in created and "EventId" not in created
    assert "Version" not in events["ExecutionStarted"]
    assert "OrchestrationInstance" not in events["ExecutionStarted"]
    hidden = http(
        "GET", f"{host.webhook_url}/instances/{iid}?showHistory=true&showInput=false&code={key}"
    )
    assert hidden.body["input"] is None
    assert all("Input" not in e for e in hidden.body["historyEvents"])
    host.raise_event("shape1-child", "release", "x")
    host.wait_for(iid)
    done = http(
        "GET",
        f"{host.webhook_url}/instances/{iid}?showHistory=true&showHistoryOutput=true&code={key}",
    ).body["historyEvents"]
    assert not [
        e for e in done if e["EventType"] in ("TaskScheduled", "SubOrchestrationInstanceCreated")
    ]
    assert done[-1]["EventType"] == "ExecutionCompleted" and done[-1]["Result"] == "after"


# -- row 6: timers longer than 6 days are split (Azure Storage backend) ------------------------
def test_a_ten_day_timer_fires_in_three_day_chunks(host: DevHost) -> None:
    iid = host.start_new("long_timer", False)
    status = host.wait_for(iid)
    events = host.status(iid, show_history=True)["historyEvents"]
    created = stamp(events[0]["Timestamp"])  # ExecutionStarted, with fractions
    assert stamp(status["output"]) - created == timedelta(days=10)
    fired = [stamp(e["FireAt"]) - created for e in events if e["EventType"] == "TimerFired"]
    assert fired == [timedelta(days=3), timedelta(days=6), timedelta(days=10)]


def test_a_cancelled_long_timer_keeps_the_run_until_its_pending_chunk_fires(host: DevHost) -> None:
    with host.clock.hold():
        iid = host.start_new("long_timer", True)
        until(lambda: host.status(iid)["runtimeStatus"] == "Running")
        host.raise_event(iid, "go", "now")
        until(lambda: "EventRaised" in kinds(host, iid))
        # Cancelling the long timer does not cancel its first chunk (SDK issue #573).
        assert host.status(iid)["runtimeStatus"] == "Running"
    status = host.wait_for(iid)
    created = stamp(host.status(iid, show_history=True)["historyEvents"][0]["Timestamp"])
    assert stamp(status["output"]) == created  # the code returned at once
    assert stamp(status["lastUpdatedTime"]) - created >= timedelta(days=3) - timedelta(seconds=1)


def test_an_event_goes_to_the_newest_waiter_not_one_a_finished_race_left(host: DevHost) -> None:
    # The host keeps pending waiters on a stack: the race's abandoned waiter does not take the
    # event meant for the later wait (a queue would hold the run until another event came).
    iid = host.start_new("waits_again_after_a_race")
    until(lambda: host.status(iid)["customStatus"] == "waiting again")
    host.raise_event(iid, "x", "answer")
    status = host.wait_for(iid)
    assert status["output"] == ["timer", '"answer"']
