"""Onboardings submitted over HTTP to function_app under devhost, against the simulator."""

from __future__ import annotations

from tests.e2e.conftest import Stack

SUB_RG = "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups"
GATEWAYS = f"{SUB_RG}/rg-apim/providers/Microsoft.ApiManagement/gateways"


def test_injection_run_builds_the_gateway_and_succeeds(stack: Stack, sample) -> None:
    reply = stack.submit(sample("injection"))
    assert reply.status == 202, reply.body
    run = stack.wait(reply.body["id"])
    assert run["runtimeStatus"] == "Completed", run
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    gateway = stack.resource(f"{GATEWAYS}/gw-payments")
    assert gateway is not None
    assert gateway["properties"]["provisioningState"] == "Succeeded"
