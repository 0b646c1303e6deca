"""Operator actions under the real host's wait semantics (devhost follows the .NET shim).

The host awaits each action the SDK yields with .NET semantics
(/work/shared/reference/durable-host-semantics.md rows 1-3 and 6): every event wait it reaches is
a waiter of its own (the newest pending one of a name takes an event), timers over 6 days are
split, and a run stays Running while an uncancelled timer it started is open. A cancel raised
during the build after earlier waits left ``cancel`` waiters behind still ends the build's wait
at once; an approved run with week-long reminders ends when it is done.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.devhost.conftest import http
from tests.e2e.conftest import OPERATOR, Stack


def _post(stack: Stack, path: str, body: object) -> int:
    return http("POST", f"{stack.api}/onboardings{path}", body, OPERATOR).status


@pytest.mark.settings({"POLICY_REQUIRE_APPROVAL": "true"})
def test_terminate_with_compensation_during_the_build_after_an_approval(
    stack: Stack, sample
) -> None:
    before = stack.resources()
    reply = stack.submit(sample("injection"))
    assert reply.status == 202, reply.body
    run_id = str(reply.body["id"])
    with stack.host.clock.hold():
        stack.advance_until(lambda: stack.waiting_for(run_id, "approval"))
        assert _post(stack, f"/{run_id}/approve", {"approved": True, "reason": "CAB-9"}) == 202
        stack.advance_until(lambda: stack.waiting_for(run_id, "gateway build"))
        cancelled_at = stack.host.clock.now()
        assert (
            _post(stack, f"/{run_id}/terminate", {"reason": "wrong VNet", "compensate": True})
            == 202
        )
        # Compensation needs no build: it undoes the gateway while it is still building.
        stack.advance_until(lambda: stack.resources() == before, timeout=60)
        undone_after = stack.host.clock.now() - cancelled_at
    assert undone_after < dt.timedelta(hours=1), f"compensation waited {undone_after}"
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Compensated", run["output"]


@pytest.mark.settings(
    {
        "POLICY_REQUIRE_APPROVAL": "true",
        "POLICY_REMINDER_HOURS": "200",
        "POLICY_APPROVAL_TIMEOUT_HOURS": "300",
    }
)
def test_an_approved_run_with_week_long_reminders_ends_when_it_is_done(
    stack: Stack, sample
) -> None:
    # A reminder over 6 days is a long timer (3-day chunks on Azure Storage); cancelling it when
    # the answer wins leaves its pending chunk, which keeps the run Running for days.
    reply = stack.submit(sample("integration-shared"))
    assert reply.status == 202, reply.body
    run_id = str(reply.body["id"])
    with stack.host.clock.hold():
        stack.advance_until(lambda: stack.waiting_for(run_id, "approval"))
        approved_at = stack.host.clock.now()
        assert _post(stack, f"/{run_id}/approve", {"approved": True, "reason": "CAB-9"}) == 202
    run = stack.wait(run_id)
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    ended = stack.host.status(run_id)["lastUpdatedTime"]
    held = dt.datetime.fromisoformat(ended.replace("Z", "+00:00")) - approved_at
    assert held < dt.timedelta(days=1), f"the run stayed Running {held} after its approval"
