"""Status notifications on the Service Bus topic ``onboarding-events`` (DESIGN.md §1).

Correlation id = ticket id, subject = the milestone, and a message id derived from the run and
the milestone, so a retried publish is dropped by the topic's duplicate detection.
"""

from __future__ import annotations

import json
import os
from typing import Any

from azure.servicebus import ServiceBusMessage

from shared.azure_clients import servicebus_client

TOPIC_SETTING = "EVENTS_TOPIC"
DEFAULT_TOPIC = "onboarding-events"


def event_message(event: dict[str, Any]) -> ServiceBusMessage:
    kind = str(event.get("kind", "status"))
    ticket = str(event.get("ticketId", ""))
    message_id = ":".join(str(event.get(k, "")) for k in ("instanceId", "kind", "step", "at"))[:128]
    return ServiceBusMessage(
        json.dumps(event, sort_keys=True),
        content_type="application/json",
        correlation_id=ticket or None,
        subject=kind,
        message_id=message_id,
        application_properties={"kind": kind, "ticketId": ticket,
                                "instanceId": str(event.get("instanceId", ""))},
    )  # fmt: skip


def publish_event(event: dict[str, Any], client: Any = None) -> None:
    topic = os.environ.get(TOPIC_SETTING, DEFAULT_TOPIC)
    owned = client is None
    sb = client or servicebus_client()
    try:
        with sb.get_topic_sender(topic) as sender:
            sender.send_messages(event_message(event))
    finally:
        if owned:
            sb.close()
