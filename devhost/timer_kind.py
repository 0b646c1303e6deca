"""The ``timerTrigger`` trigger kind: invokes timer functions on their NCRONTAB schedule.

The Functions host reads a timer trigger's ``schedule`` as a six-field NCRONTAB expression
(``{second} {minute} {hour} {day} {month} {day-of-week}``, UTC unless WEBSITE_TIME_ZONE is
set; learn.microsoft.com/azure/azure-functions/functions-bindings-timer, "NCRONTAB
expressions"), resolves ``%NAME%`` from the app settings, and passes a ``TimerRequest`` whose
``past_due`` says the invocation is later than scheduled. ``run_on_startup`` also fires once
when the host starts. Here a watcher thread compares the host's clock (real or virtual, so the
virtual clock fires timers when it jumps) with each function's next occurrence every
``POLL_SECONDS`` and invokes the function once per due occurrence (occurrences passed over by
a jump are collapsed into one past-due call, as the host does after downtime).

Supported NCRONTAB fields: ``*``, numbers, ranges ``a-b``, lists ``a,b`` and steps ``*/n`` or
``a-b/n``; day-of-week 0-6 with Sunday 0. TimeSpan schedules (``hh:mm:ss``, App Service Plan
only) are not supported: the function stays idle with a warning.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devhost.app_index import FunctionEntry

log = logging.getLogger("devhost.timer")
BINDING_TYPE = "timerTrigger"
POLL_SECONDS = 0.2
_RANGES = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_SETTING = re.compile(r"%([^%]+)%")


def _field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body == "*":
            start, end = low, high
        elif "-" in body:
            start, end = (int(x) for x in body.split("-", 1))
        else:
            start = end = int(body)
            if step_text:
                end = high
        if not (low <= start <= end <= high) or step < 1:
            raise ValueError(f"'{part}' is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    """A parsed six-field NCRONTAB expression."""

    fields: tuple[frozenset[int], ...]

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        parts = expression.split()
        if len(parts) != 6:
            raise ValueError(f"'{expression}' is not a six-field NCRONTAB expression")
        return cls(tuple(_field(p, lo, hi) for p, (lo, hi) in zip(parts, _RANGES, strict=True)))

    def matches(self, moment: dt.datetime) -> bool:
        second, minute, hour, day, month, dow = self.fields
        weekday = (moment.weekday() + 1) % 7  # Python: Monday 0; NCRONTAB: Sunday 0
        return (moment.second in second and moment.minute in minute and moment.hour in hour
                and moment.day in day and moment.month in month and weekday in dow)  # fmt: skip

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first occurrence strictly after ``moment`` (whole seconds)."""
        probe = moment.replace(microsecond=0) + dt.timedelta(seconds=1)
        second, minute, hour, _day, _month, _dow = self.fields
        for _ in range(366 * 24 * 60 + 1):  # at most a year of minutes
            day_ok = self.matches(probe.replace(hour=min(hour), minute=min(minute),
                                                second=min(second)))  # fmt: skip
            if not day_ok:
                probe = (probe + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0)
                continue
            if probe.hour in hour and probe.minute in minute:
                later = [s for s in sorted(second) if s >= probe.second]
                if later:
                    return probe.replace(second=later[0])
            probe = (probe + dt.timedelta(minutes=1)).replace(second=0)
        raise ValueError("no occurrence within a year")


def resolve(expression: str, env: dict[str, str] | None = None) -> str:
    """``%NAME%`` replaced by the app setting, as the host resolves binding expressions."""
    settings = dict(os.environ) if env is None else env

    def setting(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in settings:
            raise ValueError(f"the app setting {name} is not set")
        return settings[name]

    return _SETTING.sub(setting, expression)


class TimerKind:
    """Serves every ``timerTrigger`` function of the app (see the module docstring)."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._due: list[tuple[FunctionEntry, Schedule, dt.datetime]] = []

    def start(self, host: Any, functions: list[FunctionEntry]) -> None:
        now = host.clock.now()
        for entry in functions:
            raw = str(getattr(entry.trigger, "schedule", "") or "")
            try:
                schedule = Schedule.parse(resolve(raw))
            except ValueError as exc:
                log.warning("timer function %s stays idle: %s", entry.name, exc)
                continue
            if getattr(entry.trigger, "run_on_startup", False):
                self._fire(host, entry, past_due=False)
            self._due.append((entry, schedule, schedule.next_after(now)))
        if self._due:
            self._thread = threading.Thread(target=self._watch, args=(host,), daemon=True,
                                            name="devhost-timers")  # fmt: skip
            self._thread.start()

    def _watch(self, host: Any) -> None:
        while not self._stop.wait(POLL_SECONDS):
            now = host.clock.now()
            for i, (entry, schedule, due) in enumerate(self._due):
                if now < due:
                    continue
                following = schedule.next_after(now)
                # Occurrences a clock jump passed over collapse into one past-due call.
                past_due = schedule.next_after(due) <= now
                self._due[i] = (entry, schedule, following)
                self._fire(host, entry, past_due)

    def _fire(self, host: Any, entry: FunctionEntry, past_due: bool) -> None:
        from azure.functions.timer import TimerRequest  # what the worker hands a timer function

        request = TimerRequest(past_due=past_due)
        try:
            host.invoke(entry, {entry.trigger.name: request})
        except Exception:
            log.exception("timer function %s failed", entry.name)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
