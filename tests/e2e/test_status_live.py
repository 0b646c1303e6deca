"""The status model live over the local stack (issue 14, item 1): a retrying call is visible.

The failing-access sample grants roles to a principal the directory does not know: its
service- and workspace-scope grants run side by side (run_step children) and retry
PrincipalNotFound for half an hour. While they do, the run view says the step is retrying,
with the attempt, the last error and the next try (read from the children's custom status),
and the list row names the live step; in the end the run is Compensated and the simulator
holds exactly what it held before.
"""

from __future__ import annotations

from typing import Any

from tests.devhost.conftest import http
from tests.e2e.conftest import Stack, principal

READER = principal("Onboarding.Reader")


def _step(view: dict[str, Any], name: str) -> dict[str, Any]:
    return next((s for s in view["steps"] if s["name"] == name), {})


def _retrying(stack: Stack, run_id: str) -> bool:
    reply = stack.view(run_id)
    return reply.status == 200 and _step(reply.body, "access").get("status") == "retrying"


def test_a_parallel_call_retrying_is_shown_live_and_the_run_ends_undone(
    stack: Stack, sample
) -> None:
    before = stack.resources()
    run_id = stack.submit(sample("failing-access")).body["id"]
    with stack.host.clock.hold():
        stack.advance_until(lambda: _retrying(stack, run_id))
        view = stack.view(run_id).body
        access = _step(view, "access")
        assert view["outcome"] == "Running" and view["waitingFor"] is None
        assert "PrincipalNotFound" in access["lastError"]
        assert access["nextRetry"] and access["attempts"] >= 1
        assert view["ticketId"] == "CHG-1003" and view["team"] == "billing"
        listed = http("GET", f"{stack.api}/onboardings?ticket=CHG-1003", None, READER)
        [row] = listed.body["items"]
        assert row["outcome"] == "Running" and row["id"] == run_id
    run = stack.wait(run_id)
    assert run["outcome"] == "Compensated" and run["runtimeStatus"] == "Completed"
    access = _step(run, "access")
    assert access["status"] == "failed" and access["nextRetry"] is None
    assert access["attempts"] > access["retries"] > 0  # every try counted, retries among them
    assert stack.resources() == before
