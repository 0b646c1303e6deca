"""The saga with the real activities survives every value of the simulator's APIM switches
(issue 13, item 6): an injection run ends Succeeded (an operator supplies the VIP ARM hides,
SimWorld), or, where the build fails or never ends, stops cleanly with nothing left behind; a
run failing at access is compensated to the exact prior state whether APIM cascades deletes
or refuses them while links remain. In-process on the virtual clock (seconds)."""

from __future__ import annotations

import pytest

from tests.activities.test_saga_against_simulator import SimWorld, _resources, _run
from tests.unit.fake_azure import request

BAD_PRINCIPAL = "dead0000-0000-4000-8000-000000000000"  # not in the directory


@pytest.fixture
def world(sim, factory, monkeypatch) -> SimWorld:
    from shared import azure_clients

    monkeypatch.setattr(azure_clients, "_default", factory)
    return SimWorld(sim)


@pytest.mark.parametrize(
    "switches",
    [
        {"gatewayHostname": "config-connection"},
        {"gatewayHostname": "also-frontend"},
        {"gatewayHostname": "after-succeeded"},
        {"gatewayHostname": "after-succeeded", "configConnectionDuringBuild": "await-build"},
        {"gatewayHostname": "after-succeeded", "configConnectionDuringBuild": "refuse"},
        {"gatewayExposesPrivateIp": True},
        {"workspaceDeleteWithLinks": "conflict", "gatewayDeleteWithLinks": "conflict"},
    ],
    ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()),
)
def test_an_injection_run_succeeds_under_each_value(world, sim, switches):
    sim.behaviour(**switches)
    result = _run(world, request("injection"))
    assert result["outcome"] == "Succeeded", [s.get("error") for s in result["steps"]]
    assert result["hostname"].startswith("gw-payments-")


@pytest.mark.parametrize("outcome", ["failed", "never"])
def test_a_build_that_fails_or_never_ends_leaves_nothing_behind(world, sim, outcome):
    before = _resources(sim)
    sim.behaviour(gatewayBuildOutcome=outcome)
    # A stalled build asks an operator; nobody answers, so the run stops and undoes.
    result = _run(world, request("injection"))
    assert result["outcome"] == "Compensated", [s.get("error") for s in result["steps"]]
    assert result["leftovers"] == []
    sim.advance(hours=1)  # let the gateway delete finish
    assert _resources(sim) == before


@pytest.mark.parametrize("deletes", ["cascade", "conflict"])
def test_compensation_restores_the_prior_state_whatever_deletes_do(world, sim, deletes):
    before = _resources(sim)
    sim.behaviour(workspaceDeleteWithLinks=deletes, gatewayDeleteWithLinks=deletes)
    body = request("integration")
    body["access"][0]["principalId"] = BAD_PRINCIPAL
    result = _run(world, body)
    assert result["outcome"] == "Compensated", result["leftovers"]
    assert result["leftovers"] == []
    sim.advance(hours=1)
    assert _resources(sim) == before
