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


def test_dry_run_plans_every_call_of_the_procedure_in_order_with_its_input(
    sim, factory, monkeypatch
):
    monkeypatch.setattr(azure_clients, "_default", factory)
    body = json.loads(_dry_run(VALID).get_body())
    plan = body["plan"]
    order = [entry.get("activity") or entry["waitsFor"] for entry in plan]
    assert order[0] == "preflight" and order[1:3] == ["create_workspace", "ensure_nsg"]
    assert "begin_gateway" in order and order.index("begin_gateway") < order.index("link_workspace")
    groups = {entry["activity"]: entry["group"] for entry in plan if entry.get("activity")}
    assert groups["create_workspace"] == groups["ensure_nsg"]  # side by side
    gateway = next(e for e in plan if e.get("activity") == "begin_gateway")
    assert (
        gateway["step"] == "gateway"
        and gateway["input"]["capacity"] == VALID["gateway"]["capacity"]
    )
    grants = [e for e in plan if e.get("activity") == "assign_role"]
    assert len(grants) == len(VALID["access"])
    assert {r["method"] for r in sim.requests()} == {"GET"}  # still read only


def test_a_dry_run_that_fails_preflight_plans_nothing_after_it(sim, factory, monkeypatch):
    monkeypatch.setattr(azure_clients, "_default", factory)
    bad = json.loads(json.dumps(VALID))
    bad["gateway"]["network"]["subnetId"] = bad["gateway"]["network"]["subnetId"].replace(
        "snet-gw-a", "snet-nic"
    )
    plan = json.loads(_dry_run(bad).get_body())["plan"]
    assert [e.get("activity") for e in plan] == ["preflight"]
