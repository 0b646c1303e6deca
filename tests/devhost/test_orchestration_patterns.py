"""Orchestration patterns run end to end through the unmodified SDK on a virtual clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from devhost import DevHost

pytestmark = pytest.mark.timeout(60)


def test_sequence_of_activities(host: DevHost) -> None:
    instance_id = host.start_new("sequence")
    status = host.wait_for(instance_id)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["Hello Tokyo", "Hello Seattle", "Hello London"]


def test_fan_out_fan_in_with_task_all(host: DevHost) -> None:
    status = host.wait_for(host.start_new("fan_out", 10))
    assert status["output"] == {"echo": sum(2 * i for i in range(10))}


def test_task_any_activity_beats_timer_and_timer_is_cancelled(host: DevHost) -> None:
    status = host.wait_for(host.start_new("race", "activity"))
    assert status["output"]["winner"] == "work"
    assert status["output"]["value"] == "Hello race"
    # The cancelled one-hour timer never fired, so the virtual clock did not skip to it.
    started = datetime.fromisoformat(status["output"]["now"])
    assert (host.clock.now() - started).total_seconds() < 3600


def test_task_any_timer_beats_event(host: DevHost) -> None:
    status = host.wait_for(host.start_new("race", "event"))
    output = status["output"]
    assert output["winner"] == "timer"


def test_retry_succeeds_after_failures_with_backoff_timers(host: DevHost) -> None:
    instance_id = host.start_new("retries", {"key": "r1", "failures": 2, "attempts": 3})
    status = host.wait_for(instance_id)
    assert status["output"]["result"] == "ok after 3"
    history = host.status(instance_id, show_history=True)["historyEvents"]
    kinds = [e["EventType"] for e in history]
    assert kinds.count("TaskFailed") == 2
    assert kinds.count("TimerFired") == 2  # one back-off timer per failure
    assert kinds.count("TaskCompleted") == 1


def test_retry_exhausted_waits_for_the_extra_timer_then_fails(host: DevHost) -> None:
    instance_id = host.start_new("retries", {"key": "r2", "failures": 9, "attempts": 3})
    status = host.wait_for(instance_id)
    assert status["output"] == {
        "failed": "Activity function 'flaky' failed: ValueError: attempt 3 failed "
    }
    history = host.status(instance_id, show_history=True)["historyEvents"]
    kinds = [e["EventType"] for e in history]
    assert kinds.count("TaskFailed") == 3
    # DurableTask.Core's RetryInterceptor schedules a timer after the last failure too.
    assert kinds.count("TimerFired") == 3


def test_concurrent_retries_inside_task_all(host: DevHost) -> None:
    status = host.wait_for(host.start_new("retry_fan_out"))
    assert status["output"] == ["ok after 1", "ok after 2", "ok after 3", "Hello after"]


def test_sub_orchestrations_complete_and_fail(host: DevHost) -> None:
    instance_id = host.start_new("parent", instance_id="fam")
    status = host.wait_for(instance_id)
    output = status["output"]
    assert output["first"] == {"n": 1, "doubled": 2, "parent": "fam"}
    assert output["second"] == {"n": 2, "doubled": 4, "parent": "fam"}
    assert output["failure"] == "Orchestrator function 'child' failed: negative input "
    kid = host.status("fam-kid")
    assert kid["runtimeStatus"] == "Completed"
    # Default child ids are "<parent execution id>:<sequence number>".
    page = host.management.query(prefix="").items
    children = [s["instanceId"] for s in page if s["name"] == "child"]
    assert any(i.endswith(":0") for i in children)


def test_continue_as_new_restarts_with_new_input(host: DevHost) -> None:
    instance_id = host.start_new("counter", {"count": 0, "limit": 3})
    status = host.wait_for(instance_id)
    assert status["output"] == {"count": 3, "limit": 3}
    # The status input is the latest execution's input, doubly encoded like the real host.
    assert status["input"] == '{"count": 3, "limit": 3}'
    history = host.status(instance_id, show_history=True)["historyEvents"]
    # Only the last execution's history is kept.
    assert [e["EventType"] for e in history] == ["ExecutionStarted", "ExecutionCompleted"]


def test_three_hour_timer_passes_instantly_on_the_virtual_clock(host: DevHost) -> None:
    jumps: list[tuple[datetime, datetime]] = []
    host.clock.on_jump(lambda old, new: jumps.append((old, new)))  # type: ignore[attr-defined]
    status = host.wait_for(host.start_new("long_sleep"), timeout=20)
    start = datetime.fromisoformat(status["output"]["start"])
    end = datetime.fromisoformat(status["output"]["end"])
    assert (end - start).total_seconds() == 3 * 3600
    assert jumps and jumps[-1][1] == end


def test_orchestrator_exception_fails_the_instance(host: DevHost) -> None:
    status = host.wait_for(host.start_new("fails"))
    assert status["runtimeStatus"] == "Failed"
    assert status["output"] == "Orchestrator function 'fails' failed: 'missing'"


def test_custom_status_and_external_event(host: DevHost) -> None:
    instance_id = host.start_new("approval")
    host.wait_for(instance_id, statuses=("Running",))
    _wait_custom_status(host, instance_id, {"stage": "waiting"})
    host.raise_event(instance_id, "approval", {"ok": True})
    status = host.wait_for(instance_id)
    assert status["customStatus"] == {"stage": "approved"}
    # Real-host quirk reproduced: the event payload arrives as JSON *text*.
    assert status["output"] == {"payload": '{"ok": true}', "greeting": "Hello approver"}


def _wait_custom_status(host: DevHost, instance_id: str, expected: object) -> None:
    import time

    deadline = time.monotonic() + 20
    while host.status(instance_id)["customStatus"] != expected:
        assert time.monotonic() < deadline, host.status(instance_id)
        time.sleep(0.01)
