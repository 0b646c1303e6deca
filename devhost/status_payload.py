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

_SCHEDULING = (EventType.TASK_SCHEDULED, EventType.SUB_ORCHESTRATION_CREATED)
_FOLDED = {
    EventType.TASK_COMPLETED: EventType.TASK_SCHEDULED,
    EventType.TASK_FAILED: EventType.TASK_SCHEDULED,
    EventType.SUB_ORCHESTRATION_COMPLETED: EventType.SUB_ORCHESTRATION_CREATED,
    EventType.SUB_ORCHESTRATION_FAILED: EventType.SUB_ORCHESTRATION_CREATED,
}
# Completions whose ``Result`` is shown (parsed) only with showHistoryOutput.
_WITH_RESULT = (
    EventType.TASK_COMPLETED,
    EventType.SUB_ORCHESTRATION_COMPLETED,
    EventType.EXECUTION_COMPLETED,
)


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
    """The host's public history view (extension ``DurableClient.GetStatusAsync``).

    OrchestratorStarted/Completed are dropped, and so is a scheduling event (TaskScheduled,
    SubOrchestrationInstanceCreated) whose completion is present: the completion carries its
    ``FunctionName``, ``ScheduledTime`` and (with showInput) ``Input`` instead. A scheduling
    event still waiting stays listed, without ``Version``. ExecutionStarted's ``Name`` becomes
    ``FunctionName`` (no ``OrchestrationInstance``/``ParentInstance``/``Version``/``Tags``);
    ``OrchestrationStatus`` and ``EventType`` are names; ``EventId``, ``IsPlayed``,
    ``TaskScheduledId`` and TimerFired's ``TimerId`` go; ``Result`` of a completion is shown,
    as JSON, only with showHistoryOutput; ``Input`` only with showInput.
    """
    scheduled: dict[tuple[int, Any], int] = {}
    for index, item in enumerate(history):
        if item.get("EventType") in _SCHEDULING:
            scheduled[(int(item["EventType"]), item.get("EventId"))] = index
    folded: set[int] = set()
    views: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(history):
        kind = EventType(item["EventType"])
        if kind in (EventType.ORCHESTRATOR_STARTED, EventType.ORCHESTRATOR_COMPLETED):
            continue
        view = {k: v for k, v in item.items() if k not in ("EventId", "IsPlayed")}
        view["EventType"] = _pascal(kind.name)
        if kind in _SCHEDULING:
            view.pop("Version", None)
        elif kind in _FOLDED:
            origin_at = scheduled.get((int(_FOLDED[kind]), item.get("TaskScheduledId")))
            if origin_at is not None:
                origin = history[origin_at]
                view["ScheduledTime"] = origin.get("Timestamp")
                view["FunctionName"] = origin.get("Name")
                if show_input:
                    view["Input"] = origin.get("Input")
                folded.add(origin_at)
            view.pop("TaskScheduledId", None)
        elif kind == EventType.EXECUTION_STARTED:
            view["FunctionName"] = view.pop("Name", None)
            for key in ("OrchestrationInstance", "ParentInstance", "Version", "Tags"):
                view.pop(key, None)
        elif kind == EventType.EXECUTION_COMPLETED:
            view["OrchestrationStatus"] = _pascal(
                OrchestrationStatus(item["OrchestrationStatus"]).name
            )
        elif kind == EventType.TIMER_FIRED:
            view.pop("TimerId", None)
        if kind in _WITH_RESULT:
            if show_output:
                view["Result"] = _json_or_text(view.get("Result"))
            else:
                view.pop("Result", None)
        if not show_input:
            view.pop("Input", None)
        views.append((index, view))
    return [view for index, view in views if index not in folded]


def _json_or_text(text: Any) -> Any:
    """``ParseToJToken``: JSON when it parses, the raw text otherwise (e.g. a reason)."""
    if not isinstance(text, str):
        return text
    if not text.strip():
        return ""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _pascal(name: str) -> str:
    special = {
        "SUB_ORCHESTRATION_CREATED": "SubOrchestrationInstanceCreated",
        "SUB_ORCHESTRATION_COMPLETED": "SubOrchestrationInstanceCompleted",
        "SUB_ORCHESTRATION_FAILED": "SubOrchestrationInstanceFailed",
    }
    return special.get(name) or "".join(part.capitalize() for part in name.split("_"))
