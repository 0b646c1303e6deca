"""The simulator's clock: real wall time, or virtual time that moves only when told.

Every time-driven behaviour (gateway builds, provider registration, principal replication)
reads this clock, so a three-hour build passes in one ``POST /_sim/clock/advance``.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Literal

ClockMode = Literal["real", "virtual"]

# A fixed, recognisable start so virtual-clock runs are reproducible.
VIRTUAL_EPOCH = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)


class Clock:
    """Current simulated time in UTC.

    Real mode follows the wall clock plus an offset that ``advance`` grows; virtual mode
    starts at :data:`VIRTUAL_EPOCH` and moves only through ``advance``/``set``.
    """

    def __init__(self, mode: ClockMode = "real", start: dt.datetime | None = None) -> None:
        self.mode: ClockMode = mode
        self._lock = threading.Lock()
        self._offset = dt.timedelta(0)
        self._start = start or VIRTUAL_EPOCH
        self._virtual_now = self._start

    def now(self) -> dt.datetime:
        with self._lock:
            if self.mode == "virtual":
                return self._virtual_now
            return dt.datetime.now(dt.UTC) + self._offset

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        if delta < dt.timedelta(0):
            raise ValueError("the clock cannot move backwards")
        with self._lock:
            if self.mode == "virtual":
                self._virtual_now += delta
            else:
                self._offset += delta
        return self.now()

    def set(self, when: dt.datetime) -> dt.datetime:
        """Move to ``when`` (never backwards)."""
        now = self.now()
        if when.tzinfo is None:
            raise ValueError("the time must carry a timezone")
        if when < now:
            raise ValueError(f"the clock cannot move backwards (now {iso(now)})")
        return self.advance(when - now)

    def restart(self) -> None:
        """Back to the start: the virtual epoch, or no offset on the real clock."""
        with self._lock:
            self._offset = dt.timedelta(0)
            self._virtual_now = self._start

    def describe(self) -> dict[str, str]:
        return {"mode": self.mode, "now": iso(self.now())}


def iso(when: dt.datetime) -> str:
    """ARM's timestamp form: UTC with seven fractional digits and a Z."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
