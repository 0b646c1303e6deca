"""Rejected events stay under the topic's message size limit and never block the event loop
(issue 19 item 5).

Azure Service Bus Standard (the tier infra/modules/servicebus.bicep deploys) takes messages of at
most 256 KB, properties included (learn.microsoft.com/azure/service-bus-messaging/
service-bus-quotas); the trigger keeps a rejected event's JSON within
``servicebus.MAX_EVENT_BYTES`` and says what it cut (``bodyTruncated``, ``errorsTruncated``) with
the full body's size and SHA-256.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import inspect
import json
import time
from typing import Any

import pytest
from azure.functions.servicebus import ServiceBusMessage

from activities.notifications import event_message
from tests.unit.test_request_contract import SERVICE, VALID
from tests.unit.test_triggers import FakeClient
from triggers import servicebus

STANDARD_TIER_LIMIT = 256 * 1024


def _message(body: bytes) -> ServiceBusMessage:
    return ServiceBusMessage(body=body, message_id="m-1", application_properties={},
                             user_properties={}, delivery_count=1, sequence_number=7)  # fmt: skip


def _deliver(body: bytes) -> dict[str, Any]:
    published: list[dict[str, Any]] = []
    handler = inspect.unwrap(servicebus.onboarding_message._function._func)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(servicebus, "publish_event", published.append)
        asyncio.run(handler(_message(body), FakeClient()))
    [event] = published
    return event


def _wire_size(event: dict[str, Any]) -> int:
    """What the topic counts: the body plus the application and system properties."""
    message = event_message(event)
    body = b"".join(message.body) if not isinstance(message.body, bytes) else message.body
    props = json.dumps(message.application_properties or {}).encode()
    system = sum(len(str(v or "")) for v in (message.message_id, message.correlation_id,
                                             message.subject, message.content_type))  # fmt: skip
    return len(body) + len(props) + system


def _kept(event: dict[str, Any]) -> bytes:
    return (base64.b64decode(event["body"]) if event["bodyEncoding"] == "base64"
            else event["body"].encode())  # fmt: skip


def _unknown_keys(char: str, key_chars: int, limit: int = servicebus.MAX_BODY_BYTES) -> bytes:
    """A request with as many long unknown keys as fit in ``limit`` bytes."""
    body = dict(VALID)
    n = 0
    while True:
        body[f"{n:04d}" + char * key_chars] = 1
        raw = json.dumps(body, ensure_ascii=False).encode()
        if len(raw) > limit:
            del body[f"{n:04d}" + char * key_chars]
            return json.dumps(body, ensure_ascii=False).encode()
        n += 1


HOSTILE = {
    # The reported case: ~63 KB of long non-ASCII unknown keys, each one a field error that
    # echoes the key, escaped six-fold in the event.
    "unknown-keys-latin": _unknown_keys("é", 600),
    "unknown-keys-astral": _unknown_keys("😀", 300),
    "unknown-keys-control": _unknown_keys("\x01", 600),
    "unknown-keys-short": _unknown_keys("k", 1),
    "control-body": b'{"ticketId": "' + b"\x01" * (64 * 1024 - 20) + b'"}',
    "astral-body": json.dumps({"team": "😀" * 16000}, ensure_ascii=False).encode(),
    "not-utf8": b"\xff" * (64 * 1024),
    "over-limit": b"{" + b" " * (1024 * 1024) + b"}",
    "exactly-limit": b"{" + b" " * (servicebus.MAX_BODY_BYTES - 2) + b"}",
    "access-errors": json.dumps({**VALID, "access": [
        {"principalId": "é" * 200, "principalType": "Ü" * 100, "scope": "ö" * 100,
         "role": "ä" * 100, "ex\u00e9tra": "x"} for _ in range(60)
    ]}, ensure_ascii=False).encode()[: 64 * 1024],
}  # fmt: skip


@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_rejected_event_fits_the_topic_and_says_what_it_cut(name):
    body = HOSTILE[name]
    event = _deliver(body)
    assert _wire_size(event) <= servicebus.MAX_EVENT_BYTES < STANDARD_TIER_LIMIT, name
    assert event["bodySize"] == len(body)
    assert event["bodySha256"] == hashlib.sha256(body).hexdigest()
    kept = _kept(event)
    assert body.startswith(kept)
    assert event["bodyTruncated"] is (len(kept) < len(body))
    assert len(event["errors"]) <= event["errorCount"]
    assert event["errorsTruncated"] is (len(event["errors"]) < event["errorCount"])


def test_the_reported_message_is_echoed_whole_when_it_fits():
    body = HOSTILE["unknown-keys-latin"]
    assert 60_000 < len(body) <= 64 * 1024
    event = _deliver(body)
    assert event["category"] == "contract" and event["errorCount"] > 50
    assert _wire_size(event) <= servicebus.MAX_EVENT_BYTES


def test_many_policy_violations_with_long_messages_fit(monkeypatch):
    many = [f"/subscriptions/{i:08d}-0000-4000-8000-000000000000/resourceGroups/rg-" + "é" * 80
            + "/providers/Microsoft.ApiManagement/service/apim" for i in range(400)]  # fmt: skip
    monkeypatch.setenv("POLICY_ALLOWED_APIM_SERVICES", json.dumps(many))
    body = json.dumps({**VALID, "apimServiceId": SERVICE.replace("apim-contoso", "other")}).encode()
    event = _deliver(body)
    assert event["category"] == "policy"
    assert _wire_size(event) <= servicebus.MAX_EVENT_BYTES
    assert event["violations"] and event["violationCount"] >= len(event["violations"])


def test_the_rejection_is_published_without_blocking_the_event_loop(monkeypatch):
    """A publish takes as long as the topic does (a new AMQP link: about a second); meanwhile
    other work on the host's loop (HTTP requests, other messages) must go on."""
    ticks = 0
    seen_during_publish: list[int] = []

    def slow_publish(_event: dict[str, Any]) -> None:
        before = ticks
        time.sleep(0.3)
        seen_during_publish.append(ticks - before)

    monkeypatch.setattr(servicebus, "publish_event", slow_publish)
    handler = inspect.unwrap(servicebus.onboarding_message._function._func)

    async def both() -> None:
        nonlocal ticks
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                await asyncio.sleep(0.01)
                ticks += 1

        async def deliver() -> None:
            await handler(_message(b"not json"), FakeClient())
            done.set()

        await asyncio.gather(deliver(), ticker())

    asyncio.run(both())
    # The loop went on while the publish waited (a blocked loop ticks 0 times meanwhile).
    assert seen_during_publish and seen_during_publish[0] >= 10, seen_during_publish
