"""One Service Bus link carries hundreds of messages (the real azure-servicebus SDK).

The SDK numbers each transfer's delivery tag with a 4-byte counter; tag 128 (``00 00 00 80``)
is not valid UTF-8. The simulator read tags as text and dropped the connection on every 128th
message of a link, so one sender (or one receiver settling) past 127 messages failed.
"""

from __future__ import annotations

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage

from simulator.servicebus import ServiceBusSimulator

pytestmark = pytest.mark.timeout(120)

QUEUE = "work"
COUNT = 300


@pytest.fixture
def client():
    entities = {"queues": {QUEUE: {"lock_duration": 60, "max_delivery_count": 5}}}
    with (
        ServiceBusSimulator(entities=entities) as sim,
        ServiceBusClient.from_connection_string(
            sim.connection_string, retry_total=0, keep_alive=0
        ) as c,
    ):
        yield c


def test_three_hundred_messages_on_one_link_each_sent_and_received_once(client) -> None:
    with client.get_queue_sender(QUEUE) as sender:
        for n in range(COUNT):
            sender.send_messages(ServiceBusMessage(f"m{n}"))
    seen: list[str] = []
    with client.get_queue_receiver(QUEUE, max_wait_time=2) as receiver:
        while len(seen) < COUNT:
            batch = receiver.receive_messages(max_message_count=50, max_wait_time=2)
            if not batch:
                break
            for message in batch:
                receiver.complete_message(message)
                seen.append(str(message))
    assert seen == [f"m{n}" for n in range(COUNT)]
    with client.get_queue_receiver(QUEUE, max_wait_time=0.5) as receiver:
        assert receiver.receive_messages(max_message_count=1, max_wait_time=0.5) == []
