"""ARM requests per onboarding, per network mode, counted by the simulator (/_sim/requests).

Pinned as upper bounds on the requests that are not gateway polls (polls follow the build and
the schedule: tests/unit/test_poll_schedule.py), beside the hand-written minimum with the same
checks, so an added read fails here. The minimum, per mode (PUT = one write, +op = one
operation-status poll of an async write; items in bench/measure.REQUEST_MINIMUM_ITEMS):

* preflight: the service, the VNet (its subnets come in full), Microsoft.Web's registration
  (injection/integration), whether the workspace and the gateway exist; a shared gateway and
  its config connections instead of the gateway;
* workspace PUT; NSG PUT +op; subnet PUT +op (its body from preflight's read); per grant the
  role definition's id and the assignment PUT; gateway PUT; link PUT; the link's state once
  after the build (at once on a shared gateway); DNS zone PUT +op, VNet link PUT +op, A record
  PUT (injection).

With the samples' three grants: injection 24, integration 19, none 13, shared 13 (the sums of
the items above; until issue 17 item 4 the last three read 17, 12 and 10: 2, 1 and 3
requests below the sums of their own items).

What the app does beyond it (issue 17, item 4, and why each stays; the items are
bench/measure.REQUEST_BEYOND_MINIMUM_ITEMS, and every request of a run is pinned by kind below,
so an added read, or one that moves, fails here):

* a read before the workspace, NSG, gateway and link writes, and before each role assignment:
  it decides whether this run made or adopted what it finds (the owner mark), and none of
  those providers documents a create-only write (If-None-Match) that could decide it instead;
  a blind PUT updates what exists (its description/tags: the marks). Preflight's reads of the
  workspace and gateway are not reused for it: they come at least one orchestration turn, and
  with an approval gate days, before the write;
* Private DNS's zone and VNet-link operations answer InProgress on their first poll (as the
  real service does, arm-behaviour.md §3.8): one more status poll each.

No longer made: the SDK's GET after an async write (activities/lro.py), the config-connection
list after the build (the link's own read has the hostname), the reads before the DNS writes
(create-only writes), the subnet's read before its write (preflight's copy under If-Match).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from bench.measure import REQUEST_ACCOUNTED, REQUEST_MINIMUM
from devhost.stepping import advance_until
from simulator.handlers.tables import is_table_path
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.timeout(180)

# Kinds of request, most specific first (a role assignment's path holds its scope's).
KINDS = [
    ("role definitions", r"/roleDefinitions$"),
    ("role assignment", r"/roleAssignments/[^/]+$"),
    ("network operation", r"/Microsoft\.Network/locations/[^/]+/operations/"),
    ("DNS operation", r"/privateDnsOperationStatuses/"),
    ("A record", r"/privateDnsZones/[^/]+/A/"),
    ("DNS VNet link", r"/privateDnsZones/[^/]+/virtualNetworkLinks/"),
    ("DNS zone", r"/privateDnsZones/[^/]+$"),
    ("link", r"/configConnections/[^/]+$"),
    ("links", r"/configConnections$"),
    ("gateway", r"/Microsoft\.ApiManagement/gateways/[^/]+$"),
    ("workspace", r"/workspaces/[^/]+$"),
    ("service", r"/Microsoft\.ApiManagement/service/[^/]+$"),
    ("NSG", r"/networkSecurityGroups/[^/]+$"),
    ("subnet", r"/subnets/[^/]+$"),
    ("VNet", r"/virtualNetworks/[^/]+$"),
    ("provider", r"^/subscriptions/[^/]+/providers/[^/]+$"),
]

_EVERY = {("GET", "service"): 1, ("GET", "workspace"): 2, ("PUT", "workspace"): 1,
          ("GET", "role definitions"): 3, ("GET", "role assignment"): 3,
          ("PUT", "role assignment"): 3, ("GET", "link"): 2, ("PUT", "link"): 1}  # fmt: skip
_NEW_GATEWAY = {("GET", "gateway"): 2, ("PUT", "gateway"): 1}  # + the polls, counted apart
_NETWORK = {("GET", "VNet"): 1, ("GET", "provider"): 1, ("GET", "NSG"): 1, ("PUT", "NSG"): 1,
            ("GET", "network operation"): 2, ("PUT", "subnet"): 1}  # fmt: skip
_DNS = {("PUT", "DNS zone"): 1, ("PUT", "DNS VNet link"): 1, ("GET", "DNS operation"): 4,
        ("PUT", "A record"): 1}  # fmt: skip
# Every request of one onboarding beyond the polls, by kind: the minimum's items plus one
# ownership read before each write (the second workspace, gateway and link GET, the role
# assignment GETs, the NSG GET) and Private DNS's first InProgress polls (two of the four).
EXPECTED = {
    "injection": Counter({**_EVERY, **_NEW_GATEWAY, **_NETWORK, **_DNS}),
    "integration": Counter({**_EVERY, **_NEW_GATEWAY, **_NETWORK}),
    "none": Counter({**_EVERY, **_NEW_GATEWAY}),
    "shared": Counter({**_EVERY, ("GET", "gateway"): 1, ("GET", "links"): 1}),
}


# Status polls of async writes, with the writes each needs at least one poll for.
OPERATION_POLLS = {
    ("GET", "network operation"): [("PUT", "NSG"), ("PUT", "subnet")],
    ("GET", "DNS operation"): [("PUT", "DNS zone"), ("PUT", "DNS VNet link")],
}


def kind(request: dict[str, Any]) -> tuple[str, str]:
    path = request["path"].split("?", 1)[0]
    name = next((k for k, pattern in KINDS if re.search(pattern, path)), path)
    return request["method"], name


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
def test_every_request_of_an_onboarding_is_pinned_by_kind(
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
    kinds = Counter(kind(r) for r in arm)
    if mode != "shared":
        kinds[("GET", "gateway")] -= polls
    expected = EXPECTED[mode]
    assert REQUEST_ACCOUNTED[mode] == sum(expected.values())
    # An operation's status polls follow time as well as count (the simulator ends network
    # and DNS operations after 5 s or their InProgress polls, whichever comes first): if
    # devhost's clock moves while an activity polls, one fewer is right. Every other kind is
    # exact.
    timed = {k: kinds.pop(k, 0) for k in OPERATION_POLLS}
    assert +kinds == Counter({k: n for k, n in expected.items() if k not in OPERATION_POLLS})
    for k, n in timed.items():
        writes = OPERATION_POLLS[k]
        assert sum(expected[w] for w in writes) <= n <= expected.get(k, 0), (k, n)
    assert REQUEST_MINIMUM[mode] <= others <= REQUEST_ACCOUNTED[mode]
