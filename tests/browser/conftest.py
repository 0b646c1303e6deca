"""Fixtures: Debian's Chromium under Playwright, and the local stack signed in as an Operator.

The browser is the system one (``/usr/bin/chromium``, or ``$CHROMIUM``), launched with the flags
this closed network needs; Playwright never downloads a browser. When Chromium or the
``playwright`` package is missing, every test here is skipped with the reason (``make test``
installs Chromium first when it runs as root: ``make browser-deps``) and the reason is repeated
at the end of the run, so a skip is never silent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.stack import LocalStack, StackOptions

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}  # a laptop screen

pytestmark = pytest.mark.timeout(180)
_skip_reasons: set[str] = set()


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return (
            f"Chromium is not installed at {CHROMIUM}: run `make browser-deps` as root "
            "(apt-get install chromium), or set CHROMIUM to a Chromium binary"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: run `make venv` (requirements-dev.txt)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope, not session: while sync Playwright runs, this thread has a running asyncio
    # loop, which later tests in the same worker (devhost's blocking calls) must not see.
    reason = browser_missing()
    if reason:
        _skip_reasons.add(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # Playwright gives every launch a fresh, empty --user-data-dir of its own (and refuses
        # one in args), which is the fresh profile this network needs.
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


class PageErrors(list[str]):
    """Uncaught script errors and CSP violations seen by a page."""


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    errors = PageErrors()
    tab.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    tab.on(
        "console",
        lambda msg: (
            errors.append(f"console: {msg.text}") if "Content Security Policy" in msg.text else None
        ),
    )
    tab.errors = errors
    try:
        yield tab
    finally:
        context.close()
    assert list(errors) == [], "the page had script errors or CSP violations"


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page PNG under test-artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def start_stack(state_dir: Path, **options: Any) -> LocalStack:
    """The simulator + devhost on free ports, virtual clock, signed in locally as an Operator."""
    opts = StackOptions(
        state_dir=state_dir, port=0, local_principal="Onboarding.Operator", **options
    )
    return LocalStack(opts).start()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for reason in sorted(_skip_reasons):
        terminalreporter.write_line(f"BROWSER TESTS SKIPPED: {reason}", yellow=True, bold=True)
