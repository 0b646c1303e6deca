"""Replay a golden history on the current code and say where the code no longer matches it.

The real Durable host replays a waiting run's history against the code deployed now, and fails
the run (``NonDeterministicOrchestrationException``) when, at a sequence number recorded by a
``TaskScheduled``, ``SubOrchestrationInstanceCreated`` or ``TimerCreated`` event, the code now
schedules something else (another kind of task, or another activity/orchestrator name), or
nothing. This module does that replay for one recorded instance at a time:

1. the app is indexed as devhost indexes it (:func:`devhost.app_index.load_app`) and the
   instance's orchestrator is called through the **real SDK** with the context the host would
   send for the next episode (:func:`devhost.episode.context_json`, every event marked played);
2. the cumulative actions it returns are numbered against the history by
   :class:`devhost.sequencing.Replay` (the SDK's task semantics: ids depth-first per yield,
   retries, WhenAny/WhenAll, deferred completions);
3. every scheduling event in the history is compared with the action numbered the same: kind
   **and** name. ``devhost.sequencing`` checks kinds only, so the names are compared here. For a
   ``run_step`` sub-orchestration (one activity with retries, how the ledger runs parallel
   calls) the name compared is ``run_step(<activity>)``, read from its input: the host compares
   only ``run_step``, so swapping two parallel calls would pass its check, but each recorded
   child's result would land in the other call's slot.

Beyond what the host checks, the recorded run is also compared at its end, because a deploy
that passes the host's check can still change what a waiting run does next: the replay must
schedule no new work at a point where the recorded run was quiet, must finish exactly when the
recorded run finished, must not raise, and must still wait for the operator event (and the
cancel event) the recorded run's custom status advertises (the operator API raises the
advertised name; a renamed wait would never receive it: event waits take no sequence number,
so the host never notices).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devhost.app_index import AppIndex, load_app
from devhost.episode import EpisodeOutcome, context_json, run_orchestrator
from devhost.history import SCHEDULING_TYPES, EventType
from devhost.sequencing import Leaf, Replay, UnsupportedAction, Waiter
from shared import names

GOLDEN = Path(__file__).resolve().parent
REPO = GOLDEN.parents[1]
FINISHED = {"Completed": True, "Failed": True, "Terminated": True, "Running": False}

# The long waits every procedure version must have goldens of, and how a recorded run shows
# each in its custom status (the operator event's kind, or the build's child wait).
LONG_WAITS = ("build", "approval", "private_ip", "stalled", "held_failure")
WAIT_OF_EVENT = {
    names.EVENT_APPROVAL: "approval",
    names.EVENT_PRIVATE_IP: "private_ip",
    names.EVENT_STALLED_DECISION: "stalled",
    names.EVENT_FAILED_DECISION: "held_failure",
}


@dataclass(frozen=True)
class Problem:
    """One place where the code no longer does what the recorded run did."""

    file: str
    instance: str
    where: str  # "sequence id 7", "the end of the history", "the event waits"
    history: str  # what the history records
    code: str  # what the code does now ("schedules activity 'x'", "raises ...")

    def __str__(self) -> str:
        return (
            f"{self.file}: instance {self.instance}, {self.where}: history has {self.history}; "
            f"the code now {self.code}"
        )


@dataclass
class InstanceReplay:
    """The replay of one recorded instance."""

    instance_id: str
    name: str
    outcome: EpisodeOutcome
    leaves: dict[int, Leaf] = field(default_factory=dict)
    open_events: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --- the golden files ---------------------------------------------------------------------------


def golden_files(root: Path = GOLDEN) -> list[Path]:
    """Every golden file, ``v<version>/<scenario>.json``, in a stable order."""
    return sorted(root.glob("v*/*.json"))


def version_of(path: Path) -> str:
    return path.parent.name.removeprefix("v")


def label(path: Path) -> str:
    return str(path.relative_to(GOLDEN.parents[1]))


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


def kind_of_event(event: str) -> str:
    """``approval-2`` -> ``approval`` (each operator wait listens under ``<kind>-<n>``)."""
    kind, _, number = event.rpartition("-")
    return kind if kind and number.isdigit() else event


def waits_recorded(doc: dict[str, Any]) -> set[str]:
    """The long wait the file's saga was captured in (empty when it was captured elsewhere)."""
    custom = doc["instances"][0].get("customStatus") or {}
    if doc["instances"][0].get("runtimeStatus") != "Running":
        return set()
    event = custom.get("operatorEvent")
    if event:
        wait = WAIT_OF_EVENT.get(kind_of_event(str(event)))
        return {wait} if wait else set()
    if custom.get("step") == "wait" and custom.get("cancellable"):
        return {"build"}
    return set()


def coverage_gaps(versions: list[str], root: Path = GOLDEN) -> dict[str, list[str]]:
    """For each version, the long waits no golden file of that version was captured in."""
    covered: dict[str, set[str]] = {version: set() for version in versions}
    for path in golden_files(root):
        if version_of(path) in covered:
            covered[version_of(path)] |= waits_recorded(load(path))
    gaps = {v: [w for w in LONG_WAITS if w not in seen] for v, seen in covered.items()}
    return {v: missing for v, missing in gaps.items() if missing}


# --- replay -------------------------------------------------------------------------------------


@functools.cache
def app() -> AppIndex:
    """The Functions app indexed once, as devhost indexes it."""
    return load_app("function_app", REPO)


def replay_file(path: Path) -> list[InstanceReplay]:
    """Replay every instance of a golden file on the current code."""
    doc = load(path)
    return [replay_instance(label(path), instance) for instance in doc["instances"]]


def problems_in(path: Path) -> list[Problem]:
    return [p for replayed in replay_file(path) for p in replayed.problems]


def replay_instance(file: str, instance: dict[str, Any]) -> InstanceReplay:
    """Run the instance's orchestrator over its whole recorded history and compare."""
    instance_id, name = str(instance["instanceId"]), str(instance["name"])
    history = [{**event, "IsPlayed": True} for event in instance["history"]]
    replayed = InstanceReplay(instance_id, name, EpisodeOutcome())

    def problem(where: str, recorded: str, now: str) -> None:
        replayed.problems.append(Problem(file, instance_id, where, recorded, now))

    entry = app().orchestrators.get(name)
    if entry is None:
        problem("its start", f"orchestrator {name!r}", "has no orchestrator of that name")
        return replayed
    context = context_json(
        instance_id=instance_id,
        history=history,
        raw_input=history[1].get("Input"),
        parent_instance_id=instance.get("parentInstanceId"),
    )
    replayed.outcome = outcome = run_orchestrator(entry, context)
    numbering = Replay(outcome.actions)
    try:
        result = numbering.run(history)
    except UnsupportedAction as exc:
        problem("its actions", "actions devhost runs", f"schedules what devhost cannot: {exc}")
        return replayed
    replayed.leaves = result.leaves
    replayed.open_events = sorted(
        waiter.name
        for waiters in numbering.waiters.values()
        for waiter in waiters
        if isinstance(waiter, Waiter) and not waiter.done
    )

    for event in history:
        kind = int(event["EventType"])
        if kind not in SCHEDULING_TYPES:
            continue
        seq = int(event["EventId"])
        leaf = result.leaves.get(seq)
        recorded = describe_event(event)
        if leaf is None:
            problem(f"sequence id {seq}", recorded, "schedules nothing at this sequence id")
        elif describe_leaf(leaf) != recorded:
            problem(f"sequence id {seq}", recorded, f"schedules {describe_leaf(leaf)}")
    for leaf in result.new_leaves:
        problem(
            f"sequence id {leaf.id}",
            "nothing more (the recorded run was waiting here)",
            f"schedules {describe_leaf(leaf)} at once",
        )

    recorded_status = str(instance.get("runtimeStatus"))
    finished = FINISHED.get(recorded_status)
    if outcome.error is not None and recorded_status != "Failed":
        problem("the end of the history", f"a {recorded_status} run",
                f"raises {outcome.error.splitlines()[0][:300]}")  # fmt: skip
    elif finished is not None and outcome.is_done != finished:
        problem("the end of the history",
                "a finished run" if finished else "a run still waiting",
                "finishes it" if outcome.is_done else "does not finish it (it would wait)")  # fmt: skip

    if recorded_status == "Running":
        custom = instance.get("customStatus") or {}
        advertised = [custom["operatorEvent"]] if custom.get("operatorEvent") else []
        if custom.get("cancellable"):
            advertised.append(names.EVENT_CANCEL)
        for event_name in advertised:
            if event_name not in replayed.open_events:
                problem("the event waits", f"a wait for event {event_name!r} (its custom status "
                        "names it, so the operator API raises that name)",
                        f"has no such wait (it waits for {replayed.open_events or 'no event'})")  # fmt: skip
    return replayed


# --- what is scheduled, in words ----------------------------------------------------------------


def _run_step_activity(input_text: Any) -> str | None:
    try:
        value = json.loads(input_text) if isinstance(input_text, str) else input_text
    except ValueError:
        return None
    if isinstance(value, str):  # one more JSON hop, as a client start takes
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return str(value.get("activity")) if isinstance(value, dict) else None


def _orchestrator(name: str, input_text: Any) -> str:
    if name == names.RUN_STEP:
        return f"sub-orchestration {name!r} running activity {_run_step_activity(input_text)!r}"
    return f"sub-orchestration {name!r}"


def describe_event(event: dict[str, Any]) -> str:
    kind = EventType(int(event["EventType"]))
    if kind == EventType.TASK_SCHEDULED:
        return f"activity {event.get('Name')!r}"
    if kind == EventType.SUB_ORCHESTRATION_CREATED:
        return _orchestrator(str(event.get("Name")), event.get("Input"))
    return "a timer"


def describe_leaf(leaf: Leaf) -> str:
    if leaf.kind == "activity":
        return f"activity {leaf.action.get('functionName')!r}"
    if leaf.kind == "suborch":
        return _orchestrator(str(leaf.action.get("functionName")), leaf.action.get("input"))
    return "a timer"
