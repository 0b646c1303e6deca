"""Record the golden histories: real runs of the app on the local stack, stopped in each long wait.

    .venv/bin/python -m tests.golden.record                     # every scenario
    .venv/bin/python -m tests.golden.record waiting_approval     # some of them
    .venv/bin/python -m tests.golden.record --list

Each scenario starts its own :class:`cli.stack.LocalStack` (the ARM simulator and devhost running
``function_app``, virtual clock, fresh state, devhost's sequencing cross-check on), submits a
sample request (cli/samples/) over the app's HTTP API, drives the run with devhost's stepping
(the clock is held and jumps timer by timer only while the host is idle) to the point the
scenario names, and writes ``tests/golden/v<version>/<scenario>.json``. For the saga instance and
each of its children (``<run>:<n>``; a continued-as-new gateway waiter with its current
execution) the file holds the orchestrator name, the input, the version, the runtime and custom
status, and the history exactly as devhost stores it. ``<version>`` is the procedure the run
replays on: the saga's ``ExecutionStarted.Version``, or ``FIRST_VERSION`` when that is empty.

tests/golden/test_golden_replay.py replays every file on the current code.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cli.api_client import call
from cli.samples import load_sample
from cli.stack import LocalStack, StackOptions
from devhost.clock import VirtualClock
from devhost.history import EventType
from devhost.stepping import advance_until, is_idle
from orchestrators.saga import FIRST_VERSION
from shared import names
from triggers.auth import OPERATOR, REQUESTER

GOLDEN = Path(__file__).resolve().parent
RECORDED_FROM = "GOLDEN_RECORDED_FROM"
# The code a recording runs (a change elsewhere does not change the runs).
RECORDED_CODE = ("orchestrators", "shared", "activities", "triggers", "function_app.py",
                 "host.json", "devhost", "simulator", "cli")  # fmt: skip
FAR_TIMEOUT_S = 120.0


def decode(raw: str | None) -> Any:
    """A stored JSON text as a value; the host's double encoding (a JSON string of JSON) undone."""
    if raw is None:
        return None
    value = json.loads(raw)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class Run:
    """One run on a started stack, and the reads and actions the scenarios need."""

    def __init__(self, stack: LocalStack, body: dict[str, Any]) -> None:
        assert stack.host is not None
        self.stack = stack
        self.host = stack.host
        reply = call("POST", f"{stack.api_url}/onboardings", role=REQUESTER, body=body)
        if reply.status != 202:
            raise RuntimeError(f"the request was refused: {reply.status} {reply.body}")
        self.id = str(reply.body["id"])

    # -- reads ------------------------------------------------------------------------------
    def instances(self) -> list[Any]:
        """The saga's instance row first, then its children in the order they were created."""
        with self.host.store.tx() as tx:
            rows = [
                row
                for row in tx.query_instances(prefix=self.id)
                if row.instance_id == self.id or row.instance_id.startswith(self.id + ":")
            ]

        def order(row: Any) -> tuple[int, ...]:
            _, _, tail = row.instance_id.partition(":")
            return tuple(int(part) for part in tail.split(":")) if tail else ()

        return sorted(rows, key=order)

    def history(self, instance_id: str) -> list[dict[str, Any]]:
        with self.host.store.tx() as tx:
            return tx.history(instance_id)

    def custom(self, instance_id: str | None = None) -> dict[str, Any]:
        with self.host.store.tx() as tx:
            row = tx.instance(instance_id or self.id)
        return (decode(row.custom_status) if row and row.custom_status else None) or {}

    def status(self) -> str:
        with self.host.store.tx() as tx:
            row = tx.instance(self.id)
        return row.status if row else "missing"

    def idle(self) -> bool:
        return is_idle(self.host)

    def waits_on(self, kind: str) -> bool:
        """Quiet, waiting for an operator event of ``kind`` (reminder published, wait armed).

        Each wait listens under its own name ``<kind>-<n>`` (its custom status says which).
        """
        event = str(self.custom().get("operatorEvent") or "")
        base, _, number = event.rpartition("-")
        return (base if base and number.isdigit() else event) == kind and self.idle()

    def child(self, orchestrator: str) -> Any | None:
        found = [row for row in self.instances()[1:] if row.name == orchestrator]
        return found[-1] if found else None

    def fired_timers(self) -> int:
        return sum(1 for e in self.history(self.id) if e["EventType"] == EventType.TIMER_FIRED)

    # -- actions ----------------------------------------------------------------------------
    def until(self, condition: Callable[[], bool]) -> None:
        advance_until(self.host, condition, timeout=FAR_TIMEOUT_S)

    def operator(self, action: str, body: dict[str, Any]) -> None:
        reply = call("POST", f"{self.stack.api_url}/onboardings/{self.id}/{action}",
                     role=OPERATOR, body=body)  # fmt: skip
        if reply.status != 202:
            raise RuntimeError(f"{action} refused: {reply.status} {reply.body}")

    def outcome(self) -> str | None:
        with self.host.store.tx() as tx:
            row = tx.instance(self.id)
        return (decode(row.output) or {}).get("outcome") if row and row.output else None


# --- the scenarios ------------------------------------------------------------------------------


def mid_build(run: Run) -> None:
    # The waiter continues as new every 20 polls; stop in its second execution, two polls in,
    # sleeping on the timer to the next poll.
    def between_polls() -> bool:
        waiter = run.child(names.GATEWAY_WAITER)
        polls = run.custom(waiter.instance_id).get("polls", 0) if waiter else 0
        return polls >= 22 and run.idle()

    run.until(between_polls)


def finished(expected: str) -> Callable[[Run], None]:
    def drive(run: Run) -> None:
        run.until(lambda: run.status() == "Completed" and run.idle())
        if run.outcome() != expected:
            raise RuntimeError(f"the run ended {run.outcome()}, not {expected}")

    return drive


def approval_after_a_reminder(run: Run) -> None:
    run.until(lambda: run.waits_on(names.EVENT_APPROVAL) and run.fired_timers() >= 1)


def waits_on(event: str) -> Callable[[Run], None]:
    def drive(run: Run) -> None:
        run.until(lambda: run.waits_on(event))

    return drive


def compensating(run: Run) -> None:
    run.until(lambda: "gateway build" in str(run.custom().get("waitingFor")) and run.idle())
    run.operator("terminate", {"reason": "wrong VNet (golden recording)", "compensate": True})
    # The gateway's DELETE answers 503 once: the undo waits on a retry timer, the run is quiet.
    run.until(lambda: run.custom().get("step") == "compensate" and run.idle())
    if "delete_gateway" not in str(run.custom().get("waitingFor")):
        raise RuntimeError(f"stopped elsewhere than the gateway undo: {run.custom()}")


NSG_WRITE_DENIED = {
    "method": "PUT",
    "path": "*/networkSecurityGroups/*",
    "status": 403,
    "code": "AuthorizationFailed",
    "message": "The client 'onboarding-app' does not have authorization to perform action "
    "'Microsoft.Network/networkSecurityGroups/write' over scope "
    "'/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups/rg-network'",
    "count": 1,
}
GATEWAY_DELETE_UNAVAILABLE = {
    "method": "DELETE",
    "path": "*/gateways/gw-payments",
    "status": 503,
    "code": "ServiceUnavailable",
    "count": 1,
}


@dataclass(frozen=True)
class Scenario:
    """A run to record: request, settings, faults, and where to stop it."""

    name: str
    description: str
    sample: str
    drive: Callable[[Run], None]
    settings: dict[str, str] = field(default_factory=dict)
    faults: tuple[dict[str, Any], ...] = ()
    gateway_exposes_private_ip: bool = True
    # Top-level fields of the sample replaced, to keep a history short enough to review.
    changes: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def sample_changes(self) -> dict[str, Any]:
        return self.changes(load_sample(self.sample)) if self.changes else {}

    def body(self) -> dict[str, Any]:
        return load_sample(self.sample, **self.sample_changes())


SCENARIOS = (
    Scenario(
        "mid_build_injection",
        "VNet injection, own gateway: waiting for the 3-hour build; the gateway waiter has "
        "continued as new once (20 polls) and sleeps between polls 22 and 23.",
        "injection",
        mid_build,
    ),
    Scenario(
        "succeeded_integration_shared",
        "VNet integration joining the existing shared gateway: no build to wait for (no network, "
        "wait or DNS step); recorded finished, Succeeded.",
        "integration-shared",
        finished("Succeeded"),
    ),
    Scenario(
        "waiting_approval",
        "POLICY_REQUIRE_APPROVAL on: waiting for the approval event after one reminder (the "
        "24-hour reminder timer fired, the wait re-armed with the same event waiter).",
        "injection",
        approval_after_a_reminder,
        settings={"POLICY_REQUIRE_APPROVAL": "true"},
    ),
    Scenario(
        "waiting_private_ip",
        "The gateway built but ARM shows no private IP (as real ARM): waiting for an operator "
        "to supply it before the DNS step.",
        "injection",
        waits_on(names.EVENT_PRIVATE_IP),
        gateway_exposes_private_ip=False,
    ),
    Scenario(
        "waiting_stalled_build",
        "POLICY_BUILD_DEADLINE_HOURS 0.25 against a 3-hour build: after 4 polls the waiter "
        "reported the build stalled; waiting for an operator's keepWaiting/abort decision.",
        "injection",
        waits_on(names.EVENT_STALLED_DECISION),
        settings={"POLICY_BUILD_DEADLINE_HOURS": "0.25"},
    ),
    Scenario(
        "held_failure",
        "POLICY_FAILED_STEP_HOLD_HOURS 24 and the NSG PUT denied (403 AuthorizationFailed, "
        "permanent): the workspace was created beside it and kept; the network step is held "
        "for an operator's retry/compensate decision.",
        "injection",
        waits_on(names.EVENT_FAILED_DECISION),
        settings={"POLICY_FAILED_STEP_HOLD_HOURS": "24"},
        faults=(NSG_WRITE_DENIED,),
    ),
    Scenario(
        "compensated_access_failure",
        "The demo's third sample (its first access grant only, to keep the history short): "
        "the role assignment for a principal the directory does not know fails after the "
        "replication retries; everything made is undone. Recorded finished, Compensated.",
        "failing-access",
        finished("Compensated"),
        changes=lambda body: {"access": body["access"][:1]},
    ),
    Scenario(
        "compensating",
        "Terminate with compensation during the gateway build; the gateway's DELETE answers "
        "503 once, so the run is captured mid-compensation, its undo waiting on a retry timer. "
        "The abandoned gateway waiter sleeps between polls.",
        "injection",
        compensating,
        faults=(GATEWAY_DELETE_UNAVAILABLE,),
        # azure-core's retries (on by default since the stack keeps deployed settings) would
        # absorb the one 503 inside the activity: the undo must see it to wait on a timer.
        settings={"ARM_RETRY_TOTAL": "0"},
    ),
)


# --- recording ----------------------------------------------------------------------------------


def snapshot(run: Run, scenario: Scenario) -> dict[str, Any]:
    """The golden document of a run as it stands now."""
    instances = []
    for row in run.instances():
        history = run.history(row.instance_id)
        started = next(e for e in history if e["EventType"] == EventType.EXECUTION_STARTED)
        parent = row.parent_info or {}
        instances.append(
            {
                "instanceId": row.instance_id,
                "name": row.name,
                "version": started.get("Version"),
                "parentInstanceId": parent.get("OrchestrationInstance", {}).get("InstanceId"),
                "runtimeStatus": row.status,
                "input": decode(row.input),
                "customStatus": decode(row.custom_status),
                "history": history,
            }
        )
    saga_version = instances[0]["version"] or FIRST_VERSION
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "version": saga_version,
        "runId": run.id,
        "recordedFrom": recorded_from(),
        "recordedWith": {
            "sample": scenario.sample,
            "sampleChanges": scenario.sample_changes(),
            "settings": scenario.settings,
            "faults": list(scenario.faults),
            "gatewayExposesPrivateIp": scenario.gateway_exposes_private_ip,
        },
        "instances": instances,
    }


def recorded_from() -> str:
    """The commit whose code ran the recording (``--ref`` passes it down to the export)."""
    ref = os.environ.get(RECORDED_FROM)
    if ref:
        return ref
    repo = GOLDEN.parents[1]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                          text=True, check=False).stdout.strip() or "unknown"  # fmt: skip
    dirty = subprocess.run(["git", "status", "--porcelain", "--", *RECORDED_CODE], cwd=repo,
                           capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    return f"{head} with uncommitted changes" if dirty else head


def record(scenario: Scenario, out: Path = GOLDEN, *, replace: bool = False) -> Path:
    """Run one scenario on a fresh stack and write its golden file; the file's path.

    An existing file is kept unless ``replace``: the goldens of a version stand for runs
    already in flight, so they are not re-recorded from code that may have changed since.
    """
    with tempfile.TemporaryDirectory(prefix=f"golden-{scenario.name}-") as tmp:
        options = StackOptions(state_dir=Path(tmp), port=0, clock="virtual",
                               check_sequencing=True, settings=dict(scenario.settings))  # fmt: skip
        with LocalStack(options) as stack:
            assert stack.sim is not None and stack.host is not None
            timings = stack.sim.simulation.timings
            timings.gateway_exposes_private_ip = scenario.gateway_exposes_private_ip
            for rule in scenario.faults:
                stack.sim.simulation.faults.add(dict(rule))
            clock = stack.host.clock
            assert isinstance(clock, VirtualClock)
            with clock.hold():  # the clock moves only when a scenario steps it
                run = Run(stack, scenario.body())
                scenario.drive(run)
                doc = snapshot(run, scenario)
            mismatches = stack.host.engine.stats.sequence_mismatches
            if mismatches:
                raise RuntimeError(f"devhost's sequencing disagreed with the SDK: {mismatches}")
    path = out / f"v{doc['version']}" / f"{scenario.name}.json"
    if path.exists() and not replace:
        raise FileExistsError(
            f"{path} exists: the goldens of a version are recorded once, from the code that "
            "started those runs. To refresh them, record from that code: --ref <commit> "
            "--replace (tests/golden/README.md)."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(doc))
    return path


def dump(doc: dict[str, Any]) -> str:
    """Stable text: the document's own key order at the top (scenario first, histories last),
    sorted keys below, one history event per line, indented, a trailing newline."""
    events: list[str] = []

    def one_line(event: dict[str, Any]) -> str:
        events.append(json.dumps(event, sort_keys=True, ensure_ascii=False))
        return f"@@golden-event-{len(events) - 1}@@"

    def instance(item: dict[str, Any]) -> dict[str, Any]:
        return {key: [one_line(e) for e in value] if key == "history" else _sorted(value)
                for key, value in item.items()}  # fmt: skip

    top = {key: [instance(i) for i in value] if key == "instances" else _sorted(value)
           for key, value in doc.items()}  # fmt: skip
    text = json.dumps(top, indent=1, ensure_ascii=False)
    for number, line in enumerate(events):
        text = text.replace(f'"@@golden-event-{number}@@"', line, 1)
    return text + "\n"


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def record_at(ref: str, scenarios: list[str], out: Path, replace: bool) -> int:
    """Record from the code of a commit: export it, add this recorder, run it there."""
    repo = GOLDEN.parents[1]
    with tempfile.TemporaryDirectory(prefix="golden-ref-") as tmp:
        archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=repo,
                                 capture_output=True, check=True).stdout  # fmt: skip
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        here = Path(tmp) / "tests" / "golden"
        here.mkdir(parents=True, exist_ok=True)
        for name in ("__init__.py", "record.py"):
            shutil.copy(GOLDEN / name, here / name)
        argv = [sys.executable, "-m", "tests.golden.record", "--out", str(out),
                *(["--replace"] if replace else []), *scenarios]  # fmt: skip
        commit = subprocess.run(["git", "rev-parse", f"{ref}^{{commit}}"], cwd=repo,
                                capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        env = {**os.environ, RECORDED_FROM: commit}
        # The export comes first on sys.path (the working directory), before the editable
        # install of this checkout.
        return subprocess.run(argv, cwd=tmp, env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden.record", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("scenarios", nargs="*", help="scenario names (default: all)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--ref", help="record from this commit's code (git archive), not the "
                        "working tree")  # fmt: skip
    parser.add_argument("--out", type=Path, default=GOLDEN, help="where v<version>/ goes")
    parser.add_argument("--replace", action="store_true",
                        help="overwrite existing golden files (see tests/golden/README.md first)")  # fmt: skip
    args = parser.parse_args(argv)
    by_name = {s.name: s for s in SCENARIOS}
    if args.list:
        for scenario in SCENARIOS:
            print(f"{scenario.name}: {scenario.description}")
        return 0
    unknown = [n for n in args.scenarios if n not in by_name]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; see --list")
    if args.ref:
        return record_at(args.ref, args.scenarios, args.out.resolve(), args.replace)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("azure", "devhost", "onboarding", "uamqp", "simulator"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    for name in args.scenarios or list(by_name):
        try:
            path = record(by_name[name], args.out, replace=args.replace)
        except FileExistsError as exc:
            print(exc, file=sys.stderr)
            return 2
        doc = json.loads(path.read_text())
        sizes = ", ".join(f"{i['instanceId'].removeprefix(doc['runId']) or 'saga'}="
                          f"{len(i['history'])}" for i in doc["instances"])  # fmt: skip
        print(f"{path.relative_to(args.out.parent.parent)}: {len(doc['instances'])} instances, "
              f"{path.stat().st_size // 1024} KiB, history events {sizes}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
