"""Every race with an operator event can be released by the code, as the real host needs.

The real host awaits each ``task_any`` the SDK yields with .NET semantics
(/work/shared/reference/durable-host-semantics.md rows 1-3): each event wait it reaches is a
waiter of its own and an event goes to the oldest pending waiter of its name, so a race whose
event waiter is not the oldest stays blocked in the host although the SDK saw it won. The code
releases it by cancelling a timer in the race (a cancelled timer's task ends at once). Since
version 3.0 every race with an event holds such a timer; 1.0 and 2.0 keep their yields (the
build's race with ``cancel`` had none: tests/e2e/test_real_host_waits.py shows the hours it cost).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shared import names
from tests.unit import orchestration_driver
from tests.unit.fake_azure import driver, fake_world, request
from tests.unit.orchestration_driver import FakeContext, Task

RACES: list[Task] = []


class _RecordingContext(FakeContext):
    def task_any(self, tasks: list[Task]) -> Task:
        race = super().task_any(tasks)
        RACES.append(race)
        return race


@pytest.fixture
def races(monkeypatch: pytest.MonkeyPatch) -> list[Task]:
    RACES.clear()
    monkeypatch.setattr(orchestration_driver, "FakeContext", _RecordingContext)
    return RACES


def _run(version: str, **policy: Any) -> dict[str, Any]:
    world = fake_world(vip=None)  # every wait: approval, build, private IP
    world.raise_event(names.EVENT_APPROVAL, dt.timedelta(hours=4), {"approved": True})
    world.raise_event(names.EVENT_PRIVATE_IP, dt.timedelta(hours=9), {"ip": "10.20.1.9"})
    body = {"request": request("injection"), "policy": {"requireApproval": True, **policy}}
    return driver(world).run(names.SAGA, body, version=version)


def _kinds(race: Task) -> list[str]:
    return [child.kind for child in race.children]


def test_since_3_0_every_race_with_an_event_holds_a_timer(races: list[Task]) -> None:
    assert _run("3.0")["outcome"] == "Succeeded"
    with_events = [race for race in races if "event" in _kinds(race)]
    assert any("sub" in _kinds(race) for race in with_events)  # the build's race is among them
    assert all("timer" in _kinds(race) for race in with_events), [_kinds(r) for r in with_events]


def test_the_build_race_cancels_its_watch_when_the_child_wins(races: list[Task]) -> None:
    assert _run("3.0")["outcome"] == "Succeeded"
    build = next(race for race in races if "sub" in _kinds(race))
    watch = next(child for child in build.children if child.kind == "timer")
    assert watch.cancelled


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_older_versions_keep_the_build_race_they_recorded(races: list[Task], version: str) -> None:
    assert _run(version)["outcome"] == "Succeeded"
    build = next(race for race in races if "sub" in _kinds(race))
    assert _kinds(build) == ["sub", "event"]
