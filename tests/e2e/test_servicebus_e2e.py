"""Onboardings over Service Bus: function_app under devhost, the simulator's AMQP namespace.

Requests go on queue ``onboarding-requests`` with the real azure-servicebus SDK, as a ticketing
system sends them; what the app says comes back on topic ``onboarding-events``. What must hold
(docs/servicebus.md): a valid request runs once and its milestones arrive in order; resends
never start a second run; a message that can never be valid starts nothing and becomes exactly
one ``rejected`` event carrying its body; a message that keeps failing transiently ends in the
dead-letter queue; and every message is accounted for.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusSubQueue

from cli.samples import HERE as SAMPLES
from tests.cloud_event_check import event_data
from tests.devhost.conftest import REPO
from tests.e2e.conftest import Stack

QUEUE, TOPIC = "onboarding-requests", "onboarding-events"
SUB = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
SUBNET_A = (f"/subscriptions/{SUB}/resourceGroups/rg-network/providers/Microsoft.Network"
            "/virtualNetworks/vnet-apim/subnets/snet-gw-a")  # fmt: skip
FOREIGN_SUBNET = SUBNET_A.replace(SUB, "00000000-0000-4000-8000-0000000000ff")

pytestmark = pytest.mark.timeout(60)


# -- helpers -----------------------------------------------------------------------------------


@contextmanager
def _bus(stack: Stack) -> Iterator[ServiceBusClient]:
    assert stack.sim.servicebus is not None
    with ServiceBusClient.from_connection_string(stack.sim.servicebus.connection_string) as c:
        yield c


def _send(stack: Stack, *messages: tuple[bytes, str]) -> None:
    """(body, MessageId) pairs, sent as the ticketing system does."""
    with _bus(stack) as client, client.get_queue_sender(QUEUE) as sender:
        sender.send_messages(
            [ServiceBusMessage(body, message_id=mid, content_type="application/json")
             for body, mid in messages]
        )  # fmt: skip


def _queue(stack: Stack) -> dict[str, Any]:
    assert stack.sim.servicebus is not None
    return dict(stack.sim.servicebus.snapshot()["queues"][QUEUE])


def _until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def _drained(stack: Stack, timeout: float = 15) -> dict[str, Any]:
    """The queue once no message is left in it (every one completed or dead-lettered)."""
    return _until(lambda: (q := _queue(stack))["messages"] == [] and q, timeout, "an empty queue")


def _events(
    stack: Stack,
    subscription: str,
    done: Callable[[list[Any]], bool] | None = None,
    timeout: float = 15,
    settle: float = 0.0,
) -> list[Any]:
    """Receive (and complete) events until ``done`` (if given), then ``settle`` s more."""
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    with _bus(stack) as client, client.get_subscription_receiver(TOPIC, subscription) as rx:
        while done is not None and not done(got):
            assert time.monotonic() < deadline, [_body(m) for m in got]
            for message in rx.receive_messages(max_message_count=50, max_wait_time=0.5):
                rx.complete_message(message)
                got.append(message)
        end = time.monotonic() + settle
        while time.monotonic() < end:
            for message in rx.receive_messages(max_message_count=50, max_wait_time=0.3):
                rx.complete_message(message)
                got.append(message)
    return got


def _body(message: Any) -> Any:
    """The event of a message: a CloudEvent of its kind's schema (docs/events/), its data."""
    return event_data(message)


def _sample(name: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    body.update(changes)
    return body


# -- (a) a valid request -----------------------------------------------------------------------


def test_a_valid_request_runs_and_its_milestones_arrive_in_order(stack: Stack) -> None:
    request = _sample("integration-shared")
    _send(stack, (json.dumps(request).encode(), request["ticketId"]))
    run = stack.wait("onboard-chg-1002", timeout=30)
    assert run["runtimeStatus"] == "Completed" and run["output"]["outcome"] == "Succeeded", run

    events = _events(stack, "ticketing", lambda got: any(m.subject == "succeeded" for m in got))
    kinds = [(m.subject, _body(m).get("step")) for m in events]
    # What orchestrators/saga.py notifies for a shared gateway (no build, no DNS): accepted,
    # a stepDone per finished step in plan order, then succeeded.
    assert kinds == [
        ("accepted", None),
        ("stepDone", "preflight"),
        ("stepDone", "workspace"),
        ("stepDone", "gateway"),
        ("stepDone", "access"),
        ("succeeded", None),
    ]
    for message in events:
        body = _body(message)
        assert message.correlation_id == "CHG-1002"
        assert body["ticketId"] == "CHG-1002" and body["instanceId"] == "onboard-chg-1002"
        assert message.application_properties == {
            b"kind": message.subject.encode(),
            b"ticketId": b"CHG-1002",
            b"instanceId": b"onboard-chg-1002",
        }
    assert _body(events[-1])["outcome"] == "Succeeded"
    assert _drained(stack)["dead_letter_count"] == 0


# -- (b) duplicates ----------------------------------------------------------------------------


def test_resends_of_a_ticket_make_exactly_one_run_even_after_it_finished(stack: Stack) -> None:
    body = json.dumps(_sample("integration-shared")).encode()
    # Three MessageIds get past the broker's duplicate detection; the fourth (a repeated id)
    # is dropped by it. All arrive together, so the trigger also sees concurrent duplicates.
    _send(stack, (body, "resend-1"), (body, "resend-2"), (body, "resend-3"), (body, "resend-1"))
    run = stack.wait("onboard-chg-1002", timeout=30)
    assert run["output"]["outcome"] == "Succeeded"
    queue = _drained(stack)
    assert [s.instance_id for s in stack.instances()] == ["onboard-chg-1002"]

    _send(stack, (body, "resend-after-finish"))
    queue = _drained(stack)
    assert queue["dead_letter_count"] == 0
    [only] = stack.instances()
    assert only.instance_id == "onboard-chg-1002"
    # Still the first run: Durable would have replaced a finished instance if started again.
    assert stack.view("onboard-chg-1002").body["createdTime"] == run["createdTime"]
    events = _events(stack, "audit", settle=1.0)
    assert [m.subject for m in events].count("accepted") == 1
    assert "rejected" not in [m.subject for m in events]


# -- (c) poison messages -----------------------------------------------------------------------


def _poison() -> dict[str, tuple[bytes, str]]:
    """MessageId -> (body, the rejected event's category)."""
    injection = _sample("injection")
    wrong_type = _sample("integration-shared", ticketId="CHG-3004")
    wrong_type["gateway"]["existingGatewayId"] = 42
    mode = _sample("injection", ticketId="CHG-3006")
    mode["gateway"]["network"]["mode"] = "peering"
    foreign = _sample("injection", ticketId="CHG-3007")
    foreign["gateway"]["network"]["subnetId"] = FOREIGN_SUBNET
    oversized = _sample("injection", ticketId="CHG-3008")
    oversized["workspace"]["description"] = "x" * (70 * 1024)
    return {
        "p-not-json": (b"{ticketId: CHG-3001, team: orders}", "notJson"),
        "p-array": (json.dumps([injection]).encode(), "notObject"),
        "p-empty": (b"", "empty"),
        "p-wrong-type": (json.dumps(wrong_type).encode(), "contract"),
        "p-missing": (json.dumps({"ticketId": "CHG-3005", "team": "orders"}).encode(), "contract"),
        "p-mode": (json.dumps(mode).encode(), "contract"),
        "p-policy": (json.dumps(foreign).encode(), "policy"),
        "p-oversized": (json.dumps(oversized).encode(), "tooLarge"),
        "p-not-utf8": (b'{"ticketId": "CHG-3009", "team": "caf\xe9"}', "notUtf8"),
        "p-ticket": (json.dumps(_sample("injection", ticketId="CHG 30/10;x")).encode(), "contract"),
    }


@pytest.mark.settings({"POLICY_ALLOWED_SUBNETS": json.dumps([SUBNET_A])})
def test_ten_kinds_of_poison_each_become_one_rejected_event_and_nothing_is_lost(
    stack: Stack,
) -> None:
    poison = _poison()
    _send(stack, *[(body, mid) for mid, (body, _) in poison.items()])
    queue = _drained(stack)
    assert queue["dead_letter_count"] == 0 and queue["dead_letters"] == []

    events = _events(stack, "audit", lambda got: len(got) >= len(poison), settle=1.0)
    by_id = {}
    for message in events:
        assert message.subject == "rejected"
        body = _body(message)
        assert body["messageId"] not in by_id, "one rejected event per message"
        by_id[body["messageId"]] = body
    assert set(by_id) == set(poison)
    for mid, (sent, category) in poison.items():
        event = by_id[mid]
        assert event["category"] == category, (mid, event["reason"])
        assert event["reason"] and event["errors"], mid
        assert event["deliveryCount"] == 1 and event["enqueuedTimeUtc"], mid
        kept = event["body"].encode() if event["bodyEncoding"] == "utf-8" else (
            base64.b64decode(event["body"]))  # fmt: skip
        assert kept == sent[: 64 * 1024], mid
        assert event["bodyTruncated"] is (len(sent) > 64 * 1024), mid
        assert event["bodySize"] == len(sent)
    assert "65536 bytes" in by_id["p-oversized"]["reason"]
    assert "UTF-8" in by_id["p-not-utf8"]["reason"]
    assert [v["rule"] for v in by_id["p-policy"]["violations"]] == ["allowedSubnets"]
    assert "gateway.network.mode" in {e["field"] for e in by_id["p-mode"]["errors"]}
    assert "ticketId" in {e["field"] for e in by_id["p-ticket"]["errors"]}
    assert {"apimServiceId", "workspace", "gateway"} <= {
        e["field"] for e in by_id["p-missing"]["errors"]
    }
    # Rejections of well-formed tickets carry the ticket as correlation id, for the ticketing side.
    assert by_id["p-policy"]["ticketId"] == "CHG-3007"
    assert stack.instances() == []


# -- (d) a transient failure that never passes ---------------------------------------------------


@pytest.mark.settings({"POLICY_MAX_GATEWAY_UNITS": "eleven"})
def test_a_message_that_keeps_failing_ends_in_the_dlq_and_starts_no_run(stack: Stack) -> None:
    # An unreadable policy setting makes the function raise on every delivery (a deployment
    # must refuse work rather than run without its policy): a fault an operator can fix, so
    # the message is retried, not rejected, and after max delivery count 5 dead-lettered.
    request = _sample("integration-shared")
    _send(stack, (json.dumps(request).encode(), request["ticketId"]))
    queue = _drained(stack)
    assert queue["dead_letter_count"] == 1
    with (
        _bus(stack) as client,
        client.get_queue_receiver(QUEUE, sub_queue=ServiceBusSubQueue.DEAD_LETTER) as dlq,
    ):
        [dead] = dlq.peek_messages(max_message_count=10)
    assert dead.message_id == "CHG-1002"
    assert dead.dead_letter_reason == "MaxDeliveryCountExceeded"
    assert json.loads(b"".join(dead.body)) == request
    assert stack.instances() == []
    assert _events(stack, "audit", settle=1.0) == []


# -- (e) the onboard command -------------------------------------------------------------------


def _onboard(*args: str, env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO, capture_output=True, text=True, timeout=30, check=False,
        env=env if env is not None else dict(os.environ),
    )  # fmt: skip


def test_onboard_submit_via_servicebus_then_read_the_events(stack: Stack) -> None:
    assert stack.sim.servicebus is not None
    cs = ["--connection-string", stack.sim.servicebus.connection_string]
    sample = str(SAMPLES / "integration-shared.json")
    sent = _onboard("submit", sample, "--via", "servicebus", *cs)
    assert sent.returncode == 0, sent.stderr
    assert "sent to queue onboarding-requests" in sent.stdout
    assert "MessageId CHG-1002" in sent.stdout and "requestedBy bob@contoso.example" in sent.stdout
    assert stack.wait("onboard-chg-1002", timeout=30)["output"]["outcome"] == "Succeeded"
    _until(lambda: len(_peek(stack, "ticketing")) == 6, 10, "six events")

    # --consume takes what it prints (issue 14: without it, onboard events only peeks).
    read = _onboard("events", "--max", "2", "--subscription", "ticketing", "--consume", *cs)
    assert read.returncode == 0, read.stderr
    lines = read.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[1:4] == ["accepted", "CHG-1002", "onboard-chg-1002"]
    assert "preflight done" in lines[1]
    # Completed only what it printed: the other four wait for the next reader.
    assert [m.subject for m in _peek(stack, "ticketing")] == ["stepDone"] * 3 + ["succeeded"]

    raw = _onboard("events", "--json", "--wait", "1", *cs)
    # --json prints each message as it is: a CloudEvents 1.0 envelope around the event.
    assert [json.loads(line)["data"]["kind"] for line in raw.stdout.splitlines()][-1] == "succeeded"


def test_onboard_submit_sends_an_invalid_file_and_events_show_why(stack: Stack, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    # Env ServiceBusConnection (the stack's app setting) names the namespace here.
    sent = _onboard("submit", str(bad), "--via", "servicebus")
    assert sent.returncode == 0, sent.stderr
    assert "not valid JSON" in sent.stdout
    _drained(stack)
    read = _onboard("events", "--subscription", "audit", "--wait", "1")
    [line] = read.stdout.splitlines()
    assert "rejected" in line and "not valid JSON" in line


def test_onboard_servicebus_commands_name_the_missing_setting(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ServiceBusConnection")}
    request = tmp_path / "r.json"
    request.write_text("{}")
    for args in (["events"], ["submit", str(request), "--via", "servicebus"]):
        result = _onboard(*args, env=env)
        assert result.returncode == 2
        assert "ServiceBusConnection" in result.stderr and "--namespace" in result.stderr


def _peek(stack: Stack, subscription: str) -> list[Any]:
    with _bus(stack) as client, client.get_subscription_receiver(TOPIC, subscription) as rx:
        return list(rx.peek_messages(max_message_count=50))
