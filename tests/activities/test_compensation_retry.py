"""CompensationFailed is recoverable (issue 18, item 3): the run's output lists its leftover
undo entries, and the operator's compensate action runs them again until nothing is left.

In-process against the simulator on the virtual clock (the harness of
test_saga_against_simulator.py): a run whose workspace delete is refused ends
CompensationFailed; once the cause is fixed, the compensation run (orchestrators/compensation.py)
removes the leftover and the simulator is exactly as before the run. The operator API's
``POST .../compensate`` is driven with a Durable client stand-in.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
import pytest

from orchestrators.compensation import retry_compensation_body
from orchestrators.gateway_waiter import wait_for_gateway
from orchestrators.saga import onboarding
from orchestrators.step_runner import run_step_body
from shared import names
from shared.saga_models import CompensationInput
from tests.activities.test_fault_soak import LAST_GRANT
from tests.activities.test_partial_work import snapshot
from tests.activities.test_saga_against_simulator import SimWorld, _run, world  # noqa: F401
from tests.unit.fake_azure import request
from tests.unit.orchestration_driver import Driver
from tests.unit.principals import principal_headers
from tests.unit.test_function_app import _INDEXED  # noqa: F401 - index once per process
from triggers import operator_api
from triggers.auth import OPERATOR

WORKSPACE_DELETE = "^/subscriptions/.*/service/[^/]+/workspaces/[^/]+$"


def _compensation_failed_run(sim) -> dict[str, Any]:
    sim.fault(method="PUT", path=LAST_GRANT, status=403, code="AuthorizationFailed", count=1)
    sim.fault(method="DELETE", path=WORKSPACE_DELETE, status=403, code="AuthorizationFailed",
              message="injected: the identity may not delete workspaces", count=1000)  # fmt: skip
    result = _run(SimWorld(sim), request("none"))
    sim.call("DELETE", "/_sim/faults")  # the operator fixed the cause (granted the permission)
    return result


def test_a_compensation_failed_run_lists_its_leftover_undo_and_compensate_removes_it(sim, world):  # noqa: F811
    before = snapshot(sim)
    result = _compensation_failed_run(sim)
    assert result["outcome"] == "CompensationFailed", result["leftovers"]
    [entry] = result["leftoverUndo"]
    assert entry["activity"] == "delete_workspace" and result["leftovers"] == [entry["label"]]
    assert snapshot(sim) != before  # the workspace is still there

    compensation = CompensationInput(compensation_of=result["instanceId"],
                                     ticket_id=result["ticketId"],
                                     entries=result["leftoverUndo"])  # fmt: skip
    again = SimWorld(sim)
    drv = Driver(again, {names.RETRY_COMPENSATION: retry_compensation_body,
                         names.RUN_STEP: run_step_body, names.SAGA: onboarding,
                         names.GATEWAY_WAITER: wait_for_gateway})  # fmt: skip
    retried = drv.run(names.RETRY_COMPENSATION, compensation.model_dump(by_alias=True))
    assert (retried["outcome"], retried["leftovers"], retried["leftoverUndo"]) == (
        "Compensated", [], [])  # fmt: skip
    assert retried["compensationOf"] == result["instanceId"]
    [event] = again.published  # about the ticket's run: its index row and the ticket
    assert (event["kind"], event["instanceId"], event["outcome"]) == (
        "compensated", result["instanceId"], "Compensated")  # fmt: skip
    sim.advance(hours=2)  # the gateway delete the first compensation started ends
    assert snapshot(sim) == before


def test_a_compensation_that_still_fails_lists_what_is_left_for_the_next_try(sim, world):  # noqa: F811
    result = _compensation_failed_run(sim)
    sim.fault(method="DELETE", path=WORKSPACE_DELETE, status=403, code="AuthorizationFailed",
              count=1000)  # fmt: skip
    compensation = CompensationInput(compensation_of=result["instanceId"],
                                     ticket_id=result["ticketId"],
                                     entries=result["leftoverUndo"])  # fmt: skip
    drv = Driver(SimWorld(sim), {names.RETRY_COMPENSATION: retry_compensation_body,
                                 names.RUN_STEP: run_step_body})  # fmt: skip
    retried = drv.run(names.RETRY_COMPENSATION, compensation.model_dump(by_alias=True))
    assert retried["outcome"] == "CompensationFailed"
    assert retried["leftoverUndo"] == result["leftoverUndo"]


# -- the operator action ----------------------------------------------------------------------


@dataclass
class Status:
    instance_id: str
    runtime_status: Any = "Completed"
    custom_status: Any = None
    output: Any = None
    input_: Any = None
    created_time: Any = None
    last_updated_time: Any = None


@dataclass
class Client:
    runs: dict[str, Status] = field(default_factory=dict)
    started: list[tuple[str, str, Any]] = field(default_factory=list)

    async def get_status(self, instance_id: str, **_flags: Any) -> Status:
        return self.runs.get(instance_id) or Status(instance_id, runtime_status=None)

    async def start_new(self, name: str, instance_id: str, client_input: Any) -> str:
        self.runs[instance_id] = Status(instance_id, "Pending")
        self.started.append((name, instance_id, client_input))
        return instance_id


LEFT = {"step": "workspace", "activity": "delete_workspace", "label": "/ws",
        "payload": {"workspaceId": "/ws", "created": True}}  # fmt: skip


def _compensate(client: Client, instance_id: str) -> func.HttpResponse:
    req = func.HttpRequest(
        "POST", f"http://127.0.0.1:7071/api/onboardings/{instance_id}/compensate",
        body=b"{}", route_params={"instance_id": instance_id},
        headers=principal_headers(OPERATOR),
    )  # fmt: skip
    handler = inspect.unwrap(operator_api.compensate_onboarding._function._func)
    return asyncio.run(handler(req, client))


def test_compensate_starts_a_compensation_run_with_the_leftover_undo(monkeypatch):
    monkeypatch.delenv("RUN_INDEX_ENDPOINT", raising=False)
    output = {"outcome": "CompensationFailed", "ticketId": "CHG1", "leftovers": ["/ws"],
              "leftoverUndo": [LEFT]}  # fmt: skip
    client = Client({"onboard-chg1": Status("onboard-chg1", output=output)})
    reply = _compensate(client, "onboard-chg1")
    assert reply.status_code == 202, reply.get_body()
    [(name, new_id, payload)] = client.started
    assert (name, new_id) == (names.RETRY_COMPENSATION, "onboard-chg1-c1")
    assert payload["compensationOf"] == "onboard-chg1" and payload["entries"] == [LEFT]
    assert reply.headers["Location"].endswith("/onboardings/onboard-chg1-c1")
    # a compensation run that failed again is compensated again, under the same root
    client.runs["onboard-chg1-c1"] = Status("onboard-chg1-c1", output={
        **output, "compensationOf": "onboard-chg1"})  # fmt: skip
    assert _compensate(client, "onboard-chg1-c1").status_code == 202
    assert client.started[-1][1] == "onboard-chg1-c2"


@pytest.mark.parametrize(
    "status",
    [Status("r", "Completed", output={"outcome": "Compensated"}),
     Status("r", "Running"),
     Status("r", "Completed", output={"outcome": "CompensationFailed", "leftovers": ["/ws"]})],
)  # fmt: skip
def test_compensate_refuses_a_run_with_nothing_recorded_to_undo(status, monkeypatch):
    monkeypatch.delenv("RUN_INDEX_ENDPOINT", raising=False)
    client = Client({"r": status})
    reply = _compensate(client, "r")
    assert reply.status_code == 409
    assert client.started == []
    assert json.loads(reply.get_body())["status"] == 409
