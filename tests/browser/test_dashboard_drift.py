"""The dashboard's drift view (issue 15, item 4) against the documented GET /api/drift answer,
served by Playwright route stubs: each team's latest check and its findings, as text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.stack import LocalStack, StackOptions
from tests.browser.conftest import screenshot

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips every test with the reason
    expect = None  # type: ignore[assignment]

DRIFT = {"items": [
    {"team": "payments <b>x</b>", "workspace": "ws-payments", "apimServiceId": "/s/apim",
     "checkedAt": "2026-01-02T03:00:00+00:00", "run": "drift-20260102T03",
     "findings": [
         {"kind": "grantMissing", "resourceId": "/x/roleAssignments/1", "expected": "Reader",
          "actual": "absent", "repairable": True},
         {"kind": "grantAdded", "resourceId": "/x/roleAssignments/2", "expected": "absent",
          "actual": "Contributor", "repairable": False}]},
    {"team": "billing", "workspace": "ws-billing", "apimServiceId": "/s/apim",
     "checkedAt": "2026-01-02T03:00:00+00:00", "run": "drift-20260102T03", "findings": []},
]}  # fmt: skip


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    state = tmp_path_factory.mktemp("drift")
    with LocalStack(StackOptions(state_dir=Path(state), port=0, servicebus=False)) as started:
        yield started


def _json(route: Any, body: Any, status: int = 200) -> None:
    route.fulfill(status=status, content_type="application/json", body=json.dumps(body))


def test_the_drift_view_lists_each_team_and_its_findings(stack: LocalStack, page: Any) -> None:
    page.route("**/api/onboardings?*", lambda r: _json(r, {"items": [], "continuationToken": None}))
    page.route("**/api/onboardings/counts", lambda r: _json(r, {}))
    page.route("**/api/drift", lambda r: _json(r, DRIFT))
    page.goto(stack.dashboard_url)
    rows = page.locator("#drift tbody tr")
    expect(rows).to_have_count(2)
    assert page.locator("#drift tbody b").count() == 0  # values are text, never markup
    first = rows.first
    assert "payments <b>x</b>" in first.inner_text()
    assert first.get_attribute("data-findings") == "2"
    assert "grantMissing: expected Reader, found absent (repairable)" in first.inner_text()
    assert "(report only)" in first.inner_text()
    assert rows.nth(1).get_attribute("data-findings") == "0"
    expect(page.locator("#drift-empty")).to_be_hidden()
    screenshot(page, "15-drift-view")


def test_an_unavailable_drift_read_is_said_in_its_view_only(stack: LocalStack, page: Any) -> None:
    page.route("**/api/onboardings?*", lambda r: _json(r, {"items": [], "continuationToken": None}))
    page.route("**/api/onboardings/counts", lambda r: _json(r, {}))
    page.route("**/api/drift", lambda r: _json(r, {"title": "unavailable", "status": 503}, 503))
    page.goto(stack.dashboard_url)
    expect(page.locator("#drift-empty")).to_have_text("Drift findings are unavailable.")
    expect(page.locator("#problem")).to_be_hidden()
