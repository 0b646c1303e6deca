"""The saga plan as data: steps per mode, parallel stages, compensation order, deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.request import OnboardingRequest
from shared.saga_models import SagaPolicy
from shared.saga_plan import (
    build_deadline,
    compensation_order,
    next_wake,
    passed,
    plan_for,
)
from tests.unit.fake_azure import request

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _plan(mode: str, shared: bool = False, **policy):
    req = OnboardingRequest.model_validate(request(mode, shared=shared))
    return req, plan_for(req, SagaPolicy(**policy))


@pytest.mark.parametrize(
    ("mode", "shared", "skipped"),
    [
        ("injection", False, ("approval",)),
        ("integration", False, ("approval", "dns")),
        ("none", False, ("network", "approval", "dns")),
        ("integration", True, ("network", "approval", "wait", "dns")),
    ],
)
def test_each_mode_skips_exactly_the_steps_it_does_not_need(mode, shared, skipped):
    assert _plan(mode, shared)[1].skipped == skipped


def test_injection_stages_put_network_beside_workspace_and_roles_by_scope():
    req, plan = _plan("injection")
    assert plan.stages(req) == [
        ["preflight"],
        ["create_workspace", "ensure_nsg"],
        ["configure_subnet",
         "assign_role:service:API Management Service Workspace API Developer",
         "assign_role:workspace:API Management Workspace Contributor"],
        ["begin_gateway"],
        ["link_workspace", "assign_role:gateway:Reader"],
        ["gateway_waiter"],
        ["ensure_private_dns"],
    ]  # fmt: skip


def test_approval_gate_comes_right_before_the_gateway():
    req, plan = _plan("integration", requireApproval=True)
    stages = plan.stages(req)
    assert stages[stages.index(["approval"]) + 1] == ["begin_gateway"]


def test_a_shared_gateway_is_never_gated_by_approval():
    assert not _plan("integration", shared=True, requireApproval=True)[1].approval


def test_roles_split_into_early_and_gateway_scoped():
    _, plan = _plan("none")
    assert plan.early_roles == (0, 1) and plan.late_roles == (2,)


def test_compensation_runs_last_recorded_first():
    assert compensation_order(["workspace", "nsg", "subnet"]) == ["subnet", "nsg", "workspace"]


def test_reminders_wake_before_the_deadline_and_never_after_it():
    deadline = T0 + dt.timedelta(hours=30)
    assert next_wake(T0, deadline, 24) == T0 + dt.timedelta(hours=24)
    assert next_wake(T0 + dt.timedelta(hours=24), deadline, 24) == deadline


def test_a_deadline_has_passed_at_its_own_instant():
    assert passed(T0, T0) and not passed(T0 - dt.timedelta(seconds=1), T0)


def test_build_deadline_counts_from_the_given_time():
    assert build_deadline(T0, SagaPolicy(buildDeadlineHours=4)) == T0 + dt.timedelta(hours=4)
