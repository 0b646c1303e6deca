"""The Service Bus simulator with the real azure-servicebus SDK: queues, locks, dead letters.

Each test starts its own simulator (a fresh namespace on a free port); clients use
``retry_total=0`` and short ``max_wait_time`` so a failure shows at once instead of after
the SDK's retries.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from azure.servicebus import (
    ServiceBusClient,
    ServiceBusMessage,
    ServiceBusReceiveMode,
    ServiceBusSubQueue,
)
from azure.servicebus.exceptions import MessageLockLostError, ServiceBusAuthenticationError

from simulator.servicebus import ServiceBusSimulator

pytestmark = pytest.mark.timeout(60)

QUEUE = "onboarding-requests"
WAIT = 1.0


class FakeClock:
    """Real time plus an offset the test moves, so locks expire without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


ENTITIES = {
    "queues": {
        QUEUE: {
            "lock_duration": 60,
            "max_delivery_count": 5,
            "requires_duplicate_detection": True,
            "duplicate_detection_window": 600,
        },
        "work": {"lock_duration": 30, "max_delivery_count": 3},
        "short-lock": {"lock_duration": 1, "max_delivery_count": 10},
    },
    "topics": {"onboarding-events": {"subscriptions": {"ticketing": {}, "audit": {}}}},
}


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sim(clock):
    with ServiceBusSimulator(entities=ENTITIES, clock=clock) as sb:
        yield sb


@pytest.fixture
def client(sim):
    with ServiceBusClient.from_connection_string(
        sim.connection_string, retry_total=0, keep_alive=0
    ) as c:
        yield c


def send(client, queue, *messages):
    with client.get_queue_sender(queue) as sender:
        sender.send_messages(list(messages) if len(messages) > 1 else messages[0])


def receive(receiver, count=10, wait=WAIT):
    return receiver.receive_messages(max_message_count=count, max_wait_time=wait)


def test_connection_string_is_the_emulator_form(sim):
    assert sim.connection_string == (
        f"Endpoint=sb://127.0.0.1:{sim.port};SharedAccessKeyName=RootManageSharedAccessKey;"
        "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;"
    )


def test_send_receive_complete_with_properties(client, sim):
    message = ServiceBusMessage(
        '{"ticket": "T-1"}',
        message_id="T-1",
        subject="onboard",
        correlation_id="corr-1",
        content_type="application/json",
        application_properties={"team": "payments", "attempt": 3, "urgent": True},
    )
    send(client, QUEUE, message)
    with client.get_queue_receiver(QUEUE, max_wait_time=WAIT) as receiver:
        (got,) = receive(receiver)
        assert str(got) == '{"ticket": "T-1"}'
        assert got.message_id == "T-1"
        assert got.subject == "onboard"
        assert got.correlation_id == "corr-1"
        assert got.content_type == "application/json"
        assert got.application_properties == {b"team": b"payments", b"attempt": 3, b"urgent": True}
        assert got.delivery_count == 0
        assert got.sequence_number == 1
        assert isinstance(got.lock_token, uuid.UUID)
        assert got.enqueued_time_utc is not None
        assert got.locked_until_utc is not None
        assert got.locked_until_utc - got.enqueued_time_utc >= dt.timedelta(seconds=59)
        receiver.complete_message(got)
        assert receive(receiver, wait=0.3) == []
    assert sim.snapshot()["queues"][QUEUE]["active_count"] == 0


def test_abandon_redelivers_with_a_higher_delivery_count(client):
    send(client, "work", ServiceBusMessage("again"))
    with client.get_queue_receiver("work", max_wait_time=WAIT) as receiver:
        (first,) = receive(receiver)
        receiver.abandon_message(first)
        (second,) = receive(receiver)
        # The Python SDK reports the header's delivery-count: 0 on the first delivery.
        assert first.delivery_count == 0
        assert second.delivery_count == 1
        assert second.sequence_number == first.sequence_number
        assert second.lock_token != first.lock_token
        receiver.complete_message(second)


def test_renew_lock_moves_locked_until(client, clock):
    send(client, "work", ServiceBusMessage("long job"))
    with client.get_queue_receiver("work", max_wait_time=WAIT) as receiver:
        (got,) = receive(receiver)
        before = got.locked_until_utc
        clock.advance(20)
        after = receiver.renew_message_lock(got)
        assert after > before
        assert got.locked_until_utc == after
        clock.advance(20)  # 40 s after receipt: past the first lock, inside the renewed one
        receiver.complete_message(got)


def test_dead_letter_with_reason_then_read_from_the_dlq(client, sim):
    send(client, "work", ServiceBusMessage("bad", message_id="poison-1"))
    with client.get_queue_receiver("work", max_wait_time=WAIT) as receiver:
        (got,) = receive(receiver)
        receiver.dead_letter_message(
            got, reason="InvalidPayload", error_description="field 'team' is missing"
        )
        assert receive(receiver, wait=0.3) == []
    with client.get_queue_receiver(
        "work", sub_queue=ServiceBusSubQueue.DEAD_LETTER, max_wait_time=WAIT
    ) as dlq:
        (dead,) = receive(dlq)
        assert dead.message_id == "poison-1"
        assert dead.dead_letter_reason == "InvalidPayload"
        assert dead.dead_letter_error_description == "field 'team' is missing"
        assert dead.dead_letter_source == "work"
        dlq.complete_message(dead)
    assert sim.snapshot()["queues"]["work"]["dead_letter_count"] == 0


def test_max_delivery_count_moves_to_the_dlq(client, sim):
    send(client, "work", ServiceBusMessage("always fails"))
    with client.get_queue_receiver("work", max_wait_time=WAIT) as receiver:
        counts = []
        for _ in range(3):
            (got,) = receive(receiver)
            counts.append(got.delivery_count)
            receiver.abandon_message(got)
        assert counts == [0, 1, 2]
        assert receive(receiver, wait=0.3) == []
    view = sim.snapshot()["queues"]["work"]
    assert view["dead_letter_count"] == 1
    assert view["dead_letters"][0]["dead_letter_reason"] == "MaxDeliveryCountExceeded"
    with client.get_queue_receiver(
        "work", sub_queue=ServiceBusSubQueue.DEAD_LETTER, max_wait_time=WAIT
    ) as dlq:
        (dead,) = receive(dlq)
        assert dead.dead_letter_reason == "MaxDeliveryCountExceeded"
        assert "3 delivery attempts" in dead.dead_letter_error_description
        dlq.complete_message(dead)


def test_lock_expiry_redelivers_and_old_lock_is_lost(client, clock, sim):
    send(client, "work", ServiceBusMessage("slow"))
    with client.get_queue_receiver("work", max_wait_time=WAIT) as receiver:
        (first,) = receive(receiver)
        clock.advance(31)
        sim.tick()
        (second,) = receive(receiver)
        assert second.delivery_count == 1
        assert second.sequence_number == first.sequence_number
        receiver.complete_message(second)
        with pytest.raises(MessageLockLostError):
            receiver.renew_message_lock(first)


def test_lock_expiry_in_real_time(client):
    send(client, "short-lock", ServiceBusMessage("tick tock"))
    with client.get_queue_receiver("short-lock", max_wait_time=WAIT) as receiver:
        (_first,) = receive(receiver)
        assert receive(receiver, wait=0.3) == []
        (second,) = receive(receiver, wait=3)
        assert second.delivery_count == 1
        receiver.complete_message(second)


def test_duplicate_message_id_within_the_window_is_dropped(client, clock, sim):
    send(client, QUEUE, ServiceBusMessage("one", message_id="ticket-42"))
    send(client, QUEUE, ServiceBusMessage("two", message_id="ticket-42"))
    send(client, QUEUE, ServiceBusMessage("other", message_id="ticket-43"))
    assert sim.snapshot()["queues"][QUEUE]["active_count"] == 2
    clock.advance(601)  # outside the 10-minute window the id is new again
    send(client, QUEUE, ServiceBusMessage("three", message_id="ticket-42"))
    with client.get_queue_receiver(QUEUE, max_wait_time=WAIT) as receiver:
        bodies = sorted(str(m) for m in receive(receiver))
    assert bodies == ["one", "other", "three"]


def test_no_duplicate_detection_where_it_is_off(client, sim):
    send(client, "work", ServiceBusMessage("a", message_id="same"))
    send(client, "work", ServiceBusMessage("b", message_id="same"))
    assert sim.snapshot()["queues"]["work"]["active_count"] == 2


def test_batch_send(client):
    with client.get_queue_sender("work") as sender:
        batch = sender.create_message_batch()
        for i in range(5):
            batch.add_message(ServiceBusMessage(f"b{i}", application_properties={"i": i}))
        sender.send_messages(batch)
        sender.send_messages([ServiceBusMessage("l0"), ServiceBusMessage("l1")])
    with client.get_queue_receiver("work", max_wait_time=WAIT) as receiver:
        got = []
        while len(got) < 7:
            more = receive(receiver)
            assert more, f"only {len(got)} messages arrived"
            got.extend(more)
        assert [str(m) for m in got] == ["b0", "b1", "b2", "b3", "b4", "l0", "l1"]
        assert [m.sequence_number for m in got] == list(range(1, 8))
        assert got[3].application_properties[b"i"] == 3
        for m in got:
            receiver.complete_message(m)


def test_peek_does_not_lock(client):
    send(client, "work", ServiceBusMessage("p1"), ServiceBusMessage("p2"), ServiceBusMessage("p3"))
    with client.get_queue_receiver("work", max_wait_time=WAIT) as receiver:
        peeked = receiver.peek_messages(max_message_count=2)
        assert [str(m) for m in peeked] == ["p1", "p2"]
        assert [m.sequence_number for m in peeked] == [1, 2]
        more = receiver.peek_messages(max_message_count=5)
        assert [str(m) for m in more] == ["p3"]
        assert len(receive(receiver)) == 3


def test_peek_on_empty_queue(client):
    with client.get_queue_receiver("work", max_wait_time=WAIT) as receiver:
        assert receiver.peek_messages(max_message_count=5) == []


def test_receive_and_delete(client, sim):
    send(client, "work", ServiceBusMessage("gone"))
    with client.get_queue_receiver(
        "work", receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE, max_wait_time=WAIT
    ) as receiver:
        (got,) = receive(receiver)
        assert str(got) == "gone"
    assert sim.snapshot()["queues"]["work"]["active_count"] == 0


def test_defer_and_receive_deferred(client):
    send(client, "work", ServiceBusMessage("later"))
    with client.get_queue_receiver("work", max_wait_time=WAIT) as receiver:
        (got,) = receive(receiver)
        receiver.defer_message(got)
        assert receive(receiver, wait=0.3) == []
        (deferred,) = receiver.receive_deferred_messages([got.sequence_number])
        assert str(deferred) == "later"
        receiver.complete_message(deferred)


def test_unknown_queue_fails_like_azure(client):
    # Azure answers the CBS put-token for a missing entity with 404; the Python SDK raises
    # that as ServiceBusAuthenticationError wrapping the service's "could not be found".
    with pytest.raises(ServiceBusAuthenticationError) as sending:
        send(client, "no-such-queue", ServiceBusMessage("x"))
    assert sending.value.inner_exception.status_code == 404
    assert "could not be found" in str(sending.value.inner_exception)
    with (
        pytest.raises(ServiceBusAuthenticationError) as receiving,
        client.get_queue_receiver("no-such-queue", max_wait_time=WAIT) as receiver,
    ):
        receive(receiver)
    assert "'sb://127.0.0.1:" in str(receiving.value.inner_exception)
