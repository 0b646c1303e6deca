"""The retry budget (issue 18, item 1): sized for a bad day, and a step that spends it says so."""

from __future__ import annotations

import datetime as dt
from typing import Any

from orchestrators.step_runner import run_with_retry
from shared.retry import DEFAULT, UNDO, RetryPolicy, jitter
from shared.step_errors import StepError

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Ctx:
    """Just enough of a Durable context for run_with_retry: timers move the clock."""

    instance_id = "onboard-chg1"

    def __init__(self) -> None:
        self.current_utc_datetime = T0

    def call_activity(self, name: str, payload: Any) -> tuple[str, str]:
        return ("activity", name)

    def create_timer(self, fire_at: dt.datetime) -> tuple[str, dt.datetime]:
        return ("timer", fire_at)


def _drive(errors: list[StepError | None], policy: RetryPolicy) -> Any:
    ctx, answers = Ctx(), iter(errors)
    gen = run_with_retry(ctx, "ensure_nsg", {}, policy)
    task = next(gen)
    try:
        while True:
            if task[0] == "timer":
                ctx.current_utc_datetime = task[1]
                task = gen.send(None)
                continue
            error = next(answers)
            task = gen.throw(Exception(str(error))) if error else gen.send({"ok": 1})
    except StopIteration as stop:
        return stop.value


def test_a_transient_error_that_outlasts_the_budget_says_the_budget_ended_the_step():
    busy = StepError("transient", "ServiceUnavailable", "read subnet: 503")
    result = _drive([busy] * 20, RetryPolicy(max_attempts=3))
    assert not result.ok and result.attempts == 3
    assert "retry budget spent (3 attempts" in result.error["message"]


def test_a_permanent_error_fails_at_once_and_says_only_its_cause():
    denied = StepError("permanent", "AuthorizationFailed", "the identity lacks X")
    result = _drive([denied], DEFAULT)
    assert result.attempts == 1 and result.error["message"] == "the identity lacks X"


def test_the_default_budget_holds_ten_attempts_within_its_hour_at_the_longest_jitter():
    total = sum(
        min(DEFAULT.first_delay_s * DEFAULT.factor ** (a - 1), DEFAULT.max_delay_s) * 1.2
        for a in range(1, DEFAULT.max_attempts)
    )
    assert DEFAULT.max_attempts == 10 and total <= DEFAULT.max_total_s
    assert 0.8 <= jitter("x", 1) < 1.2


def test_a_fifth_of_calls_faulted_fails_no_step_by_chance():
    # docs/operators.md "Retry budgets": per call p = 0.2 faulted, 3 inline retries; an
    # activity of up to 15 calls, 2 of them network writes that may also meet a conflict
    # (AnotherOperationInProgress, not retried inline) with p = 0.2 each.
    p, inline_tries, calls, writes = 0.2, 4, 15, 2
    call_fails = p**inline_tries
    attempt_fails = 1 - (1 - call_fails) ** calls * (1 - p) ** writes
    step_fails = attempt_fails**DEFAULT.max_attempts
    assert attempt_fails < 0.4
    assert step_fails < 1e-4  # per network step; ~4 such calls per run incl. undo: < 1 in 2500
    assert attempt_fails**UNDO.max_attempts < 1e-4
