"""devhost's store: the statements of an episode cost the same however many instances exist.

Issue 17, item 5 asks for CPU per run that stays flat from 50 to 200 concurrent runs. Every
episode and every idle pass of the dispatcher runs these statements, so each must use an index
and never walk the instances, histories or pending timers of other runs. SQLite counts the
virtual-machine instructions a statement executes (``set_progress_handler`` with N=1): the
count is the same for a store of 40 runs as for one of 320 (a count, never a clock).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devhost.store import Instance, Store, Tx

LATER = "2026-01-02T00:00:00.0000000Z"
NOW = "2026-01-01T12:00:00.0000000Z"


def _store(runs: int) -> Store:
    """``runs`` running instances, each with a 60-event history, a pending timer and (for the
    first 16) an activity; one instance has a message to deliver now."""
    store = Store(":memory:")
    with store.tx() as tx:
        for n in range(runs):
            iid, execution = f"run-{n:05d}", f"exec-{n}"
            tx.put_instance(Instance(iid, "saga", execution, "Running", None, None, None,
                                     f"2026-01-01T00:{n % 60:02d}:00Z", NOW, None))  # fmt: skip
            tx.append_history(iid, execution, [{"EventType": 0, "n": k} for k in range(60)])
            tx.add_message(iid, execution, "event", {"EventType": 10, "TimerId": 3}, LATER)
            if n < 16:
                tx.add_activity(iid, execution, 1, "step", None)
        tx.add_message("run-00007", "exec-7", "event", {"EventType": 5})
    return store


def _instructions(store: Store, statement: Callable[[Tx], Any]) -> int:
    count = 0

    def tick() -> int:
        nonlocal count
        count += 1
        return 0

    with store.tx() as tx:
        tx.conn.set_progress_handler(tick, 1)
        try:
            statement(tx)
        finally:
            tx.conn.set_progress_handler(None, 1)
    return count


STATEMENTS: dict[str, Callable[[Tx], Any]] = {
    "runnable_instance": lambda tx: tx.runnable_instance(NOW),
    "next_timer": lambda tx: tx.next_timer(NOW),
    "instance": lambda tx: tx.instance("run-00007"),
    "messages": lambda tx: tx.messages("run-00007", NOW),
    "history": lambda tx: tx.history("run-00007"),
    "append_history": lambda tx: tx.append_history("run-00007", "exec-7", [{"EventType": 4}]),
    "cancel_timer": lambda tx: tx.cancel_timer("run-00007", "exec-7", 3),
    "claim_activity": lambda tx: tx.claim_activity(),
    "activities_outstanding": lambda tx: tx.activities_outstanding(),
    "add_message": lambda tx: tx.add_message("run-00009", "exec-9", "event", {}, LATER),
    "delete_messages": lambda tx: tx.delete_messages([1, 2]),
}


def test_episode_statements_do_not_grow_with_the_number_of_instances() -> None:
    small, large = _store(40), _store(320)
    for name, statement in STATEMENTS.items():
        assert _instructions(small, statement) == _instructions(large, statement), name


def test_the_store_answers_the_same_at_both_sizes() -> None:
    for store in (_store(40), _store(320)):
        with store.tx() as tx:
            assert tx.runnable_instance(NOW) == "run-00007"
            assert tx.next_timer(NOW) == LATER
            claimed = tx.claim_activity()
            assert claimed is not None and claimed.instance_id == "run-00000"
