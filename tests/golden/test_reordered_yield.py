"""The golden replay catches a reordered yield, and a version bump is what makes the change safe.

The procedure is not copied here: the variants wrap the real ``onboard_v1`` and change only the
order in which two calls are scheduled (or one activity's or operator event's name), so these
tests keep proving the point whatever else the procedure does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from devhost.sequencing import replay
from orchestrators import saga
from shared import activity_table as acts
from shared import names
from tests.golden.replay import (
    LONG_WAITS,
    coverage_gaps,
    golden_files,
    load,
    problems_in,
    replay_file,
    version_of,
)

V1 = [path for path in golden_files() if version_of(path) == "1.0"]
# One golden per long wait that gets past the workspace ∥ NSG group (the approval gate comes
# before it: a run waiting for approval has made nothing, so this swap cannot break it).
PAST_THE_FIRST_GROUP = {
    "mid_build_injection",
    "waiting_private_ip",
    "waiting_stalled_build",
    "held_failure",
}


def first_pair_swapped(procedure: saga.Procedure) -> saga.Procedure:
    """``procedure``, except that the first two calls it runs side by side are scheduled the
    other way round (the NSG before the workspace). Their outputs are handed back in the original
    positions, so for a new run nothing changes but the order of two yields."""

    def variant(L: Any, run: Any, policy: Any) -> Generator[Any, Any, Any]:
        original: Callable[..., Generator[Any, Any, list[Any]]] = L.all
        done = False

        def swapped(*calls: Any) -> Generator[Any, Any, list[Any]]:
            nonlocal done
            real = [n for n, call in enumerate(calls) if call is not None]
            if done or len(real) < 2:
                return (yield from original(*calls))
            done = True
            i, j = real[:2]
            order = list(calls)
            order[i], order[j] = order[j], order[i]
            outputs = yield from original(*order)
            outputs[i], outputs[j] = outputs[j], outputs[i]
            return outputs

        L.all = swapped
        return (yield from procedure(L, run, policy))

    return variant


def test_a_reordered_yield_without_a_version_bump_fails_the_golden_replay(monkeypatch):
    """This is the proof that the golden replay test fails without a version bump.

    Swapping two calls of version 1.0 (the NSG scheduled before the workspace) and shipping it
    as 1.0 makes every recorded 1.0 run that got past them fail the replay, at the sequence
    number of the first swapped call, naming the file, the instance, what history has and what
    the code now schedules: exactly what tests/golden/test_golden_replay.py would report.
    """
    monkeypatch.setitem(saga.PROCEDURES, "1.0", first_pair_swapped(saga.onboard_v1))
    problems = {path.stem: problems_in(path) for path in V1}
    assert {name for name, found in problems.items() if found} >= PAST_THE_FIRST_GROUP

    first = problems["mid_build_injection"][0]
    assert first.file == "tests/golden/v1.0/mid_build_injection.json"
    assert ":" not in first.instance  # the saga itself, not a child
    assert first.where.startswith("sequence id ")
    assert "'run_step' running activity 'create_workspace'" in first.history
    assert "'run_step' running activity 'ensure_nsg'" in first.code
    assert str(first).startswith(f"{first.file}: instance {first.instance}, sequence id ")


def test_the_same_change_as_a_new_version_leaves_runs_in_flight_replaying_as_before(monkeypatch):
    """Registered as a new version (1.1) the same variant changes nothing for 1.0 runs: they
    replay on ``onboard_v1`` (their ``ExecutionStarted.Version``). And 1.1 cannot ship without
    goldens of its own long waits."""
    before = {path.stem: [str(p) for p in problems_in(path)] for path in V1}
    monkeypatch.setitem(saga.PROCEDURES, "1.1", first_pair_swapped(saga.onboard_v1))
    after = {path.stem: [str(p) for p in problems_in(path)] for path in V1}
    assert after == before  # clean on a tree whose 1.0 goldens replay (the other test's job)
    assert coverage_gaps(sorted(saga.PROCEDURES)) == {"1.1": list(LONG_WAITS)}


def kind_mismatches(path: Path) -> list[str]:
    """What devhost.sequencing alone (kinds only) finds in the saga's replay."""
    history = [{**e, "IsPlayed": True} for e in load(path)["instances"][0]["history"]]
    return replay(history, replay_file(path)[0].outcome.actions).mismatches


def test_a_renamed_activity_is_caught_by_its_name_where_the_kinds_still_agree(monkeypatch):
    """Same kind (an activity) at the same sequence number, another name: the host fails the
    run; devhost.sequencing, which compares kinds only, would not notice."""
    before = {path: ([str(p) for p in problems_in(path)], kind_mismatches(path)) for path in V1}
    renamed = dataclasses.replace(acts.PREFLIGHT, name="preflight_checks")
    monkeypatch.setattr(acts, "PREFLIGHT", renamed)
    for path in V1:
        problems, kinds = before[path]
        new = [p for p in problems_in(path) if str(p) not in problems]
        assert [(p.history, p.code) for p in new] == [
            ("activity 'preflight'", "schedules activity 'preflight_checks'")
        ], path
        assert kind_mismatches(path) == kinds, path


def test_a_renamed_operator_event_is_caught_although_it_takes_no_sequence_number(monkeypatch):
    """Event waits take no sequence number, so the host replays a renamed wait without a word;
    but the waiting run advertises the old name (its custom status), the operator API raises
    that name, and the renamed wait would never receive it. The replay compares the waits."""
    monkeypatch.setattr(names, "EVENT_APPROVAL", "approve")
    flagged = {path.stem: problems_in(path) for path in V1}
    found = [p for p in flagged["waiting_approval"] if p.where == "the event waits"]
    assert len(found) == 1 and "'approval-1'" in found[0].history, found
    assert "approve-1" in found[0].code
