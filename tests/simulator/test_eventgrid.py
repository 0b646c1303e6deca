"""Event Grid's resource-group events for a gateway build (simulator/eventgrid.py).

With a subscription on the gateway's resource group, a gateway PUT publishes
ResourceWriteSuccess/Failure when the switch ``resourceWriteEventAt`` says (completed, the
default; accepted; never); the message on the queue is the Event Grid schema event as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import (
    ApiManagementGatewayResource,
    ApiManagementGatewaySkuProperties,
)
from azure.servicebus import ServiceBusClient

from simulator import Simulator
from simulator.eventgrid import WRITE_FAILURE, WRITE_SUCCESS
from tests.simulator.conftest import APIM_RG, SUB, SimControl, StaticToken, _kwargs

GROUP_ID = f"/subscriptions/{SUB}/resourceGroups/{APIM_RG}"
GATEWAYS = f"{GROUP_ID}/providers/Microsoft.ApiManagement/gateways/"
QUEUE = "gateway-events"


def _subscribe(sim: SimControl, prefix: str = GATEWAYS) -> None:
    sim.call("POST", "/_sim/eventgrid", {"subscriptions": [
        {"resourceGroupId": GROUP_ID, "queue": QUEUE, "subjectBeginsWith": prefix},
    ]})  # fmt: skip


def _build(apim: Any, name: str = "gw-ev") -> Any:
    body = ApiManagementGatewayResource(
        location="West Europe",
        sku=ApiManagementGatewaySkuProperties(name="WorkspaceGatewayPremium", capacity=1),
        virtual_network_type="None",
    )
    return apim.api_gateway.begin_create_or_update(APIM_RG, name, body)


def _events(sim: SimControl) -> list[dict[str, Any]]:
    return [d["event"] for d in sim.call("GET", "/_sim/eventgrid")["delivered"]]


def test_completed_publishes_success_when_the_build_ends_not_before(apim: Any, sim: SimControl
                                                                    ) -> None:  # fmt: skip
    _subscribe(sim)
    _build(apim)
    sim.advance(hours=2, minutes=59)
    assert _events(sim) == []
    sim.advance(minutes=2)
    (event,) = _events(sim)
    gateway_id = GATEWAYS + "gw-ev"
    assert event["eventType"] == WRITE_SUCCESS
    assert event["subject"] == event["data"]["resourceUri"] == gateway_id
    assert event["data"]["operationName"] == "Microsoft.ApiManagement/gateways/write"
    assert event["data"]["status"] == "Succeeded"
    assert event["topic"] == GROUP_ID


@pytest.mark.sim_behaviour(gatewayBuildOutcome="failed")
def test_a_failed_build_publishes_write_failure(apim: Any, sim: SimControl) -> None:
    _subscribe(sim)
    _build(apim)
    sim.advance(hours=4)
    (event,) = _events(sim)
    assert (event["eventType"], event["data"]["status"]) == (WRITE_FAILURE, "Failed")


@pytest.mark.sim_behaviour(resourceWriteEventAt="accepted")
def test_accepted_publishes_one_success_at_the_put(apim: Any, sim: SimControl) -> None:
    _subscribe(sim)
    _build(apim)
    assert [e["eventType"] for e in _events(sim)] == [WRITE_SUCCESS]
    sim.advance(hours=4)
    assert len(_events(sim)) == 1


@pytest.mark.sim_behaviour(resourceWriteEventAt="never")
def test_never_publishes_nothing(apim: Any, sim: SimControl) -> None:
    _subscribe(sim)
    _build(apim)
    sim.advance(hours=4)
    assert _events(sim) == []


def test_nothing_without_a_matching_subscription(apim: Any, sim: SimControl) -> None:
    _build(apim)
    sim.advance(hours=4)
    assert _events(sim) == []
    _subscribe(sim, prefix=f"{GROUP_ID}/providers/Microsoft.Network/")
    _build(apim, "gw-ev2")
    sim.advance(hours=4)
    assert _events(sim) == []


def test_bad_subscriptions_are_refused(sim: SimControl) -> None:
    status, _, body = sim.raw("POST", "/_sim/eventgrid", {"subscriptions": [{"queue": QUEUE}]})
    assert status == 400 and body["error"]["code"] == "InvalidEventGrid"


def test_the_event_reaches_the_queue_as_event_grid_delivers_it(tmp_path: Path) -> None:
    with Simulator(tmp_path, clock="virtual", servicebus=True) as simulator:
        control = SimControl(simulator)
        control.call("POST", "/_sim/seed", {"eventGrid": {"subscriptions": [
            {"resourceGroupId": GROUP_ID, "queue": QUEUE, "subjectBeginsWith": GATEWAYS}]}})  # fmt: skip
        apim = ApiManagementClient(StaticToken(), SUB, **_kwargs(simulator))
        _build(apim)
        assert simulator.simulation.next_change() is not None
        control.advance(hours=3, minutes=1)
        assert simulator.servicebus is not None
        assert simulator.simulation.eventgrid.pending() == 1
        conn = simulator.servicebus.connection_string
        with ServiceBusClient.from_connection_string(conn) as client, \
                client.get_queue_receiver(QUEUE, max_wait_time=5) as receiver:  # fmt: skip
            (message,) = receiver.receive_messages(max_message_count=1, max_wait_time=5)
            event = json.loads(b"".join(message.body))
            receiver.complete_message(message)
        assert event["eventType"] == WRITE_SUCCESS
        assert event["data"]["resourceUri"] == GATEWAYS + "gw-ev"
        assert str(message.application_properties[b"aeg-event-type"], "utf-8") == "Notification"
        assert simulator.simulation.eventgrid.pending() == 0
