"""Drift check and repair (issue 15, item 4) with the real activities against the simulator.

A team onboarded in injection mode; then changes by hand through the real SDKs: a grant
deleted, an NSG rule edited, the DNS A record pointed elsewhere, the subnet's NSG
association removed, and a grant added outside the product. The drift check reports each; the repair
re-applies the recorded state (as the run that made it) and the next check finds only what
cannot be repaired from the record (the grant added outside).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

from activities import teams
from orchestrators.drift_runs import drift_check_body, repair_body
from orchestrators.step_runner import run_step_body
from shared import names
from shared.arm_ids import ArmId
from shared.team_store import team_store
from tests.activities.team_fixtures import indexed_world  # noqa: F401 - index on, real activities
from tests.activities.test_change_access import _run_as
from tests.activities.test_saga_against_simulator import SimWorld
from tests.simulator.conftest import CAROL
from tests.unit.fake_azure import SERVICE, SUB, request
from tests.unit.orchestration_driver import Driver


def _drive(w: SimWorld, name: str, inp: dict[str, Any], instance_id: str) -> dict[str, Any]:
    drv = Driver(w, {names.DRIFT_CHECK: drift_check_body, names.REPAIR_TEAM: repair_body,
                     names.RUN_STEP: run_step_body})  # fmt: skip
    return drv.run(name, inp, instance_id=instance_id)


def _kinds(sim) -> dict[str, list[str]]:
    rows = [r for r in sim.state()["tables"]["devstoreaccount1"]["onboardingruns"]
            if r["PartitionKey"] == "drift"]  # fmt: skip
    import json

    (row,) = rows
    return {f["kind"]: f["resourceId"] for f in json.loads(row["drift"])["findings"]} | {}


def test_hand_changes_are_found_and_repaired(indexed_world, sim, factory):  # noqa: F811 - the fixture
    world = indexed_world
    world.events.append(("private_ip-1", world.now + dt.timedelta(hours=4), {"ip": "10.20.1.9"}))
    assert _run_as(world, request("injection"), "onboard-chg1")["outcome"] == "Succeeded"
    teams.record_onboarding(world.published[-1])
    (record,) = team_store().list("payments")
    assert record.network and record.network.nsg and record.dns and record.network.subnet_id

    clean = _drive(world, names.DRIFT_CHECK, {}, "drift-1")
    assert clean["outcome"] == "Succeeded", clean["error"]
    assert _kinds(sim) == {}

    # by hand: a grant removed, an NSG rule edited, the A record moved, the NSG detached
    grant = next(g for g in record.grants if g.scope == "workspace")
    ref = ArmId.parse(grant.record.assignment_id)
    authz = factory.authorization(SUB)
    authz.role_assignments.delete(str(ref.parent), ref.name)
    nsg = ArmId.parse(record.network.nsg.nsg_id)
    net = factory.network(SUB)
    rule = net.security_rules.get(nsg.resource_group, nsg.name, "apim-ws-in-vnet")
    rule.destination_port_ranges = ["80", "8080"]
    net.security_rules.begin_create_or_update(
        nsg.resource_group, nsg.name, rule.name, rule
    ).result()
    zone = ArmId.parse(record.dns.record.zone_id)
    dns = factory.private_dns(SUB)
    a = dns.record_sets.get(zone.resource_group, zone.name, "A", "@")
    a.a_records[0].ipv4_address = "10.20.1.99"
    dns.record_sets.create_or_update(zone.resource_group, zone.name, "A", "@", a)
    sub = ArmId.parse(record.network.subnet_id)
    subnet = net.subnets.get(sub.resource_group, sub.parent.name, sub.name)
    # (Azure refuses to remove the delegation while the gateway uses the subnet: the NSG goes)
    subnet.network_security_group = None
    net.subnets.begin_create_or_update(
        sub.resource_group, sub.parent.name, sub.name, subnet
    ).result()
    ws = record.workspace_id
    role = next(
        iter(
            authz.role_definitions.list(ws, filter="roleName eq 'API Management Workspace Reader'")
        )
    )
    outside = f"{ws}/providers/Microsoft.Authorization/roleAssignments/0e000000-0000-4000-8000-00000000000e"
    authz.role_assignments.create(ws, outside.rsplit("/", 1)[-1], RoleAssignmentCreateParameters(
        role_definition_id=str(role.id), principal_id=CAROL, principal_type="User"))  # fmt: skip

    found = _drive(world, names.DRIFT_CHECK, {}, "drift-2")
    assert found["outcome"] == "Succeeded", found
    kinds = _kinds(sim)
    assert set(kinds) == {"grantMissing", "nsgRuleChanged", "dnsRecordChanged",
                          "nsgAssociationRemoved", "grantAdded"}, kinds  # fmt: skip
    assert kinds["grantMissing"].lower() == grant.record.assignment_id.lower()
    assert kinds["grantAdded"].lower() == outside.lower()

    repair = {"ticketId": "CHG7", "team": "payments", "apimServiceId": SERVICE,
              "workspace": "ws-payments", "requestedBy": "oncall@contoso.example"}  # fmt: skip
    repaired = _drive(world, names.REPAIR_TEAM, {"request": repair, "policy": {}}, "repair-chg7")
    assert repaired["outcome"] == "Succeeded", repaired
    assert set(_kinds(sim)) == {"grantAdded"}  # not ours to remove: reported, never "repaired"
    back = authz.role_assignments.get(str(ref.parent), ref.name)
    assert "[onboarding:onboard-chg1]" in (back.description or "")  # the original run's mark
    assert [r.kind for r in team_store().list("payments")[0].runs] == ["onboard", "repair"]
