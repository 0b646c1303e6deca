"""The Service Bus simulator persists incrementally: a change appends what it touched.

The namespace's state is a snapshot (``servicebus.json``) plus a journal of changed messages;
a change no longer rewrites every stored message (the cost grew with the namespace), and a
restart replays the journal over the snapshot to the same state.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from proton import Message

from simulator.servicebus import backend as backend_module
from simulator.servicebus.backend import ServiceBusBackend

ENTITIES = {
    "queues": {"work": {"lock_duration": 30, "max_delivery_count": 3}},
    "topics": {"events": {"subscriptions": {"audit": {}, "ticketing": {}}}},
}


def payload(text: str, message_id: str | None = None) -> bytes:
    return bytes(Message(body=text, id=message_id).encode())


def backend(state: Path) -> ServiceBusBackend:
    return ServiceBusBackend(ENTITIES, state_file=state / "servicebus.json")


def test_a_change_appends_to_the_journal_and_leaves_the_snapshot(tmp_path: Path) -> None:
    sb = backend(tmp_path)
    sb.send("work", [payload("first")])  # the first change writes the snapshot
    snapshot = (tmp_path / "servicebus.json").read_bytes()
    for n in range(20):
        sb.send("events", [payload(f"event {n}")])
    assert (tmp_path / "servicebus.json").read_bytes() == snapshot
    journal = (tmp_path / "servicebus.journal").read_text().splitlines()
    # One line per message per subscription, one for the topic's numbering per send.
    assert len(journal) == 20 * 3


def test_a_restart_replays_the_journal_to_the_same_state(tmp_path: Path) -> None:
    sb = backend(tmp_path)
    sb.send("work", [payload("a", "m-1"), payload("b", "m-2"), payload("c", "m-3")])
    sb.send("events", [payload("e1"), payload("e2")])
    store = sb.receivable("work")
    first = sb.receive(store, peek_lock=True)
    second = sb.receive(store, peek_lock=True)
    assert first is not None and first.lock_token is not None
    assert second is not None and second.lock_token is not None
    sb.complete(store, str(first.lock_token))
    sb.dead_letter(store, str(second.lock_token), "Invalid", "x")
    audit = sb.receivable("events/Subscriptions/audit")
    taken = sb.receive(audit, peek_lock=False)
    assert taken is not None
    before = sb.snapshot()
    again = backend(tmp_path)
    assert again.snapshot() == before
    # Numbering goes on where it stopped.
    assert again.send("work", [payload("d", "m-4")]) == [4]


def test_the_journal_is_folded_into_the_snapshot_once_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend_module, "COMPACT_AFTER", 10)
    sb = backend(tmp_path)
    for n in range(30):
        sb.send("work", [payload(f"m{n}")])
    store = sb.receivable("work")
    for _ in range(30):
        got = sb.receive(store, peek_lock=False)
        assert got is not None
    journal = tmp_path / "servicebus.journal"
    lines = len(journal.read_text().splitlines()) if journal.exists() else 0
    assert lines <= 10 + 2
    assert backend(tmp_path).snapshot() == sb.snapshot()
