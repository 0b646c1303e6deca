"""Retry delays and the gateway poll schedule."""

from __future__ import annotations

from shared.retry import DEFAULT, RetryPolicy, jitter, next_delay, next_poll_interval
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


def test_poll_interval_is_within_ten_percent_and_ten_minutes():
    for elapsed in (0, 60, 1200, 3600, 10800, 43200):
        interval = next_poll_interval(elapsed)
        assert interval <= 600
        assert elapsed < 1200 or interval <= 0.1 * elapsed + 1e-9


def test_polls_for_a_three_hour_build():
    t, polls = 0.0, 0
    while t < 3 * 3600:
        t += next_poll_interval(t)
        polls += 1
    print(f"polls over 3 h: {polls}")
    assert polls < 360 / 8  # far below the SDK poller's 360; exact figures live in bench/
