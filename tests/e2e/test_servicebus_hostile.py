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


def test_messages_whose_amqp_body_is_a_value_or_a_sequence_are_rejected_once(stack: Stack) -> None:
    """A sender that is not a Service Bus SDK (an AMQP library, a bridge) can put the request in
    an AMQP value or sequence section instead of data sections. The app reads data only: such a
    message is rejected once with a reason, never retried into the dead-letter queue."""
    from azure.servicebus.amqp import AmqpAnnotatedMessage, AmqpMessageProperties

    bodies = {
        "value-str": {"value_body": json.dumps({"ticketId": "CHG-6000", "team": "t"})},
        "value-map": {"value_body": {"ticketId": "CHG-6001", "team": "t"}},
        "value-int": {"value_body": 42},
        "value-list": {"value_body": [1, "two", None]},
        "value-bytes": {"value_body": b"\x00\x01binary"},
        "sequence": {"sequence_body": [[1, 2], ["three"]]},
    }
    messages = [AmqpAnnotatedMessage(**body, properties=AmqpMessageProperties(message_id=name))
                for name, body in bodies.items()]  # fmt: skip
    with _bus(stack) as client, client.get_queue_sender(QUEUE) as sender:
        for message in messages:
            sender.send_messages(message)
    queue = _drained(stack, timeout=30)
    assert queue["dead_letter_count"] == 0, [d.get("dead_letter_reason") for d in
                                             queue["dead_letters"]]  # fmt: skip
    by_id = _rejections(stack, len(bodies))
    assert set(by_id) == set(bodies)
    for name, event in by_id.items():
        assert event["deliveryCount"] == 1, name
        if name in ("value-str", "value-bytes"):
            # A string value is bound as its text by the Functions host too: read like data.
            assert event["category"] in ("contract", "notUtf8"), (name, event["reason"])
            continue
        assert event["category"] == "notData", (name, event["category"], event["reason"])
        assert "AMQP" in event["reason"] and "data" in event["reason"], name
    assert stack.instances() == []
