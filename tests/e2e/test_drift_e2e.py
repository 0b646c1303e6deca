"""Drift over the whole local stack (issue 15, item 4): a team onboarded in injection mode; by
hand through the simulator a grant is removed, an NSG rule edited and the A record changed; the
on-demand drift check (Operator) reports each (GET /api/drift, Reader); the repair (Operator,
approved) restores them and the next check finds nothing."""

from __future__ import annotations

from typing import Any

from shared.arm_ids import ArmId
from shared.azure_clients import ArmSettings, ClientFactory, StaticTokenCredential
from tests.devhost.conftest import http
from tests.e2e.conftest import OPERATOR, REQUESTER, Stack, principal

READER = principal("Onboarding.Reader", name="auditor@contoso.example")
SUB = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"


def _check(stack: Stack) -> list[dict[str, Any]]:
    started = http("POST", f"{stack.api}/drift", {}, OPERATOR)
    assert started.status == 202, started.body
    done = stack.wait(started.body["id"])
    assert done["output"]["outcome"] == "Succeeded", done["output"]
    listed = http("GET", f"{stack.api}/drift", None, READER)
    assert listed.status == 200, listed.body
    (item,) = listed.body["items"]
    return list(item["findings"])


def test_hand_changes_are_reported_and_repaired(stack: Stack, sample) -> None:
    stack.sim.simulation.timings.gateway_exposes_private_ip = False
    run_id = stack.submit(sample("injection")).body["id"]
    with stack.host.clock.hold():
        stack.advance_until(lambda: stack.waiting_for(run_id, "private IP"))
        stack.raise_event(run_id, "private_ip", {"ip": "10.20.1.9"})
    assert stack.wait(run_id)["output"]["outcome"] == "Succeeded"
    record = http("GET", f"{stack.api}/teams/payments", None, READER).body["workspaces"][0]
    assert _check(stack) == []

    arm = ClientFactory(ArmSettings(endpoint=stack.sim.url, ca_bundle=str(stack.sim.ca),
                                    credential="static", retry_total=0, polling_interval=0),
                        StaticTokenCredential())  # fmt: skip
    grant = next(g for g in record["grants"] if g["scope"] == "workspace")
    ref = ArmId.parse(grant["record"]["assignmentId"])
    arm.authorization(SUB).role_assignments.delete(str(ref.parent), ref.name)
    nsg = ArmId.parse(record["network"]["nsg"]["nsgId"])
    net = arm.network(SUB)
    rule = net.security_rules.get(nsg.resource_group, nsg.name, "apim-ws-out-storage")
    rule.priority = 4000
    net.security_rules.begin_create_or_update(
        nsg.resource_group, nsg.name, rule.name, rule
    ).result()
    zone = ArmId.parse(record["dns"]["record"]["zoneId"])
    dns = arm.private_dns(SUB)
    a = dns.record_sets.get(zone.resource_group, zone.name, "A", "@")
    a.a_records[0].ipv4_address = "10.20.1.77"
    dns.record_sets.create_or_update(zone.resource_group, zone.name, "A", "@", a)

    findings = _check(stack)
    assert {f["kind"] for f in findings} == {"grantMissing", "nsgRuleChanged", "dnsRecordChanged"}
    assert all(f["repairable"] for f in findings)

    body = {"ticketId": "CHG-1599", "workspace": "ws-payments",
            "apimServiceId": record["apimServiceId"], "reason": "drift"}  # fmt: skip
    assert http("POST", f"{stack.api}/teams/payments/repair", body, REQUESTER).status == 403
    started = http("POST", f"{stack.api}/teams/payments/repair", body, OPERATOR)
    assert started.status == 202, started.body
    repair_id = started.body["id"]
    stack.advance_until(lambda: stack.waiting_for(repair_id, "approval"))
    approved = http("POST", f"{stack.api}/onboardings/{repair_id}/approve",
                    {"approved": True, "reason": "CAB-16"}, OPERATOR)  # fmt: skip
    assert approved.status == 202, approved.body
    assert stack.wait(repair_id)["output"]["outcome"] == "Succeeded"
    assert _check(stack) == []
    assert arm.authorization(SUB).role_assignments.get(str(ref.parent), ref.name) is not None
    a = dns.record_sets.get(zone.resource_group, zone.name, "A", "@")
    assert [r.ipv4_address for r in a.a_records] == [record["dns"]["privateIp"]]
