"""The page itself: served by the app with a CSP, no script errors, 401 problems shown readably."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.stack import LocalStack, StackOptions
from tests.browser.conftest import screenshot
from tests.devhost.conftest import http

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips every test with the reason
    expect = None  # type: ignore[assignment]


@pytest.fixture
def anonymous_stack(tmp_path: Path) -> Iterator[LocalStack]:
    """No local principal: every API call arrives without a principal, as before sign-in."""
    with LocalStack(StackOptions(state_dir=tmp_path, port=0, servicebus=False)) as stack:
        yield stack


def test_page_and_assets_are_served_with_a_content_security_policy(
    anonymous_stack: LocalStack,
) -> None:
    url = anonymous_stack.dashboard_url
    assert anonymous_stack.ready_info()["dashboard"] == url
    page = http("GET", url)
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert '<script type="module" src="dashboard/app.js"></script>' in page.body
    assert "<script>" not in page.body  # no inline script
    for name, kind in (("app.js", "text/javascript"), ("app.css", "text/css")):
        asset = http("GET", f"{url}/{name}")
        assert asset.status == 200 and asset.headers["Content-Type"].startswith(kind)
        assert asset.headers["X-Content-Type-Options"] == "nosniff"
    script = http("GET", f"{url}/app.js").body
    assert not any(sink in script for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML"))
    for other in ("index.html", "..%2Ffunction_app.py", "missing.js"):
        assert http("GET", f"{url}/{other}").status == 404
    redirect = http("GET", url + "/")
    assert redirect.status == 200  # urllib followed the 308 to the canonical address


def test_without_a_session_the_api_problem_offers_sign_in(
    anonymous_stack: LocalStack, page: Any
) -> None:
    page.goto(anonymous_stack.dashboard_url + "#/runs/CHG-0000")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Sign in required" in alert.inner_text()
    assert "HTTP 401" in alert.inner_text()
    link = alert.get_by_role("link", name="Sign in")
    assert link.get_attribute("href").startswith("/.auth/login/aad?post_login_redirect_uri=")
    screenshot(page, "01-sign-in-required")

    # Locally the link works (issue 14): devhost's stand-in for Easy Auth's sign-in page says
    # there is no Entra ID here and lets the developer choose the local user's app roles.
    link.click()
    expect(page.get_by_role("heading", name="Local sign-in (devhost)")).to_be_visible()
    assert "--local-principal" in page.content()
    page.get_by_label("Onboarding.Operator").uncheck()
    page.get_by_label("Onboarding.Reader").check()
    screenshot(page, "01b-local-sign-in")
    page.get_by_role("button", name="Sign in locally").click()
    page.wait_for_url("**/api/dashboard#/runs/CHG-0000")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("No such onboarding")  # signed in: a Reader may look
    expect(alert).not_to_contain_text("Sign in required")
