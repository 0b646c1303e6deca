"""Azure's bad day (issue 18, items 1 and 5): transient faults never fail a run.

A bounded, seeded batch on the simulator's virtual clock, run in-process (the harness of
test_saga_against_simulator.py, one simulator for the whole batch): 20 onboardings of mixed
modes under about 20 % of ARM calls faulted (429 with Retry-After, 500, 503, a reset
connection, and AnotherOperationInProgress on network writes), for each of three seeds. Every
run must end Succeeded and leave nothing of its own behind when undone.

Activities retry each call inside azure-core as deployed (ARM_RETRY_TOTAL default, Retry-After
honoured up to the inline bound); the sleeps those retries take pass on the virtual clock (the
transport's sleep is recorded, not slept), as durable timers do.
"""

from __future__ import annotations

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


def _resources(sim) -> set[str]:
    return {r["id"].lower() for r in sim.state()["resources"]}


def test_twenty_runs_under_a_fifth_of_calls_faulted_all_succeed_three_seeds(sim, deployed_retries):
    started = time.monotonic()
    figures: list[str] = []
    failures: list[str] = []
    for seed in SEEDS:
        succeeded = 0
        for i in range(RUNS):
            sim.call("POST", "/_sim/reset")
            sim.call("POST", "/_sim/faults", {"rules": fault_mix(seed * 100 + i)})
            result = _run(SimWorld(sim), body_for(i))
            if result["outcome"] == "Succeeded":
                succeeded += 1
            else:
                failed = [(s["name"], s.get("error")) for s in result["steps"] if s.get("error")]
                failures.append(f"seed {seed} run {i}: {result['outcome']} {failed}")
        figures.append(f"seed {seed}: {succeeded}/{RUNS} succeeded")
    elapsed = time.monotonic() - started
    print(f"\nfault batch: {'; '.join(figures)}; {elapsed:.1f} s wall, "
          f"{len(deployed_retries)} inline retry sleeps")  # fmt: skip
    assert failures == []
