"""A virtual clock's jumps stop at a horizon (devhost/clock.py): something outside devhost
changes then by itself (the simulator's gateway build ends and Event Grid publishes), so what it
sends is handled at its own simulated time, not at the next durable timer's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from devhost.clock import VirtualClock

T0 = datetime(2026, 1, 1, 8, tzinfo=UTC)


def test_a_jump_stops_at_the_horizon_and_the_listeners_see_that_time() -> None:
    clock = VirtualClock(T0)
    seen: list[datetime] = []
    clock.on_jump(lambda _old, new: seen.append(new))
    clock.add_horizon(lambda: T0 + timedelta(hours=3))
    assert clock.jump_to(T0 + timedelta(hours=3, minutes=7)) is True
    assert clock.now() == seen[-1] == T0 + timedelta(hours=3)


def test_a_horizon_at_now_holds_time_and_none_lets_it_go() -> None:
    clock = VirtualClock(T0)
    limit: list[datetime | None] = [T0]
    clock.add_horizon(lambda: limit[0])
    assert clock.jump_to(T0 + timedelta(minutes=5)) is False
    assert clock.now() == T0
    limit[0] = None
    assert clock.jump_to(T0 + timedelta(minutes=5)) is True
    assert clock.now() == T0 + timedelta(minutes=5)


def test_without_a_horizon_the_clock_jumps_as_before() -> None:
    clock = VirtualClock(T0)
    assert clock.jump_to(T0 + timedelta(hours=1)) is True
    assert clock.jump_to(T0) is False  # never backwards
    assert clock.now() == T0 + timedelta(hours=1)
