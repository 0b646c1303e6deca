"""The saga with the real activities against the ARM simulator, on one virtual clock.

The orchestrator runs under the host-less driver; every activity call goes to the registered
activity function (real SDK clients, simulator over HTTPS), and every durable timer moves the
simulator's clock too, so the three-hour build passes in the same step. This proves the
orchestrator's payloads and the activities' contracts agree; devhost e2e tests add the host.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from activities import functions as registered
from shared import activity_table as acts
from shared import azure_clients, names
from tests.simulator.conftest import subnet_id
from tests.unit.fake_azure import driver as make_driver
from tests.unit.fake_azure import request
from tests.unit.orchestration_driver import World

# What an operator reads on the portal for an injection gateway in snet-gw-a (10.20.1.0/24):
# ARM shows no VIP (arm-behaviour.md §3.6), so every injection run asks for it.
PORTAL_VIP = "10.20.1.4"


class SimWorld(World):
    """World whose activities are the real ones and whose clock is the simulator's.

    An operator stands by: the first ``private_ip`` wait is answered with ``operator_ip`` as
    soon as it opens (None: nobody answers).
    """

    def __init__(self, sim, operator_ip: str | None = PORTAL_VIP) -> None:
        super().__init__()
        self.sim = sim
        self.now = dt.datetime.fromisoformat(
            sim.call("GET", "/_sim/clock")["now"].replace("0Z", "+00:00")
        )
        self.published: list[dict[str, Any]] = []
        if operator_ip is not None:
            self.events.append((names.EVENT_PRIVATE_IP, self.now, {"ip": operator_ip}))

    def run_activity(self, name: str, payload: Any) -> Any:
        if name == acts.PUBLISH_EVENT.name:
            self.published.append(payload)
            return None
        self.activities[name] = lambda p, _w, n=name: _call(n, p)
        return super().run_activity(name, payload)


def _call(name: str, payload: Any) -> Any:
    try:
        return registered.invoke(acts.ACTIVITIES[name], payload)
    except Exception as exc:  # what the host would report: the exception's text
        raise Exception(str(exc)) from None


@pytest.fixture
def world(sim, factory, monkeypatch) -> SimWorld:
    monkeypatch.setattr(azure_clients, "_default", factory)
    return SimWorld(sim)


def _run(world: SimWorld, body: dict[str, Any], **policy: Any) -> dict[str, Any]:
    drv = make_driver(world)
    resolve = drv._resolve

    def resolve_with_clock(task):
        # A durable timer moves the simulator's clock with the orchestration's.
        if task.kind == "timer" and task.fire_at and task.fire_at > world.now:
            world.sim.advance(seconds=(task.fire_at - world.now).total_seconds())
        return resolve(task)

    drv._resolve = resolve_with_clock  # type: ignore[method-assign]
    return drv.run(names.SAGA, {"request": body, "policy": policy})


def _resources(sim) -> set[str]:
    return {r["id"].lower() for r in sim.state()["resources"]}


def test_injection_onboarding_end_to_end(world, sim):
    body = request("injection")
    result = _run(world, body)
    assert result["outcome"] == "Succeeded", result
    gateway = sim.resource(body["apimServiceId"].split("/service/")[0] + "/gateways/gw-payments")
    assert gateway["properties"]["provisioningState"] == "Succeeded"
    zone = result["hostname"]
    assert any(zone in r for r in _resources(sim))
    subnet = sim.resource(subnet_id("snet-gw-a"))
    assert (
        subnet["properties"]["delegations"][0]["properties"]["serviceName"]
        == "Microsoft.Web/hostingEnvironments"
    )
    assert [e["kind"] for e in world.published][-1] == "succeeded"


def test_failure_at_access_is_compensated_and_leaves_the_simulator_as_it_was(world, sim):
    before = _resources(sim)
    body = request("integration")
    body["access"][0]["principalId"] = (
        "dead0000-0000-4000-8000-000000000000"  # not in the directory
    )
    result = _run(world, body)
    assert result["outcome"] == "Compensated", (
        result["leftovers"],
        [s.get("error") for s in result["steps"]],
    )
    assert result["leftovers"] == []
    sim.advance(hours=1)  # let the gateway delete finish
    assert _resources(sim) == before
