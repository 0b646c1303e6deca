"""The local stack: the Azure simulator (ARM, Service Bus, Tables) and devhost running the app.

One process runs both, wired the way app settings wire the real app to Azure: ``ARM_ENDPOINT``
and ``ARM_CA_BUNDLE`` point at the simulator, ``ARM_CREDENTIAL=static`` hands it a fixed
token, and ``ServiceBusConnection`` is the simulator's Service Bus connection string. Every
other setting is what a deployment runs with (the app's defaults; infra/main.bicep sets none of
them), e.g. azure-core's own retries stay on; a test that needs another value asks for it in
``StackOptions.settings``. On the
virtual clock every jump devhost makes is also made by the simulator, so a 3-hour gateway build
passes in the time its polls take. ``onboard serve``, ``onboard demo``, the e2e tests and the
benchmark all start the product through :class:`LocalStack`.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cli.infra_grants import LOCAL_APP_SETTINGS, local_seed
from cli.infra_grants import MAIN as MAIN_BICEP
from devhost import DevHost
from devhost.clock import Clock, RealClock, VirtualClock
from shared import gateway_signal
from shared.azure_clients import reset_clients
from shared.gateway_signal import QUEUE as GATEWAY_EVENTS
from simulator import Simulator
from simulator.servicebus.runner import STATE_FILE as SERVICEBUS_STATE

REPO = Path(__file__).resolve().parents[1]
APP_MODULE = "function_app"


@dataclass
class StackOptions:
    """How to start the stack; every field has the embedded default."""

    state_dir: Path = field(default_factory=lambda: REPO / ".state")
    clock: Literal["virtual", "real"] = "virtual"
    port: int = 7071
    simulator_port: int = 0
    servicebus: bool = True
    check_sequencing: bool = False
    workers: int = 8
    # Simulated minutes a gateway takes to build (None: the simulator's 3 hours).
    gateway_build_minutes: float | None = None
    # Extra app settings (POLICY_*, AUTH_MODE, ...), applied on top of the wiring.
    settings: dict[str, str] = field(default_factory=dict)
    # Forget a previous start: its runs (devhost's SQLite file) and the Service Bus messages
    # still in the queue and the subscriptions (a queued request would start a run again).
    fresh: bool = False
    # False: no simulator; the app reaches real Azure with the settings in the environment
    # (ARM_ENDPOINT unset = management.azure.com, DefaultAzureCredential, ServiceBusConnection).
    simulator: bool = True
    # App roles of a principal devhost injects into requests that carry none (a local stand-in
    # for Easy Auth's sign-in session, e.g. "Onboarding.Operator"); None: off.
    local_principal: str | None = None
    # The app calls ARM as its own identity, holding exactly what infra/ grants it (read from
    # the Bicep by cli/infra_grants.py), so a missing or needless permission shows locally.
    # None: that; a path: another main.bicep (a test's altered copy); False: the simulator's
    # unrestricted operator token (only for tests that reach targets infra/ does not name).
    infra: Path | Literal[False] | None = None


class LocalStack:
    """Start/stop the simulator and devhost together; use as a context manager."""

    def __init__(self, options: StackOptions | None = None) -> None:
        self.options = options or StackOptions()
        self.sim: Simulator | None = None
        self.host: DevHost | None = None
        self._saved_env: dict[str, str | None] = {}

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> LocalStack:
        opts = self.options
        opts.state_dir.mkdir(parents=True, exist_ok=True)
        db = opts.state_dir / "devhost.sqlite"
        if opts.fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            (opts.state_dir / "simulator" / "servicebus" / SERVICEBUS_STATE).unlink(missing_ok=True)
        if not opts.simulator and opts.clock != "real":
            raise ValueError("real Azure runs on the real clock (--clock real)")
        try:
            if opts.simulator:
                self.sim = Simulator(
                    opts.state_dir / "simulator",
                    port=opts.simulator_port,
                    clock=opts.clock,
                    servicebus=opts.servicebus,
                ).start()
                if opts.infra is not False:
                    self.sim.simulation.seed(local_seed(opts.infra or MAIN_BICEP))
                if opts.gateway_build_minutes is not None:
                    timings = self.sim.simulation.timings
                    timings.gateway_build_minutes = opts.gateway_build_minutes
            wiring = self.app_settings() if opts.simulator else {}
            self._apply_settings({**wiring, **opts.settings})
            if self.sim is not None and gateway_signal.enabled(
                opts.settings.get(gateway_signal.SETTING)
            ):
                self._subscribe_gateway_events()
            self.host = DevHost(
                APP_MODULE,
                app_dir=REPO,
                db=db,
                port=opts.port,
                clock=self._clock(),
                activity_workers=opts.workers,
                check_sequencing=opts.check_sequencing,
                local_principal=opts.local_principal,
            ).start()
            self._catch_up_simulator_clock()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.host is not None:
            self.host.stop()
            self.host = None
        if self.sim is not None:
            self.sim.stop()
            self.sim = None
        self._restore_settings()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- wiring -----------------------------------------------------------------------------
    def app_settings(self) -> dict[str, str]:
        """The app settings that point the unchanged app at the simulator."""
        sim = self._sim()
        settings = {
            "ARM_ENDPOINT": sim.url,
            "ARM_CA_BUNDLE": str(sim.ca),
            "ARM_CREDENTIAL": "static",
            # Simulated LROs finish in a poll or two; real seconds between polls buy nothing.
            # The one setting that differs from a deployment's (5 s), and only in wall time.
            "ARM_POLLING_INTERVAL": "0",
            # The operators' run index: the simulator's Table service, path-style like Azurite.
            "RUN_INDEX_ENDPOINT": f"{sim.url}/devstoreaccount1",
        }
        if self.options.infra is not False:
            # The token names the app identity infra/ grants to (cli/infra_grants.py).
            settings.update(LOCAL_APP_SETTINGS)
        if sim.servicebus is not None:
            settings["ServiceBusConnection"] = sim.servicebus.connection_string
        return settings

    def _clock(self) -> Clock:
        if self.options.clock == "real":
            return RealClock()
        sim = self._sim()
        clock = VirtualClock(sim.simulation.clock.now())
        clock.on_jump(self._follow)
        clock.add_horizon(self._horizon)
        return clock

    def _follow(self, _old: dt.datetime, new: dt.datetime) -> None:
        sim = self._sim()
        if new > sim.simulation.clock.now():
            sim.simulation.clock.set(new)
            if sim.simulation.eventgrid.subscriptions:
                with sim.simulation.lock:  # publish what ended at this time, at this time
                    sim.simulation.tick()

    def _horizon(self) -> dt.datetime | None:
        """With Event Grid subscriptions (the push signal), devhost's jumps stop where an
        operation ends, and time waits while the event queue still holds a message, so an
        event is handled at the simulated time it was published."""
        sim = self.sim
        if sim is None or not sim.simulation.eventgrid.subscriptions:
            return None
        if sim.simulation.eventgrid.pending():
            return sim.simulation.clock.now()
        change = sim.simulation.next_change()
        return change if isinstance(change, dt.datetime) else None

    def _subscribe_gateway_events(self) -> None:
        """What infra/ deploys with gatewayPushSignal: an Event Grid subscription on each
        gateway resource group (by default those of the APIM services) to gateway-events."""
        sim = self._sim()
        groups = sorted(
            {str(s.rid).split("/providers/")[0] for s in sim.simulation.apim.services.values()}
        )
        prefix = "/providers/Microsoft.ApiManagement/gateways/"
        sim.simulation.eventgrid.configure({"subscriptions": [
            {"name": f"gateway-builds-{n}", "resourceGroupId": group, "queue": GATEWAY_EVENTS,
             "subjectBeginsWith": group + prefix}
            for n, group in enumerate(groups)
        ]})  # fmt: skip

    def _catch_up_simulator_clock(self) -> None:
        # devhost restores its virtual time after a restart; the simulator starts at its epoch.
        if self.host is not None and self.host.clock.virtual and self.sim is not None:
            self._follow(self.host.clock.now(), self.host.clock.now())

    def _apply_settings(self, settings: dict[str, str]) -> None:
        for name, value in settings.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        reset_clients()

    def _restore_settings(self) -> None:
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
        reset_clients()

    def _sim(self) -> Simulator:
        if self.sim is None:
            raise RuntimeError("the stack is not started")
        return self.sim

    def _host(self) -> DevHost:
        if self.host is None:
            raise RuntimeError("the stack is not started")
        return self.host

    # -- addresses --------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return self._host().api_url

    @property
    def dashboard_url(self) -> str:
        """The operators' dashboard page (triggers/dashboard.py)."""
        return self._host().api_url + "/dashboard"

    def ready_info(self) -> dict[str, Any]:
        """What ``onboard serve`` prints after READY."""
        host = self._host()
        info: dict[str, Any] = {
            "api": host.api_url,
            "dashboard": self.dashboard_url,
            "webhooks": host.webhook_url,
            "systemKey": host.system_key,  # the webhooks' code (local, loopback)
            "clock": self.options.clock,
            "db": str(host.db_path),
        }
        if self.sim is None:
            info["arm"] = os.environ.get("ARM_ENDPOINT", "https://management.azure.com")
            return info
        info.update(simulator=self.sim.url, ca=str(self.sim.ca))
        if self.sim.servicebus is not None:
            info["servicebus"] = self.sim.servicebus.connection_string
        return info
