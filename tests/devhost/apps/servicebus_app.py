"""A sample v2 app with Service Bus triggers, for devhost's serviceBusTrigger kind.

Every function records what it received in ``SEEN`` (per function name) so tests can assert
how often, and with which delivery count, each message was delivered.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import azure.functions as func

app = func.FunctionApp()

CONNECTION = "DEVHOST_TEST_SERVICEBUS"
MISSING_CONNECTION = "DEVHOST_TEST_SERVICEBUS_UNSET"

SEEN: dict[str, list[dict[str, Any]]] = {}
# Holds the first delivery of ``blocking`` until a test lets it go.
RELEASE = threading.Event()
_lock = threading.Lock()


def _record(function: str, msg: func.ServiceBusMessage) -> None:
    with _lock:
        SEEN.setdefault(function, []).append(
            {
                "body": msg.get_body(),
                "message_id": msg.message_id,
                "delivery_count": msg.delivery_count,
                "properties": dict(msg.application_properties),
                "user_properties": dict(msg.user_properties),
                "subject": msg.subject,
                "label": msg.label,
                "content_type": msg.content_type,
                "correlation_id": msg.correlation_id,
                "enqueued": msg.enqueued_time_utc,
                "sequence_number": msg.sequence_number,
                "metadata_id": (msg.metadata or {}).get("MessageId"),
                "body_type": (msg.metadata or {}).get("AmqpBodyType"),
            }
        )


def reset() -> None:
    """Forget every recorded delivery (tests call it first)."""
    with _lock:
        SEEN.clear()
    RELEASE.clear()


def seen(function: str) -> list[dict[str, Any]]:
    """A copy of the deliveries ``function`` received so far."""
    with _lock:
        return list(SEEN.get(function, []))


@app.service_bus_queue_trigger(arg_name="msg", queue_name="orders", connection=CONNECTION)
async def on_order(msg: func.ServiceBusMessage) -> None:
    """Succeeds: the message is completed."""
    _record("on_order", msg)


@app.service_bus_queue_trigger(arg_name="msg", queue_name="poison", connection=CONNECTION)
def always_fails(msg: func.ServiceBusMessage) -> None:
    """Raises every time: abandoned, redelivered, finally dead-lettered."""
    _record("always_fails", msg)
    raise ValueError(f"cannot handle {msg.message_id}")


@app.service_bus_queue_trigger(arg_name="msg", queue_name="slow", connection=CONNECTION)
def slow(msg: func.ServiceBusMessage) -> None:
    """Sleeps for the ``sleep`` application property (seconds), longer than the lock."""
    _record("slow", msg)
    time.sleep(float(msg.application_properties.get("sleep", 0)))


@app.service_bus_topic_trigger(
    arg_name="msg", topic_name="events", subscription_name="audit", connection=CONNECTION
)
def audit(msg: func.ServiceBusMessage) -> None:
    """A topic subscription trigger."""
    _record("audit", msg)


@app.service_bus_queue_trigger(arg_name="msg", queue_name="blocking", connection=CONNECTION)
def blocking(msg: func.ServiceBusMessage) -> None:
    """The first delivery waits for ``RELEASE``; later ones return at once."""
    _record("blocking", msg)
    if msg.delivery_count == 1:
        RELEASE.wait(20)


@app.service_bus_queue_trigger(arg_name="msg", queue_name="orphan", connection=MISSING_CONNECTION)
def orphan(msg: func.ServiceBusMessage) -> None:
    """Its connection setting is never set: devhost must leave it idle."""
    _record("orphan", msg)
