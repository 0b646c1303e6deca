"""The CLI speaks the status model (issue 14, item 8): outcome first, one meaning of attempts.

Pure: the text forms of run views (cli/render.py) and the API base URL (cli/api_client.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from cli.api_client import api_base
from cli.render import describe_run, progress_line, step_table


def _view(**over: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": "onboard-chg-1", "outcome": "Running", "ticketId": "CHG-1", "team": "payments",
        "workspace": "ws-payments", "hostname": None, "currentStep": "access",
        "waitingFor": None, "doing": "assign_role", "until": "2026-01-01T09:00:00+00:00",
        "runtimeStatus": "Running", "createdTime": "2026-01-01T08:00:00+00:00",
        "lastUpdatedTime": "2026-01-01T08:10:00+00:00", "error": None, "leftovers": [],
        "steps": [
            {"name": "preflight", "status": "succeeded", "attempts": 1, "retries": 0},
            {"name": "access", "status": "retrying", "attempts": 3, "retries": 2,
             "lastError": "PrincipalNotFound: no such principal",
             "nextRetry": "2026-01-01T08:12:00+00:00"},
        ],
    }  # fmt: skip
    view.update(over)
    return view


def test_a_compensated_run_reads_compensated_not_completed_with_an_outcome() -> None:
    lines = describe_run(_view(outcome="Compensated", runtimeStatus="Completed", doing=None,
                               error="access: PrincipalNotFound", currentStep=None))  # fmt: skip
    assert lines[0] == "onboard-chg-1: Compensated (runtime status Completed)"
    text = "\n".join(lines)
    assert "Completed, outcome" not in text and "error: access: PrincipalNotFound" in text
    assert "ticket CHG-1, team payments, workspace ws-payments" in text


def test_attempts_mean_every_try_and_a_retry_says_when_the_next_one_starts() -> None:
    table = step_table(_view())
    assert table[0].split()[:3] == ["step", "status", "attempts"] and "tries" not in table[0]
    access = "\n".join(table[2:])
    assert "retrying" in access and "PrincipalNotFound" in access
    assert "next attempt at 2026-01-01 08:12:00" in access
    line = progress_line("payments", _view())
    assert "Running" in line and "retrying access (attempt 3 failed: PrincipalNotFound" in line


def test_an_operator_wait_names_the_event_its_deadline_and_how_to_answer() -> None:
    wait = {"event": "approval-1", "kind": "approval", "what": "approval of the onboarding",
            "deadline": "2026-01-04T08:00:00+00:00", "step": "approval",
            "action": "approve or reject: onboard approve onboard-chg-1 [--reject]"}  # fmt: skip
    lines = describe_run(_view(outcome="WaitingOnOperator", waitingFor=wait, doing=None))
    assert lines[0].startswith("onboard-chg-1: WaitingOnOperator")
    assert any("event approval-1 before 2026-01-04 08:00:00" in line for line in lines)
    assert any(line.startswith("to answer: approve or reject") for line in lines)


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("http://127.0.0.1:7071", "http://127.0.0.1:7071/api"),
        ("http://127.0.0.1:7071/", "http://127.0.0.1:7071/api"),
        ("https://func-x.azurewebsites.net", "https://func-x.azurewebsites.net/api"),
        ("http://127.0.0.1:7071/api", "http://127.0.0.1:7071/api"),
        ("http://127.0.0.1:7071/api/", "http://127.0.0.1:7071/api"),
        ("https://gw.contoso.com/onboarding/api", "https://gw.contoso.com/onboarding/api"),
    ],
)
def test_the_api_url_is_understood_with_or_without_api(given: str, base: str) -> None:
    assert api_base(given) == base
