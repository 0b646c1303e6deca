"""The HTTP entry points with an in-memory Durable client (the real one needs a host: see e2e)."""

from __future__ import annotations

import asyncio
import inspect
import json
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func

from tests.unit.principals import principal_headers
from tests.unit.test_function_app import _INDEXED  # noqa: F401 - index once per process
from tests.unit.test_request_contract import VALID
from triggers import http_api


@dataclass
class Status:
    instance_id: str
    runtime_status: Any = "Running"
    custom_status: Any = None
    output: Any = None
    created_time: Any = None
    last_updated_time: Any = None


@dataclass
class FakeClient:
    """Durable client stand-in: remembers started runs by instance id."""

    runs: dict[str, Any] = field(default_factory=dict)
    started: list[tuple[str, str, Any]] = field(default_factory=list)

    async def get_status(self, instance_id: str, **_flags: bool) -> Status:
        if instance_id in self.runs:
            return Status(
                instance_id, custom_status={"step": "wait", "waitingFor": "gateway build"}
            )
        return Status(instance_id, runtime_status=None)

    async def start_new(self, name: str, instance_id: str, client_input: Any) -> str:
        self.runs[instance_id] = client_input
        self.started.append((name, instance_id, client_input))
        return instance_id


def _user_function(name: str) -> Any:
    builder = getattr(http_api, name)
    # The Durable client middleware wraps the user code (functools.wraps keeps __wrapped__).
    return inspect.unwrap(builder._function._func)


def _post(
    client: FakeClient,
    body: Any,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> func.HttpResponse:
    req = func.HttpRequest(
        "POST",
        "http://127.0.0.1:7071/api/onboardings",
        body=body if isinstance(body, bytes) else json.dumps(body).encode(),
        params=params or {},
        headers=principal_headers() if headers is None else headers,
    )
    return asyncio.run(_user_function("start_onboarding")(req, client))


def test_valid_request_starts_one_run_and_answers_202_with_location():
    client = FakeClient()
    response = _post(client, VALID)
    assert response.status_code == 202
    assert response.headers["Location"].endswith("/api/onboardings/onboard-chg0012345")
    assert [s[1] for s in client.started] == ["onboard-chg0012345"]
    assert client.started[0][2]["request"]["ticketId"] == "CHG0012345"


def test_same_ticket_again_returns_the_existing_run():
    client = FakeClient()
    _post(client, VALID)
    again = _post(client, VALID)
    assert again.status_code == 200
    body = json.loads(again.get_body())
    assert body["existing"] is True and body["currentStep"] == "wait"
    assert len(client.started) == 1


def test_bad_request_is_problem_json_naming_fields_and_starts_nothing():
    client = FakeClient()
    bad = dict(VALID, team="", unknown=1)
    response = _post(client, bad)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    fields = {e["field"] for e in json.loads(response.get_body())["errors"]}
    assert {"team", "unknown"} <= fields
    assert client.started == []


def test_malformed_json_is_a_400_without_raw_exception_text():
    response = _post(FakeClient(), b"{not json")
    body = json.loads(response.get_body())
    assert response.status_code == 400
    assert body["errors"][0]["field"] == "$"
    assert "Expecting" not in json.dumps(body)


def test_oversized_request_is_413_and_starts_nothing():
    client = FakeClient()
    response = _post(client, b"{" + b" " * 70000 + b"}")
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert json.loads(response.get_body())["errors"][0]["field"] == "$"
    assert client.started == []


def test_the_run_records_the_authenticated_requester_and_the_claimed_one():
    client = FakeClient()
    _post(client, VALID, headers=principal_headers(name="ticketing@contoso.example"))
    requested_by = client.started[0][2]["requestedBy"]
    assert requested_by["name"] == "ticketing@contoso.example"
    assert requested_by["objectId"] and requested_by["source"] == "easyauth"
    assert requested_by["claimed"] == VALID["requestedBy"]


def test_unknown_run_is_404():
    req = func.HttpRequest("GET", "http://127.0.0.1:7071/api/onboardings/onboard-x", body=b"",
                           route_params={"instance_id": "onboard-x"},
                           headers=principal_headers("Onboarding.Reader"))  # fmt: skip
    response = asyncio.run(_user_function("get_onboarding")(req, FakeClient()))
    assert response.status_code == 404
