"""Orchestration versioning: host.json starts new runs on the newest procedure the code carries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrators.saga import FIRST_VERSION, PROCEDURES
from shared import activity_table as acts
from tests.unit.fake_azure import driver, fake_world, request

HOST_JSON = Path(__file__).resolve().parents[2] / "host.json"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _durable() -> dict:
    return json.loads(HOST_JSON.read_text())["extensions"]["durableTask"]


def test_host_json_starts_new_runs_on_the_newest_procedure():
    assert _durable()["defaultVersion"] == max(PROCEDURES, key=_key)


def test_a_worker_runs_older_runs_and_leaves_newer_ones_queued():
    # CurrentOrOlder + Reject: after a rollback, a run started by a newer build waits for it
    # instead of failing on code that does not know its version.
    durable = _durable()
    assert (durable["versionMatchStrategy"], durable["versionFailureStrategy"]) == (
        "CurrentOrOlder", "Reject",
    )  # fmt: skip


def test_runs_started_before_versioning_replay_on_the_first_procedure():
    assert FIRST_VERSION in PROCEDURES


def test_every_child_runs_on_the_parents_version():
    world = fake_world()
    drv = driver(world)
    seen: list[str | None] = []
    original = drv.run

    def spy(name, input_, instance_id="onboard-chg1", version=None):
        seen.append(version)
        return original(name, input_, instance_id, version)

    drv.run = spy  # type: ignore[method-assign]
    result = drv.run("onboarding_saga", {"request": request("injection"), "policy": {}},
                     version="1.0")  # fmt: skip
    assert result["outcome"] == "Succeeded"
    assert len(seen) > 3 and set(seen) == {"1.0"}


def test_an_unknown_version_is_refused_with_a_message_naming_it():
    world = fake_world()
    with pytest.raises(RuntimeError, match=r"no saga version '9\.9'"):
        driver(world).run("onboarding_saga", {"request": request("none"), "policy": {}},
                          version="9.9")  # fmt: skip
    assert acts.PREFLIGHT.name not in world.called()
