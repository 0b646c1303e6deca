"""The gateway push signal on the whole local stack (issue 17, item 2).

With POLICY_GATEWAY_PUSH_SIGNAL on, the stack subscribes the simulator's Event Grid to the
gateways' resource group (as infra/ does with gatewayPushSignal), the simulator publishes the
gateway's ResourceWriteSuccess/Failure onto ``gateway-events`` when the build ends, devhost's
Service Bus trigger runs gateway_write_event, and the waiting run polls at once. Times are
simulated (the virtual clock stops where the build ends, cli/stack.py), never wall time.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage

from shared.gateway_signal import QUEUE
from tests.e2e.conftest import Stack
from tests.e2e.test_gateway_wait_history import mode_none

pytestmark = pytest.mark.timeout(180)
PUSH = {"POLICY_GATEWAY_PUSH_SIGNAL": "true"}


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _run(stack: Stack, sample: Any, ticket: str) -> tuple[dict[str, Any], dict[str, Any]]:
    run_id = stack.submit(mode_none(sample, ticket)).body["id"]
    run = stack.wait(run_id)
    wait = next(s for s in run["steps"] if s["name"] == "wait")
    return run, wait


@pytest.mark.settings(PUSH)
def test_the_run_notices_the_builds_end_when_the_event_comes(stack: Stack, sample: Any) -> None:
    run, wait = _run(stack, sample, "CHG-PUSH-1")
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    (delivered,) = stack.sim.simulation.eventgrid.delivered
    published = _at(delivered["event"]["eventTime"])
    # Without the signal the adaptive clamp notices a 3 h build up to 10 minutes late (27
    # polls); here the confirming GET is made when the event comes.
    assert _at(wait["ended"]) - published < dt.timedelta(seconds=1)
    assert wait["attempts"] <= 27


@pytest.mark.settings(PUSH)
@pytest.mark.sim_behaviour(gatewayBuildOutcome="failed")
def test_a_failed_build_is_noticed_at_its_failure_event(stack: Stack, sample: Any) -> None:
    stack.sim.simulation.timings.gateway_build_minutes = 47  # between two clamp polls
    run, wait = _run(stack, sample, "CHG-PUSH-2")
    assert run["output"]["outcome"] == "Compensated", run["output"]
    (delivered,) = stack.sim.simulation.eventgrid.delivered
    assert delivered["event"]["eventType"] == "Microsoft.Resources.ResourceWriteFailure"
    assert _at(wait["ended"]) - _at(delivered["event"]["eventTime"]) < dt.timedelta(seconds=1)


@pytest.mark.settings(PUSH)
@pytest.mark.parametrize(
    "at",
    [
        pytest.param("never", marks=pytest.mark.sim_behaviour(resourceWriteEventAt="never")),
        pytest.param("accepted", marks=pytest.mark.sim_behaviour(resourceWriteEventAt="accepted")),
    ],
)
def test_a_lost_or_early_event_falls_back_to_the_schedule(
    stack: Stack, sample: Any, at: str
) -> None:
    run, wait = _run(stack, sample, f"CHG-PUSH-3{at[0]}")
    assert run["output"]["outcome"] == "Succeeded", run["output"]
    # accepted: one event when the PUT is accepted, before the waiter registered: nobody to
    # wake (a registered waiter would only poll once more). never: no event at all.
    assert len(stack.sim.simulation.eventgrid.delivered) == (1 if at == "accepted" else 0)
    assert wait["attempts"] == 27  # the clamp's polls over a 3 h build, as without the signal
    assert stack.sim.simulation.eventgrid.pending() == 0  # the early event was taken, completed


def test_a_message_that_is_no_gateway_event_is_completed_not_retried(stack: Stack) -> None:
    assert stack.sim.servicebus is not None
    backend = stack.sim.servicebus.backend
    with ServiceBusClient.from_connection_string(stack.sim.servicebus.connection_string) as bus, \
            bus.get_queue_sender(QUEUE) as sender:  # fmt: skip
        sender.send_messages([ServiceBusMessage(b"not json"),
                              ServiceBusMessage(json.dumps({"eventType": "Other"}))])  # fmt: skip
    store = backend.stores[QUEUE]
    deadline = time.monotonic() + 20  # wall time only bounds the wait; nothing is timed
    while store.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not store.messages  # both completed at the first delivery
    assert not backend.stores[f"{QUEUE}/$deadletterqueue"].messages
