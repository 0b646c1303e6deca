"""The resubmission decision (issue 14, item 5; shared/resubmission.py), alone."""

from __future__ import annotations

import pytest

from shared import resubmission as rs
from shared.request import instance_id_for


@pytest.mark.parametrize(
    ("outcome", "same", "decision"),
    [
        (None, False, "start"),
        ("Running", False, "running"),
        ("WaitingOnOperator", True, "running"),
        ("Compensating", False, "running"),
        ("Succeeded", True, "identical"),
        ("Succeeded", False, "refusedSucceeded"),
        ("Failed", True, "identical"),
        ("Failed", False, "newAttempt"),
        ("Compensated", False, "newAttempt"),
        ("CompensationFailed", False, "refusedState"),
        ("Terminated", False, "refusedState"),
        ("Terminated", True, "identical"),
    ],
)
def test_the_latest_run_and_the_request_decide(outcome, same, decision) -> None:
    assert rs.decide(outcome, same) == decision


def test_new_attempts_start_at_r2_and_skip_taken_ids() -> None:
    first = "onboard-chg-1003"
    assert rs.next_attempt(first, [first]) == f"{first}-r2"
    assert rs.next_attempt(first, [first, f"{first}-r1", f"{first}-r2"]) == f"{first}-r3"
    assert rs.next_attempt(first, [first, *rs.attempt_ids(first)]) is None


def test_attempt_numbers_belong_to_one_ticket_only() -> None:
    first = instance_id_for("CHG-7")
    assert rs.attempt_number(first, first) == 0
    assert rs.attempt_number(first, f"{first}-r12") == 12
    assert rs.attempt_number(first, instance_id_for("CHG-70")) is None
    assert rs.attempt_number(first, f"{first}-r2x") is None
    assert rs.attempt_number(first, f"{first}-r02") is None
    # A ticket that reads like an attempt of another gets a hashed id, never "<first>-r<N>".
    assert rs.attempt_number(first, instance_id_for("CHG-7-R2")) is None


def test_changed_fields_name_the_leaves_that_differ() -> None:
    old = {"team": "a", "gateway": {"capacity": 1, "network": {"mode": "none"}}, "access": [1]}
    new = {"team": "a", "gateway": {"capacity": 2, "network": {"mode": "none"}}, "access": [2],
           "dns": None}  # fmt: skip
    assert rs.changed_fields(old, new) == ["access", "gateway.capacity"]
    assert rs.changed_fields(old, old) == []


def test_normalised_requests_compare_equal_with_or_without_defaults() -> None:
    from tests.unit.test_request_contract import VALID

    bare = {k: v for k, v in VALID.items() if k != "access"}
    spelled = {**bare, "access": [], "kind": "onboard"}
    assert rs.normalised(bare) == rs.normalised(spelled)
