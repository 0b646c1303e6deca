"""One orchestrator invocation: build the context JSON, call the SDK, read the state back.

The orchestrator function registered by the SDK takes a ``func.OrchestrationContext`` whose body
is the context JSON and returns the OrchestratorState JSON; on failure it *raises* an exception
whose text carries the state after ``$OutOfProcData$:``, which the real host also parses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func

from devhost.app_index import FunctionEntry
from devhost.history import Event

_OUT_OF_PROC_LABEL = "$OutOfProcData$:"
# .NET TimeSpan "c" format, as the extension serialises them.
MAXIMUM_SHORT_TIMER_DURATION = "6.00:00:00"
LONG_RUNNING_TIMER_INTERVAL = "3.00:00:00"


@dataclass
class EpisodeOutcome:
    """The orchestrator's answer to one episode."""

    actions: list[dict[str, Any]] = field(default_factory=list)
    is_done: bool = False
    output: Any = None
    error: str | None = None
    custom_status: Any = None
    has_custom_status: bool = False


def context_json(
    *,
    instance_id: str,
    history: list[Event],
    raw_input: str | None,
    parent_instance_id: str | None,
) -> str:
    """The context the host sends; ``input`` is the *parsed* raw input (usually a string)."""
    return json.dumps(
        {
            "history": history,
            "input": json.loads(raw_input) if raw_input is not None else None,
            "instanceId": instance_id,
            "isReplaying": any(e.get("IsPlayed") for e in history),
            "parentInstanceId": parent_instance_id,
            "upperSchemaVersion": 1,
            "upperSchemaVersionNew": 2,
            # The Azure Storage backend's long-timer settings, which the extension sends to
            # out-of-process SDKs (OrchestrationTriggerAttributeBindingProvider.cs from
            # AzureStorageDurabilityProvider.cs): the SDK splits a timer longer than 6 days into
            # 3-day chunks (reference row 6).
            "maximumShortTimerDuration": MAXIMUM_SHORT_TIMER_DURATION,
            "longRunningTimerIntervalDuration": LONG_RUNNING_TIMER_INTERVAL,
            "defaultHttpAsyncRequestSleepTimeMillseconds": 30000,
        }
    )


def run_orchestrator(entry: FunctionEntry, context: str) -> EpisodeOutcome:
    """Call the registered orchestrator with the context and parse what it returns."""
    arg_name = entry.trigger.name
    try:
        state_text = entry.fn(**{arg_name: func.OrchestrationContext(context)})
    except Exception as exc:
        text = str(exc)
        if _OUT_OF_PROC_LABEL in text:
            state = json.loads(text.split(_OUT_OF_PROC_LABEL, 1)[1])
            outcome = parse_state(state)
            outcome.error = outcome.error or text.split("\n\n" + _OUT_OF_PROC_LABEL, 1)[0]
            return outcome
        return EpisodeOutcome(error=f"{type(exc).__name__}: {exc}")
    if isinstance(state_text, bytes | bytearray):
        state_text = state_text.decode()
    state = json.loads(state_text) if isinstance(state_text, str) else state_text
    return parse_state(state)


def parse_state(state: dict[str, Any]) -> EpisodeOutcome:
    """Read an OrchestratorState object (V2/V3 layout: one inner action list)."""
    raw_actions = state.get("actions") or [[]]
    if state.get("schemaVersion") is None:
        # V1 lists one action set per yield; devhost always offers V2+, so this is defensive.
        actions = [a for group in raw_actions for a in group]
    else:
        actions = list(raw_actions[0]) if raw_actions else []
    return EpisodeOutcome(
        actions=actions,
        is_done=bool(state.get("isDone")),
        output=state.get("output"),
        error=state.get("error"),
        custom_status=state.get("customStatus"),
        has_custom_status="customStatus" in state,
    )
