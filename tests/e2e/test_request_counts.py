"""ARM requests per onboarding, per network mode, counted by the simulator (/_sim/requests).

Pinned as upper bounds on the requests that are not gateway polls (polls follow the build and
the schedule: tests/unit/test_poll_schedule.py), beside the hand-written minimum with the same
checks, so an added read fails here. The minimum, per mode (PUT = one write, +op = one
operation-status poll of an async write):

* preflight: the service, the VNet (its subnets come in full), Microsoft.Web's registration
  (injection/integration), whether the workspace and the gateway exist; a shared gateway and
  its config connections instead of the gateway;
* workspace PUT; NSG PUT +op; subnet PUT +op (its body from preflight's read); per grant the
  role definition's id and the assignment PUT; gateway PUT; link PUT; the link's state once
  after the build; DNS zone PUT +op, VNet link PUT +op, A record PUT (injection).

What the app does beyond it today: a read before each write (the owner mark decides whether a
run made or adopted it, and a retried call finds its own work), the SDK's final GET after an
async write, and, on the last poll, the gateway's config connections (its hostname).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from bench.measure import REQUEST_MINIMUM
from devhost.stepping import advance_until
from simulator.handlers.tables import is_table_path
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.timeout(180)

MINIMUM = REQUEST_MINIMUM  # the bench prints the app's counts beside it (docs/performance.md)
# What the app makes today beyond the gateway polls (upper bounds: fewer is fine).
AT_MOST = {"injection": 33, "integration": 26, "none": 19, "shared": 18}


def body_for(sample: Any, mode: str) -> dict[str, Any]:
    if mode == "injection":
        return dict(sample("injection"))
    if mode == "shared":
        return dict(sample("integration-shared"))
    body = dict(sample("injection", ticketId=f"CHG-COUNT-{mode}"))
    body.pop("dns")
    network: dict[str, Any] = {"mode": mode}
    if mode == "integration":
        network["subnetId"] = body["gateway"]["network"]["subnetId"].replace(
            "snet-gw-a", "snet-gw-b"
        )
    body["gateway"] = {"name": "gw-count", "capacity": 1, "network": network}
    return body


@pytest.mark.parametrize("mode", ["injection", "integration", "none", "shared"])
def test_requests_per_onboarding_stay_at_their_pinned_count(
    stack: Stack, sample: Any, mode: str
) -> None:
    stack.sim.simulation.request_log.clear()
    run_id = stack.submit(body_for(sample, mode)).body["id"]
    if mode == "injection":  # real ARM shows no private VIP: an operator supplies it
        with stack.host.clock.hold():
            advance_until(stack.host, lambda: stack.waiting_for(run_id, "private IP"), 120)
            stack.raise_event(run_id, "private_ip", {"ip": "10.20.1.9"})
    run = stack.wait(run_id, timeout=150)
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    arm = [r for r in stack.sim.simulation.request_log if not is_table_path(r["path"])]
    wait = next(s for s in run["steps"] if s["name"] == "wait")
    polls = int(wait.get("attempts") or 0)
    others = len(arm) - polls
    verbs = Counter(r["method"] for r in arm)
    assert others <= AT_MOST[mode], (others, verbs)
    assert others >= MINIMUM[mode]
