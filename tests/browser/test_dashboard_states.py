"""Each state of the status model is drawn distinctly (issue 14, item 7), one screenshot each.

The operator API is answered by Playwright route stubs with views in the status model's shape
(shared/status_model.py), so every state is shown exactly, without driving a run into it;
test_dashboard_runs.py drives real runs through the same page. Screenshots:
test-artifacts/browser/2x-state-*.png.
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

T0 = "2026-01-01T08:00:00+00:00"
WS = "/subscriptions/s/resourceGroups/rg-apim/providers/Microsoft.ApiManagement/service/apim/workspaces/ws-pay"
GW = "/subscriptions/s/resourceGroups/rg-apim/providers/Microsoft.ApiManagement/gateways/gw-pay"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    state = tmp_path_factory.mktemp("states")
    with LocalStack(StackOptions(state_dir=Path(state), port=0, servicebus=False)) as started:
        yield started


def _step(name: str, status: str, minute: int, end: int | None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "status": status, "attempts": extra.pop("attempts", 1),
            "retries": extra.pop("retries", 0), "lastError": None, "nextRetry": None,
            "started": f"2026-01-01T08:{minute:02d}:00+00:00",
            "ended": None if end is None else f"2026-01-01T08:{end:02d}:00+00:00",
            "created": [], "undone": [], **extra}  # fmt: skip


def _view(outcome: str, steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    runtime = "Running" if outcome in ("Running", "WaitingOnOperator", "Compensating") else (
        "Terminated" if outcome == "Terminated" else "Completed")  # fmt: skip
    return {"id": "onboard-chg-7", "outcome": outcome, "ticketId": "CHG-7", "team": "payments",
            "workspace": "ws-pay", "hostname": None, "currentStep": None, "waitingFor": None,
            "doing": None, "until": None, "asks": None, "steps": steps, "error": None,
            "leftovers": [], "runtimeStatus": runtime, "createdTime": T0,
            "lastUpdatedTime": "2026-01-01T08:50:00+00:00", "output": None, **extra}  # fmt: skip


def _serve(page: Any, view: dict[str, Any]) -> list[tuple[str, Any]]:
    posted: list[tuple[str, Any]] = []

    def fulfil(route: Any, body: Any, status: int = 200) -> None:
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    def action(route: Any) -> None:
        posted.append((urlsplit(route.request.url).path, json.loads(route.request.post_data)))
        fulfil(route, view, 202)  # the run has not moved on yet: the wait is still open

    base = f"**/api/onboardings/{view['id']}"
    page.route(base, lambda route: fulfil(route, view))
    page.route(f"{base}/timeline", lambda route: fulfil(
        route, {**view, "now": "2026-01-01T09:00:00+00:00"}))  # fmt: skip
    page.route(f"{base}/approve", action)
    page.route(f"{base}/retry", action)
    return posted


def _open(stack: LocalStack, page: Any, view: dict[str, Any]) -> list[tuple[str, Any]]:
    posted = _serve(page, view)
    page.goto(f"{stack.dashboard_url}#/runs/{view['id']}")
    page.locator("#steps tbody tr").first.wait_for()
    return posted


def _kind(page: Any, step: str) -> str | None:
    return page.locator(f'.tl-bar[data-step="{step}"]').get_attribute("data-kind")


def test_a_retrying_step_shows_its_attempt_last_error_and_next_try(stack: Any, page: Any) -> None:
    error = "PrincipalNotFound: Principal dead0000 does not exist in the directory"
    view = _view("Running", [
        _step("preflight", "succeeded", 0, 1),
        _step("workspace", "succeeded", 1, 2, created=[WS]),
        _step("access", "retrying", 2, None, attempts=4, retries=3, lastError=error,
              nextRetry="2026-01-01T08:58:00+00:00"),
    ], currentStep="access", doing="assign_role", until="2026-01-01T08:32:00+00:00")  # fmt: skip
    _open(stack, page, view)
    panel = page.locator('[data-state="retrying"]')
    expect(panel).to_contain_text("Retrying access")
    expect(panel).to_contain_text(f"Attempt 4 failed: {error}")
    expect(panel).to_contain_text("Next attempt at 2026-01-01 08:58Z")
    assert _kind(page, "access") == "retrying"
    row = page.locator('#steps tbody tr[data-step="access"]')
    assert "retrying" in row.inner_text() and "08:58Z" in row.inner_text()
    assert "Running" in page.locator("#run-summary").inner_text()
    screenshot(page, "20-state-retrying")


def test_a_held_step_shows_the_action_to_take(stack: Any, page: Any) -> None:
    error = "AuthorizationFailed: the app lacks Microsoft.Authorization/roleAssignments/write"
    action = ("fix the cause named in lastError, then retry the step: onboard retry "
              "onboard-chg-7 (POST /api/onboardings/onboard-chg-7/retry)")  # fmt: skip
    wait = {"event": "failed_decision-1", "kind": "failed_decision", "step": "access",
            "what": "a decision on the failed access step", "action": action,
            "deadline": "2026-01-02T08:30:00+00:00"}  # fmt: skip
    view = _view("WaitingOnOperator", [
        _step("preflight", "succeeded", 0, 1),
        _step("access", "held", 2, 30, attempts=1, lastError=error),
    ], currentStep="access", waitingFor=wait)  # fmt: skip
    posted = _open(stack, page, view)
    panel = page.locator('[data-state="held"]')
    expect(panel).to_contain_text("Held: access cannot go on")
    expect(panel).to_contain_text(error)
    expect(panel).to_contain_text(f"To do: {action}")
    assert page.locator('[data-state="waiting"]').count() == 0  # the hold says it all
    assert _kind(page, "access") == "held"
    screenshot(page, "21-state-held")
    retry = page.get_by_role("button", name="Retry", exact=True)
    expect(retry).to_be_enabled()
    retry.click()
    page.get_by_role("dialog").get_by_role("button", name="Retry").click()
    # The answer shows at once: no second Retry, the panel says it was sent.
    expect(page.locator('[data-state="answered"]')).to_contain_text("failed_decision-1")
    expect(retry).to_be_disabled()
    assert posted == [("/api/onboardings/onboard-chg-7/retry", {})]


def test_waiting_on_approval_shows_the_request_summary_and_answers_once(
    stack: Any, page: Any
) -> None:
    asks = {"approval": {
        "ticketId": "CHG-7", "team": "payments", "requestedBy": "alice@contoso.example",
        "workspace": "ws-pay", "gateway": {"shared": False, "name": "gw-pay", "units": 2},
        "networkMode": "injection", "subnetId": "/subscriptions/s/.../subnets/snet-gw",
        "privateDns": "/subscriptions/s/resourceGroups/rg-dns",
        "grants": ["Reader at gateway scope to User a11ce"], "grantCount": 1,
        "monthlyCost": {"known": True, "amount": 5400.0, "currency": "USD", "units": 2,
                        "unitPrice": 2700.0},
    }}  # fmt: skip
    wait = {"event": "approval-1", "kind": "approval", "step": "approval",
            "what": "approval of the onboarding (nothing is created before)",
            "deadline": "2026-01-04T08:01:00+00:00",
            "action": "approve or reject: onboard approve onboard-chg-7 [--reject]"}  # fmt: skip
    view = _view("WaitingOnOperator", [
        _step("preflight", "succeeded", 0, 1), _step("approval", "running", 1, None),
    ], currentStep="approval", waitingFor=wait, asks=asks)  # fmt: skip
    posted = _open(stack, page, view)
    panel = page.locator('[data-state="waiting"]')
    expect(panel).to_contain_text("send event approval-1 by 2026-01-04 08:01Z")
    summary = page.locator("#asks")
    expect(summary).to_be_visible()
    for text in ("gw-pay, 2 unit(s)", "injection", "5400 USD (2 x 2700)", "Reader at gateway",
                 "alice@contoso.example"):  # fmt: skip
        expect(summary).to_contain_text(text)
    assert _kind(page, "approval") == "operator"
    screenshot(page, "22-state-waiting-on-approval")

    approve = page.get_by_role("button", name="Approve", exact=True)
    approve.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Reason").fill("CAB-7")
    dialog.get_by_role("button", name="Approve").click()
    # At once, although the (stubbed) run still says it waits: no stale Approve.
    expect(approve).to_be_disabled()
    expect(page.get_by_role("button", name="Reject")).to_be_disabled()
    expect(page.locator('[data-state="answered"]')).to_contain_text("approval-1 (Approve)")
    assert page.locator('[data-state="waiting"]').count() == 0
    screenshot(page, "23-state-approval-answered")
    assert posted == [("/api/onboardings/onboard-chg-7/approve",
                       {"approved": True, "reason": "CAB-7"})]  # fmt: skip


def test_compensating_shows_the_step_being_undone(stack: Any, page: Any) -> None:
    view = _view("Compensating", [
        _step("preflight", "succeeded", 0, 1),
        _step("workspace", "undoing", 1, 2, created=[WS]),
        _step("gateway", "undone", 2, 3, created=[GW], undone=[GW]),
        _step("access", "failed", 3, 20, attempts=8, lastError="PrincipalNotFound: gone"),
    ], currentStep="compensate", doing=f"undo delete_workspace of {WS}",
        error="access: PrincipalNotFound: gone")  # fmt: skip
    _open(stack, page, view)
    panel = page.locator('[data-state="compensating"]')
    expect(panel).to_contain_text("Compensating: undoing what the run made")
    expect(panel).to_contain_text("Undoing workspace: undo delete_workspace")
    expect(panel).to_contain_text("Because: access: PrincipalNotFound")
    assert [_kind(page, s) for s in ("workspace", "gateway", "access")] == [
        "undoing", "undone", "failed"]  # fmt: skip
    screenshot(page, "24-state-compensating")


def test_a_compensated_run_draws_its_undone_steps(stack: Any, page: Any) -> None:
    view = _view("Compensated", [
        _step("preflight", "succeeded", 0, 1),
        _step("network", "undone", 1, 2, created=["/nsg"], undone=["/nsg"]),
        _step("workspace", "undone", 1, 2, created=[WS], undone=[WS]),
        _step("access", "failed", 2, 40, attempts=8, retries=6, lastError="PrincipalNotFound"),
    ], error="access: PrincipalNotFound")  # fmt: skip
    _open(stack, page, view)
    assert [_kind(page, s) for s in ("network", "workspace", "access")] == [
        "undone", "undone", "failed"]  # fmt: skip
    undone = page.locator('.tl-bar[data-kind="undone"]').first
    assert "undone" in (undone.get_attribute("aria-label") or "")
    expect(page.locator('[data-state="failed"]')).to_contain_text("nothing is left behind")
    assert "Compensated" in page.locator("#run-summary").inner_text()
    screenshot(page, "25-state-compensated-undone-steps")


def test_compensation_failed_lists_the_leftovers_and_offers_to_retry(stack: Any, page: Any) -> None:
    view = _view("CompensationFailed", [
        _step("preflight", "succeeded", 0, 1),
        _step("network", "failed", 1, 2, created=["/nsg"],
              lastError="undo failed: AuthorizationFailed on the NSG"),
        _step("workspace", "undone", 1, 2, created=[WS], undone=[WS]),
        _step("gateway", "failed", 2, 3, lastError="Boom"),
    ], error="gateway: Boom", leftovers=["/nsg"])  # fmt: skip
    _open(stack, page, view)
    panel = page.locator('[data-state="compensation-failed"]')
    expect(panel).to_contain_text("Compensation failed: resources left behind")
    expect(panel).to_contain_text("Left: /nsg")
    expect(page.get_by_role("button", name="Retry compensation")).to_be_enabled()
    expect(page.get_by_role("button", name="Retry", exact=True)).to_be_enabled()
    screenshot(page, "26-state-compensation-failed")


def test_list_rows_say_what_each_run_waits_for_and_every_count_filters(
    stack: Any, page: Any
) -> None:
    rows = [
        {"id": "onboard-a", "ticketId": "CHG-A", "outcome": "Running", "step": "wait",
         "doing": "gateway build", "until": "2026-01-01T14:00:00+00:00", "waitingFor": None},
        {"id": "onboard-b", "ticketId": "CHG-B", "outcome": "WaitingOnOperator", "step": "dns",
         "waitingFor": {"event": "private_ip-1", "kind": "private_ip", "what": "the private IP",
                        "deadline": "2026-01-04T08:00:00+00:00", "action": "onboard supply"}},
        {"id": "onboard-c", "ticketId": "CHG-C", "outcome": "CompensationFailed", "step": "done",
         "waitingFor": None},
    ]  # fmt: skip
    counts = {"Running": 1, "WaitingOnOperator": 1, "Compensating": 0, "Succeeded": 4,
              "Compensated": 2, "CompensationFailed": 1, "Failed": 3, "Terminated": 1}  # fmt: skip
    queries: list[dict[str, list[str]]] = []

    def listing(route: Any) -> None:
        query = parse_qs(urlsplit(route.request.url).query)
        queries.append(query)
        wanted = query.get("outcome", [None])[0]
        items = [r for r in rows if wanted in (None, r["outcome"])]
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps({"items": items, "continuationToken": None}))  # fmt: skip

    page.route("**/api/onboardings?*", listing)
    page.route("**/api/onboardings/counts", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(counts)))  # fmt: skip
    page.goto(stack.dashboard_url)
    table = page.locator("#runs tbody tr")
    expect(table).to_have_count(3)
    now = [c.inner_text() for c in page.locator('#runs td[data-col="now"]').all()]
    assert now[0] == "gateway build until 2026-01-01 14:00Z"
    assert now[1] == "waits for the private IP (event private_ip-1 by 2026-01-04 08:00Z)"
    screenshot(page, "27-list-live-rows")
    buttons = page.locator("#counts button")
    assert buttons.count() == 8
    for key in counts:
        button = page.locator(f'[data-count="{key}"]')
        expect(button).to_be_enabled()
        button.click()
        expect(page.locator(f'[data-count="{key}"]')).to_have_attribute("aria-pressed", "true")
        assert queries[-1].get("outcome") == [key]
        expect(table).to_have_count(sum(1 for r in rows if r["outcome"] == key))
    page.locator('[data-count="Terminated"]').click()  # pressed again: the filter is cleared
    expect(table).to_have_count(3)
    assert "outcome" not in queries[-1]
