"""Starting runs over HTTP against the local stack: which ticket gets which run (issue 12)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import pytest

from cli.main import main as onboard
from shared.request import instance_id_for
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


def test_concurrent_starts_of_one_ticket_answer_one_run(stack: Stack, sample) -> None:
    # Several tickets, each POSTed twice at the same moment: without start_or_find the loser of
    # each pair got a 500 ("An Orchestration instance with the status Pending already exists").
    bodies = [_shared(sample, f"CHG-80{n:02d}", f"ws-race-{n}") for n in range(4)]
    gate = threading.Barrier(2 * len(bodies))

    def post(body: dict[str, Any]) -> Any:
        gate.wait(timeout=10)
        return stack.submit(body)

    with ThreadPoolExecutor(max_workers=2 * len(bodies)) as pool:
        replies = list(pool.map(post, [b for b in bodies for _ in range(2)]))
    assert all(r.status in (200, 202) for r in replies), [(r.status, r.body) for r in replies]
    for n, body in enumerate(bodies):
        pair = replies[2 * n : 2 * n + 2]
        run_id = instance_id_for(body["ticketId"])
        assert [r.body["id"] for r in pair] == [run_id, run_id], [r.body for r in pair]
        assert sorted(r.status for r in pair) == [200, 202], [(r.status, r.body) for r in pair]
        assert [r.body.get("existing") for r in pair if r.status == 200] == [True]
        assert pair[0].headers["Location"] == pair[1].headers["Location"]
    assert sorted(i.instance_id for i in stack.instances()) == sorted(
        instance_id_for(b["ticketId"]) for b in bodies
    )
    for body in bodies:
        run = stack.wait(instance_id_for(body["ticketId"]))
        assert run["output"]["outcome"] == "Succeeded", run["output"]
