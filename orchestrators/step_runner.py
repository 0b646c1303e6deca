"""Sub-orchestration that runs one activity with classified retries on durable timers.

It never raises: it returns ``RunStepResult`` with ``ok`` and the error, so a parent running
several of these in parallel (``task_all``) learns what every branch did, which compensation
needs. Retry decisions come from shared/retry.py (DESIGN.md §3).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Generator
from typing import Any

import azure.durable_functions as df

from orchestrators.context import OrchestrationContext
from shared import names
from shared.activity_table import POLICIES
from shared.retry import RetryPolicy, next_delay
from shared.saga_models import RunStepInput, RunStepResult
from shared.step_errors import StepError, parse_step_error

bp = df.Blueprint()

# Told about each retry before its timer: (attempt that failed, its error, when the next starts);
# None once the call has ended. The ledger publishes it in the run's custom status
# (shared/status_model.py: a step "retrying" with attempt n, last error and next try).
RetryReport = Callable[[dict[str, Any] | None], None]


def as_step_error(exc: Exception) -> StepError:
    """The classified error inside an activity failure; unclassified failures are permanent."""
    found = parse_step_error(str(exc))
    if found is not None:
        return found
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StepError("permanent", "ActivityFailed", first_line[:500])


def budget_spent(policy: RetryPolicy, attempts: int, elapsed_s: float) -> str:
    """Why a retryable error failed the call: the documented retry budget is spent."""
    return (
        f"still failing after {attempts} attempts over {elapsed_s:.0f} s; retry budget spent "
        f"({policy.max_attempts} attempts, {policy.max_total_s:.0f} s; docs/operators.md)"
    )


def retry_info(activity: str, attempt: int, error: StepError, next_at: dt.datetime
               ) -> dict[str, Any]:  # fmt: skip
    """What a retry report says (shared/status_model.Retrying's JSON form), bounded."""
    return {"activity": activity, "attempt": attempt,
            "lastError": f"{error.code}: {error.message}"[:300],
            "nextRetry": next_at.isoformat()}  # fmt: skip


def run_with_retry(
    context: OrchestrationContext,
    activity: str,
    payload: Any,
    policy: RetryPolicy,
    report: RetryReport | None = None,
) -> Generator[Any, Any, RunStepResult]:
    """Call ``activity`` until it succeeds, fails permanently or the policy gives up.

    A failed result's error carries ``partial``, the undo record of work done half-way, from
    the latest attempt that reported one. ``report`` hears of each retry before its timer and
    of the end of the call (None); it only sets custom status, so it adds nothing to history.
    """
    started = context.current_utc_datetime
    attempt = 0
    partial: dict[str, Any] | None = None
    while True:
        attempt += 1
        try:
            result = yield context.call_activity(activity, payload)
            if report is not None and attempt > 1:
                report(None)
            return RunStepResult(ok=True, result=result, attempts=attempt)
        except Exception as exc:  # the SDK raises plain Exception for TaskFailed
            error = as_step_error(exc)
            # What an attempt made stays made: an attempt that failed before it could look
            # (its first read) keeps the partial work an earlier attempt reported.
            partial = error.partial = error.partial or partial
            elapsed = (context.current_utc_datetime - started).total_seconds()
            seed = f"{context.instance_id}:{activity}"
            delay = next_delay(policy, attempt, error, seed, elapsed)
            if delay is None:
                if error.retryable:  # say that the budget, not the error, ended the step
                    error.message = f"{error.message} ({budget_spent(policy, attempt, elapsed)})"
                if report is not None and attempt > 1:
                    report(None)
                return RunStepResult(ok=False, error=dataclasses.asdict(error), attempts=attempt)
            next_at = context.current_utc_datetime + dt.timedelta(seconds=delay)
            if report is not None:
                report(retry_info(activity, attempt, error, next_at))
            yield context.create_timer(next_at)


def run_step_body(context: OrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    inp = RunStepInput.model_validate(context.get_input())

    def report(info: dict[str, Any] | None) -> None:
        # The parent lists this child in its custom status ("children"); the run view reads
        # this one to show the parallel call's retry (shared/status_model.child_retrying).
        context.set_custom_status({"step": inp.step, "retrying": info} if info else None)

    result = yield from run_with_retry(
        context, inp.activity, inp.payload, POLICIES[inp.policy], report if inp.step else None
    )
    return result.model_dump(by_alias=True)


@bp.orchestration_trigger(context_name="context", orchestration=names.RUN_STEP)
def run_step(context: df.DurableOrchestrationContext) -> Any:
    return (yield from run_step_body(context))
