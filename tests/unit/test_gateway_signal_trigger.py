"""The push signal's Service Bus function (triggers/gateway_signal.py) with a fake Durable client.

A gateway event goes to each registered waiter that runs, under the name its current wait
listens for; a waiter that ended loses its row; one that is polling gets nothing; a message
that is no gateway event raises nothing and does not fail (Service Bus completes it); a failed
raise fails the function, so the message is delivered again.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from azure.functions.servicebus import ServiceBusMessage

from shared import gateway_signal as gs
from triggers import gateway_signal as trigger

GATEWAY = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/gateways/gw-a"


@dataclass
class Status:
    runtime_status: str
    custom_status: Any = None


@dataclass
class FakeClient:
    statuses: dict[str, Status]
    raised: list[tuple[str, str, Any]] = field(default_factory=list)
    fail: bool = False

    async def get_status(self, instance_id: str) -> Status:
        return self.statuses.get(instance_id, Status("Unknown"))

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        if self.fail:
            raise RuntimeError("the task hub is not reachable")
        self.raised.append((instance_id, name, data))


@pytest.fixture
def rows(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The watch rows, per gateway, as the run index would hold them."""
    table: dict[str, list[str]] = {GATEWAY.lower(): ["w-running", "w-polling", "w-ended"]}
    monkeypatch.setattr(trigger, "watchers", lambda gid: list(table.get(gid.lower(), [])))
    monkeypatch.setattr(trigger, "forget", lambda gid, iid: table[gid.lower()].remove(iid))
    return table


def message(body: Any) -> ServiceBusMessage:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ServiceBusMessage(body=raw, message_id="m-1", application_properties={},
                             user_properties={}, delivery_count=1, sequence_number=1)  # fmt: skip


def event(**over: Any) -> dict[str, Any]:
    data = {"resourceUri": GATEWAY, "operationName": gs.GATEWAY_WRITE, "status": "Succeeded"}
    return {"id": "e-1", "subject": GATEWAY, "eventType": gs.WRITE_SUCCESS, "data": data, **over}


def client() -> FakeClient:
    return FakeClient({
        "w-running": Status("Running", {"signalEvent": "gateway_write-4", "polls": 4}),
        "w-polling": Status("Running", {"step": "wait"}),
        "w-ended": Status("Completed", {"signalEvent": "gateway_write-9"}),
    })  # fmt: skip


def run(msg: ServiceBusMessage, c: FakeClient) -> None:
    handler = inspect.unwrap(trigger.gateway_write_event._function._func)
    asyncio.run(handler(msg, c))


def test_the_event_goes_to_the_running_waiter_under_its_waits_name(rows: dict) -> None:
    c = client()
    run(message(event()), c)
    assert [(i, n) for i, n, _ in c.raised] == [("w-running", "gateway_write-4")]
    assert c.raised[0][2]["gatewayId"] == GATEWAY and c.raised[0][2]["outcome"] == "succeeded"
    assert rows[GATEWAY.lower()] == ["w-running", "w-polling"]  # the ended waiter's row is gone


def test_a_message_that_is_no_gateway_event_raises_nothing_and_does_not_fail(rows: dict) -> None:
    c = client()
    for body in (b"\x00garbage", event(eventType="Microsoft.Resources.ResourceDeleteSuccess"),
                 event(data={"resourceUri": GATEWAY, "operationName": "x/write"})):  # fmt: skip
        run(message(body), c)
    assert c.raised == []


def test_a_failed_raise_fails_the_function_so_the_message_comes_again(rows: dict) -> None:
    c = client()
    c.fail = True
    with pytest.raises(RuntimeError):
        run(message(event()), c)
