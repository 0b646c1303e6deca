"""The gateway wait on the whole local stack: bounded history under faults, recorded durations.

devhost runs the unchanged app (version 2.0 from host.json) against the simulator on the
virtual clock; history sizes are devhost's own event counts, including every execution the
waiter ended with continue-as-new (devhost clears those, so the count is taken just before).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from activities.build_history import read_build_durations, record_build_duration
from devhost.store import Tx
from shared.build_history import BuildKind, RecordBuildInput
from shared.history_budget import EXECUTION_BUDGET
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.timeout(180)


@contextmanager
def execution_sizes() -> Iterator[dict[str, list[int]]]:
    """History size of every execution that continue-as-new ends, per instance."""
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


def largest_execution(stack: Stack, run_id: str, ended: dict[str, list[int]]) -> dict[str, int]:
    """Per instance of the run: the largest history any of its executions had."""
    sizes: dict[str, int] = {}
    with stack.host.store.tx() as tx:
        rows = tx.conn.execute(
            "SELECT instance_id FROM instances WHERE instance_id = ? OR instance_id LIKE ?",
            (run_id, f"{run_id}:%"),
        ).fetchall()
        for (instance,) in rows:
            sizes[instance] = max([len(tx.history(instance)), *ended.get(instance, [])])
    return sizes


def mode_none(sample: Any, ticket: str) -> dict[str, Any]:
    body = sample("injection", ticketId=ticket)
    body.pop("dns")
    body["gateway"] = {"name": f"gw-{ticket.lower()}", "capacity": 1, "network": {"mode": "none"}}
    return dict(body)


def waiter_of(stack: Stack, run_id: str) -> str:
    for status in stack.all_instances():
        if status.instance_id.startswith(f"{run_id}:") and status.name == "gateway_waiter":
            return str(status.instance_id)
    raise AssertionError("no waiter")


@pytest.mark.settings({"ARM_RETRY_TOTAL": "0"})
def test_a_waiter_execution_stays_within_its_event_budget_when_half_the_polls_fail(
    stack: Stack, sample
) -> None:
    # Version 1.0 counted an execution in successful polls: 368 events with 50 % of them 429.
    stack.sim.simulation.faults.add({"rules": [{
        "method": "GET", "path": "*/gateways/gw-*", "status": 429, "code": "TooManyRequests",
        "retryAfter": 60, "probability": 0.5, "seed": 17,
    }]})  # fmt: skip
    with execution_sizes() as ended:
        run_id = stack.submit(mode_none(sample, "CHG-HIST-1")).body["id"]
        run = stack.wait(run_id, timeout=150)
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    waiter = waiter_of(stack, run_id)
    assert len(ended.get(waiter, [])) >= 2  # it continued as new on events, more than once
    sizes = largest_execution(stack, run_id, ended)
    assert sizes[waiter] <= EXECUTION_BUDGET, sizes


def test_the_wait_polls_on_the_recorded_durations_and_records_its_own(stack: Stack, sample) -> None:
    kind = BuildKind(region="westeurope", sku="WorkspaceGatewayPremium")
    for n, minutes in enumerate((172.0, 181.0, 176.0, 186.0, 179.0)):
        record_build_duration(RecordBuildInput(
            region=kind.region, sku=kind.sku, seconds=minutes * 60, uncertainty=60,
            finished_at=f"2026-01-0{n + 1}T12:00:00+00:00", instance_id=f"onboard-earlier-{n}",
        ))  # fmt: skip
    run_id = stack.submit(mode_none(sample, "CHG-SCHED-1")).body["id"]
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    wait = next(s for s in run["steps"] if s["name"] == "wait")
    # 27 polls on the adaptive clamp; far fewer where the window is known (3 h build).
    assert wait["attempts"] <= 15, wait
    records = read_build_durations(kind).records
    assert len(records) == 6  # this build's duration was recorded, newest first
    assert abs(records[0].seconds - 180 * 60) <= 0.02 * 180 * 60


def test_without_records_the_wait_keeps_the_adaptive_clamp(stack: Stack, sample) -> None:
    run_id = stack.submit(mode_none(sample, "CHG-SCHED-2")).body["id"]
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    wait = next(s for s in run["steps"] if s["name"] == "wait")
    assert wait["attempts"] == 27  # shared/retry.py's clamp over a 3 h build
