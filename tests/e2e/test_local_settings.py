"""The local stack runs with the settings a deployment runs with (issue 19 item 7).

A deployment does not set ``ARM_RETRY_TOTAL`` (infra/main.bicep), so azure-core's own retries are
on (the app's default, ``shared/azure_clients.py``): a single 503 or a dropped connection is
absorbed inside the activity, as in Azure. Tests that count what the SDK would otherwise absorb
ask for ``ARM_RETRY_TOTAL=0`` themselves (``@pytest.mark.settings``). And ``onboard serve
--fresh`` forgets the Service Bus entities' messages with the runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage

from cli.stack import LocalStack, StackOptions
from shared.azure_clients import ArmSettings
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.timeout(120)

DEPLOYED_RETRY_TOTAL = ArmSettings().retry_total  # what a deployment runs with (not set there)


def test_the_local_stack_leaves_the_sdk_retries_as_deployed(stack: Stack, sample) -> None:
    assert "ARM_RETRY_TOTAL" not in stack.stack.app_settings()
    assert ArmSettings.from_env().retry_total == DEPLOYED_RETRY_TOTAL == 3
    # One 503 on the workspace PUT: azure-core retries it inside the activity, as in Azure.
    stack.sim.simulation.faults.add(
        {"method": "PUT", "path": "*/workspaces/ws-payments", "status": 503, "count": 1}
    )
    run = stack.wait(stack.submit(sample("injection")).body["id"])
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    workspace = {s["name"]: s for s in run["steps"]}["workspace"]
    assert workspace["attempts"] == 1  # the orchestrator never saw the 503
    puts = [r for r in stack.sim.simulation.request_log
            if r["method"] == "PUT" and r["path"].lower().endswith("/workspaces/ws-payments")]  # fmt: skip
    assert [r["status"] for r in puts][:2] == [503, 201]


@pytest.mark.settings({"ARM_RETRY_TOTAL": "0"})
def test_a_test_can_still_turn_the_sdk_retries_off(stack: Stack) -> None:
    assert ArmSettings.from_env().retry_total == 0


def _send_event(connection_string: str) -> None:
    with (
        ServiceBusClient.from_connection_string(connection_string) as client,
        client.get_topic_sender("onboarding-events") as sender,
    ):
        sender.send_messages(ServiceBusMessage(b'{"kind": "left-over"}', message_id="x"))


def _left(stack: LocalStack) -> int:
    assert stack.sim is not None and stack.sim.servicebus is not None
    topic = stack.sim.servicebus.snapshot()["topics"]["onboarding-events"]
    return sum(len(s["messages"]) for s in topic["subscriptions"].values())


def test_serve_fresh_forgets_service_bus_messages_too(tmp_path: Path) -> None:
    options = StackOptions(state_dir=tmp_path, port=0)
    with LocalStack(options) as first:
        assert first.sim is not None and first.sim.servicebus is not None
        _send_event(first.sim.servicebus.connection_string)
        assert _left(first) == 3  # ticketing, audit and the operators' own (onboard events)
    with LocalStack(StackOptions(state_dir=tmp_path, port=0)) as kept:
        assert _left(kept) == 3  # a plain restart keeps them, as a namespace does
    with LocalStack(StackOptions(state_dir=tmp_path, port=0, fresh=True)) as fresh:
        assert _left(fresh) == 0
