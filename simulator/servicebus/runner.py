"""Start and stop a local Service Bus endpoint in-process: :class:`ServiceBusSimulator`.

::

    with ServiceBusSimulator(state_dir=tmp) as sb:
        client = ServiceBusClient.from_connection_string(sb.connection_string)

Each instance owns one listening socket and one thread; ``stop()`` closes both, so tests can
start and stop many simulators in one session. With a ``state_dir`` the entity state is
written to ``<state_dir>/servicebus.json`` on every change and read back on start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.servicebus.amqp import AmqpServer
from simulator.servicebus.backend import ClockFn, ServiceBusBackend
from simulator.servicebus.config import EntityConfig

STATE_FILE = "servicebus.json"
HOST = "127.0.0.1"


class ServiceBusSimulator:
    """A Service Bus namespace on 127.0.0.1 that the azure-servicebus SDK talks AMQP to."""

    def __init__(
        self,
        state_dir: Path | str | None = None,
        port: int = 0,
        entities: EntityConfig | dict[str, Any] | str | Path | None = None,
        clock: ClockFn | None = None,
    ) -> None:
        self.state_dir = None if state_dir is None else Path(state_dir)
        self.port = port
        self._entities = entities
        self._clock = clock
        self.backend: ServiceBusBackend | None = None
        self._server: AmqpServer | None = None

    def start(self) -> ServiceBusSimulator:
        if self._server is not None:
            raise RuntimeError("the Service Bus simulator is already running")
        state_file = None if self.state_dir is None else self.state_dir / STATE_FILE
        self.backend = ServiceBusBackend(
            self._entities, clock=self._clock, state_file=state_file, namespace=HOST
        )
        self._server = AmqpServer(self.backend, HOST, self.port)
        self.port = self._server.port
        self.backend.namespace = f"{HOST}:{self.port}"
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> ServiceBusSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def endpoint(self) -> str:
        return f"sb://{HOST}:{self.port}"

    @property
    def connection_string(self) -> str:
        """What ``ServiceBusClient.from_connection_string`` needs (plain AMQP, this port)."""
        # UseDevelopmentEmulator=true turns TLS off and keeps the port (the SDK compares the
        # value case-sensitively with "true"). The key is never checked.
        return (
            f"Endpoint={self.endpoint};SharedAccessKeyName=RootManageSharedAccessKey;"
            "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;"
        )

    def snapshot(self) -> dict[str, Any]:
        """Entities, counts and messages (active and dead-lettered) as plain data."""
        return self._backend().snapshot()

    def tick(self) -> None:
        """Apply expiries now (after moving an injected clock) and offer what became free."""
        self._backend().tick()
        if self._server is not None:
            self._server.wake()

    def ready_info(self) -> dict[str, Any]:
        return {"servicebus": self.connection_string, "servicebus_port": self.port}

    def _backend(self) -> ServiceBusBackend:
        if self.backend is None:
            raise RuntimeError("the Service Bus simulator has not been started")
        return self.backend
