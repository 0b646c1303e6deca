"""History events in the shape DurableTask.Core serialises them (PascalCase, int EventType).

Every event carries ``EventType``, ``EventId`` (-1 unless the event schedules a task),
``IsPlayed`` and ``Timestamp``. The engine stores events with ``IsPlayed`` false and flips it
when it replays them in a later episode, as the real host does.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

Event = dict[str, Any]


class EventType(IntEnum):
    """DurableTask.Core ``EventType`` numbers."""

    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_CREATED = 7
    SUB_ORCHESTRATION_COMPLETED = 8
    SUB_ORCHESTRATION_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_SENT = 14
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16
    EXECUTION_SUSPENDED = 19
    EXECUTION_RESUMED = 20


class OrchestrationStatus(IntEnum):
    """``OrchestrationStatus`` as written into ``ExecutionCompleted``."""

    RUNNING = 0
    COMPLETED = 1
    CONTINUED_AS_NEW = 2
    FAILED = 3
    CANCELED = 4
    TERMINATED = 5
    PENDING = 6
    SUSPENDED = 7


SCHEDULING_TYPES = {
    EventType.TASK_SCHEDULED: "activity",
    EventType.TIMER_CREATED: "timer",
    EventType.SUB_ORCHESTRATION_CREATED: "suborch",
}


def event(kind: EventType, timestamp: str, event_id: int = -1, **fields: Any) -> Event:
    """Build one history event with the base fields first."""
    return {
        "EventType": int(kind),
        "EventId": event_id,
        "IsPlayed": False,
        "Timestamp": timestamp,
        **fields,
    }


def execution_started(
    timestamp: str,
    *,
    name: str,
    instance_id: str,
    execution_id: str,
    raw_input: str | None,
    parent: dict[str, Any] | None,
    version: str = "",
) -> Event:
    """``ExecutionStarted``; ``Version`` must be present (even "") or the 1.7.0 SDK raises.

    ``Version`` is the instance's orchestration version (devhost/versioning.py); the SDK reads
    it from this event for ``context.version``.
    """
    return event(
        EventType.EXECUTION_STARTED,
        timestamp,
        OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id},
        ParentInstance=parent,
        Name=name,
        Version=version,
        Input=raw_input,
        Tags=None,
    )
