"""Onboardings submitted over HTTP to function_app under devhost, against the simulator."""

from __future__ import annotations

from typing import Any

import pytest

from devhost.stepping import jump_to_next_timer
from tests.e2e.conftest import REQUESTER, Stack

SUB_RG = "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups"
SERVICE = f"{SUB_RG}/rg-apim/providers/Microsoft.ApiManagement/service/apim-contoso"
GATEWAYS = f"{SUB_RG}/rg-apim/providers/Microsoft.ApiManagement/gateways"
ALICE = "a11ce000-0000-4000-8000-000000000001"


def _alice_access(gateway: bool = True) -> list[dict[str, Any]]:
    grants = [
        ("service", "API Management Service Workspace API Developer"),
        ("workspace", "API Management Workspace Contributor"),
    ]
    if gateway:
        grants.append(("gateway", "Reader"))
    return [
        {"principalId": ALICE, "principalType": "User", "scope": scope, "role": role}
        for scope, role in grants
    ]


def _succeeded(stack: Stack, body: dict[str, Any]) -> dict[str, Any]:
    reply = stack.submit(body)
    assert reply.status == 202, reply.body
    run = stack.wait(reply.body["id"])
    assert run["runtimeStatus"] == "Completed", run
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    return run


def test_injection_run_builds_the_gateway_and_its_private_dns(stack: Stack, sample) -> None:
    run = _succeeded(stack, sample("injection"))
    gateway = stack.resource(f"{GATEWAYS}/gw-payments")
    assert gateway is not None
    assert gateway["properties"]["provisioningState"] == "Succeeded"
    # Like real ARM: no VIP (an operator supplied it, Stack.wait) and no frontend hostname;
    # the hostname is the config connection's.
    assert "frontend" not in gateway["properties"]
    link = stack.resource(f"{GATEWAYS}/gw-payments/configConnections/ws-payments")
    hostname = link["properties"]["defaultHostname"]  # type: ignore[index]
    assert stack.resource(
        f"{SUB_RG}/rg-dns/providers/Microsoft.Network/privateDnsZones/{hostname}"
    ), "the private DNS zone for the gateway's hostname"
    assert {s["name"]: s["status"] for s in run["steps"]}["dns"] == "succeeded"


def test_integration_run_with_its_own_gateway_succeeds(stack: Stack, sample) -> None:
    body = sample("failing-access", ticketId="CHG-2001", access=_alice_access())
    _succeeded(stack, body)
    subnet = stack.resource(
        f"{SUB_RG}/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-apim/subnets/snet-gw-b"
    )
    assert subnet is not None
    delegations = subnet["properties"]["delegations"]
    assert [d["properties"]["serviceName"] for d in delegations] == ["Microsoft.Web/serverFarms"]


def test_shared_gateway_run_links_the_workspace_without_building(stack: Stack, sample) -> None:
    before = stack.resources()
    run = _succeeded(stack, sample("integration-shared"))
    created = stack.resources() - before
    assert f"{GATEWAYS}/gw-shared/configconnections/ws-orders".lower() in created
    assert not [r for r in created if r.endswith("/gateways/gw-orders")]
    assert {s["name"]: s["status"] for s in run["steps"]}["gateway"] != "failed"


def test_no_network_run_creates_an_unnetworked_gateway(stack: Stack, sample) -> None:
    body = sample("injection", ticketId="CHG-2002")
    body["gateway"] = {"name": "gw-public", "capacity": 1, "network": {"mode": "none"}}
    body.pop("dns")
    _succeeded(stack, body)
    gateway = stack.resource(f"{GATEWAYS}/gw-public")
    assert gateway is not None
    assert gateway["properties"].get("virtualNetworkType", "None") == "None"


def test_failure_at_access_is_compensated_and_leaves_nothing_behind(stack: Stack, sample) -> None:
    before = stack.resources()
    reply = stack.submit(sample("failing-access"))
    run = stack.wait(reply.body["id"])
    assert run["runtimeStatus"] == "Completed", run
    assert run["output"]["outcome"] == "Compensated", run["output"]
    assert run["outcome"] == "Compensated"  # the status model's word comes first (issue 14)
    steps = {s["name"]: s for s in run["steps"]}
    assert steps["access"]["status"] == "failed"
    assert "principal" in (steps["access"]["lastError"] or "").lower()
    assert stack.resources() == before


def test_the_same_ticket_twice_starts_one_run(stack: Stack, sample) -> None:
    first = stack.submit(sample("injection"))
    second = stack.submit(sample("injection"))
    assert first.status == 202 and second.status == 200, (first.body, second.body)
    assert second.body["id"] == first.body["id"] and second.body["existing"] is True
    stack.wait(first.body["id"])
    third = stack.submit(sample("injection"))
    assert third.status == 200 and third.body["runtimeStatus"] == "Completed"
    assert [i.instance_id for i in stack.instances()] == [first.body["id"]]


def test_an_invalid_request_is_refused_and_starts_nothing(stack: Stack, sample) -> None:
    body = sample("injection")
    body["gateway"]["network"].pop("subnetId")
    reply = stack.submit(body)
    assert reply.status == 400
    assert "gateway.network.subnetId" in {e["field"] for e in reply.body["errors"]}
    assert stack.instances() == []


def test_a_run_view_needs_a_signed_in_caller(stack: Stack, sample) -> None:
    reply = stack.submit(sample("injection"))
    assert stack.view(reply.body["id"], headers={}).status == 401
    assert stack.view(reply.body["id"], headers=REQUESTER).status == 200


@pytest.mark.settings({"POLICY_REQUIRE_APPROVAL": "true"})
def test_approval_wait_is_resolved_by_the_raised_event(stack: Stack, sample) -> None:
    run_id = stack.submit(sample("injection")).body["id"]
    # Held from the wait to the event: an idle virtual clock would skip to the deadline.
    with stack.host.clock.hold():
        stack.advance_until(lambda: stack.waiting_for(run_id, "approval"))
        assert stack.resource(f"{GATEWAYS}/gw-payments") is None, "nothing built before approval"
        stack.raise_event(run_id, "approval", {"approved": True, "by": "bob@contoso.example"})
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Succeeded", run["output"]


@pytest.mark.settings({"POLICY_REQUIRE_APPROVAL": "true"})
def test_a_refused_approval_creates_nothing(stack: Stack, sample) -> None:
    before = stack.resources()
    run_id = stack.submit(sample("injection")).body["id"]
    with stack.host.clock.hold():
        stack.advance_until(lambda: stack.waiting_for(run_id, "approval"))
        assert stack.resources() == before  # the gate comes before the first write
        stack.raise_event(run_id, "approval", {"approved": False, "reason": "not this quarter"})
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Failed", run["output"]  # nothing to undo
    assert "not this quarter" in {s["name"]: s for s in run["steps"]}["approval"]["lastError"]
    assert stack.resources() == before


def test_private_ip_wait_is_resolved_by_the_raised_event(stack: Stack, sample) -> None:
    # Real ARM does not report a workspace gateway's private VIP (arm-behaviour.md §3.6).
    stack.sim.simulation.timings.gateway_exposes_private_ip = False
    run_id = stack.submit(sample("injection")).body["id"]
    with stack.host.clock.hold():
        stack.advance_until(lambda: stack.waiting_for(run_id, "private IP"))
        stack.raise_event(run_id, "private_ip", {"ip": "8.8.8.8"})  # public: asked again
        stack.advance_until(lambda: stack.waiting_for(run_id, "valid private IP"))
        stack.raise_event(run_id, "private_ip", {"ip": "10.20.1.9"})
    # The test is the operator here: the stand-in operator would answer the same wait with the
    # portal's IP and race the test's answer.
    run = stack.wait(run_id, operator=False)
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    zone = next(
        r
        for r in stack.sim.simulation.state()["resources"]
        if "/privatednszones/" in r["id"].lower() and r["type"].lower().endswith("/a")
    )
    assert zone["properties"]["aRecords"] == [{"ipv4Address": "10.20.1.9"}]


@pytest.mark.parametrize(
    ("decision", "outcome"), [("keepWaiting", "Succeeded"), ("abort", "Compensated")]
)
def test_stalled_build_waits_for_the_operators_decision(
    stack: Stack, sample, decision: str, outcome: str
) -> None:
    # A 10-hour build passes the 6-hour deadline: the run asks an operator what to do.
    stack.sim.simulation.timings.gateway_build_minutes = 600
    run_id = stack.submit(sample("injection")).body["id"]
    with stack.host.clock.hold():
        stack.advance_until(lambda: stack.waiting_for(run_id, "stalled"))
        stack.raise_event(run_id, "stalled_decision", {"action": decision})
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == outcome, run["output"]
    gateway = stack.resource(f"{GATEWAYS}/gw-payments")
    if outcome == "Succeeded":
        assert gateway is not None and gateway["properties"]["provisioningState"] == "Succeeded"
    else:
        assert gateway is None


@pytest.mark.settings({"POLICY_REQUIRE_APPROVAL": "true", "POLICY_REMINDER_HOURS": "1"})
def test_an_approval_arriving_with_a_reminder_is_not_lost(stack: Stack, sample) -> None:
    # Suspended, the run receives the due reminder timer and the event in one episode on
    # resume: the reminder goes out and the event still reaches the wait.
    run_id = stack.submit(sample("injection")).body["id"]
    with stack.host.clock.hold():
        stack.advance_until(lambda: stack.waiting_for(run_id, "approval"))
        stack.host.suspend(run_id, "test")
        stack.raise_event(run_id, "approval", {"approved": True, "by": "bob@contoso.example"})
        jump_to_next_timer(stack.host)  # the 1-hour reminder is now due as well
        stack.host.resume(run_id, "test")
        stack.advance_until(lambda: not stack.waiting_for(run_id, "approval"))
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Succeeded", run["output"]


@pytest.mark.parametrize("during_build", ["accept", "refuse", "await-build"])
def test_the_link_is_made_whatever_apim_does_with_a_link_during_the_build(
    stack: Stack, sample, during_build: str
) -> None:
    # Undocumented in Azure, so a switch: the run must succeed under every value.
    stack.sim.simulation.timings.config_connection_during_build = during_build
    run_id = stack.submit(sample("injection")).body["id"]
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    link = stack.resource(f"{GATEWAYS}/gw-payments/configConnections/ws-payments")
    assert link is not None and link["properties"]["provisioningState"] == "Succeeded"
    assert run["output"]["hostname"]


@pytest.mark.settings({"ARM_RETRY_TOTAL": "0"})
def test_a_dropped_connection_mid_step_is_retried_and_the_run_succeeds(
    stack: Stack, sample
) -> None:
    # With the SDK's own retries off, each drop fails the activity with a transport error; the
    # orchestrator must retry it as transient, not compensate (it did before arm_action).
    stack.sim.simulation.faults.add(
        {"method": "PUT", "path": "*/workspaces/ws-payments", "reset": True, "count": 2}
    )
    run_id = stack.submit(sample("injection")).body["id"]
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    workspace = {s["name"]: s for s in run["steps"]}["workspace"]
    assert workspace["attempts"] == 3
    drops = [r for r in stack.sim.simulation.request_log if r["status"] == 0]
    assert len(drops) == 2
