"""The Service Bus simulator: topics, the aio SDK, restarts, config and lifecycle.

Like test_servicebus_queues.py, every test runs its own simulator and the real
azure-servicebus SDK with ``retry_total=0``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusSubQueue
from azure.servicebus.aio import ServiceBusClient as AsyncServiceBusClient

from simulator.servicebus import ServiceBusSimulator, load_entities
from simulator.servicebus.backend import ServiceBusBackend
from simulator.servicebus.errors import NOT_ALLOWED, NOT_FOUND, ServiceBusFault

pytestmark = pytest.mark.timeout(60)

TOPIC = "onboarding-events"
QUEUE = "onboarding-requests"
WAIT = 1.0


@pytest.fixture
def sim():
    with ServiceBusSimulator() as sb:  # the product's default entities
        yield sb


@pytest.fixture
def client(sim):
    with ServiceBusClient.from_connection_string(
        sim.connection_string, retry_total=0, keep_alive=0
    ) as c:
        yield c


def test_topic_fans_out_to_every_subscription(client, sim):
    with client.get_topic_sender(TOPIC) as sender:
        sender.send_messages(
            ServiceBusMessage('{"status": "started"}', subject="started", correlation_id="T-7")
        )
    for sub in ("ticketing", "audit"):
        with client.get_subscription_receiver(TOPIC, sub, max_wait_time=WAIT) as receiver:
            (got,) = receiver.receive_messages(max_message_count=5, max_wait_time=WAIT)
            assert str(got) == '{"status": "started"}'
            assert got.subject == "started"
            assert got.correlation_id == "T-7"
            assert got.sequence_number == 1
            receiver.complete_message(got)
    subs = sim.snapshot()["topics"][TOPIC]["subscriptions"]
    assert subs["ticketing"]["active_count"] == subs["audit"]["active_count"] == 0


def test_settling_on_one_subscription_leaves_the_other(client, sim):
    with client.get_topic_sender(TOPIC) as sender:
        sender.send_messages([ServiceBusMessage("e1"), ServiceBusMessage("e2")])
    with client.get_subscription_receiver(TOPIC, "audit", max_wait_time=WAIT) as receiver:
        for m in receiver.receive_messages(max_message_count=5, max_wait_time=WAIT):
            receiver.complete_message(m)
    subs = sim.snapshot()["topics"][TOPIC]["subscriptions"]
    assert subs["audit"]["active_count"] == 0
    assert subs["ticketing"]["active_count"] == 2


def test_subscription_dead_letter_queue(client):
    with client.get_topic_sender(TOPIC) as sender:
        sender.send_messages(ServiceBusMessage("unroutable"))
    with client.get_subscription_receiver(TOPIC, "ticketing", max_wait_time=WAIT) as receiver:
        (got,) = receiver.receive_messages(max_wait_time=WAIT)
        receiver.dead_letter_message(got, reason="NoTicket", error_description="ticket closed")
    with client.get_subscription_receiver(
        TOPIC, "ticketing", sub_queue=ServiceBusSubQueue.DEAD_LETTER, max_wait_time=WAIT
    ) as dlq:
        (dead,) = dlq.receive_messages(max_wait_time=WAIT)
        assert dead.dead_letter_reason == "NoTicket"
        assert dead.dead_letter_error_description == "ticket closed"
        assert dead.dead_letter_source == f"{TOPIC}/Subscriptions/ticketing"
        peeked = dlq.peek_messages(max_message_count=5, sequence_number=1)
        assert [str(m) for m in peeked] == ["unroutable"]
        dlq.complete_message(dead)


def test_async_client_send_receive_abandon_dead_letter(sim):
    async def scenario():
        async with AsyncServiceBusClient.from_connection_string(
            sim.connection_string, retry_total=0, keep_alive=0
        ) as client:
            async with client.get_queue_sender(QUEUE) as sender:
                await sender.send_messages(
                    [
                        ServiceBusMessage("a1", message_id="a1"),
                        ServiceBusMessage("a2", message_id="a2"),
                    ]
                )
            async with client.get_queue_receiver(QUEUE, max_wait_time=WAIT) as receiver:
                first = await receiver.receive_messages(max_message_count=5, max_wait_time=WAIT)
                assert sorted(str(m) for m in first) == ["a1", "a2"]
                by_id = {m.message_id: m for m in first}
                await receiver.complete_message(by_id["a1"])
                await receiver.abandon_message(by_id["a2"])
                (again,) = await receiver.receive_messages(max_wait_time=WAIT)
                assert again.message_id == "a2"
                assert again.delivery_count == 1
                await receiver.renew_message_lock(again)
                await receiver.dead_letter_message(again, reason="Invalid", error_description="bad")
            async with client.get_queue_receiver(
                QUEUE, sub_queue=ServiceBusSubQueue.DEAD_LETTER, max_wait_time=WAIT
            ) as dlq:
                (dead,) = await dlq.receive_messages(max_wait_time=WAIT)
                assert (dead.message_id, dead.dead_letter_reason) == ("a2", "Invalid")
                await dlq.complete_message(dead)

    asyncio.run(scenario())


def test_messages_survive_a_restart_with_a_state_dir(tmp_path):
    first = ServiceBusSimulator(state_dir=tmp_path)
    with (
        first,
        ServiceBusClient.from_connection_string(
            first.connection_string, retry_total=0, keep_alive=0
        ) as c,
    ):
        with c.get_queue_sender(QUEUE) as sender:
            sender.send_messages(ServiceBusMessage("kept", message_id="ticket-1"))
            sender.send_messages(ServiceBusMessage("poison", message_id="ticket-2"))
        with c.get_queue_receiver(QUEUE, max_wait_time=WAIT) as receiver:
            got = receiver.receive_messages(max_message_count=5, max_wait_time=WAIT)
            poison = next(m for m in got if m.message_id == "ticket-2")
            receiver.dead_letter_message(poison, reason="Invalid", error_description="x")
            kept = next(m for m in got if m.message_id == "ticket-1")
            receiver.abandon_message(kept)
    assert (tmp_path / "servicebus.json").exists()
    with ServiceBusSimulator(state_dir=tmp_path) as second:
        view = second.snapshot()["queues"][QUEUE]
        assert view["active_count"] == 1
        assert view["dead_letter_count"] == 1
        with ServiceBusClient.from_connection_string(
            second.connection_string, retry_total=0, keep_alive=0
        ) as c:
            with c.get_queue_sender(QUEUE) as sender:
                # The duplicate-detection history survives too.
                sender.send_messages(ServiceBusMessage("again", message_id="ticket-1"))
                sender.send_messages(ServiceBusMessage("new", message_id="ticket-3"))
            with c.get_queue_receiver(QUEUE, max_wait_time=WAIT) as receiver:
                got = receiver.receive_messages(max_message_count=5, max_wait_time=WAIT)
                assert [(str(m), m.delivery_count, m.sequence_number) for m in got] == [
                    ("kept", 1, 1),
                    ("new", 0, 3),
                ]
                for m in got:
                    receiver.complete_message(m)
            with c.get_queue_receiver(
                QUEUE, sub_queue=ServiceBusSubQueue.DEAD_LETTER, max_wait_time=WAIT
            ) as dlq:
                (dead,) = dlq.receive_messages(max_wait_time=WAIT)
                assert dead.dead_letter_reason == "Invalid"
                dlq.complete_message(dead)


def test_start_stop_many_times_leaves_no_threads_or_ports():
    before = {t.name for t in threading.enumerate()}
    ports = []
    for _ in range(5):
        with ServiceBusSimulator() as sb:
            ports.append(sb.port)
            with socket.create_connection(("127.0.0.1", sb.port), timeout=2):
                pass
    assert {t.name for t in threading.enumerate()} - before == set()
    for port in ports:
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()


def test_restart_on_the_same_port(tmp_path):
    with ServiceBusSimulator(state_dir=tmp_path) as first:
        port = first.port
    with ServiceBusSimulator(state_dir=tmp_path, port=port) as second:
        assert second.port == port
        assert f":{port};" in second.connection_string


def test_snapshot_shows_entities_and_settings(sim):
    snap = sim.snapshot()
    queue = snap["queues"][QUEUE]
    assert queue["requires_duplicate_detection"] is True
    assert queue["duplicate_detection_window"] == 600
    assert queue["max_delivery_count"] == 5
    assert queue["lock_duration"] == 60
    assert set(snap["topics"][TOPIC]["subscriptions"]) == {"ticketing", "audit", "operators"}
    json.dumps(snap)


def test_emulator_config_json_is_accepted(tmp_path):
    config = {
        "UserConfig": {
            "Namespaces": [
                {
                    "Name": "sbemulatorns",
                    "Queues": [
                        {
                            "Name": "orders",
                            "Properties": {
                                "LockDuration": "PT30S",
                                "MaxDeliveryCount": 3,
                                "RequiresDuplicateDetection": True,
                                "DuplicateDetectionHistoryTimeWindow": "PT10M",
                                "RequiresSession": False,
                            },
                        }
                    ],
                    "Topics": [
                        {
                            "Name": "events",
                            "Properties": {"RequiresDuplicateDetection": False},
                            "Subscriptions": [
                                {"Name": "s1", "Properties": {"MaxDeliveryCount": 7}}
                            ],
                        }
                    ],
                }
            ]
        }
    }
    path = tmp_path / "Config.json"
    path.write_text(json.dumps(config))
    entities = load_entities(path)
    assert entities.queues["orders"].lock_duration == 30
    assert entities.queues["orders"].duplicate_detection_window == 600
    assert entities.queues["orders"].max_delivery_count == 3
    assert entities.topics["events"].subscriptions["s1"].max_delivery_count == 7


def test_config_rejects_typos_and_sessions():
    with pytest.raises(ValueError, match="unknown setting"):
        load_entities({"queues": {"q": {"lock_duraton": 5}}})
    with pytest.raises(ValueError, match="sessions"):
        load_entities(
            {
                "UserConfig": {
                    "Namespaces": [
                        {"Queues": [{"Name": "q", "Properties": {"RequiresSession": True}}]}
                    ]
                }
            }
        )


def test_backend_addresses_and_errors():
    backend = ServiceBusBackend()
    assert backend.receivable("amqps://127.0.0.1:5672/Onboarding-Requests").path == QUEUE
    assert (
        backend.receivable(f"{TOPIC}/subscriptions/AUDIT/$deadletterqueue").path
        == f"{TOPIC}/Subscriptions/audit/$DeadLetterQueue"
    )
    with pytest.raises(ServiceBusFault) as missing:
        backend.receivable(f"{TOPIC}/Subscriptions/nope")
    assert missing.value.condition == NOT_FOUND
    with pytest.raises(ServiceBusFault) as to_subscription:
        backend.sendable(f"{TOPIC}/Subscriptions/audit")
    assert to_subscription.value.condition == NOT_ALLOWED
