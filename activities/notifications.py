"""Status notifications on the Service Bus topic ``onboarding-events`` (DESIGN.md §1).

Each event is a CloudEvents 1.0 structured JSON message (shared/cloud_events.py). Correlation
id = ticket id, subject = the milestone's kind, and the message id is the CloudEvent's id,
derived from the run and the milestone, so a retried publish is dropped by the topic's
duplicate detection.

One sender per topic is kept for the life of the worker process, as the Functions guidance on
client reuse asks: opening an AMQP connection, a CBS token exchange and a link costs about a
second with this SDK (its open loop and keep-alive thread), once per publish otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from typing import Any

from azure.servicebus import ServiceBusMessage

from shared import cloud_events
from shared.azure_clients import SERVICEBUS_SETTING, on_reset, servicebus_client

TOPIC_SETTING = "EVENTS_TOPIC"
DEFAULT_TOPIC = "onboarding-events"
SCHEMA_BASE_SETTING = "EVENT_SCHEMA_BASE"


def event_message(event: dict[str, Any]) -> ServiceBusMessage:
    """The event as a CloudEvents 1.0 structured JSON message (shared/cloud_events.py)."""
    kind = str(event.get("kind", "status"))
    ticket = str(event.get("ticketId", ""))
    base = os.environ.get(SCHEMA_BASE_SETTING, "").strip() or cloud_events.DEFAULT_SCHEMA_BASE
    ce = cloud_events.envelope(event, base)
    return ServiceBusMessage(
        json.dumps(ce, sort_keys=True),
        content_type=cloud_events.CONTENT_TYPE,
        correlation_id=ticket or None,
        subject=kind,
        # The CloudEvent's id: the same milestone published again is dropped by the topic's
        # duplicate detection, and a consumer can deduplicate on it too.
        message_id=ce["id"],
        application_properties={"kind": kind, "ticketId": ticket,
                                "instanceId": str(event.get("instanceId", ""))},
    )  # fmt: skip


class _Senders:
    """Process-wide topic senders over one ServiceBusClient, closed when settings reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: Any = None
        self._senders: dict[str, Any] = {}
        self._settings: tuple[str | None, ...] = ()

    def send(self, topic: str, message: ServiceBusMessage) -> None:
        # The SDK's sender is not thread-safe; activities publish from several threads.
        with self._lock:
            # Settings that name another namespace (tests, a re-pointed app) get a new client.
            wanted = _connection_settings()
            if self._client is not None and wanted != self._settings:
                self._close_locked()
            if self._client is None:
                self._client = servicebus_client()
                self._settings = wanted
            sender = self._senders.get(topic)
            if sender is None:
                sender = self._senders[topic] = self._client.get_topic_sender(topic)
            try:
                sender.send_messages(message)
            except Exception:
                # A broken link is not reused: the next publish (the activity's retry) reopens.
                self._close_locked()
                raise

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        senders, client = list(self._senders.values()), self._client
        self._senders, self._client = {}, None
        for sender in senders:
            _quietly(sender.close)
        if client is not None:
            _quietly(client.close)


def _connection_settings() -> tuple[str | None, ...]:
    return tuple(
        os.environ.get(name)
        for name in (SERVICEBUS_SETTING, f"{SERVICEBUS_SETTING}__fullyQualifiedNamespace")
    )


def _quietly(close: Any) -> None:
    # Closing a broken link can fail; nothing is lost by it.
    with contextlib.suppress(Exception):
        close()


_senders = _Senders()
on_reset(_senders.close)


def publish_event(event: dict[str, Any], client: Any = None) -> None:
    topic = os.environ.get(TOPIC_SETTING, DEFAULT_TOPIC)
    if client is None:
        _senders.send(topic, event_message(event))
        return
    with client.get_topic_sender(topic) as sender:
        sender.send_messages(event_message(event))
