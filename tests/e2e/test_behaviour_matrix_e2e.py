"""Two rows of the behaviour matrix on the whole local stack (issue 13, item 3).

The matrix itself (tests/activities/test_behaviour_matrix.py) runs every scenario under every
switch value in-process; these two run its hardest rows over HTTP under devhost, which follows
the real Durable host, with the operator playing through the operator API as a person would:

- an injection run where ARM shows no VIP, the hostname appears only once the gateway build
  succeeded and the link is accepted during the build but ends only with it (every other
  unknown at its non-default value): it asks for the private IP, is given the portal's, and
  ends Succeeded with the DNS record at that address;
- an injection run whose build never ends, with every delete refused while links remain and
  nobody answering the stalled build's ask: the run's deadline ends it, it is compensated and
  leaves the simulator exactly as it was.
"""

from __future__ import annotations

import json

import pytest

from tests.activities.test_partial_work import VOLATILE
from tests.e2e.conftest import Stack

SUB_RG = "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups"
GATEWAYS = f"{SUB_RG}/rg-apim/providers/Microsoft.ApiManagement/gateways"
UNKNOWNS_AT_THEIR_OTHER_VALUE = {
    "gatewayHostname": "after-succeeded",
    "configConnectionDuringBuild": "await-build",
    "workspaceDeleteWithLinks": "conflict",
    "gatewayDeleteWithLinks": "conflict",
    "nonWebDelegationNeedsRegistration": True,
    "directoryCheckWithPrincipalType": "performed",
}


def _snapshot(stack: Stack) -> dict[str, str]:
    """Every resource with its content minus the simulator's bookkeeping fields."""

    def clean(node: object) -> object:
        if isinstance(node, dict):
            return {k: clean(v) for k, v in node.items() if k not in VOLATILE}
        return [clean(v) for v in node] if isinstance(node, list) else node

    resources = stack.sim.simulation.state()["resources"]
    return {r["id"].lower(): json.dumps(clean(r), sort_keys=True) for r in resources}


@pytest.mark.sim_behaviour(UNKNOWNS_AT_THEIR_OTHER_VALUE)
def test_an_injection_run_succeeds_with_every_unknown_at_its_other_value(
    stack: Stack, sample
) -> None:
    run_id = stack.submit(sample("injection")).body["id"]
    supplied = stack.play_operator(run_id)
    run = stack.wait(run_id, operator=False)
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    assert [s.ip for s in supplied] == ["10.20.1.4"], "asked once for the VIP ARM hides"
    hostname = run["output"]["hostname"]
    record = stack.resource(
        f"{SUB_RG}/rg-dns/providers/Microsoft.Network/privateDnsZones/{hostname}/A/@"
    )
    assert record is not None
    assert record["properties"]["aRecords"] == [{"ipv4Address": "10.20.1.4"}]


@pytest.mark.sim_behaviour(UNKNOWNS_AT_THEIR_OTHER_VALUE, gatewayBuildOutcome="never")
def test_a_build_that_never_ends_with_nobody_answering_is_undone_to_the_prior_state(
    stack: Stack, sample
) -> None:
    before = _snapshot(stack)
    run_id = stack.submit(sample("injection")).body["id"]
    run = stack.wait(run_id, timeout=120)
    assert run["output"]["outcome"] == "Compensated", run["output"]
    assert run["output"]["leftovers"] == []
    wait = {s["name"]: s for s in run["steps"]}["wait"]
    assert "no operator decision" in (wait.get("lastError") or wait.get("error") or ""), wait
    assert _snapshot(stack) == before
