"""Notifications and the Service Bus trigger's poison handling, over AMQP with the real SDK."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Iterator

import pytest
from azure.functions.servicebus import ServiceBusMessage
from azure.servicebus import ServiceBusClient

from activities.notifications import publish_event
from simulator.servicebus import ServiceBusSimulator
from tests.cloud_event_check import event_data
from tests.unit.test_function_app import _INDEXED  # noqa: F401 - index once per process
from tests.unit.test_triggers import FakeClient
from triggers import servicebus


@pytest.fixture
def bus(monkeypatch) -> Iterator[ServiceBusSimulator]:
    with ServiceBusSimulator() as sb:
        monkeypatch.setenv("ServiceBusConnection", sb.connection_string)
        yield sb


def _receive(sb: ServiceBusSimulator, subscription: str = "ticketing") -> list:
    with (
        ServiceBusClient.from_connection_string(sb.connection_string, retry_total=0) as client,
        client.get_subscription_receiver("onboarding-events", subscription, max_wait_time=2) as rx,
    ):
        messages = rx.receive_messages(max_message_count=10, max_wait_time=2)
        for m in messages:
            rx.complete_message(m)
        return messages


def test_event_is_published_with_ticket_as_correlation_id(bus):
    publish_event({"kind": "succeeded", "ticketId": "CHG1", "instanceId": "onboard-chg1",
                   "at": "2026-01-01T00:00:00+00:00"})  # fmt: skip
    [message] = _receive(bus)
    assert message.correlation_id == "CHG1"
    assert message.subject == "succeeded"
    assert event_data(message)["instanceId"] == "onboard-chg1"


def _deliver(body: bytes, client: FakeClient) -> None:
    msg = ServiceBusMessage(body=body, message_id="m-1", application_properties={},
                            user_properties={})  # fmt: skip
    handler = inspect.unwrap(servicebus.onboarding_message._function._func)
    asyncio.run(handler(msg, client))


def test_poison_message_is_completed_as_a_rejected_event_and_starts_nothing(bus):
    client = FakeClient()
    _deliver(b'{"ticketId": "CHG 9", "team": ""}', client)
    assert client.started == []
    [event] = _receive(bus, "audit")
    body = event_data(event)
    assert body["kind"] == "rejected"
    assert {"ticketId", "team"} <= {e["field"] for e in body["errors"]}
    assert '"CHG 9"' in body["body"]  # the original payload is kept, so nothing is lost


def test_valid_message_delivered_three_times_starts_one_run(bus):
    from tests.unit.test_request_contract import VALID

    client = FakeClient()
    for _ in range(3):
        _deliver(json.dumps(VALID).encode(), client)
    assert [s[1] for s in client.started] == ["onboard-chg0012345"]
