"""The dashboard over real runs: list, counts, filters, a run's timeline and steps, actions.

The stack is the product as ``onboard serve --local-principal Onboarding.Operator`` runs it:
simulator + devhost on the virtual clock, every browser request signed in locally as an
Operator. Runs come from the CLI samples. Screenshots land in test-artifacts/browser/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cli.operator_stand_in import StandIn
from cli.samples import load_sample
from cli.stack import LocalStack
from devhost.stepping import advance_until
from tests.browser.conftest import screenshot, start_stack
from tests.devhost.conftest import http

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips every test with the reason
    expect = None  # type: ignore[assignment]


ALICE = "a11ce000-0000-4000-8000-000000000001"  # a principal the simulator knows


def _alice_access() -> list[dict[str, str]]:
    grants = [
        ("service", "API Management Service Workspace API Developer"),
        ("workspace", "API Management Workspace Contributor"),
        ("gateway", "Reader"),
    ]
    return [{"principalId": ALICE, "principalType": "User", "scope": scope, "role": role}
            for scope, role in grants]  # fmt: skip


def _submit(stack: LocalStack, body: dict[str, Any]) -> str:
    reply = http("POST", f"{stack.api_url}/onboardings", body)
    assert reply.status == 202, reply.body
    return str(reply.body["id"])


def _view(stack: LocalStack, run_id: str) -> dict[str, Any]:
    reply = http("GET", f"{stack.api_url}/onboardings/{run_id}")
    assert reply.status == 200, reply.body
    return dict(reply.body)


def _require_operator_api(stack: LocalStack) -> None:
    reply = http("GET", f"{stack.api_url}/onboardings?top=1")
    if reply.status in (404, 405):
        pytest.skip(
            f"the operator API is not served yet (GET /api/onboardings answers {reply.status}); "
            "triggers/operator_api.py provides it"
        )


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, dict]]:
    """Three finished runs: injection (3 h gateway build), shared gateway, failing access."""
    stack = start_stack(tmp_path_factory.mktemp("finished"))
    try:
        assert stack.host is not None
        ids = {name: _submit(stack, load_sample(name)) for name in
               ("injection", "integration-shared", "failing-access")}  # fmt: skip
        # ARM shows no gateway VIP: an operator supplies the injection run's (issue 13).
        StandIn(stack).until_ended(list(ids.values()), timeout=90)
        for run_id in ids.values():
            stack.host.wait_for(run_id, timeout=90)
        yield stack, ids
    finally:
        stack.stop()


def test_list_shows_the_runs_and_counts_and_filters_by_ticket(finished: Any, page: Any) -> None:
    stack, ids = finished
    _require_operator_api(stack)
    page.goto(stack.dashboard_url)
    rows = page.locator("#runs tbody tr")
    expect(rows).to_have_count(3)
    shown = set(rows.evaluate_all("rows => rows.map(r => r.dataset.id)"))
    assert shown == set(ids.values())
    counts = http("GET", f"{stack.api_url}/onboardings/counts").body
    # Counts by outcome (issue 14); each filters the list to exactly its runs.
    outcomes = {_view(stack, i)["outcome"] for i in ids.values()}
    for key in ("Succeeded", "Compensated"):
        shown = page.locator(f'[data-count="{key}"] .count-n').inner_text()
        assert shown == str(counts[key])
    assert counts["Compensated"] >= 1 and "Compensated" in outcomes
    page.locator('[data-count="Compensated"]').click()
    expect(rows).to_have_count(counts["Compensated"])
    page.locator('[data-count="Compensated"]').click()  # again: the filter is cleared
    expect(rows).to_have_count(3)
    assert "Last refreshed" in page.locator("#refresh-state").inner_text()
    screenshot(page, "02-run-list")

    page.get_by_label("Ticket").fill("CHG-1002")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-id") == ids["integration-shared"]
    assert "CHG-1002" in rows.first.inner_text()
    screenshot(page, "03-filtered-by-ticket")

    # Pausing stops the 5-second refresh and says so.
    page.get_by_role("button", name="Pause auto-refresh").click()
    assert "(paused)" in page.locator("#refresh-state").inner_text()
    assert page.get_by_role("button", name="Resume auto-refresh").get_attribute("aria-pressed")


def test_run_page_shows_the_timeline_and_the_step_table(finished: Any, page: Any) -> None:
    stack, ids = finished
    run_id = ids["injection"]
    run = _view(stack, run_id)
    page.goto(f"{stack.dashboard_url}#/runs/{run_id}")
    page.locator("#steps tbody tr").first.wait_for()
    assert page.locator("#run-title").inner_text() == f"Run {run_id}"

    # One row per step record, with its status and attempts.
    for step in run["steps"]:
        row = page.locator(f'#steps tbody tr[data-step="{step["name"]}"]')
        assert step["status"] in row.inner_text()
    dns = page.locator('#steps tbody tr[data-step="dns"]')
    assert "privateDnsZones" in dns.inner_text()  # created resources listed

    # Bars on a time axis; the 3-hour gateway build wait dwarfs every other step.
    bars = page.locator(".tl-bar")
    assert bars.count() == len([s for s in run["steps"] if s.get("started")])
    wait_bar = page.locator('.tl-bar[data-step="wait"]')
    assert wait_bar.get_attribute("data-kind") == "build"
    track = page.locator(".tl-track").first.bounding_box()
    wait_box = wait_bar.bounding_box()
    assert wait_box["width"] > 0.6 * track["width"]
    for name in ("preflight", "workspace"):
        assert (
            page.locator(f'.tl-bar[data-step="{name}"]').bounding_box()["width"]
            < 0.1 * track["width"]
        )
    assert "gateway build wait" in wait_bar.get_attribute("aria-label")
    screenshot(page, "04-run-timeline")

    # The compensated run: the failed step and what was undone.
    failed_id = ids["failing-access"]
    page.goto(f"{stack.dashboard_url}#/runs/{failed_id}")
    page.locator('#steps tbody tr[data-step="access"]').wait_for()
    assert "failed" in page.locator('#steps tbody tr[data-step="access"]').inner_text()
    assert page.locator('.tl-bar[data-step="access"]').get_attribute("data-kind") == "failed"
    page.locator("#history summary").click()
    expect(page.locator("#history-body")).not_to_have_text("Open to load.")
    screenshot(page, "05-compensated-run")


@pytest.fixture(scope="module")
def waiting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, dict]]:
    """Two runs held at the approval gate: the virtual clock is held for the whole module."""
    stack = start_stack(
        tmp_path_factory.mktemp("waiting"), settings={"POLICY_REQUIRE_APPROVAL": "true"}
    )
    try:
        host = stack.host
        assert host is not None
        with host.clock.hold():
            ids = {
                "approve": _submit(stack, load_sample("injection")),
                # The billing sample with a valid principal: it reaches the approval gate.
                "terminate": _submit(stack, load_sample("failing-access", access=_alice_access())),
            }
            advance_until(
                host, lambda: all(_waiting_for(stack, i, "approval") for i in ids.values())
            )
            yield stack, ids
    finally:
        stack.stop()


def _waiting_for(stack: LocalStack, run_id: str, words: str) -> bool:
    assert stack.host is not None
    custom = stack.host.status(run_id).get("customStatus") or {}
    return words in str(custom.get("waitingFor") or "")


def _step(stack: LocalStack, run_id: str, name: str) -> dict[str, Any]:
    return next((s for s in _view(stack, run_id)["steps"] if s["name"] == name), {})


def test_approve_through_the_confirmation_dialog(waiting: Any, page: Any) -> None:
    stack, ids = waiting
    _require_operator_api(stack)
    run_id = ids["approve"]
    page.goto(f"{stack.dashboard_url}#/runs/{run_id}")
    approve = page.get_by_role("button", name="Approve", exact=True)
    expect(approve).to_be_enabled()
    assert page.locator('.tl-bar[data-step="approval"]').get_attribute("data-kind") == "operator"
    assert page.get_by_role("button", name="Supply private IP").is_disabled()

    # The approver sees what they approve: the run's own request summary (asks.approval).
    summary = page.locator("#asks")
    expect(summary).to_contain_text("gw-payments")
    expect(summary).to_contain_text("injection")
    expect(page.locator('[data-state="waiting"]')).to_contain_text("approval-1")

    approve.click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert "goes on to create the gateway" in dialog.inner_text()
    assert f"/onboardings/{run_id}/approve" in dialog.inner_text()
    dialog.get_by_label("Reason").fill("CAB-77 approved")
    assert '"approved": true' in page.locator("#confirm-body").inner_text()
    screenshot(page, "06-approve-dialog")
    dialog.get_by_role("button", name="Approve").click()
    page.locator("#notice").wait_for()
    assert "accepted" in page.locator("#notice").inner_text()
    # The clock is held: the run has not taken the answer yet, but the page offers no second
    # Approve (issue 14: no stale Approve after approving).
    expect(approve).to_be_disabled()
    expect(page.locator('[data-state="answered"]')).to_contain_text("approval-1")

    assert stack.host is not None
    advance_until(stack.host, lambda: _step(stack, run_id, "approval").get("status") == "succeeded")
    page.get_by_role("button", name="Refresh now").click()
    row = page.locator('#steps tbody tr[data-step="approval"]')
    expect(row).to_contain_text("succeeded")
    screenshot(page, "07-approved")

    # During the hours-long build the list row names the live step and what it waits for.
    advance_until(stack.host, lambda: _waiting_for(stack, run_id, "gateway build"))
    page.goto(stack.dashboard_url)
    listed = page.locator(f'#runs tbody tr[data-id="{run_id}"]')
    expect(listed.locator('td[data-col="step"]')).to_have_text("wait")
    expect(listed.locator('td[data-col="now"]')).to_contain_text("gateway build until")
    screenshot(page, "07b-list-during-the-build")


def test_terminate_with_compensation_through_the_dialog(waiting: Any, page: Any) -> None:
    stack, ids = waiting
    _require_operator_api(stack)
    run_id = ids["terminate"]
    page.goto(f"{stack.dashboard_url}#/runs/{run_id}")
    button = page.get_by_role("button", name="Terminate and compensate")
    expect(button).to_be_enabled()
    button.click()
    dialog = page.get_by_role("dialog")
    assert "undoes every resource it created" in dialog.inner_text()
    dialog.get_by_label("Reason").fill("wrong team")
    assert '"compensate": true' in page.locator("#confirm-body").inner_text()
    # Cancel first: nothing happens.
    dialog.get_by_role("button", name="Cancel").click()
    assert not dialog.is_visible()
    assert _view(stack, run_id)["runtimeStatus"] == "Running"

    button.click()
    dialog.get_by_label("Reason").fill("wrong team")
    screenshot(page, "08-terminate-dialog")
    dialog.get_by_role("button", name="Terminate and compensate").click()
    page.locator("#notice").wait_for()
    assert stack.host is not None
    advance_until(stack.host, lambda: _view(stack, run_id)["runtimeStatus"] != "Running")
    page.get_by_role("button", name="Refresh now").click()
    expect(page.locator("#run-summary dd").first).not_to_have_text("Running")
    screenshot(page, "09-terminated")


def test_an_api_refusal_is_shown_readably(waiting: Any, page: Any) -> None:
    """The Operator's own principal is replaced by a Reader's: actions answer 403 problems."""
    stack, ids = waiting
    _require_operator_api(stack)
    reader = _principal_header("Onboarding.Reader")
    page.context.set_extra_http_headers({"x-ms-client-principal": reader})
    run_id = (
        ids["terminate"]
        if _view(stack, ids["terminate"])["runtimeStatus"] == "Running"
        else ids["approve"]
    )
    page.goto(f"{stack.dashboard_url}#/runs/{run_id}")
    page.locator("#steps tbody tr").first.wait_for()
    enabled = page.locator("#actions button:not([disabled])").first
    enabled.click()
    page.get_by_role("dialog").locator("#confirm-ok").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "HTTP 403" in alert.inner_text()
    assert "Onboarding.Operator" in alert.inner_text()
    screenshot(page, "10-forbidden-problem")


def _principal_header(*roles: str) -> str:
    from devhost.local_auth import principal_header

    return principal_header(roles, name="reader@contoso.example")
