"""Step a virtual clock by hand: run until a condition holds, jumping timers only when idle.

With auto-advance, a run that waits for an operator's event *with* a timeout skips straight to
the timeout (nothing else can happen). Tests and demos that want to act while such a run waits
call :func:`advance_until` instead: it holds the clock, and whenever the host is idle (no
activity outstanding, nothing deliverable) and the condition is still false, it jumps to the
next timer itself. The caller sees every intermediate state, e.g. "waiting for approval".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from devhost.clock import VirtualClock
from devhost.timefmt import parse, to_history

if TYPE_CHECKING:
    from devhost.host import DevHost


def is_idle(host: DevHost) -> bool:
    """True when no activity is outstanding and no instance has a deliverable message.

    Instances refused by version (``Reject``) do not count: their messages wait for a restart.
    """
    stamp = to_history(host.clock.now())
    skip = host.engine.rejected_executions
    with host.store.tx() as tx:
        return tx.activities_outstanding() == 0 and tx.runnable_instance(stamp, skip) is None


def jump_to_next_timer(host: DevHost) -> bool:
    """Move the virtual clock to the next pending timer; False when there is none."""
    if not isinstance(host.clock, VirtualClock):
        raise RuntimeError("only a virtual clock can be stepped")
    with host.store.tx() as tx:
        due = tx.next_timer(to_history(host.clock.now()), host.engine.rejected_executions)
    if due is None:
        return False
    host.clock.jump_to(parse(due))
    host.engine.wake()
    return True


def advance_until(
    host: DevHost, condition: Callable[[], bool], timeout: float = 60.0, settle: float = 0.02
) -> None:
    """Hold the clock and step it timer by timer until ``condition()`` is true.

    Raises TimeoutError (with the virtual time reached) when it does not hold in ``timeout``
    wall seconds, or when the host is idle with no timer left and the condition still false.
    """
    if not isinstance(host.clock, VirtualClock):
        raise RuntimeError("only a virtual clock can be stepped")
    deadline = time.monotonic() + timeout
    with host.clock.hold():
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition still false at {host.clock.now().isoformat()}")
            time.sleep(settle)
            if not _settled(host, settle) or condition():
                continue
            # The condition may have acted (an operator stand-in raises an event from it): what
            # it started runs before time moves, or the timer it raced would win. Its act is
            # stored before it returns, so one reading sees it (the settle above was for
            # episodes between their commit and their next step).
            if is_idle(host) and not jump_to_next_timer(host):
                raise TimeoutError("the host is idle, no timer is pending, condition false")


def _settled(host: DevHost, settle: float) -> bool:
    # Two idle readings in a row: an episode may be between its commit and the next step.
    if not is_idle(host):
        return False
    time.sleep(settle)
    return is_idle(host)
