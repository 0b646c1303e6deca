"""Every step's retry loop is bounded by its retry budget, within one execution's event budget.

A call that keeps failing retryably is retried on timers until its policy gives up
(shared/retry.py); counted as the host records it (shared/history_budget.py), the longest
loop of any policy fits the budget the gateway waiter's executions keep, so neither a run_step
child nor the saga's share for one inline call grows without bound under faults.
"""

from __future__ import annotations

import pytest

from orchestrators.step_runner import run_step_body
from shared import names
from shared.activity_table import POLICIES
from shared.history_budget import END, EXECUTION_BUDGET, START, TASK, retry_loop_events
from tests.unit.orchestration_driver import Driver, World, step_error


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_a_never_clearing_fault_ends_within_the_event_budget(policy: str) -> None:
    w = World()
    w.activities = {"flaky": lambda p, _: (_ for _ in ()).throw(step_error("transient", "Busy"))}
    drv = Driver(w, {names.RUN_STEP: run_step_body})
    result = drv.run(names.RUN_STEP, {"activity": "flaky", "payload": {}, "policy": policy})
    assert result["ok"] is False
    attempts = result["attempts"]
    assert len(w.calls) == attempts and len(w.timers) == attempts - 1
    events = START + retry_loop_events(attempts) + END
    assert events == START + TASK * (len(w.calls) + len(w.timers)) + END
    assert events <= EXECUTION_BUDGET
