"""The simulation: clock, timings, operations, the provider backends, faults and the request log.

``Simulation.handle`` is the whole request pipeline, independent of the HTTP server:
``/_sim/`` control calls go to :mod:`simulator.control`; ARM calls are logged, checked for an
api-version, run through the fault rules and routed to a thin handler that calls a backend.
One lock serialises requests, as one consistent ARM view is worth more than parallelism here.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from pathlib import Path
from typing import Any

from simulator import api_versions, control, errors
from simulator.access import Access
from simulator.backends.apim import ApimBackend
from simulator.backends.apim_content import ApimContentBackend
from simulator.backends.authorization import AuthorizationBackend
from simulator.backends.network import NetworkBackend
from simulator.backends.privatedns import PrivateDnsBackend
from simulator.backends.resources import ResourcesBackend
from simulator.backends.tables import TablesBackend
from simulator.clock import Clock
from simulator.errors import ArmError
from simulator.eventgrid import EventGrid
from simulator.faults import ConnectionDropped, FaultBook
from simulator.handlers import register_all
from simulator.handlers import tables as table_handlers
from simulator.ids import ResourceId
from simulator.lro import Operations
from simulator.router import Router
from simulator.settings import Timings
from simulator.wire import Request, Response

DEFAULT_SEED = Path(__file__).with_name("seeds") / "default.json"
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview|-beta|-alpha|-privatepreview)?$")
_WRITE_METHODS = {"PUT", "PATCH", "POST"}


class Simulation:
    """All simulator state, and the request pipeline over it."""

    def __init__(self, clock: Clock | None = None, base_url: str = "https://127.0.0.1") -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock("virtual")
        self.base_url = base_url
        self.timings = Timings()
        self.operations = Operations(self.clock)
        self.faults = FaultBook()
        self.request_log: list[dict[str, Any]] = []
        self.router = Router()
        register_all(self.router)
        self.resources = ResourcesBackend(self)
        self.network = NetworkBackend(self)
        self.dns = PrivateDnsBackend(self)
        self.apim = ApimBackend(self)
        self.apim_content = ApimContentBackend(self)  # APIs and products inside workspaces
        self.authorization = AuthorizationBackend(self)
        # ARM's authorization step, before any backend (simulator/access.py).
        self.access = Access(self)
        # Table Storage is a data plane beside ARM, with its own routes (handlers/tables.py).
        self.table_router = Router()
        table_handlers.register(self.table_router)
        self.tables = TablesBackend(self)
        # Set by the runner when a Service Bus endpoint runs beside ARM (see /_sim/servicebus).
        self.servicebus: Any = None
        # Resource-group events to Service Bus queues (/_sim/eventgrid; simulator/eventgrid.py).
        self.eventgrid = EventGrid(self)

    @property
    def backends(self) -> list[Any]:
        # Resources first: the others check subscriptions and groups against it.
        return [self.resources, self.network, self.dns, self.apim, self.apim_content,
                self.authorization]  # fmt: skip

    # --- lifecycle -------------------------------------------------------------------------

    def reset(self, seed: bool = True) -> None:
        """Forget everything (resources, operations, faults, log, timings, clock); reseed."""
        with self.lock:
            self.clock.restart()
            self.timings = Timings()
            self.operations.clear()
            self.faults.clear()
            self.request_log.clear()
            self.access.reset()
            for backend in self.backends:
                backend.reset()
            self.tables.reset()
            self.eventgrid.reset()
            if seed:
                self.seed(json.loads(DEFAULT_SEED.read_text()))

    def seed(self, scenario: dict[str, Any]) -> dict[str, int]:
        """Add a scenario (format in simulator/README.md) to the current state."""
        from simulator.seeding import apply_seed

        with self.lock:
            return apply_seed(self, scenario)

    def tick(self) -> None:
        if self.servicebus is not None and self.servicebus.running:
            self.servicebus.tick()
        self.operations.tick()
        for backend in self.backends:
            backend.tick()

    def next_change(self) -> Any:
        """The simulated time of the next change nobody asks for (an operation's end), or None.

        A virtual clock that skips ahead may stop there (cli/stack.py does when Event Grid
        subscriptions are configured), so what the change publishes is seen at its own time.
        """
        with self.lock:
            return self.operations.next_deadline()

    def state(self) -> dict[str, Any]:
        with self.lock:
            self.tick()
            resources: list[dict[str, Any]] = []
            for backend in self.backends:
                resources.extend(backend.snapshot())
            return {
                "clock": self.clock.describe(),
                "tenantId": self.authorization.tenant_id,
                "subscriptions": self.resources.subscriptions_json(),
                "resources": resources,
                "directory": self.authorization.directory_json(),
                "timings": self.timings.to_json(),
                "tables": self.tables.state(),
            }

    # --- the pipeline ----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self.lock:
            if request.path.startswith("/_sim/") or request.path == "/_sim":
                return _with_json(control.handle(self, request))
            if table_handlers.is_table_path(request.path):
                response = table_handlers.handle(self, request)
            else:
                try:
                    response = self._handle_arm(request)
                except ConnectionDropped:
                    # Logged with status 0: the client got no answer at all.
                    self.request_log.append(_log_entry(request, 0, None))
                    raise
            self.request_log.append(_log_entry(request, response.status, response))
            return response

    def _handle_arm(self, request: Request) -> Response:
        try:
            version = request.arg("api-version")
            if version is None:
                raise errors.missing_api_version()
            if not _API_VERSION.match(version):
                raise errors.invalid_api_version(version)
            api_versions.check(request.path, version, _location_of(request))
            fault = self.faults.check(request.method, request.path)
            if fault is not None:
                raise fault
            found = self.router.match(request.method, request.path)
            if found is None:
                raise errors.not_implemented(request.method, request.path)
            route, params = found
            request.params = params
            self.access.authorize(request)
            self.tick()
            response = route.handler(self, request)
        except ArmError as exc:
            response = Response(exc.status, exc.body(), dict(exc.headers))
        return self._decorate(request, response)

    def _decorate(self, request: Request, response: Response) -> Response:
        headers = response.headers
        request_id = str(uuid.uuid4())
        headers.setdefault("x-ms-request-id", request_id)
        headers.setdefault(
            "x-ms-correlation-request-id",
            request.header("x-ms-correlation-request-id") or request_id,
        )
        client_id = request.header("x-ms-client-request-id")
        if client_id:
            headers.setdefault("x-ms-client-request-id", client_id)
        if response.status < 400:
            kind = (
                "writes"
                if request.method in _WRITE_METHODS
                else "deletes"
                if request.method == "DELETE"
                else "reads"
            )
            headers.setdefault(f"x-ms-ratelimit-remaining-subscription-{kind}", "199")
        return _with_json(response)

    # --- helpers for handlers ----------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url + path

    def resource_exists(self, rid: ResourceId) -> bool | None:
        """Whether a resource of a simulated type exists; None for types nobody simulates."""
        if rid.namespace is None:
            sub = self.resources.subscriptions.get(rid.subscription.lower())
            if sub is None:
                return False
            return rid.resource_group is None or rid.resource_group.lower() in sub.groups
        for backend in self.backends:
            found = backend.exists(rid)
            if found is not None:
                return bool(found)
        return None


def _location_of(request: Request) -> str | None:
    """The region a write names (for ARM's api-version refusal), normalised like ARM's."""
    if request.method not in _WRITE_METHODS or not request.body.strip():
        return None
    try:
        location = json.loads(request.body).get("location")
    except (ValueError, AttributeError):
        return None
    return location.replace(" ", "").lower() if isinstance(location, str) else None


def _log_entry(request: Request, status: int, response: Response | None) -> dict[str, Any]:
    """One request log row. The bodies are kept as the bytes that crossed the wire (the
    response's encoded now, so a later change of state cannot rewrite it) and shown only when
    asked (``GET /_sim/requests?bodies=true``)."""
    return {
        "method": request.method,
        "path": request.path,
        "status": status,
        "_requestBody": request.body,
        "_responseBody": response.encoded() if response is not None else b"",
    }


def _with_json(response: Response) -> Response:
    if response.body is not None:
        response.headers.setdefault("Content-Type", "application/json; charset=utf-8")
    return response
