"""Pluggable clocks: real wall time, or a virtual clock that jumps to the next durable timer.

The engine asks the clock for "now" whenever it stamps an episode or decides whether a timer is
due. With the virtual clock, the engine calls :meth:`VirtualClock.jump_to` when nothing else can
make progress (no activity running, nothing runnable) and the next thing to happen is a timer, so
hours of waiting pass instantly. Listeners registered with :meth:`VirtualClock.on_jump` run
*before* any timer that the jump made due is delivered, which lets a caller keep another clock
(e.g. a simulator's ``/_sim/clock``) in step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Protocol

JumpListener = Callable[[datetime, datetime], None]
# When something outside devhost next changes by itself (None: nothing scheduled): a jump stops
# there, so what that change sends (e.g. an Event Grid event the simulator publishes when a
# gateway build ends) arrives at its own time, not at the next timer's.
Horizon = Callable[[], datetime | None]


class Clock(Protocol):
    """What the engine needs from a clock."""

    @property
    def virtual(self) -> bool:
        """True when time only moves by jumps the engine requests."""
        ...

    def now(self) -> datetime:
        """The current UTC time (timezone-aware)."""
        ...

    def may_jump(self) -> bool:
        """True when the engine may skip ahead to the next timer right now."""
        ...

    def jump_to(self, moment: datetime) -> bool | None:
        """Move time forward to ``moment`` (virtual clocks only); False: it did not move."""
        ...


class RealClock:
    """Wall-clock time; timers wait for real."""

    virtual = False

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)

    def may_jump(self) -> bool:
        """Real time never jumps."""
        return False

    def jump_to(self, moment: datetime) -> None:
        """Real time cannot be moved."""
        raise RuntimeError("the real clock cannot jump")


class VirtualClock:
    """Time that stands still until the engine (or a caller) moves it forward.

    ``auto_advance`` lets the engine skip to the next timer when idle; a test that needs to act
    "before the timeout" can hold the clock with :meth:`hold`.
    """

    virtual = True

    def __init__(self, start: datetime | None = None, *, auto_advance: bool = True) -> None:
        """Start at ``start`` (default: the current wall time)."""
        self._now = (start or datetime.now(UTC)).astimezone(UTC)
        self._lock = threading.RLock()
        self._listeners: list[JumpListener] = []
        self._horizons: list[Horizon] = []
        self._holds = 0
        self.auto_advance = auto_advance

    def now(self) -> datetime:
        """Return the virtual time."""
        with self._lock:
            return self._now

    def on_jump(self, listener: JumpListener) -> None:
        """Call ``listener(old, new)`` on every forward move, before due timers are delivered."""
        with self._lock:
            self._listeners.append(listener)

    def add_horizon(self, horizon: Horizon) -> None:
        """Stop every later jump at ``horizon()`` when that comes first (see :data:`Horizon`)."""
        with self._lock:
            self._horizons.append(horizon)

    def may_jump(self) -> bool:
        """True unless auto-advance is off or someone holds the clock."""
        with self._lock:
            return self.auto_advance and self._holds == 0

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Keep the engine from skipping time while the block runs."""
        with self._lock:
            self._holds += 1
        try:
            yield
        finally:
            with self._lock:
                self._holds -= 1

    def jump_to(self, moment: datetime) -> bool:
        """Move forward to ``moment``, or to an earlier horizon, and tell the listeners.

        Never backwards; False when time did not move (a horizon is now: something outside is
        still settling, the caller waits a little and asks again)."""
        with self._lock:
            horizons = list(self._horizons)
        new = moment.astimezone(UTC)
        for horizon in horizons:
            limit = horizon()
            if limit is not None:
                new = min(new, limit.astimezone(UTC))
        with self._lock:
            old = self._now
            if new <= old:
                return False
            self._now = new
            listeners = list(self._listeners)
        for listener in listeners:
            listener(old, new)
        return True

    def restore(self, moment: datetime) -> None:
        """Resume from a persisted time after a restart (only ever forward, no listeners)."""
        with self._lock:
            self._now = max(self._now, moment.astimezone(UTC))
