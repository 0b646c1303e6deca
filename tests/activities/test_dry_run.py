"""`POST /api/onboardings?dryRun=true` answers preflight findings and changes nothing."""

from __future__ import annotations

import asyncio
import inspect
import json

import azure.functions as func

from shared import azure_clients
from tests.unit.principals import principal_headers
from tests.unit.test_function_app import _INDEXED  # noqa: F401 - index once per process
from tests.unit.test_request_contract import VALID
from tests.unit.test_triggers import FakeClient
from triggers import http_api


def _dry_run(body: dict) -> func.HttpResponse:
    req = func.HttpRequest("POST", "http://127.0.0.1:7071/api/onboardings",
                           body=json.dumps(body).encode(), params={"dryRun": "true"},
                           headers=principal_headers())  # fmt: skip
    handler = inspect.unwrap(http_api.start_onboarding._function._func)
    return asyncio.run(handler(req, FakeClient()))


def test_dry_run_reports_findings_and_writes_nothing(sim, factory, monkeypatch):
    monkeypatch.setattr(azure_clients, "_default", factory)
    response = _dry_run(VALID)
    body = json.loads(response.get_body())
    assert response.status_code == 200
    assert body["dryRun"] is True and body["passed"] is True
    assert {r["method"] for r in sim.requests()} == {"GET"}


def test_dry_run_names_the_failed_checks(sim, factory, monkeypatch):
    monkeypatch.setattr(azure_clients, "_default", factory)
    bad = json.loads(json.dumps(VALID))
    bad["gateway"]["network"]["subnetId"] = bad["gateway"]["network"]["subnetId"].replace(
        "snet-gw-a", "snet-nic"
    )
    body = json.loads(_dry_run(bad).get_body())
    assert body["passed"] is False
    assert [f["check"] for f in body["findings"] if not f["ok"]] == ["subnetDedicated"]
