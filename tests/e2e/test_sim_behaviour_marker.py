"""The ``sim_behaviour`` marker reaches the whole local stack (tests/sim_behaviour.py).

With the kinder switches (a VIP field and the hostname on the gateway too) an injection run
needs no operator; with the defaults (real ARM) it asks for the IP and the operator stand-in of
``Stack.wait`` supplies it through the operator API.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack


@pytest.mark.sim_behaviour(gatewayExposesPrivateIp=True, gatewayHostname="also-frontend")
def test_the_marker_sets_the_stacks_switches_and_the_run_takes_the_vip_field(
    stack: Stack, sample
) -> None:
    switches = stack.sim.simulation.timings.behaviour_json()
    assert switches["gatewayExposesPrivateIp"] is True
    assert switches["gatewayHostname"] == "also-frontend"
    run = stack.wait(stack.submit(sample("injection")).body["id"], operator=False)
    assert run["output"]["outcome"] == "Succeeded", run["output"]


def test_by_default_the_run_asks_and_the_stand_in_operator_answers(stack: Stack, sample) -> None:
    run_id = stack.submit(sample("injection")).body["id"]
    supplied = stack.play_operator(run_id)
    assert [(s.ip, s.status) for s in supplied] == [("10.20.1.4", 202)]
    assert stack.wait(run_id)["output"]["outcome"] == "Succeeded"
