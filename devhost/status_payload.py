"""Status objects in the shape of the host's ``StatusResponsePayload``.

``input``, ``output`` and ``customStatus`` are JSON values (so a client-started input shows up
doubly encoded, as on the real host); times have no fractions. With ``showHistory`` the events
go under ``historyEvents`` -- the key the host uses, which the Python SDK does not read (its
``DurableOrchestrationStatus.history`` stays None and the list lands in ``historyEvents``).
"""

from __future__ import annotations

import json
from typing import Any

from devhost.history import Event, EventType, OrchestrationStatus
from devhost.store import Instance
from devhost.timefmt import parse, to_status

_DROPPED = {
    EventType.ORCHESTRATOR_STARTED,
    EventType.ORCHESTRATOR_COMPLETED,
    EventType.TASK_SCHEDULED,
    EventType.SUB_ORCHESTRATION_CREATED,
}
_FOLDED = {
    EventType.TASK_COMPLETED: EventType.TASK_SCHEDULED,
    EventType.TASK_FAILED: EventType.TASK_SCHEDULED,
    EventType.SUB_ORCHESTRATION_COMPLETED: EventType.SUB_ORCHESTRATION_CREATED,
    EventType.SUB_ORCHESTRATION_FAILED: EventType.SUB_ORCHESTRATION_CREATED,
}


def _json_value(text: str | None) -> Any:
    return json.loads(text) if text is not None else None


def status_payload(
    inst: Instance,
    *,
    show_input: bool = True,
    history: list[Event] | None = None,
    show_history_output: bool = False,
) -> dict[str, Any]:
    """The JSON object for one instance."""
    payload: dict[str, Any] = {"name": inst.name, "instanceId": inst.instance_id}
    if inst.version:
        # The extension adds ``version`` to status payloads (PR #3532) and omits it for
        # unversioned instances.
        payload["version"] = inst.version
    payload |= {
        "runtimeStatus": inst.status,
        "input": _json_value(inst.input) if show_input else None,
        "customStatus": _json_value(inst.custom_status),
        "output": _json_value(inst.output),
        "createdTime": to_status(parse(inst.created_time)),
        "lastUpdatedTime": to_status(parse(inst.last_updated_time)),
    }
    if history is not None:
        payload["historyEvents"] = history_events(
            history, show_input=show_input, show_output=show_history_output
        )
    return payload


def history_events(
    history: list[Event], *, show_input: bool, show_output: bool
) -> list[dict[str, Any]]:
    """The host's public history view.

    OrchestratorStarted/Completed and the scheduling events are dropped; a completion carries
    the scheduled function's ``FunctionName`` and ``ScheduledTime`` instead; ``EventId``,
    ``IsPlayed`` and ``TimerId`` are removed; ``Result`` only with showHistoryOutput, ``Input``
    only with showInput; ``EventType`` is the enum *name*.
    """
    scheduled = {
        (e["EventType"], e["EventId"]): e
        for e in history
        if e.get("EventType") in (EventType.TASK_SCHEDULED, EventType.SUB_ORCHESTRATION_CREATED)
    }
    out: list[dict[str, Any]] = []
    for item in history:
        kind = EventType(item["EventType"])
        if kind in _DROPPED:
            continue
        view = {k: v for k, v in item.items() if k not in ("EventId", "IsPlayed", "TimerId")}
        view["EventType"] = _pascal(kind.name)
        if kind in _FOLDED:
            origin = scheduled.get((int(_FOLDED[kind]), item.get("TaskScheduledId")))
            if origin is not None:
                view["FunctionName"] = origin.get("Name")
                view["ScheduledTime"] = origin.get("Timestamp")
            view.pop("TaskScheduledId", None)
        if kind == EventType.EXECUTION_STARTED:
            view["FunctionName"] = view.pop("Name", None)
        if kind == EventType.EXECUTION_COMPLETED:
            view["OrchestrationStatus"] = _pascal(
                OrchestrationStatus(item["OrchestrationStatus"]).name
            )
        if not show_output:
            view.pop("Result", None)
        if not show_input:
            view.pop("Input", None)
        out.append(view)
    return out


def _pascal(name: str) -> str:
    special = {
        "SUB_ORCHESTRATION_CREATED": "SubOrchestrationInstanceCreated",
        "SUB_ORCHESTRATION_COMPLETED": "SubOrchestrationInstanceCompleted",
        "SUB_ORCHESTRATION_FAILED": "SubOrchestrationInstanceFailed",
    }
    return special.get(name) or "".join(part.capitalize() for part in name.split("_"))
