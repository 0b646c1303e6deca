"""Resubmission (issue 14, item 5), over HTTP and over Service Bus, on the whole local stack.

A ticket whose run is still going gets that run; an identical request for a finished ticket
gets its run; a changed request after a failed (compensated) run starts a new attempt
``<id>-r2``, linked to the first in both runs' views; a changed request after a success is
refused with a 409 that says what to do. Over Service Bus each case is a ``resubmitted``
event. Before, every request of a ticket silently returned its first run (and over Service
Bus nothing was said at all).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.devhost.conftest import http
from tests.e2e.conftest import REQUESTER, Stack
from tests.e2e.test_servicebus_e2e import _body, _events, _sample, _send

pytestmark = pytest.mark.timeout(120)

GOOD_PRINCIPAL = "a11ce000-0000-4000-8000-000000000001"


def _fixed(request: dict[str, Any]) -> dict[str, Any]:
    """failing-access with a principal that exists: the change a requester would make."""
    return {**request, "access": [{**g, "principalId": GOOD_PRINCIPAL}
                                  for g in request["access"]]}  # fmt: skip


def _runs(stack: Stack) -> set[str]:
    """The onboarding runs (other orchestrations, e.g. the daily drift check, left out)."""
    return {i.instance_id for i in stack.instances() if i.instance_id.startswith("onboard-")}


def _view(stack: Stack, run_id: str) -> dict[str, Any]:
    reply = http("GET", f"{stack.api}/onboardings/{run_id}", None, REQUESTER)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def test_http_identical_and_changed_requests_after_a_failure(stack: Stack) -> None:
    failing = _sample("failing-access")
    first = stack.submit(failing)
    assert first.status == 202 and "resubmission" not in first.body
    run_id = first.body["id"]
    assert stack.wait(run_id)["outcome"] == "Compensated"

    again = stack.submit(failing)
    assert again.status == 200, again.body
    assert (again.body["id"], again.body["resubmission"]) == (run_id, "identical")

    changed = stack.submit(_fixed(failing))
    assert changed.status == 202, changed.body
    attempt = changed.body["id"]
    assert attempt == f"{run_id}-r2" and changed.body["resubmission"] == "newAttempt"
    assert changed.body["attemptOf"] == run_id and "access" in changed.body["detail"]
    assert stack.wait(attempt)["outcome"] == "Succeeded"
    # Linked both ways.
    assert _view(stack, run_id)["attempts"] == [run_id, attempt]
    new_view = _view(stack, attempt)
    assert new_view["attemptOf"] == run_id and new_view["attempts"] == [run_id, attempt]

    # The attempt is now the ticket's latest run: the same changed request finds it...
    same = stack.submit(_fixed(failing))
    assert (same.status, same.body["id"], same.body["resubmission"]) == (200, attempt, "identical")
    # ...and a further change after its success is refused, saying what to do.
    more = stack.submit({**_fixed(failing), "team": "billing-2"})
    assert more.status == 409 and more.body["type"].endswith("/ticket-already-onboarded")
    assert more.body["changed"] == ["team"] and "new ticket" in more.body["detail"]
    assert _runs(stack) == {run_id, attempt}


@pytest.mark.settings({"POLICY_REQUIRE_APPROVAL": "true"})
def test_http_a_request_for_a_running_ticket_gets_that_run(stack: Stack) -> None:
    request = _sample("integration-shared")
    with stack.host.clock.hold():  # the approval wait must not time out on the virtual clock
        run_id = stack.submit(request).body["id"]
        stack.advance_until(lambda: stack.waiting_for(run_id, "approval"))
        for body in (request, {**request, "team": "changed"}):
            reply = stack.submit(body)
            assert reply.status == 200, reply.body
            assert (reply.body["id"], reply.body["resubmission"]) == (run_id, "running")
            assert reply.body["outcome"] == "WaitingOnOperator"
    assert _runs(stack) == {run_id}


def _resubmitted(stack: Stack, count: int) -> list[dict[str, Any]]:
    def enough(got: list[Any]) -> bool:
        return sum(1 for m in got if m.subject == "resubmitted") >= count

    events = [_body(m) for m in _events(stack, "audit", enough, timeout=30)]
    return [e for e in events if e["kind"] == "resubmitted"]


def _message(request: dict[str, Any]) -> tuple[bytes, str]:
    # A new MessageId each time: a corrected resend must not be dropped by duplicate detection.
    return json.dumps(request).encode(), uuid.uuid4().hex


def test_servicebus_each_case_is_said_on_the_topic(stack: Stack) -> None:
    failing = _sample("failing-access")
    _send(stack, _message(failing))
    run_id = "onboard-chg-1003"
    stack.host.wait_for(run_id, timeout=60)
    assert _view(stack, run_id)["outcome"] == "Compensated"

    _send(stack, _message(failing))  # identical
    [identical] = _resubmitted(stack, 1)
    assert (identical["outcome"], identical["instanceId"]) == ("identical", run_id)

    _send(stack, _message(_fixed(failing)))  # changed after Compensated
    [attempt] = _resubmitted(stack, 1)
    assert attempt["outcome"] == "newAttempt" and attempt["instanceId"] == f"{run_id}-r2"
    assert attempt["attemptOf"] == run_id and attempt["changed"]
    stack.host.wait_for(f"{run_id}-r2", timeout=60)
    assert _view(stack, f"{run_id}-r2")["outcome"] == "Succeeded"

    _send(stack, _message({**_fixed(failing), "team": "billing-2"}))  # changed after success
    [refused] = _resubmitted(stack, 1)
    assert refused["outcome"] == "refused" and refused["instanceId"] == f"{run_id}-r2"
    assert refused["changed"] == ["team"] and "new ticket" in refused["detail"]
    assert _runs(stack) == {run_id, f"{run_id}-r2"}


@pytest.mark.settings({"POLICY_REQUIRE_APPROVAL": "true"})
def test_servicebus_a_request_for_a_running_ticket_is_said_running(stack: Stack) -> None:
    request = _sample("integration-shared")
    run_id = "onboard-chg-1002"
    with stack.host.clock.hold():  # the approval wait must not time out on the virtual clock
        _send(stack, _message(request))
        stack.advance_until(lambda: run_id in _runs(stack) and stack.waiting_for(run_id, "approv"))
        _send(stack, _message({**request, "team": "changed"}))
        [running] = _resubmitted(stack, 1)
    assert (running["outcome"], running["instanceId"]) == ("running", run_id)
    assert _runs(stack) == {run_id}
