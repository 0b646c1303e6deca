"""``onboard show`` and ``onboard events`` over the local stack (issue 14, item 8).

show finds a run by its id or by its ticket and says its outcome in the status model's words;
events peeks the operators' own subscription and takes nothing unless ``--consume``; ``--api``
without ``/api`` works; a reader that closes the pipe early gets no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from azure.servicebus import ServiceBusClient

from cli.main import main
from tests.e2e.conftest import Stack

REPO = Path(__file__).resolve().parents[2]
TOPIC = "onboarding-events"


def _peek(stack: Stack, subscription: str) -> list[Any]:
    assert stack.sim.servicebus is not None
    cs = stack.sim.servicebus.connection_string
    with (
        ServiceBusClient.from_connection_string(cs) as client,
        client.get_subscription_receiver(TOPIC, subscription) as receiver,
    ):
        return list(receiver.peek_messages(max_message_count=100))


def _until_events(stack: Stack, subscription: str, count: int) -> None:
    from devhost.stepping import advance_until

    advance_until(stack.host, lambda: len(_peek(stack, subscription)) >= count, timeout=30)


def test_show_finds_a_run_by_ticket_or_id_and_says_its_outcome(
    stack: Stack, sample, capsys
) -> None:
    ok = stack.submit(sample("integration-shared")).body["id"]
    failing = stack.submit(sample("failing-access")).body["id"]
    assert stack.wait(ok)["outcome"] == "Succeeded"
    assert stack.wait(failing)["outcome"] == "Compensated"
    app = stack.api.removesuffix("/api")  # the app's URL, as its portal shows it

    assert main(["show", "CHG-1002", "--api", app]) == 0  # a ticket id
    by_ticket = capsys.readouterr().out
    assert main(["show", ok, "--api", stack.api]) == 0  # a run id
    assert capsys.readouterr().out == by_ticket
    assert by_ticket.splitlines()[0] == f"{ok}: Succeeded (runtime status Completed)"
    assert "ticket CHG-1002" in by_ticket and "attempts" in by_ticket

    assert main(["show", "--ticket", "CHG-1003", "--api", app]) == 0
    shown = capsys.readouterr().out
    assert shown.splitlines()[0] == f"{failing}: Compensated (runtime status Completed)"
    assert "Completed, outcome" not in shown and "PrincipalNotFound" in shown
    assert "undone" in shown and "failed" in shown

    assert main(["show", "CHG-NOPE", "--api", app]) == 1
    assert "no run with id or ticket 'CHG-NOPE'" in capsys.readouterr().err

    assert main(["list", "--outcome", "Compensated", "--api", app]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split()[:5] == ["id", "ticket", "team", "outcome", "step"]
    assert [line.split()[0] for line in listed[1:]] == [failing]
    assert "Compensated" in listed[1]


def test_events_peek_the_operators_subscription_and_take_nothing(
    stack: Stack, sample, capsys
) -> None:
    assert stack.sim.servicebus is not None
    cs = ["--connection-string", stack.sim.servicebus.connection_string]
    run_id = stack.submit(sample("integration-shared")).body["id"]
    stack.wait(run_id)
    ticketing = len(_peek(stack, "ticketing"))
    _until_events(stack, "operators", ticketing)

    assert main(["events", "--wait", "0.5", *cs]) == 0
    first = capsys.readouterr().out.splitlines()
    assert main(["events", "--wait", "0.5", *cs]) == 0
    assert capsys.readouterr().out.splitlines() == first  # peeked: all still there
    assert len(first) == ticketing and "succeeded" in first[-1]
    assert len(_peek(stack, "ticketing")) == ticketing  # the ticketing system's are untouched

    assert main(["events", "--consume", "--max", "2", "--wait", "0.5", *cs]) == 0
    assert capsys.readouterr().out.splitlines() == first[:2]
    assert len(_peek(stack, "operators")) == ticketing - 2  # taken only with --consume
    assert len(_peek(stack, "ticketing")) == ticketing


def test_a_reader_that_closes_the_pipe_gets_no_traceback(stack: Stack, sample) -> None:
    run_id = stack.submit(sample("failing-access")).body["id"]
    stack.wait(run_id)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "show", run_id, "--api", stack.api],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ),
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -0`: nobody reads what it prints
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err
