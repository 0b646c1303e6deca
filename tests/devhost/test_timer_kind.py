"""devhost's timerTrigger kind (issue 15): NCRONTAB schedules on the host's clock, %SETTING%
schedules, one past-due call for occurrences a clock jump passed over."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from devhost import DevHost
from devhost.timer_kind import Schedule, resolve
from tests.devhost.apps import timer_app
from tests.devhost.conftest import REPO

pytestmark = pytest.mark.timeout(60)
T0 = dt.datetime(2026, 1, 3, 10, 0, 0, tzinfo=dt.UTC)  # a Saturday


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 0 3 * * *", T0, dt.datetime(2026, 1, 4, 3, 0, 0, tzinfo=dt.UTC)),
        ("0 */5 * * * *", T0.replace(minute=2, second=7), T0.replace(minute=5)),
        ("30 0 9 * * 1-5", T0, dt.datetime(2026, 1, 5, 9, 0, 30, tzinfo=dt.UTC)),
        ("0 0 0 1 1 *", T0, dt.datetime(2027, 1, 1, tzinfo=dt.UTC)),
        ("*/20 * * * * *", T0, T0.replace(second=20)),
    ],
)
def test_next_occurrence_follows_ncrontab(expression, after, expected):
    assert Schedule.parse(expression).next_after(after) == expected


def test_bad_schedules_and_settings_are_refused():
    for bad in ("0 0 3 * *", "61 * * * * *", "00:05:00"):
        with pytest.raises(ValueError):
            Schedule.parse(bad)
    assert resolve("%S%", {"S": "0 0 3 * * *"}) == "0 0 3 * * *"
    with pytest.raises(ValueError):
        resolve("%MISSING%", {})


def _until(predicate, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_timer_functions_fire_on_the_virtual_clock(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TIMER_APP_SCHEDULE", "0 */5 * * * *")
    timer_app.FIRED.clear()
    app = "tests.devhost.apps.timer_app"
    with DevHost(app, app_dir=REPO, db=tmp_path / "t.sqlite", clock="virtual") as host:
        start = host.clock.now()
        time.sleep(0.5)
        assert timer_app.FIRED == []  # nothing before its time
        due = Schedule.parse("0 */5 * * * *").next_after(start)
        host.clock.jump_to(due)
        _until(lambda: timer_app.FIRED == [False])
        host.clock.jump_to(due + dt.timedelta(minutes=31))  # six occurrences passed over
        _until(lambda: len(timer_app.FIRED) == 2)
        time.sleep(0.5)
        assert timer_app.FIRED == [False, True]
