"""The two ways users would otherwise wait out a gateway build, measured on the same simulator.

* The SDK's own poller: ``begin_create_or_update(...).result()`` with the client's default
  interval (30 s without Retry-After) or a tuned ``polling_interval``, its sleeps moved onto
  the simulator's virtual clock.
* The Durable "monitor" pattern: a fixed-interval timer loop (bench/monitor_app.py; 1 minute
  as in the docs, or tuned) hosted by devhost on the virtual clock, calling the same activity
  our waiter calls.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import (
    ApiManagementGatewayResource,
    ApiManagementGatewaySkuProperties,
)

from bench.measure import gateway_ready_at, history_sizes, parse
from bench.monitor_app import MONITOR
from cli.stack import LocalStack, StackOptions
from devhost import DevHost
from devhost.clock import VirtualClock
from shared.azure_clients import StaticTokenCredential

SUB = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
RG = "rg-apim"


@dataclass
class WaitFigures:
    polls: int
    notice_delay: dt.timedelta
    history: int | None = None


class _VirtualSleepTransport(RequestsTransport):
    """The SDK's transport, whose poller sleeps advance the simulator's clock instead."""

    def __init__(self, stack: LocalStack, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stack = stack

    def sleep(self, duration: float) -> None:
        assert self.stack.sim is not None
        self.stack.sim.simulation.clock.advance(dt.timedelta(seconds=duration))


def _gateway_polls(stack: LocalStack, name: str) -> int:
    assert stack.sim is not None
    return sum(
        1
        for r in stack.sim.simulation.request_log
        if r["method"] == "GET" and f"/gateways/{name}" in r["path"].lower()
    )


def sdk_poller(tmp: Path, build_minutes: float, interval: float | None = None) -> WaitFigures:
    options = StackOptions(state_dir=tmp, port=0, gateway_build_minutes=build_minutes)
    with LocalStack(options) as stack:
        assert stack.sim is not None
        client = ApiManagementClient(
            StaticTokenCredential(),
            SUB,
            base_url=stack.sim.url,
            transport=_VirtualSleepTransport(stack, connection_verify=str(stack.sim.ca)),
            credential_scopes=["https://management.azure.com/.default"],
        )
        tuned: dict[str, Any] = {} if interval is None else {"polling_interval": interval}
        poller = client.api_gateway.begin_create_or_update(
            RG, "gw-sdk", ApiManagementGatewayResource(
                location="West Europe",
                sku=ApiManagementGatewaySkuProperties(name="WorkspaceGatewayStandard", capacity=1),
            ), **tuned,
        )  # fmt: skip
        gateway = poller.result()
        noticed = stack.sim.simulation.clock.now()
        ready = gateway_ready_at(stack, str(gateway.id))
        assert ready is not None
        return WaitFigures(_gateway_polls(stack, "gw-sdk"), noticed - ready)


def monitor_pattern(tmp: Path, build_minutes: float, interval: float = 60.0) -> WaitFigures:
    options = StackOptions(state_dir=tmp, port=0, gateway_build_minutes=build_minutes)
    with LocalStack(options) as stack:
        assert stack.sim is not None
        sim = stack.sim
        client = ApiManagementClient(
            StaticTokenCredential(),
            SUB,
            base_url=sim.url,
            connection_verify=str(sim.ca),
            credential_scopes=["https://management.azure.com/.default"],
        )
        client.api_gateway.begin_create_or_update(
            RG, "gw-monitor", ApiManagementGatewayResource(
                location="West Europe",
                sku=ApiManagementGatewaySkuProperties(name="WorkspaceGatewayStandard", capacity=1),
            ), polling=False,
        ).result()  # fmt: skip
        gateway_id = (
            f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
            "Microsoft.ApiManagement/gateways/gw-monitor"
        )
        clock = VirtualClock(sim.simulation.clock.now())
        clock.on_jump(lambda _old, new: _follow(sim.simulation.clock, new))
        with DevHost("bench.monitor_app", app_dir=Path(__file__).parents[1],
                     db=tmp / "monitor.sqlite", clock=clock) as host:  # fmt: skip
            run_id = host.start_new(MONITOR, {"gatewayId": gateway_id, "intervalSeconds": interval})
            status = host.wait_for(run_id, timeout=300)
            history = sum(history_sizes(host, run_id).values())
        output = status["output"]
        output = output if isinstance(output, dict) else {}
        ready = gateway_ready_at(stack, gateway_id)
        assert ready is not None
        noticed = parse(output["noticedAt"])
        return WaitFigures(int(output["polls"]), noticed - ready, history)


def _follow(sim_clock: Any, new: dt.datetime) -> None:
    if new > sim_clock.now():
        sim_clock.set(new)


def timed(function: Any, *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    return function(*args), time.perf_counter() - started
