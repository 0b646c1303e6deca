"""Step errors survive the trip through a TaskFailed reason as text."""

from __future__ import annotations

from shared.step_errors import StepError, parse_step_error


def test_round_trip_through_the_failure_text():
    error = StepError("throttled", "SubscriptionRequestsThrottled", "slow down", 7.0)
    reason = f"Activity function 'x' failed: {error}\nTraceback ..."
    assert parse_step_error(reason) == error


def test_other_failures_are_not_step_errors():
    assert parse_step_error("ValueError: boom") is None
    assert parse_step_error("STEP_ERROR {not json") is None
    assert parse_step_error(None) is None


def test_only_permanent_is_not_retryable():
    assert not StepError("permanent", "X", "m").retryable
    assert all(StepError(k, "X", "m").retryable for k in ("transient", "throttled", "conflict"))
