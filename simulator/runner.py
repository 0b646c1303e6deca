"""Start and stop a simulator in-process (tests, devhost) or from ``python -m simulator``."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from simulator.clock import Clock, ClockMode
from simulator.core import Simulation
from simulator.server import SimulatorHTTPServer
from simulator.tls import TlsFiles, ensure_tls_files, server_context


class Simulator:
    """A running ARM simulator: HTTPS on 127.0.0.1, state in memory, certificates in state_dir.

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
    ) -> None:
        self.state_dir = Path(state_dir)
        self.port = port
        self.simulation = Simulation(Clock(clock))
        self._seed = seed
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.tls: TlsFiles | None = None

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
        return self

    def stop(self) -> None:
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
        return {
            "simulator": self.url,
            "ca": str(self.ca),
            "clock": self.simulation.clock.mode,
            "stateDir": str(self.state_dir),
        }
