"""Private DNS and role-assignment activities against the simulator."""

from __future__ import annotations

import pytest

from activities.authorization import assign_role, remove_role
from activities.dns import ensure_private_dns, undo_private_dns
from shared.access_models import AssignRoleInput
from shared.dns_models import PrivateDnsInput
from shared.step_errors import StepError
from tests.simulator.conftest import ALICE, APIM_ID, CAROL, GROUP, SUB, VNET_ID

ZONE = "gw-payments-0123456789ab.gateway.westeurope-01.azure-api.net"
DNS_RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg-dns"


def _dns(ip: str = "10.20.1.4", instance: str = "onboard-chg1") -> PrivateDnsInput:
    return PrivateDnsInput(
        dns_resource_group_id=DNS_RG_ID, zone_name=ZONE, vnet_id=VNET_ID, private_ip=ip,
        instance_id=instance,
    )  # fmt: skip


def _dns_resources(sim) -> list[str]:
    return sorted(r["id"] for r in sim.state()["resources"] if "privateDnsZones" in r["type"])


def test_zone_link_and_apex_record_are_created(sim, factory):
    record = ensure_private_dns(_dns(), factory)
    assert (record.zone_created, record.link_created, record.record_created) == (True, True, True)
    apex = sim.resource(record.zone_id + "/A/@")
    assert apex["properties"]["aRecords"] == [{"ipv4Address": "10.20.1.4"}]


def test_dns_twice_is_idempotent_and_keeps_ownership(sim, factory):
    first = ensure_private_dns(_dns(), factory)
    resources = _dns_resources(sim)
    assert ensure_private_dns(_dns(), factory) == first
    assert _dns_resources(sim) == resources


def test_dns_undo_leaves_nothing_and_tolerates_gone(sim, factory):
    before = _dns_resources(sim)
    record = ensure_private_dns(_dns(), factory)
    undo_private_dns(record, factory)
    undo_private_dns(record, factory)
    assert _dns_resources(sim) == before


def test_dns_undo_keeps_a_zone_that_was_there_before(sim, factory):
    ensure_private_dns(_dns(instance="onboard-other"), factory)
    record = ensure_private_dns(_dns(), factory)
    assert (record.zone_created, record.link_created, record.record_created) == (
        False,
        False,
        False,
    )
    undo_private_dns(record, factory)
    assert sim.resource(record.zone_id) is not None


def test_role_assignment_is_deterministic_and_idempotent(sim, factory):
    inp = AssignRoleInput(
        scope=APIM_ID + "/workspaces/ws-legacy", role_name="API Management Workspace Reader",
        principal_id=ALICE, principal_type="User", instance_id="onboard-chg1",
    )  # fmt: skip
    first = assign_role(inp, factory)
    assert first.created
    assert assign_role(inp, factory) == first
    assignment = sim.resource(first.assignment_id)
    assert assignment["properties"]["principalId"] == ALICE
    assert assignment["properties"]["roleDefinitionId"].startswith(f"/subscriptions/{SUB}/")


def test_remove_role_undoes_and_tolerates_gone(sim, factory):
    record = assign_role(
        AssignRoleInput(scope=APIM_ID, role_name="API Management Service Workspace API Developer",
                        principal_id=GROUP, principal_type="Group"),
        factory,
    )  # fmt: skip
    remove_role(record, factory)
    remove_role(record, factory)
    assert sim.resource(record.assignment_id) is None


def test_principal_still_replicating_is_transient(sim, factory):
    with pytest.raises(StepError) as err:
        assign_role(
            AssignRoleInput(scope=APIM_ID, role_name="Reader", principal_id=CAROL,
                            principal_type="User"),
            factory,
        )  # fmt: skip
    assert (err.value.kind, err.value.code) == ("transient", "PrincipalNotFound")
    sim.advance(minutes=3)
    assert assign_role(
        AssignRoleInput(
            scope=APIM_ID, role_name="Reader", principal_id=CAROL, principal_type="User"
        ),
        factory,
    ).created


def test_unknown_role_name_is_permanent(sim, factory):
    with pytest.raises(StepError) as err:
        assign_role(
            AssignRoleInput(scope=APIM_ID, role_name="Workspace Wizard", principal_id=ALICE,
                            principal_type="User"),
            factory,
        )  # fmt: skip
    assert (err.value.kind, err.value.code) == ("permanent", "RoleNotFound")


def test_missing_permission_is_permanent_and_says_what_to_grant(sim, factory):
    sim.fault(method="PUT", path="*/roleAssignments/*", status=403, code="AuthorizationFailed",
              message="does not have authorization to perform action "
                      "'Microsoft.Authorization/roleAssignments/write'")  # fmt: skip
    with pytest.raises(StepError) as err:
        assign_role(
            AssignRoleInput(scope=APIM_ID, role_name="Reader", principal_id=ALICE,
                            principal_type="User"),
            factory,
        )  # fmt: skip
    assert err.value.kind == "permanent"
    assert "roleAssignments/write" in err.value.message
    assert "app's identity lacks" in err.value.message
