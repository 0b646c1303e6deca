"""Every recorded run replays on the current code as the Durable host would replay it after a deploy.

Runs wait hours for a gateway build or an operator, so every deploy lands while runs are in
flight; the host then replays each run's history on the new code and fails the run when the
code schedules something else at a recorded sequence number. These tests replay the golden
histories (tests/golden/v<version>/*.json, recorded by ``python -m tests.golden.record``) of
every version the code carries, and check that each version has goldens of every long wait.
See tests/golden/replay.py for what is compared.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrators.saga import FIRST_VERSION, PROCEDURES
from tests.golden.replay import (
    LONG_WAITS,
    coverage_gaps,
    golden_files,
    label,
    load,
    problems_in,
    version_of,
)

FILES = golden_files()
HOW_TO_FIX = (
    "A run waiting in this state when this code is deployed would fail or behave differently. "
    "Leave the procedure of that version as it was and ship the change as a new version "
    "(docs/operations.md: 'How to ship a new version'; tests/golden/README.md)."
)


def test_there_are_goldens():
    assert FILES, "no golden files: record them with .venv/bin/python -m tests.golden.record"


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_recorded_run_replays_on_the_current_code(path: Path):
    problems = problems_in(path)
    assert not problems, "\n".join([*map(str, problems), HOW_TO_FIX])


def test_every_golden_version_is_a_procedure_the_code_carries():
    unknown = sorted({version_of(p) for p in FILES} - set(PROCEDURES))
    assert not unknown, (
        f"goldens of version(s) {unknown} but orchestrators.saga.PROCEDURES has only "
        f"{sorted(PROCEDURES)}: a run of such a version still in flight could not replay. "
        "Remove a version's goldens only together with its procedure, once no run of it is left."
    )


def test_every_version_has_goldens_of_every_long_wait():
    gaps = coverage_gaps(sorted(PROCEDURES))
    assert not gaps, (
        f"no golden captured in these long waits: {gaps} (each version needs all of "
        f"{list(LONG_WAITS)}); record them: .venv/bin/python -m tests.golden.record"
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_instance_of_a_golden_replays_on_the_version_of_its_directory(path: Path):
    # The directory says which procedure the file guards; the histories must agree with it
    # (a run without a version replays on FIRST_VERSION, as the saga does).
    doc = load(path)
    assert doc["version"] == version_of(path), label(path)
    for instance in doc["instances"]:
        started = instance["history"][1]
        assert started["EventType"] == 0, (label(path), instance["instanceId"])
        assert (started.get("Version") or FIRST_VERSION) == version_of(path), (
            label(path),
            instance["instanceId"],
            started.get("Version"),
        )
