"""The Service Bus trigger's rejected events and settlement semantics (no host, no broker)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import inspect
import json
from typing import Any

import pytest
from azure.functions.servicebus import ServiceBusMessage

from activities.notifications import event_message
from tests.unit.test_request_contract import VALID
from tests.unit.test_triggers import FakeClient
from triggers import servicebus

ENQUEUED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _deliver(body: bytes, client: FakeClient | None = None) -> None:
    msg = ServiceBusMessage(body=body, message_id="m-1", application_properties={},
                            user_properties={}, delivery_count=2, sequence_number=7,
                            enqueued_time_utc=ENQUEUED)  # fmt: skip
    handler = inspect.unwrap(servicebus.onboarding_message._function._func)
    asyncio.run(handler(msg, client or FakeClient()))


@pytest.fixture
def events(monkeypatch) -> list[dict[str, Any]]:
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(servicebus, "publish_event", published.append)
    return published


@pytest.mark.parametrize(
    ("body", "category", "words"),
    [
        (b"{not json", "notJson", "not valid JSON"),
        (b"[1, 2]", "notObject", "must be a JSON object"),
        (b"", "empty", "empty"),
        (b"  \n", "empty", "empty"),
        (b'{"ticketId": "\xff"}', "notUtf8", "not UTF-8"),
        (json.dumps({**VALID, "team": 5}).encode(), "contract", "team"),
        (b"x" * (servicebus.MAX_BODY_BYTES + 1), "tooLarge", "at most 65536 bytes"),
    ],
)
def test_invalid_message_is_rejected_once_with_reason_and_metadata(events, body, category, words):
    client = FakeClient()
    _deliver(body, client)
    assert client.started == []
    [event] = events
    assert event["kind"] == "rejected" and event["category"] == category
    assert words in event["reason"]
    assert (event["messageId"], event["deliveryCount"], event["sequenceNumber"]) == ("m-1", 2, 7)
    assert event["enqueuedTimeUtc"] == ENQUEUED.isoformat()
    assert event["errors"] and event["errorCount"] == len(event["errors"])
    kept = (base64.b64decode(event["body"]) if event["bodyEncoding"] == "base64"
            else event["body"].encode())  # fmt: skip
    assert kept == body[: servicebus.MAX_KEPT_BODY]
    assert event["bodyTruncated"] is (len(body) > servicebus.MAX_KEPT_BODY)


def test_a_rejection_names_the_ticket_when_it_is_well_formed(events):
    _deliver(json.dumps({**VALID, "team": ""}).encode())
    assert events[0]["ticketId"] == VALID["ticketId"]
    _deliver(json.dumps({**VALID, "ticketId": "bad ticket!"}).encode())
    assert "ticketId" not in events[1]


def test_a_body_that_escapes_too_large_is_kept_as_base64(events):
    body = b'{"ticketId": "' + b"\x01" * 30000 + b'"}'  # raw control characters: 6x escaped
    _deliver(body)
    [event] = events
    assert event["bodyEncoding"] == "base64" and base64.b64decode(event["body"]) == body
    assert len(str(event_message(event))) < 200 * 1024


def test_a_failed_rejection_publish_raises_so_the_message_is_retried(monkeypatch):
    def down(_event: dict[str, Any]) -> None:
        raise ConnectionError("topic unreachable")

    monkeypatch.setattr(servicebus, "publish_event", down)
    with pytest.raises(ConnectionError):
        _deliver(b"not json")


def test_rejected_events_are_keyed_by_the_queue_message():
    first = event_message({"kind": "rejected", "at": "t", "messageId": "a", "sequenceNumber": 1})
    second = event_message({"kind": "rejected", "at": "t", "messageId": "b", "sequenceNumber": 2})
    assert first.message_id != second.message_id


class RacingClient(FakeClient):
    """Another delivery starts the run between this one's status check and its start."""

    async def start_new(self, name: str, instance_id: str, client_input: Any) -> str:
        self.runs[instance_id] = client_input
        raise RuntimeError("An Orchestration instance with the status Pending already exists.")


def test_a_concurrent_duplicate_start_is_a_duplicate_not_a_failure(events):
    _deliver(json.dumps(VALID).encode(), RacingClient())
    # Not a rejection: the ticket hears that its run is already going (issue 14, item 5; this
    # test asserted no event at all before every resubmission case published one).
    assert [(e["kind"], e["outcome"]) for e in events] == [("resubmitted", "running")]


def test_a_failed_start_without_a_run_raises():
    class Down(FakeClient):
        async def start_new(self, name: str, instance_id: str, client_input: Any) -> str:
            raise ConnectionError("durable backend down")

    with pytest.raises(ConnectionError):
        _deliver(json.dumps(VALID).encode(), Down())


@pytest.mark.parametrize("body_type", ["value", "sequence"])
def test_a_body_that_is_not_amqp_data_is_rejected_once_as_not_data(events, body_type):
    from azure.functions import meta

    msg = ServiceBusMessage(body=b"", message_id="m-2", application_properties={},
                            user_properties={}, delivery_count=1, sequence_number=8,
                            trigger_metadata={"AmqpBodyType": meta.Datum(body_type, "string")})  # fmt: skip
    client = FakeClient()
    handler = inspect.unwrap(servicebus.onboarding_message._function._func)
    asyncio.run(handler(msg, client))
    [event] = events
    assert event["category"] == "notData" and f"AMQP {body_type}" in event["reason"]
    assert client.started == []
