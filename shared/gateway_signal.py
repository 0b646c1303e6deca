"""The optional gateway push signal (issue 17, item 2): what an ARM event says, and where it goes.

With ``POLICY_GATEWAY_PUSH_SIGNAL`` on, an Event Grid subscription on the gateways' resource group
(infra/modules/gateway-events.bicep) delivers ``Microsoft.Resources.ResourceWriteSuccess`` and
``ResourceWriteFailure`` events to the Service Bus queue ``gateway-events``; the function
triggers/gateway_signal.py reads each message with :func:`parse_message`, looks up the waiters
that registered for that gateway (the run index's table, :func:`partition`) and raises
:data:`EVENT_GATEWAY_WRITE` to each. The waiter treats the event only as "look now": it confirms
with one GET, so a wrong, early or duplicated event costs one poll and never ends a wait.

Event shapes: Event Grid schema (``eventType``, ``subject``, ``data``) or CloudEvents 1.0
(``type``, ``subject``, ``data``), one event per message as Event Grid delivers to a queue, or
an array of them; ``data.resourceUri`` and ``data.operationName`` as in "Azure resource group
as an Event Grid source" (learn.microsoft.com/azure/event-grid/event-schema-resource-groups).
Pure functions; nothing here reads settings or the network.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from shared.arm_ids import ArmId
from shared.wire_model import WireModel

QUEUE = "gateway-events"  # the Service Bus queue Event Grid delivers to (infra, simulator)
EVENT_GATEWAY_WRITE = "gateway_write"  # the external event a waiting waiter receives
SETTING = "POLICY_GATEWAY_PUSH_SIGNAL"

WRITE_SUCCESS = "Microsoft.Resources.ResourceWriteSuccess"
WRITE_FAILURE = "Microsoft.Resources.ResourceWriteFailure"
GATEWAY_TYPE = "Microsoft.ApiManagement/gateways"
GATEWAY_WRITE = f"{GATEWAY_TYPE}/write"
WATCH_PREFIX = "gwwatch-"
MAX_EVENTS = 50  # events looked at in one message (Event Grid sends one per queue message)


class GatewaySignal(WireModel):
    """A gateway PUT ended (or was accepted: ARM does not say which): look at the gateway."""

    gateway_id: str
    outcome: Literal["succeeded", "failed"]
    event_id: str = ""
    event_time: str | None = None


class WatchGatewayInput(WireModel):
    """A waiter registering for its gateway's events (activity ``watch_gateway``)."""

    gateway_id: str
    instance_id: str  # the waiter's own instance id (the event goes to it)
    since: str  # orchestration time: the row is the same however often the activity runs


class Watching(WireModel):
    watching: bool  # False: no index, or it failed (the waiter polls without the signal)


def enabled(value: str | None) -> bool:
    """Whether the setting's value turns the push signal on (default off)."""
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def signal_event(custom_status: Any) -> str | None:
    """The event a waiter's current wait listens for, from its custom status (None: not in a
    signalled wait; anything but ``gateway_write-<n>`` is refused, the status is not ours)."""
    if isinstance(custom_status, str):
        try:
            custom_status = json.loads(custom_status)
        except ValueError:
            return None
    if not isinstance(custom_status, dict):
        return None
    event = custom_status.get("signalEvent")
    if not isinstance(event, str):
        return None
    kind, _, number = event.rpartition("-")
    return event if kind == EVENT_GATEWAY_WRITE and number.isdigit() else None


def gateway_key(gateway_id: str) -> str:
    """The gateway id as every waiter and every event spell it (ARM ids ignore case)."""
    return str(ArmId.parse(gateway_id, GATEWAY_TYPE)).lower()


def partition(gateway_id: str) -> str:
    """``gwwatch-<sha256 of the id>``: table keys cannot hold the id's slashes."""
    digest = hashlib.sha256(gateway_key(gateway_id).encode()).hexdigest()[:40]
    return WATCH_PREFIX + digest


def parse_message(body: bytes | str) -> tuple[list[GatewaySignal], list[str]]:
    """The gateway signals in one queue message, and why anything else in it was ignored."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return [], [f"not JSON: {exc}"]
    events = raw if isinstance(raw, list) else [raw]
    signals: list[GatewaySignal] = []
    ignored: list[str] = []
    for event in events[:MAX_EVENTS]:
        signal = parse_event(event)
        if isinstance(signal, GatewaySignal):
            signals.append(signal)
        else:
            ignored.append(signal)
    if len(events) > MAX_EVENTS:
        ignored.append(f"{len(events) - MAX_EVENTS} events beyond the first {MAX_EVENTS}")
    return signals, ignored


def parse_event(event: Any) -> GatewaySignal | str:
    """A signal for a workspace gateway's write, else the reason the event is ignored."""
    if not isinstance(event, dict):
        return "not an event object"
    event_type = event.get("eventType") or event.get("type")  # Event Grid / CloudEvents
    if event_type not in (WRITE_SUCCESS, WRITE_FAILURE):
        return f"event type {str(event_type)[:100]!r} is not a resource write"
    data = event.get("data")
    if not isinstance(data, dict):
        return "no data object"
    operation = str(data.get("operationName") or "")
    if operation.lower() != GATEWAY_WRITE.lower():
        return f"operation {operation[:100]!r} is not a gateway write"
    uri = data.get("resourceUri") or event.get("subject")
    try:
        gateway_id = str(ArmId.parse(str(uri), GATEWAY_TYPE))
    except ValueError:
        return f"resource {str(uri)[:200]!r} is not a workspace gateway"
    failed = event_type == WRITE_FAILURE or str(data.get("status", "")).lower() == "failed"
    return GatewaySignal(
        gateway_id=gateway_id,
        outcome="failed" if failed else "succeeded",
        event_id=str(event.get("id") or "")[:100],
        event_time=str(event.get("eventTime") or event.get("time") or "")[:40] or None,
    )
