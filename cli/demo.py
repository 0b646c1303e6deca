"""``onboard demo`` (what ``make demo`` runs): three onboardings on the local stack, watched live.

Starts the simulator and devhost on the virtual clock in a temporary directory, submits the
three sample requests over the app's HTTP API (VNet injection with its own gateway; VNet
integration joining the shared gateway; one whose access step cannot succeed, so the run undoes
what it made), shows one progress line per run until all three end, then prints each run's
steps, the resources the simulator now holds that it did not before, and the ARM calls made.
As in Azure, ARM shows no private IP for the injection gateway: that run waits for an operator,
and the demo plays one, saying so (cli/operator_stand_in.py).
Exits 0 when every run ended as expected, and stops everything it started.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from cli.api_client import call
from cli.operator_stand_in import StandIn
from cli.progress import LiveBlock
from cli.render import describe_problem, describe_run, progress_line
from cli.samples import load_sample
from cli.stack import LocalStack, StackOptions
from simulator.handlers.tables import is_table_path
from triggers.auth import REQUESTER

# sample -> (what it shows, the outcome it must reach)
RUNS = {
    "injection": ("VNet injection, own gateway", "Succeeded"),
    "integration-shared": ("VNet integration, shared gateway", "Succeeded"),
    "failing-access": ("access fails -> compensated", "Compensated"),
}
TERMINAL = {"Completed", "Failed", "Terminated", "Canceled"}
TIME_LIMIT_SECONDS = 100.0


def run_demo(out: TextIO = sys.stdout) -> int:
    _quiet_logs()
    with tempfile.TemporaryDirectory(prefix="onboard-demo-") as tmp:
        options = StackOptions(state_dir=Path(tmp), port=0, clock="virtual")
        with LocalStack(options) as stack:
            assert stack.sim is not None and stack.host is not None
            out.write(f"Local stack: app {stack.api_url}, ARM simulator {stack.sim.url}\n")
            started_at = stack.host.clock.now()
            out.write(f"Virtual clock starts at {started_at:%Y-%m-%d %H:%M} UTC\n\n")
            seeded = _resource_ids(stack)
            runs = _submit_all(stack.api_url, out)
            if runs is None:
                return 1
            finals = _watch(stack, runs, out)
            elapsed = stack.host.clock.now() - started_at
            ok = _summarise(stack, runs, finals, seeded, out)
            out.write(f"\nSimulated time passed: {elapsed}\n")
    out.write("Demo finished: the simulator and devhost are stopped.\n")
    return 0 if ok else 1


def _submit_all(api: str, out: TextIO) -> dict[str, str] | None:
    runs: dict[str, str] = {}
    for name, (label, _) in RUNS.items():
        reply = call("POST", f"{api}/onboardings", role=REQUESTER, body=load_sample(name))
        if reply.status != 202:
            out.write(f"{label}: refused\n" + "\n".join(describe_problem(reply.body)) + "\n")
            return None
        runs[name] = reply.body["id"]
        out.write(f"submitted {name}.json -> run {reply.body['id']} ({label})\n")
    out.write("\n")
    return runs


def _watch(stack: LocalStack, runs: dict[str, str], out: TextIO) -> dict[str, dict[str, Any]]:
    """Show the runs until all end, stepping the virtual clock timer by timer, and play the
    operator the injection run needs: ARM shows no private IP for a workspace gateway, so
    the run asks for it and the demo supplies the VIP the portal shows (saying so)."""
    assert stack.host is not None
    host = stack.host
    block = LiveBlock(out)
    latest: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    shown: list[str] = []

    drawn_at = [0.0]

    def redraw(force: bool = False) -> None:
        # The API views cost more than a clock step: redraw a few times a second at most.
        if not force and time.monotonic() - drawn_at[0] < 0.2:
            return
        drawn_at[0] = time.monotonic()
        for name, run_id in runs.items():
            reply = call("GET", f"{stack.api_url}/onboardings/{run_id}", role=REQUESTER)
            if reply.status == 200:
                latest[name] = reply.body
        lines = [progress_line(RUNS[n][0], latest.get(n)) for n in runs] + notes
        if block.tty:  # in a log, a line per clock jump would be the flood this avoids
            lines.insert(0, f"virtual time {host.clock.now():%Y-%m-%d %H:%M}")
        if lines != shown:
            block.update(lines)
            shown[:] = lines

    try:
        StandIn(stack, say=notes.append).until_ended(
            list(runs.values()), timeout=TIME_LIMIT_SECONDS, each=redraw
        )
    except TimeoutError as exc:
        out.write(f"the runs did not finish ({exc})\n")
    redraw(force=True)
    return latest


def _summarise(
    stack: LocalStack,
    runs: dict[str, str],
    finals: dict[str, dict[str, Any]],
    seeded: set[str],
    out: TextIO,
) -> bool:
    ok = True
    for name in runs:
        label, expected = RUNS[name]
        run = finals.get(name) or {}
        outcome = (run.get("output") or {}).get("outcome")
        verdict = "as expected" if outcome == expected else f"EXPECTED {expected}"
        ok = ok and outcome == expected
        out.write(f"\n== {label}: {outcome} ({verdict})\n")
        if run:
            out.write("\n".join(describe_run(run)) + "\n")
    assert stack.sim is not None
    state = stack.sim.simulation.state()
    created = [r for r in state["resources"] if r["id"].lower() not in seeded]
    out.write(f"\nResources the simulator holds now that it did not before ({len(created)}):\n")
    for resource in sorted(created, key=lambda r: (r["type"], r["name"])):
        out.write(f"  {resource['type']:<58} {resource['name']}\n")
    verbs = Counter(
        r["method"] for r in stack.sim.simulation.request_log if not is_table_path(r["path"])
    )
    by_verb = ", ".join(f"{n} {verb}" for verb, n in sorted(verbs.items()))
    out.write(
        f"ARM requests: {sum(verbs.values())} ({by_verb}); the run index's table calls aside\n"
    )
    return ok


def _resource_ids(stack: LocalStack) -> set[str]:
    assert stack.sim is not None
    return {r["id"].lower() for r in stack.sim.simulation.state()["resources"]}


def _quiet_logs() -> None:
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("azure", "devhost", "onboarding", "uamqp"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
