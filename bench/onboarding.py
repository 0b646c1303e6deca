"""Our saga measured under devhost on the virtual clock: one run per scenario, and N at once."""

from __future__ import annotations

import datetime as dt
import resource
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.measure import RunFigures, gateway_ready_at, history_sizes, parse, step
from cli.api_client import call
from cli.samples import load_sample
from cli.stack import LocalStack, StackOptions
from devhost.store import Tx
from simulator.handlers.tables import is_table_path
from triggers.auth import REQUESTER


def request_for(mode: str) -> dict[str, Any]:
    """A request per network mode (own gateway unless the mode is the shared one)."""
    if mode == "injection":
        return load_sample("injection")
    if mode == "shared":
        return load_sample("integration-shared")
    body = load_sample("injection", ticketId=f"BENCH-{mode}")
    body.pop("dns")
    network: dict[str, Any] = {"mode": mode}
    if mode == "integration":
        network["subnetId"] = body["gateway"]["network"]["subnetId"].replace(
            "snet-gw-a", "snet-gw-b"
        )
    body["gateway"] = {"name": "gw-bench", "capacity": 1, "network": network}
    return body


@contextmanager
def cleared_history_sizes() -> Iterator[dict[str, list[int]]]:
    """Record the history size of every execution continue-as-new ends (devhost clears it)."""
    sizes: dict[str, list[int]] = {}
    original = Tx.clear_history

    def recording(self: Tx, instance_id: str) -> None:
        sizes.setdefault(instance_id, []).append(len(self.history(instance_id)))
        original(self, instance_id)

    Tx.clear_history = recording  # type: ignore[method-assign]
    try:
        yield sizes
    finally:
        Tx.clear_history = original  # type: ignore[method-assign]


def one_run(
    tmp: Path, mode: str, build_minutes: float = 180, deadline_hours: float = 6
) -> RunFigures:
    options = StackOptions(
        state_dir=tmp, port=0, gateway_build_minutes=build_minutes,
        settings={"POLICY_BUILD_DEADLINE_HOURS": str(deadline_hours)},
    )  # fmt: skip
    with cleared_history_sizes() as cleared, LocalStack(options) as stack:
        assert stack.sim is not None and stack.host is not None
        stack.sim.simulation.request_log.clear()
        reply = call("POST", f"{stack.api_url}/onboardings", role=REQUESTER, body=request_for(mode))
        assert reply.status == 202, reply.body
        run_id = reply.body["id"]
        stack.host.wait_for(run_id, timeout=300)
        run = call("GET", f"{stack.api_url}/onboardings/{run_id}", role=REQUESTER).body
        figures = RunFigures(outcome=(run.get("output") or {}).get("outcome", "?"))
        figures.requests_by_verb = Counter(
            r["method"] for r in stack.sim.simulation.request_log if not is_table_path(r["path"])
        )
        sizes = history_sizes(stack.host, run_id)
        per_instance = {i: max([n, *cleared.get(i, [])]) for i, n in sizes.items()}
        figures.history_total = sum(sizes.values()) + sum(
            sum(ns) for i, ns in cleared.items() if i.startswith(run_id)
        )
        figures.history_max_instance = max(per_instance.values())
        wait = step(run, "wait")
        if wait.get("status") == "succeeded":
            figures.polls = int(wait.get("attempts") or 0)
            gateway_id = next(
                r for r in step(run, "gateway")["created"] if "/configConnections/" not in r
            )
            ready = gateway_ready_at(stack, gateway_id)
            if ready is not None and wait.get("ended"):
                figures.notice_delay = parse(wait["ended"]) - ready
        total = parse(run["lastUpdatedTime"]) - parse(run["createdTime"])
        build = dt.timedelta(minutes=build_minutes) if figures.polls else dt.timedelta(0)
        figures.overhead = total - build
        return figures


@dataclass
class LoadFigures:
    runs: int
    wall_seconds: float
    cpu_seconds: float
    outcomes: Counter[str]
    episodes: int


def concurrent_runs(tmp: Path, count: int, workers: int = 16) -> LoadFigures:
    """``count`` onboardings (mode none, own gateway each) submitted at once, 3 h builds."""
    options = StackOptions(state_dir=tmp, port=0, workers=workers)
    with LocalStack(options) as stack:
        assert stack.host is not None
        cpu0 = _cpu()
        started = time.perf_counter()
        ids = []
        for n in range(count):
            body = load_sample("injection", ticketId=f"LOAD-{n:04d}", team=f"team{n:04d}")
            body.pop("dns")
            body["workspace"] = {"name": f"ws-load-{n:04d}", "displayName": f"Load {n}"}
            body["gateway"] = {
                "name": f"gw-load-{n:04d}",
                "capacity": 1,
                "network": {"mode": "none"},
            }
            reply = call("POST", f"{stack.api_url}/onboardings", role=REQUESTER, body=body)
            assert reply.status == 202, reply.body
            ids.append(reply.body["id"])
        outcomes: Counter[str] = Counter()
        for run_id in ids:
            status = stack.host.wait_for(run_id, timeout=3600)
            output = status.get("output")
            outcomes[
                output.get("outcome", "?") if isinstance(output, dict) else str(output)[:40]
            ] += 1
        wall = time.perf_counter() - started
        return LoadFigures(count, wall, _cpu() - cpu0, outcomes, stack.host.engine.stats.episodes)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
