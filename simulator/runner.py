"""Start and stop a simulator in-process (tests, devhost) or from ``python -m simulator``."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from simulator.clock import Clock, ClockMode
from simulator.core import Simulation
from simulator.server import SimulatorHTTPServer
from simulator.servicebus import ServiceBusSimulator
from simulator.tls import TlsFiles, ensure_tls_files, server_context


class Simulator:
    """A running simulator: ARM over HTTPS and (optionally) Service Bus over AMQP, on 127.0.0.1.

    ARM state lives in memory (certificates in ``state_dir``); Service Bus state is kept in
    ``state_dir/servicebus`` so queued messages survive a restart. Both share one clock, except
    that Service Bus time never runs behind the wall clock (see :meth:`_servicebus_now`).

    Usable as a context manager::

        with Simulator(state_dir, clock="virtual") as sim:
            client = NetworkManagementClient(cred, sub, base_url=sim.url,
                                             connection_verify=str(sim.ca))
    """

    def __init__(
        self,
        state_dir: Path | str,
        port: int = 0,
        clock: ClockMode = "real",
        seed: bool = True,
        servicebus: bool = False,
        servicebus_port: int = 0,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.port = port
        self.simulation = Simulation(Clock(clock))
        self._seed = seed
        self.servicebus: ServiceBusSimulator | None = None
        if servicebus:
            self.servicebus = ServiceBusSimulator(
                state_dir=self.state_dir / "servicebus",
                port=servicebus_port,
                clock=self._servicebus_now,
            )
            self.simulation.servicebus = self.servicebus
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.tls: TlsFiles | None = None

    def _servicebus_now(self) -> float:
        # The SDK refuses to settle a message whose locked_until is behind the local wall clock
        # (MessageLockLostError, without asking the broker). On a virtual clock behind the wall
        # clock (its epoch is 2026-01-01) every settlement failed and messages were redelivered.
        return max(time.time(), self.simulation.clock.now().timestamp())

    def start(self) -> Simulator:
        self.tls = ensure_tls_files(self.state_dir)
        self._server = SimulatorHTTPServer(self.port, self.simulation, server_context(self.tls))
        self.port = self._server.port
        self.simulation.base_url = self.url
        self.simulation.reset(seed=self._seed)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="simulator-https", daemon=True
        )
        self._thread.start()
        if self.servicebus is not None:
            try:
                self.servicebus.start()
            except BaseException:
                self.stop()
                raise
        return self

    def stop(self) -> None:
        if self.servicebus is not None:
            self.servicebus.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca(self) -> Path:
        if self.tls is None:
            raise RuntimeError("the simulator has not been started")
        return self.tls.ca

    def ready_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "simulator": self.url,
            "ca": str(self.ca),
            "clock": self.simulation.clock.mode,
            "stateDir": str(self.state_dir),
        }
        if self.servicebus is not None:
            info["servicebus"] = self.servicebus.connection_string
        return info
