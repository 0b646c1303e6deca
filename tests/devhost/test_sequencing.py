"""Host-side sequence numbering: unit cases, and agreement with the SDK's own bookkeeping."""

from __future__ import annotations

from typing import Any

import pytest

from devhost import DevHost
from devhost.history import EventType
from devhost.sequencing import UnsupportedAction, replay

pytestmark = pytest.mark.timeout(60)

T = "2024-05-01T10:00:00.0000000Z"


def ev(kind: EventType, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    return {
        "EventType": int(kind),
        "EventId": event_id,
        "IsPlayed": False,
        "Timestamp": T,
        **fields,
    }


STARTED = [ev(EventType.ORCHESTRATOR_STARTED), ev(EventType.EXECUTION_STARTED)]
ACT = {"actionType": 0, "functionName": "a", "input": "null"}
TIMER = {"actionType": 5, "fireAt": "2024-05-01T11:00:00.000000Z", "isCanceled": False}


def retry(name: str = "a", attempts: int = 3) -> dict[str, Any]:
    return {
        "actionType": 12,
        "compoundActions": [
            {
                "actionType": 1,
                "functionName": name,
                "input": "null",
                "retryOptions": {
                    "firstRetryIntervalInMilliseconds": 1000,
                    "maxNumberOfAttempts": attempts,
                },
            }
        ],
    }


def new_ids(history: list[dict[str, Any]], actions: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(leaf.id, leaf.kind) for leaf in replay(history, actions).new_leaves]


def test_sequence_allocates_one_id_per_yield() -> None:
    assert new_ids(STARTED, [ACT]) == [(0, "activity")]
    history = [
        *STARTED,
        ev(EventType.TASK_SCHEDULED, 0),
        ev(EventType.TASK_COMPLETED, TaskScheduledId=0, Result="1"),
    ]
    assert new_ids(history, [ACT, TIMER]) == [(1, "timer")]


def test_retry_allocates_timer_then_next_attempt_then_extra_timer() -> None:
    history = [
        *STARTED,
        ev(EventType.TASK_SCHEDULED, 0),
        ev(EventType.TASK_FAILED, TaskScheduledId=0, Reason="r", Details="d"),
    ]
    assert new_ids(history, [retry(attempts=2)]) == [(1, "retry_timer")]
    history += [ev(EventType.TIMER_CREATED, 1), ev(EventType.TIMER_FIRED, TimerId=1)]
    assert new_ids(history, [retry(attempts=2)]) == [(2, "activity")]
    history += [
        ev(EventType.TASK_SCHEDULED, 2),
        ev(EventType.TASK_FAILED, TaskScheduledId=2, Reason="r", Details="d"),
    ]
    # After the last allowed attempt there is still one more timer before the failure.
    assert new_ids(history, [retry(attempts=2)]) == [(3, "retry_timer")]
    history += [ev(EventType.TIMER_CREATED, 3), ev(EventType.TIMER_FIRED, TimerId=3)]
    result = replay(history, [retry(attempts=2), ACT])
    assert [(leaf.id, leaf.kind) for leaf in result.new_leaves] == [(4, "activity")]


def test_concurrent_retries_interleave_timer_ids() -> None:
    fan = {"actionType": 12, "compoundActions": [retry("a"), retry("b"), retry("c")]}
    history = [
        *STARTED,
        *[ev(EventType.TASK_SCHEDULED, i) for i in range(3)],
        ev(EventType.TASK_FAILED, TaskScheduledId=1, Reason="r", Details="d"),
        ev(EventType.TASK_FAILED, TaskScheduledId=2, Reason="r", Details="d"),
    ]
    assert new_ids(history, [fan]) == [(3, "retry_timer"), (4, "retry_timer")]


def test_when_all_fails_fast_and_when_any_completes_on_first() -> None:
    both = {"actionType": 12, "compoundActions": [ACT, ACT]}
    history = [
        *STARTED,
        ev(EventType.TASK_SCHEDULED, 0),
        ev(EventType.TASK_SCHEDULED, 1),
        ev(EventType.TASK_FAILED, TaskScheduledId=1, Reason="r", Details="d"),
    ]
    assert new_ids(history, [both, TIMER]) == [(2, "timer")]
    either = {"actionType": 11, "compoundActions": [ACT, TIMER]}
    history = [
        *STARTED,
        ev(EventType.TASK_SCHEDULED, 0),
        ev(EventType.TIMER_CREATED, 1),
        ev(EventType.TASK_COMPLETED, TaskScheduledId=0, Result="1"),
    ]
    assert new_ids(history, [either, ACT]) == [(2, "activity")]


def test_event_raised_before_the_wait_is_kept_and_waiters_take_no_id() -> None:
    wait = {"actionType": 6, "externalEventName": "go", "reason": "ExternalEvent"}
    history = [
        *STARTED,
        ev(EventType.TASK_SCHEDULED, 0),
        ev(EventType.EVENT_RAISED, Name="go", Input='"x"'),
        ev(EventType.TASK_COMPLETED, TaskScheduledId=0, Result="1"),
    ]
    assert new_ids(history, [ACT, wait, ACT]) == [(1, "activity")]


def test_unreached_actions_are_built_anyway() -> None:
    # `yield task_any([already_failed, new_timer])` completes at once in the SDK, which then
    # yields again in the same episode; the host sees WhenAny([new_timer]) still running.
    history = [
        *STARTED,
        ev(EventType.TASK_SCHEDULED, 0),
        ev(EventType.TASK_FAILED, TaskScheduledId=0, Reason="r", Details="d"),
    ]
    either = {"actionType": 11, "compoundActions": [TIMER]}
    assert new_ids(history, [ACT, either, ACT]) == [(1, "timer"), (2, "activity")]


def test_non_determinism_is_reported_and_entities_are_refused() -> None:
    history = [*STARTED, ev(EventType.TIMER_CREATED, 0)]
    assert replay(history, [ACT]).mismatches
    with pytest.raises(UnsupportedAction):
        replay(STARTED, [{"actionType": 7, "instanceId": "@e@k", "operation": "x"}])


def test_devhost_ids_match_the_sdk_across_all_scenarios(host: DevHost) -> None:
    """The oracle re-runs every episode in the SDK and compares its open task ids."""
    host.start_new("approval", instance_id="oracle-wait")
    ids = [
        host.start_new(name, data)
        for name, data in [
            ("sequence", None),
            ("fan_out", 6),
            ("race", "activity"),
            ("race", "event"),
            ("retries", {"key": "o1", "failures": 2, "attempts": 3}),
            ("retries", {"key": "o2", "failures": 9, "attempts": 2}),
            ("retry_fan_out", None),
            ("parent", None),
            ("counter", {"count": 0, "limit": 2}),
            ("long_sleep", None),
            ("fails", None),
        ]
    ]
    host.wait_for("oracle-wait", statuses=("Running",))
    host.raise_event("oracle-wait", "approval", {"n": 1})
    for instance_id in [*ids, "oracle-wait"]:
        host.wait_for(instance_id)
    assert host.engine.stats.sequence_mismatches == []
    assert host.engine.stats.oracle_checks >= 25
