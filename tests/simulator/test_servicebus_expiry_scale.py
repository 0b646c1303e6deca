"""Service Bus expiry costs what falls due, not what is stored (issue 17, item 5).

Lock expiry, TTL and scheduled enqueue times used to be applied by scanning every message of a
store at every operation and at every tick of the AMQP loop (several a second, and at every
ARM request through the simulation's tick). A subscription nobody reads (the operators' one in
the load bench) holds every event ever sent, so the cost of each operation grew with the number
of runs. Each store now keeps a heap of due times; these tests pin that expiry looks only at
the messages whose time has come (a count, never a clock), and that what it does is unchanged.
"""

from __future__ import annotations

import pytest
from proton import Message, symbol, timestamp

from simulator.servicebus.backend import ServiceBusBackend, _Messages

ENTITIES = {
    "queues": {
        "work": {"lock_duration": 30, "max_delivery_count": 2},
        "short": {
            "default_message_ttl": 60,
            "lock_duration": 120,
            "dead_lettering_on_message_expiration": True,
        },
    },
    "topics": {"events": {"subscriptions": {"unread": {}, "ticketing": {}}}},
}
T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def payload(text: str, *, ttl: float | None = None, at: float | None = None) -> bytes:
    message = Message(body=text)
    if ttl is not None:
        message.ttl = ttl
    if at is not None:
        message.annotations = {symbol("x-opt-scheduled-enqueue-time"): timestamp(int(at * 1000))}
    return bytes(message.encode())


def examined(sb: ServiceBusBackend) -> int:
    total = 0
    for store in sb.stores.values():
        assert isinstance(store.messages, _Messages)
        total += store.messages.examined
    return total


def _work_while_storing(stored: int) -> int:
    """How many heap entries expiry looks at over a fixed piece of work, with ``stored``
    events sitting in a subscription nobody reads."""
    clock = Clock()
    sb = ServiceBusBackend(ENTITIES, clock=clock)
    sb.send("events", [payload(f"event {n}") for n in range(stored)])
    assert len(sb.receivable("events/Subscriptions/unread").messages) == stored
    work = sb.receivable("work")
    before = examined(sb)
    for n in range(20):  # a reader that keeps up, the AMQP loop ticking meanwhile
        sb.send("work", [payload(f"job {n}")])
        got = sb.receive(work, peek_lock=True)
        assert got is not None and got.lock_token is not None
        for _ in range(5):
            sb.tick()
        sb.complete(work, str(got.lock_token))
    # One lock runs out: the message is delivered again.
    sb.send("work", [payload("slow")])
    got = sb.receive(work, peek_lock=True)
    assert got is not None
    clock.now += 31
    sb.tick()
    again = sb.receive(work, peek_lock=True)
    assert again is not None and again.sequence_number == got.sequence_number
    assert again.lock_token != got.lock_token
    sb.complete(work, str(again.lock_token))
    assert not work.messages
    return examined(sb) - before


def test_expiry_looks_at_what_falls_due_not_at_what_is_stored() -> None:
    small, large = _work_while_storing(100), _work_while_storing(2000)
    # Each lock given leaves at most one entry (settled locks are dropped when they come up).
    assert small == large <= 22


def test_scheduled_messages_become_active_at_their_time() -> None:
    clock = Clock()
    sb = ServiceBusBackend(ENTITIES, clock=clock)
    sb.send("work", [payload("later", at=T0 + 600), payload("now")])
    store = sb.receivable("work")
    first = sb.receive(store, peek_lock=False)
    assert first is not None and first.sequence_number == 2
    assert sb.receive(store, peek_lock=False) is None
    clock.now = T0 + 599
    assert sb.receive(store, peek_lock=False) is None
    clock.now = T0 + 600
    later = sb.receive(store, peek_lock=False)
    assert later is not None and later.sequence_number == 1


def test_ttl_dead_letters_or_drops_and_a_lock_holds_it_back() -> None:
    clock = Clock()
    sb = ServiceBusBackend(ENTITIES, clock=clock)
    sb.send("short", [payload("a"), payload("b")])  # the queue's TTL: 60 s, dead-lettered
    sb.send("work", [payload("c", ttl=10)])  # no dead-lettering on expiry: dropped
    short, work = sb.receivable("short"), sb.receivable("work")
    held = sb.receive(short, peek_lock=True)
    assert held is not None and held.sequence_number == 1
    clock.now = T0 + 30
    sb.tick()
    assert sorted(short.messages) == [1, 2] and list(work.messages) == []
    clock.now = T0 + 61
    sb.tick()
    # The unlocked one expired; the locked one waits for its lock to end (120 s).
    assert sorted(short.messages) == [1]
    assert short.dlq is not None and len(short.dlq.messages) == 1
    dead = next(iter(short.dlq.messages.values()))
    assert dead.dead_letter_reason == "TTLExpiredException"
    # Its lock runs out: a failed delivery, then the TTL that had passed meanwhile.
    clock.now = T0 + 200
    sb.tick()
    assert not short.messages and len(short.dlq.messages) == 2


def test_max_delivery_by_lock_expiry_dead_letters_in_store_order() -> None:
    clock = Clock()
    sb = ServiceBusBackend(ENTITIES, clock=clock)
    sb.send("work", [payload(f"m{n}") for n in range(5)])
    store = sb.receivable("work")
    for _ in range(2):  # max_delivery_count 2: two expired locks dead-letter each message
        for _ in range(5):
            assert sb.receive(store, peek_lock=True) is not None
        clock.now += 31
        sb.tick()
    assert not store.messages
    assert store.dlq is not None
    dead = store.dlq.messages
    assert sorted(dead) == [1, 2, 3, 4, 5]
    # Dead-letter numbers follow the source's order, as a scan of the store gave them.
    assert [m.dead_letter_reason for m in dead.values()] == ["MaxDeliveryCountExceeded"] * 5
    assert [codec_body(m.bare) for _, m in sorted(dead.items())] == [f"m{n}" for n in range(5)]


def test_a_settled_or_relocked_message_old_token_is_lost() -> None:
    clock = Clock()
    sb = ServiceBusBackend(ENTITIES, clock=clock)
    sb.send("work", [payload("x")])
    store = sb.receivable("work")
    first = sb.receive(store, peek_lock=True)
    assert first is not None
    clock.now += 31
    second = sb.receive(store, peek_lock=True)  # the expired lock went; a new one is given
    assert second is not None and second.lock_token != first.lock_token
    with pytest.raises(Exception, match="lock"):
        sb.complete(store, str(first.lock_token))
    sb.complete(store, str(second.lock_token))
    with pytest.raises(Exception, match="lock"):
        sb.complete(store, str(second.lock_token))


def codec_body(bare: bytes) -> str:
    message = Message()
    message.decode(bare)
    return str(message.body)
