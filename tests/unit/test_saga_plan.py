"""The saga plan as data: steps per mode, compensation order, deadlines.

The order of calls and their parallel groups is the procedure's (orchestrators/saga.py), and
tests/unit/test_saga.py asserts it on the procedure itself.
"""

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


def test_approval_gates_every_request_when_the_policy_asks_shared_gateway_included():
    # The gate approves the grants and the workspace too, not only a new gateway's cost.
    assert _plan("integration", shared=True, requireApproval=True)[1].approval
    assert not _plan("integration", shared=True)[1].approval


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


def test_an_operator_wait_never_sets_a_timer_over_the_backends_short_timer_limit():
    # Timers over 6 days are split (Azure Storage) and a cancelled one keeps its pending chunk.
    far = T0 + dt.timedelta(days=30)
    assert next_wake(T0, far, 24 * 20) == T0 + dt.timedelta(days=5)
    assert next_wake(T0, far, 24) == T0 + dt.timedelta(hours=24)
