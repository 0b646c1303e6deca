"""Two starts of one ticket at once: the loser finds the winner's run (issue 12, #12).

The race: both callers ask Durable for the ticket's run and hear "none", both start it, and the
host refuses the second start with a 500 whose body the SDK raises as a plain ``Exception``
(devhost/README.md, "Starting an existing id"). The loser must answer exactly as for a run that
already existed: HTTP 200 ``existing: true``, Service Bus the duplicate path.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

import azure.functions as func
import pytest
from azure.functions.servicebus import ServiceBusMessage

from tests.unit.principals import principal_headers
from tests.unit.test_function_app import _INDEXED  # noqa: F401 - index once per process
from tests.unit.test_request_contract import VALID
from tests.unit.test_triggers import FakeClient
from triggers import http_api, servicebus

# What the host answers a start of a Pending instance, as the SDK raises it (its parsed body).
ALREADY_EXISTS = {
    "Message": "Something went wrong while processing your request",
    "ExceptionMessage": "An Orchestration instance with the status Pending already exists.",
    "ExceptionType": "System.InvalidOperationException",
}


@dataclass
class RacingClient(FakeClient):
    """Another caller starts the same instance between our get_status and our start_new."""

    error: Any = None

    async def start_new(self, name: str, instance_id: str, client_input: Any) -> str:
        if self.error is not None:
            raise Exception(self.error)
        self.runs[instance_id] = {"by": "the other caller"}  # the winner's run now exists
        raise Exception(ALREADY_EXISTS)


def _post(client: FakeClient, params: dict[str, str] | None = None) -> func.HttpResponse:
    req = func.HttpRequest("POST", "http://127.0.0.1:7071/api/onboardings",
                           body=json.dumps(VALID).encode(), params=params or {},
                           headers=principal_headers())  # fmt: skip
    handler = inspect.unwrap(http_api.start_onboarding._function._func)
    return asyncio.run(handler(req, client))


def _deliver(client: FakeClient) -> None:
    msg = ServiceBusMessage(body=json.dumps(VALID).encode(), message_id="m-2",
                            application_properties={}, user_properties={})  # fmt: skip
    handler = inspect.unwrap(servicebus.onboarding_message._function._func)
    asyncio.run(handler(msg, client))


def test_http_start_that_loses_the_race_answers_the_existing_run():
    response = _post(RacingClient())
    body = json.loads(response.get_body())
    assert response.status_code == 200, body
    assert body["id"] == "onboard-chg0012345" and body["existing"] is True
    assert response.headers["Location"].endswith("/api/onboardings/onboard-chg0012345")


def test_servicebus_start_that_loses_the_race_is_the_duplicate_path(caplog, monkeypatch):
    from triggers import servicebus

    published: list[dict[str, Any]] = []
    monkeypatch.setattr(servicebus, "publish_event", published.append)
    with caplog.at_level(logging.INFO, logger="onboarding.servicebus"):
        _deliver(RacingClient())  # completes: no raise, so the message is not retried
    assert "is for the ticket of onboard-chg0012345: running" in caplog.text
    # The ticket hears that its run is going (issue 14, item 5: every resubmission case is
    # said on the topic; this test asserted only the log line before).
    assert [(e["kind"], e["outcome"]) for e in published] == [("resubmitted", "running")]


def test_a_start_that_fails_for_another_reason_still_fails():
    # No run appeared: the start really failed (Durable unreachable, ...); never hide that.
    broken = {"Message": "backend down", "ExceptionMessage": "The task hub is unavailable."}
    with pytest.raises(Exception, match="task hub is unavailable"):
        _post(RacingClient(error=broken))
    with pytest.raises(Exception, match="task hub is unavailable"):
        _deliver(RacingClient(error=broken))


def test_the_dry_run_reads_arm_off_the_event_loop(monkeypatch):
    import activities.preflight
    from shared.preflight import PreflightFacts, PreflightResult

    seen: list[tuple[bool, bool]] = []

    def run_preflight(inp: Any, factory: Any = None) -> PreflightResult:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        seen.append((on_loop, threading.current_thread() is threading.main_thread()))
        return PreflightResult(passed=True, findings=[],
                               facts=PreflightFacts(mode=inp.mode, service_exists=True))  # fmt: skip

    monkeypatch.setattr(activities.preflight, "run_preflight", run_preflight)
    response = _post(FakeClient(), {"dryRun": "true"})
    assert response.status_code == 200, response.get_body()
    # Blocking SDK calls inside the async handler would stall every other request meanwhile.
    assert seen == [(False, False)]
