"""Retry delays and the gateway poll schedule."""

from __future__ import annotations

from shared.retry import (
    DEFAULT,
    RetryPolicy,
    jitter,
    next_delay,
    next_poll_interval,
    poll_offsets,
)
from shared.step_errors import StepError

TRANSIENT = StepError("transient", "InternalServerError", "m")


def test_delays_grow_exponentially_within_jitter():
    delays = [next_delay(DEFAULT, a, TRANSIENT, "run", 0) for a in (1, 2, 3)]
    assert all(d is not None for d in delays)
    assert 12 <= delays[0] <= 18 and 24 <= delays[1] <= 36 and 48 <= delays[2] <= 72


def test_jitter_is_deterministic_and_bounded():
    assert jitter("run-1", 3) == jitter("run-1", 3)
    assert jitter("run-1", 3) != jitter("run-2", 3)
    assert all(0.8 <= jitter(f"r{i}", i) < 1.2 for i in range(50))


def test_permanent_errors_are_not_retried():
    assert next_delay(DEFAULT, 1, StepError("permanent", "X", "m"), "run", 0) is None


def test_retry_after_is_honoured_when_longer():
    throttled = StepError("throttled", "SubscriptionRequestsThrottled", "m", retry_after=120)
    assert next_delay(DEFAULT, 1, throttled, "run", 0) == 120


def test_attempts_and_total_time_are_capped():
    assert next_delay(RetryPolicy(max_attempts=3), 3, TRANSIENT, "run", 0) is None
    assert next_delay(RetryPolicy(max_total_s=100), 1, TRANSIENT, "run", 95) is None


def _lateness(completion_s: float) -> float:
    return next(t for t in poll_offsets(completion_s) if t >= completion_s) - completion_s


def test_a_three_hour_build_takes_at_most_30_polls():
    assert len(poll_offsets(3 * 3600)) <= 30


def test_completion_is_never_noticed_more_than_ten_minutes_late():
    assert max(_lateness(c) for c in range(0, 6 * 3600, 37)) <= 600


def test_completion_after_fifty_minutes_is_noticed_within_ten_percent_of_elapsed():
    late = [(c, _lateness(c)) for c in range(3000, 6 * 3600, 37)]
    assert all(lateness <= 0.1 * c for c, lateness in late)


def test_early_polls_are_sparse():
    assert next_poll_interval(0) == next_poll_interval(600) == 300
