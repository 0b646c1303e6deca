"""An operator at hand for the local stack: supplies the gateway private IP ARM does not show.

Real ARM exposes no private VIP for a workspace gateway (arm-behaviour.md §3.6; the simulator's
default), so every VNet-injection run waits for an operator to read it on the portal's
gateway Overview and send it (``onboard supply ID --ip ...``, the operator API's
``POST /api/onboardings/{id}/events/private_ip``). The demo and the e2e tests play that
operator: they read the VIP where an operator would (the simulator's portal view,
``GET /_sim/portal/gateway``) and send it through the same operator API, never around it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cli.api_client import call
from cli.stack import LocalStack
from devhost.stepping import advance_until
from shared import names
from shared.arm_ids import gateway_id_for
from simulator import Simulator
from simulator.ids import parse
from triggers.auth import OPERATOR

TERMINAL = {"Completed", "Failed", "Terminated", "Canceled"}


@dataclass(frozen=True)
class Supplied:
    """What the stand-in did: the run, the gateway it read, the IP it sent, the answer."""

    run_id: str
    gateway_id: str
    ip: str
    status: int


def asks_for_private_ip(custom_status: Any) -> bool:
    """Whether a run's custom status shows it waiting for the gateway's private IP."""
    if not isinstance(custom_status, dict):
        return False
    wait = str(custom_status.get("operatorWait") or "")
    what = str(custom_status.get("waitingFor") or "").lower()
    return wait == names.EVENT_PRIVATE_IP or "private ip" in what or "private_ip" in what


def gateway_of(run_input: Any) -> str | None:
    """The gateway id a run works on, from its input (``{"request": ...}``, maybe as JSON
    text, as the status API shows it)."""
    if isinstance(run_input, str):
        try:
            run_input = json.loads(run_input)
        except ValueError:
            return None
    request = (run_input or {}).get("request") if isinstance(run_input, dict) else None
    if not isinstance(request, dict):
        return None
    gateway = request.get("gateway") or {}
    if gateway.get("existingGatewayId"):
        return str(gateway["existingGatewayId"])
    if gateway.get("name") and request.get("apimServiceId"):
        return gateway_id_for(str(request["apimServiceId"]), str(gateway["name"]))
    return None


def portal_private_ip(sim: Simulator, gateway_id: str) -> str | None:
    """The VIP the portal's Overview shows for the gateway (None until it has one)."""
    with sim.simulation.lock:
        overview = sim.simulation.apim.portal_overview(parse(gateway_id))
    return overview.get("privateIpAddress")


def supply_private_ip(
    api_url: str, sim: Simulator, run_id: str, run_input: Any,
    say: Callable[[str], None] | None = None,
) -> Supplied | None:  # fmt: skip
    """Read the run's gateway VIP on the portal view and send it as the operator; None when
    there is nothing to read yet."""
    gateway_id = gateway_of(run_input)
    ip = portal_private_ip(sim, gateway_id) if gateway_id else None
    if gateway_id is None or ip is None:
        return None
    if say is not None:
        say(
            f"operator: ARM shows no private IP for {parse(gateway_id).name}; the portal's "
            f"Overview shows {ip}, supplied with: onboard supply {run_id} --ip {ip}"
        )
    reply = call(
        "POST", f"{api_url}/onboardings/{run_id}/events/{names.EVENT_PRIVATE_IP}",
        role=OPERATOR, body={"ip": ip},
    )  # fmt: skip
    return Supplied(run_id, gateway_id, ip, reply.status)


class StandIn:
    """The operator on call for runs on a local stack (virtual clock): steps the clock timer
    by timer, like ``devhost.stepping.advance_until``, and answers each private-IP ask once."""

    def __init__(self, stack: LocalStack, say: Callable[[str], None] | None = None) -> None:
        self.stack = stack
        self.say = say
        self.supplied: list[Supplied] = []
        self._answered: set[str] = set()

    def ended(self, run_id: str) -> bool:
        """Whether the run ended; supplies its private IP first if it asks for it now."""
        host, sim = self.stack.host, self.stack.sim
        assert host is not None and sim is not None
        status = host.status(run_id, show_input=True)
        if status.get("runtimeStatus") in TERMINAL:
            return True
        custom = status.get("customStatus")
        if asks_for_private_ip(custom):
            wait = f"{run_id}/{(custom or {}).get('operatorEvent') or ''}"
            if wait not in self._answered:
                done = supply_private_ip(
                    self.stack.api_url, sim, run_id, status.get("input"), self.say
                )
                if done is not None:
                    self._answered.add(wait)
                    self.supplied.append(done)
        return False

    def until_ended(
        self, run_ids: list[str], timeout: float = 90, each: Callable[[], None] | None = None
    ) -> None:
        """Step the clock until every run ended (TimeoutError, as advance_until, if not);
        ``each`` is called at every look (e.g. to redraw progress)."""
        assert self.stack.host is not None

        def all_ended() -> bool:
            ended = [self.ended(run_id) for run_id in run_ids]
            if each is not None:
                each()
            return all(ended)

        deadline = time.monotonic() + timeout
        while True:
            try:
                advance_until(
                    self.stack.host, all_ended, timeout=max(deadline - time.monotonic(), 0.1)
                )
                return
            except TimeoutError as exc:
                # advance_until may see a busy host as idle on a loaded machine (an activity
                # just started, as seen under load); look again until the wall deadline.
                if "idle" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)
