"""Starting runs over HTTP against the local stack: which ticket gets which run (issue 12)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from cli.main import main as onboard
from tests.devhost.conftest import http
from tests.e2e.conftest import Stack, principal

READER = principal("Onboarding.Reader", name="reader@contoso.example")


def _shared(sample: Any, ticket: str, workspace: str) -> dict[str, Any]:
    body = sample("integration-shared", ticketId=ticket)
    body["workspace"] = {"name": workspace, "displayName": workspace}
    return dict(body)


def test_tickets_that_normalise_alike_start_their_own_runs(
    stack: Stack, sample, capsys: pytest.CaptureFixture[str]
) -> None:
    tickets = {"CHG-7001": "ws-seven-a", "chg_7001": "ws-seven-b", "CHG.7001": "ws-seven-c"}
    replies = {t: stack.submit(_shared(sample, t, ws)) for t, ws in tickets.items()}
    assert {t: r.status for t, r in replies.items()} == dict.fromkeys(tickets, 202), {
        t: r.body for t, r in replies.items()
    }
    ids = {t: str(r.body["id"]) for t, r in replies.items()}
    assert len(set(ids.values())) == 3, ids
    for run_id in ids.values():
        run = stack.wait(run_id)
        assert run["output"]["outcome"] == "Succeeded", run["output"]
    assert sorted(i.instance_id for i in stack.instances()) == sorted(ids.values())
    # Each ticket finds its own run again: a resend is "existing" for that run only, and the
    # operator API's search by ticket lists exactly that run, `onboard show --ticket` shows it.
    for ticket, workspace in tickets.items():
        again = stack.submit(_shared(sample, ticket, workspace))
        assert again.status == 200 and again.body["id"] == ids[ticket], again.body
        found = http("GET", f"{stack.api}/onboardings?{urlencode({'ticket': ticket})}", None,
                     READER)  # fmt: skip
        assert [item["id"] for item in found.body["items"]] == [ids[ticket]], found.body
        capsys.readouterr()
        assert onboard(["show", "--ticket", ticket, "--json", "--api", stack.api]) == 0
        assert f'"id": "{ids[ticket]}"' in capsys.readouterr().out
