"""Partial work is undone (issue 18, item 2): a permanent fault at each ARM write of an
injection onboarding in turn, and the simulator ends exactly as it was before the run.

Runs the saga in-process against the simulator on its virtual clock (the harness of
test_saga_against_simulator.py). An activity that makes several resources (private DNS: zone,
link, record; an NSG and its rules) and fails half-way reports what it made in its error
(StepError.partial), and the ledger pushes that as an undo entry.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from activities import dns as dns_activities
from shared.dns_models import PrivateDnsInput
from shared.step_errors import StepError
from tests.activities.test_saga_against_simulator import SimWorld, _run, world  # noqa: F401
from tests.unit.fake_azure import request

# What a write may change besides what it was asked: the simulator's bookkeeping fields.
VOLATILE = {"etag", "provisioningState", "createdAtUtc", "lastModifiedAt", "systemData"}
WRITES = {"PUT", "PATCH", "DELETE", "POST"}


def snapshot(sim) -> dict[str, str]:
    """Every resource, by id (lower case), with its content minus volatile fields."""

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: clean(v) for k, v in sorted(node.items()) if k not in VOLATILE}
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    return {r["id"].lower(): json.dumps(clean(r), sort_keys=True) for r in sim.state()["resources"]}


def arm_writes(sim) -> list[tuple[str, str]]:
    """The forward ARM writes of the run so far (method, path), in order, once each."""
    seen: list[tuple[str, str]] = []
    for entry in sim.requests():
        method, path = entry.get("method", ""), entry.get("path", "").split("?")[0]
        if method in WRITES and "/_sim/" not in path and (method, path) not in seen:
            seen.append((method, path))
    return seen


def fault_at(sim, method: str, path: str) -> None:
    sim.fault(method=method, path="^" + re.escape(path) + "$", status=403,
              code="AuthorizationFailed", message="injected permanent fault", count=1)  # fmt: skip


@pytest.fixture
def forward_writes(world, sim) -> list[tuple[str, str]]:  # noqa: F811
    """The writes a fault-free injection onboarding makes (learned once per test)."""
    result = _run(world, request("injection"))
    assert result["outcome"] == "Succeeded", result
    writes = arm_writes(sim)
    sim.call("POST", "/_sim/reset")
    return writes


def test_a_permanent_fault_at_each_write_restores_the_exact_prior_state(
    world,  # noqa: F811
    sim,
    forward_writes,
):
    assert len(forward_writes) >= 11, forward_writes
    restored: list[str] = []
    for method, path in forward_writes:
        sim.call("POST", "/_sim/reset")
        before = snapshot(sim)
        fault_at(sim, method, path)
        result = _run(SimWorld(sim), request("injection"))  # a world on the reset clock
        sim.advance(hours=2)  # let a gateway delete finish
        after = snapshot(sim)
        assert result["outcome"] in ("Compensated", "Failed"), (method, path, result["outcome"])
        assert result["leftovers"] == [], (method, path, result["leftovers"])
        if after == before:
            restored.append(f"{method} {path}")
        else:
            extra = sorted(set(after) - set(before))
            changed = sorted(k for k in before if k in after and before[k] != after[k])
            pytest.fail(f"fault at {method} {path}: left {extra}, changed {changed}")
    assert len(restored) == len(forward_writes)
    print(f"\nper-write permanent faults: {len(restored)} of {len(forward_writes)} exact restores")


@pytest.mark.parametrize("fails", ["virtualNetworkLinks", "/A/"])
def test_private_dns_failing_half_way_reports_the_zone_it_made(sim, factory, fails):
    from tests.unit.fake_azure import RG

    before = snapshot(sim)
    inp = PrivateDnsInput(
        dns_resource_group_id=f"{RG}/rg-dns",
        zone_name="gw-payments-abc.westeurope.gateway.azure-api.net",
        vnet_id=f"{RG}/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-apim",
        private_ip="10.20.1.4",
        instance_id="onboard-chg1",
    )
    sim.fault(method="PUT", path=f"*{fails}*", status=400, code="InvalidParameter", count=1)
    with pytest.raises(StepError) as raised:
        dns_activities.ensure_private_dns(inp, factory)
    partial = raised.value.partial
    assert partial is not None and partial["zoneCreated"] is True
    dns_activities.undo_private_dns(
        dns_activities.PrivateDnsRecord.model_validate(partial), factory
    )
    sim.advance(minutes=5)
    assert snapshot(sim) == before


def test_partial_work_survives_the_failure_text_and_an_error_without_it_reads_as_before():
    from shared.step_errors import parse_step_error

    plain = StepError("permanent", "X", "m")
    assert "partial" not in str(plain)
    carried = StepError("transient", "X", "m", partial={"zoneId": "z"})
    assert parse_step_error(f"Activity failed: {carried}") == carried


def test_a_grant_made_then_refused_whose_take_back_fails_is_reported_for_undo(sim, factory):
    # The group's id requested as a user: ARM makes the grant, the activity finds the type
    # wrong and takes it back, but that delete is refused: the grant is this run's leftover.
    from activities.authorization import assign_role, remove_role
    from shared.access_models import AssignRoleInput, RoleRecord
    from tests.simulator.conftest import APIM_ID, GROUP

    before = snapshot(sim)
    inp = AssignRoleInput(scope=APIM_ID, role_name="API Management Service Workspace API Developer",
                          principal_id=GROUP, principal_type="User",
                          instance_id="onboard-chg-6002")  # fmt: skip
    sim.fault(method="DELETE", path="*/roleAssignments/*", status=403, code="AuthorizationFailed",
              count=1)  # fmt: skip
    with pytest.raises(StepError) as raised:
        assign_role(inp, factory)
    assert raised.value.partial is not None, raised.value
    assert snapshot(sim) != before  # the grant is still there
    remove_role(RoleRecord.model_validate(raised.value.partial), factory)
    assert snapshot(sim) == before
