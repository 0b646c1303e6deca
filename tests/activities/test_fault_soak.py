"""Azure's bad day (issue 18, items 1 and 5): transient faults never fail a run.

A bounded, seeded batch on the simulator's virtual clock, run in-process (the harness of
test_saga_against_simulator.py, one simulator for the whole batch): 20 onboardings of mixed
modes under about 20 % of ARM calls faulted (429 with Retry-After, 500, 503, a reset
connection, and AnotherOperationInProgress on network writes), for each of three seeds. Every
run must end Succeeded and leave nothing of its own behind when undone.

The same mix while every run is made to fail at its last grant (a permanent 403) ends with the
simulator exactly as before the run (compensation under faults leaves nothing). A host crash in
the middle of the batch is modelled as the host does it to an activity: every fifth run loses
the result of one activity that did its work, and the activity runs again on "restart" (the
devhost's real kill -9 is tests/e2e/test_crash_recovery.py); nothing of the above changes.

Activities retry each call inside azure-core as deployed (ARM_RETRY_TOTAL default, Retry-After
honoured up to the inline bound); the sleeps those retries take pass on the virtual clock (the
transport's sleep is recorded, not slept), as durable timers do.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
from azure.core.pipeline.transport import HttpTransport

from shared import azure_clients
from shared.azure_clients import ArmSettings, ClientFactory, StaticTokenCredential
from tests.activities.test_saga_against_simulator import SimWorld, _run
from tests.unit.fake_azure import request

SEEDS = (11, 23, 37)
RUNS = 20
MODES = ("injection", "integration", "none", "shared")
ARM = "^/subscriptions/.*"


def fault_mix(seed: int) -> list[dict[str, Any]]:
    """About 20 % of ARM calls faulted, plus conflicts on network writes."""
    return [
        {"path": ARM, "status": 429, "code": "TooManyRequests", "retryAfter": 3,
         "probability": 0.06, "seed": seed},
        {"path": ARM, "status": 500, "code": "InternalServerError", "probability": 0.05,
         "seed": seed + 1},
        {"path": ARM, "status": 503, "code": "ServiceUnavailable", "probability": 0.05,
         "seed": seed + 2},
        {"path": ARM, "reset": True, "probability": 0.04, "seed": seed + 3},
        {"method": "PUT", "path": "^/subscriptions/.*/providers/Microsoft.Network/.*",
         "status": 409, "code": "AnotherOperationInProgress", "probability": 0.2,
         "seed": seed + 4},
    ]  # fmt: skip


def body_for(i: int) -> dict[str, Any]:
    mode = MODES[i % len(MODES)]
    body = request("none", shared=True) if mode == "shared" else request(mode)
    body["ticketId"] = f"CHG{9000 + i}"
    return body


@pytest.fixture
def deployed_retries(sim, monkeypatch) -> list[float]:
    """Clients with the deployed per-call retries; their sleeps recorded (virtual time)."""
    settings = ArmSettings(endpoint=sim.sim.url, ca_bundle=str(sim.sim.ca), credential="static",
                           polling_interval=0)  # fmt: skip
    assert settings.retry_total == ArmSettings().retry_total  # what a deployment uses
    monkeypatch.setattr(azure_clients, "_default", ClientFactory(settings, StaticTokenCredential()))
    slept: list[float] = []
    monkeypatch.setattr(HttpTransport, "sleep", lambda self, seconds: slept.append(seconds))
    return slept


class CrashingWorld(SimWorld):
    """Loses the result of the ``lose``-th activity call once: it ran, the host died before
    recording its answer, and on restart the activity runs again (at-least-once)."""

    def __init__(self, sim, lose: int | None) -> None:
        super().__init__(sim)
        self.lose, self.count, self.lost = lose, 0, 0

    def run_activity(self, name: str, payload: Any) -> Any:
        self.count += 1
        due = self.lose is not None and self.count >= self.lose and not self.lost
        if due and name != "publish_event":
            with contextlib.suppress(Exception):  # a lost failure is lost too
                super().run_activity(name, payload)  # its work is done; its answer is lost
            self.lost += 1
        return super().run_activity(name, payload)


def test_twenty_runs_under_a_fifth_of_calls_faulted_all_succeed_three_seeds(sim, deployed_retries):
    started = time.monotonic()
    figures: list[str] = []
    failures: list[str] = []
    lost = 0
    for seed in SEEDS:
        succeeded = 0
        for i in range(RUNS):
            sim.call("POST", "/_sim/reset")
            sim.call("POST", "/_sim/faults", {"rules": fault_mix(seed * 100 + i)})
            world = CrashingWorld(sim, lose=3 + i % 9 if i % 5 == 4 else None)
            result = _run(world, body_for(i))
            lost += world.lost
            if result["outcome"] == "Succeeded":
                succeeded += 1
            else:
                failed = [(s["name"], s.get("error")) for s in result["steps"] if s.get("error")]
                failures.append(f"seed {seed} run {i}: {result['outcome']} {failed}")
        figures.append(f"seed {seed}: {succeeded}/{RUNS} succeeded")
    elapsed = time.monotonic() - started
    print(f"\nfault batch: {'; '.join(figures)}; {lost} lost results; {elapsed:.1f} s wall, "
          f"{len(deployed_retries)} inline retry sleeps")  # fmt: skip
    assert failures == []
    assert lost == len(SEEDS) * (RUNS // 5)


COMPENSATED_RUNS = 8  # per seed, two of each mode
LAST_GRANT = (
    "^/subscriptions/.*/gateways/[^/]+/providers/Microsoft.Authorization/roleAssignments/.*"
)


def test_runs_undone_under_the_fault_mix_leave_the_simulator_exactly_as_before(
    sim, deployed_retries
):
    from tests.activities.test_partial_work import snapshot

    started = time.monotonic()
    restored, problems = 0, []
    for seed in SEEDS:
        for i in range(COMPENSATED_RUNS):
            sim.call("POST", "/_sim/reset")
            before = snapshot(sim)
            sim.call("POST", "/_sim/faults", {"rules": [
                {"method": "PUT", "path": LAST_GRANT, "status": 403, "code": "AuthorizationFailed",
                 "message": "injected: the last grant is refused", "count": 1},
                *fault_mix(seed * 1000 + i),
            ]})  # fmt: skip
            result = _run(SimWorld(sim), body_for(i))
            sim.call("DELETE", "/_sim/faults")
            sim.advance(hours=2)  # a gateway delete ends
            undone = result["outcome"] == "Compensated" and not result["leftovers"]
            if undone and snapshot(sim) == before:
                restored += 1
                continue
            problems.append(f"seed {seed} run {i}: {result['outcome']} {result['leftovers']}")
    elapsed = time.monotonic() - started
    total = len(SEEDS) * COMPENSATED_RUNS
    print(f"\ncompensation under faults: {restored}/{total} exact restores, {elapsed:.1f} s wall")
    assert problems == []
