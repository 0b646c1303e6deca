"""Hostile messages on ``onboarding-requests`` through devhost and the simulator's namespace
(issue 19 items 5 and 6): each becomes exactly one ``rejected`` event that fits the topic, on
the first delivery; none is retried or dead-lettered, none starts a run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.servicebus import ServiceBusMessage

from tests.e2e.conftest import Stack
from tests.e2e.test_servicebus_e2e import QUEUE, _body, _bus, _drained, _events
from tests.unit.test_rejected_event_bounds import HOSTILE

pytestmark = pytest.mark.timeout(120)


def _send_raw(stack: Stack, *messages: ServiceBusMessage) -> None:
    with _bus(stack) as client, client.get_queue_sender(QUEUE) as sender:
        sender.send_messages(list(messages))


def _rejections(stack: Stack, count: int) -> dict[str, Any]:
    events = _events(stack, "audit", lambda got: len(got) >= count, settle=1.0)
    by_id: dict[str, Any] = {}
    for message in events:
        assert message.subject == "rejected"
        body = _body(message)
        assert body["messageId"] not in by_id, "one rejected event per message"
        by_id[body["messageId"]] = body
    return by_id


def test_messages_whose_rejection_used_to_exceed_the_topic_limit_are_rejected_once(
    stack: Stack,
) -> None:
    names = ["unknown-keys-latin", "unknown-keys-astral", "control-body", "not-utf8"]
    _send_raw(stack, *[ServiceBusMessage(HOSTILE[n], message_id=n) for n in names])
    queue = _drained(stack, timeout=30)
    assert queue["dead_letter_count"] == 0, queue["dead_letters"]
    by_id = _rejections(stack, len(names))
    assert set(by_id) == set(names)
    for name in names:
        event = by_id[name]
        assert event["deliveryCount"] == 1, name  # never retried
        assert event["bodySize"] == len(HOSTILE[name])
        assert len(json.dumps(event)) <= 192 * 1024
    assert stack.instances() == []
