"""The page against the operator API contract, answered by Playwright route stubs.

These pin what the page sends (filters, paging token, action bodies) and how it renders the
documented answers, independently of the API's implementation; the real API is exercised in
test_dashboard_runs.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from cli.stack import LocalStack, StackOptions
from tests.browser.conftest import screenshot

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips every test with the reason
    expect = None  # type: ignore[assignment]


def _item(n: int) -> dict[str, Any]:
    return {
        "id": f"onboard-chg-{n}", "ticketId": f"CHG-{n}", "team": "payments <b>x</b>",
        "workspace": f"ws-{n}", "apimServiceId": "/subscriptions/s/apim", "mode": "injection",
        "status": "Running", "outcome": "WaitingOnOperator", "step": "approval",
        "waitingFor": {"event": "approval-1", "kind": "approval",
                       "what": "approval to create the gateway",
                       "deadline": "2026-01-04T08:00:00+00:00", "step": "approval",
                       "action": "approve or reject"},
        "doing": None, "until": None, "requestedBy": "alice@contoso.example",
        "createdAt": "2026-01-01T08:00:00+00:00", "updatedAt": "2026-01-01T08:01:00+00:00",
    }  # fmt: skip


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    state = tmp_path_factory.mktemp("contract")
    with LocalStack(StackOptions(state_dir=Path(state), port=0, servicebus=False)) as started:
        yield started


def _json(route: Any, body: Any, status: int = 200, kind: str = "application/json") -> None:
    route.fulfill(status=status, content_type=kind, body=json.dumps(body))


def test_list_filters_paging_counts_and_escaping(stack: LocalStack, page: Any) -> None:
    queries: list[dict[str, list[str]]] = []

    def onboardings(route: Any) -> None:
        query = parse_qs(urlsplit(route.request.url).query)
        queries.append(query)
        if "continuationToken" in query:
            _json(route, {"items": [_item(3)], "continuationToken": None})
        elif "ticket" in query:
            _json(route, {"items": [_item(2)], "continuationToken": None})
        else:
            _json(route, {"items": [_item(1), _item(2)], "continuationToken": "page-2"})

    page.route("**/api/onboardings?*", onboardings)
    page.route(
        "**/api/onboardings/counts",
        lambda route: _json(route, {"Running": 3, "Succeeded": 0, "WaitingOnOperator": 2}),
    )
    page.goto(stack.dashboard_url)
    rows = page.locator("#runs tbody tr")
    expect(rows).to_have_count(2)
    # Data goes in as text: markup in a value is shown, never parsed.
    assert page.locator("#runs tbody b").count() == 0
    assert "payments <b>x</b>" in rows.first.inner_text()
    assert page.locator('[data-count="WaitingOnOperator"] .count-n').inner_text() == "2"
    # The row says what the run waits for: the event and its deadline (issue 14).
    now = rows.first.locator('td[data-col="now"]').inner_text()
    assert "approval to create the gateway (event approval-1 by 2026-01-04 08:00Z)" in now

    page.get_by_role("button", name="More runs").click()
    expect(rows).to_have_count(3)
    assert queries[-1]["continuationToken"] == ["page-2"]
    expect(page.get_by_role("button", name="More runs")).to_be_hidden()

    page.get_by_label("Ticket").fill("CHG-2")
    page.locator("#filters select[name=outcome]").select_option("Running")
    page.get_by_label("From").fill("2026-01-01T07:00")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    sent = queries[-1]
    assert sent["ticket"] == ["CHG-2"] and sent["outcome"] == ["Running"]
    assert sent["from"] == ["2026-01-01T07:00:00.000Z"]
    screenshot(page, "11-contract-list")


def test_actions_send_the_documented_bodies_and_show_problems(stack: LocalStack, page: Any) -> None:
    run = {
        "id": "onboard-chg-9", "outcome": "WaitingOnOperator", "runtimeStatus": "Running",
        "currentStep": "dns",
        "waitingFor": {"event": "private_ip-1", "kind": "private_ip",
                       "what": "the gateway's private IP (ARM does not expose it)",
                       "deadline": "2026-01-02T08:00:00+00:00", "step": "dns",
                       "action": "supply the gateway's private IP: onboard supply ..."},
        "until": "2026-01-02T08:00:00+00:00", "createdTime": "2026-01-01T08:00:00+00:00",
        "lastUpdatedTime": "2026-01-01T11:00:00+00:00", "output": None,
        "steps": [
            {"name": "gateway", "status": "succeeded", "attempts": 1, "error": None,
             "started": "2026-01-01T08:00:00+00:00", "ended": "2026-01-01T08:01:00+00:00",
             "created": ["/gw"], "undone": []},
            {"name": "dns", "status": "running", "attempts": 0, "error": None,
             "started": "2026-01-01T11:00:00+00:00", "ended": None, "created": [], "undone": []},
        ],
    }  # fmt: skip
    posted: list[tuple[str, Any]] = []

    def event(route: Any) -> None:
        body = json.loads(route.request.post_data or "null")
        posted.append((urlsplit(route.request.url).path, body))
        if body.get("ip") == "8.8.8.8":
            problem = {"type": "about:blank", "title": "Not a private address", "status": 400,
                       "detail": "8.8.8.8 is public", "errors": [{"field": "ip", "message": "x"}]}  # fmt: skip
            _json(route, problem, 400, "application/problem+json")
        else:
            route.fulfill(status=202)

    page.route("**/api/onboardings/onboard-chg-9", lambda route: _json(route, run))
    page.route(
        "**/api/onboardings/onboard-chg-9/timeline",
        lambda route: _json(route, {**run, "now": "2026-01-01T12:00:00+00:00"}),
    )
    page.route("**/api/onboardings/onboard-chg-9/events/*", event)
    page.goto(f"{stack.dashboard_url}#/runs/onboard-chg-9")
    ip_button = page.get_by_role("button", name="Supply private IP")
    expect(ip_button).to_be_enabled()
    expect(page.get_by_role("button", name="Approve", exact=True)).to_be_disabled()
    assert page.locator('.tl-bar[data-step="dns"]').get_attribute("data-kind") == "operator"

    ip_button.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Private IP address").fill("8.8.8.8")
    dialog.get_by_role("button", name="Supply private IP").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not a private address (HTTP 400)")
    expect(alert).to_contain_text("ip: x")
    screenshot(page, "12-contract-problem")

    ip_button.click()
    dialog.get_by_label("Private IP address").fill("10.20.1.9")
    dialog.get_by_role("button", name="Supply private IP").click()
    expect(page.locator("#notice")).to_contain_text("accepted (HTTP 202)")
    # The page shows the answer at once: the run still says it waits (the stub does not move
    # on), but the answered wait offers no second answer (issue 14).
    expect(ip_button).to_be_disabled()
    expect(page.locator('[data-state="answered"]')).to_contain_text("private_ip-1")
    assert posted == [
        ("/api/onboardings/onboard-chg-9/events/private_ip", {"ip": "8.8.8.8"}),
        ("/api/onboardings/onboard-chg-9/events/private_ip", {"ip": "10.20.1.9"}),
    ]
