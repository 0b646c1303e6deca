"""``DevHost``: wires the app index, store, engine, activity pool, HTTP front and trigger kinds.

In-process use (tests)::

    with DevHost("my_app", app_dir=".", db=tmp / "h.sqlite", clock="virtual") as host:
        instance_id = host.start_new("orchestrator", {"x": 1})
        status = host.wait_for(instance_id)

``python -m devhost`` wraps the same class for a separate process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import secrets
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aiohttp import web

from devhost.activity_pool import ActivityPool
from devhost.app_index import AppIndex, FunctionEntry, load_app, read_host_json
from devhost.clock import Clock, RealClock, VirtualClock
from devhost.concurrency import Concurrency, WorkerThreads
from devhost.engine import VIRTUAL_NOW_KEY, Engine
from devhost.event_loop import run_on_loop, shared_loop
from devhost.http_server import RPC_PREFIX, WEBHOOK_PREFIX, HttpFront
from devhost.invocation import build_kwargs, call_async
from devhost.local_auth import parse_roles, principal_header
from devhost.management import Management
from devhost.store import TERMINAL, Store
from devhost.timefmt import parse
from devhost.trigger_kinds import BUILT_IN, TriggerKind, trigger_kind_for

log = logging.getLogger("devhost")

_IGNORED_TRIGGERS = BUILT_IN | {"entityTrigger"}
# Where the system key of the Durable webhooks is kept: with the host's state, so URLs handed
# out before a restart keep working (the real host keeps its keys in storage too).
SYSTEM_KEY_META = "durabletask_extension_key"
_index_cache: dict[tuple[str, str], AppIndex] = {}
_index_lock = threading.Lock()


def _index_for(module: str, app_dir: Path) -> AppIndex:
    """Index an app once per process (``get_functions`` is single-shot)."""
    key = (module, str(app_dir.resolve()))
    with _index_lock:
        if key not in _index_cache:
            _index_cache[key] = load_app(module, app_dir)
        return _index_cache[key]


class DevHost:
    """A local Functions + Durable host for one app."""

    def __init__(
        self,
        app: str = "function_app",
        *,
        app_dir: str | Path = ".",
        db: str | Path = ".state/devhost.sqlite",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: str | Clock = "real",
        activity_workers: int | None = None,
        check_sequencing: bool = False,
        synchronous: str = "FULL",
        local_principal: str | Iterable[str] | None = None,
        system_key: str | None = None,
    ) -> None:
        """Configure; nothing runs until :meth:`start`. ``port=0`` picks a free port.

        ``system_key``: the Durable webhooks' key (``durabletask_extension`` on the real host);
        by default one generated at the first start and kept in the database.

        ``activity_workers``: threads of the Python worker's pool shared by sync activities
        and orchestrator episodes (default: the ``PYTHON_THREADPOOL_THREAD_COUNT`` setting,
        else the worker's ``min(32, cpus + 4)``); host.json's
        ``maxConcurrentActivityFunctions`` bounds the activities running at once.

        ``local_principal``: app roles (``"A,B"`` or a list) of a principal injected into HTTP
        trigger requests that carry no ``x-ms-client-principal`` (a local stand-in for Easy
        Auth's session; off by default).
        """
        self.module = app
        self.app_dir = Path(app_dir)
        self.db_path = Path(db)
        self.bind_host = host
        self.requested_port = port
        if isinstance(clock, str):
            clock = VirtualClock() if clock == "virtual" else RealClock()
        self.clock: Clock = clock
        self.activity_workers = activity_workers
        self.check_sequencing = check_sequencing
        self.synchronous = synchronous
        self.local_roles = parse_roles(local_principal) if local_principal is not None else None
        self._given_key = system_key
        self.system_key = ""
        self.port = 0
        self.rpc_port = 0
        self._runner: web.AppRunner | None = None
        self._rpc_runner: web.AppRunner | None = None
        self._kinds: list[TriggerKind] = []
        self._started = False

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> DevHost:
        """Load the app, open the database, resume unfinished work and start serving."""
        cached = _index_for(self.module, self.app_dir)
        # The functions are indexed once per process, but the real host reads host.json at
        # every start: a restart on an edited host.json (a new defaultVersion) must see it.
        self.index = dataclasses.replace(cached, host_json=read_host_json(cached.app_dir))
        for warning in self.index.versioning.warnings():  # also fails fast on a bad setting
            log.warning("host.json: %s", warning)
        self.store = Store(self.db_path, synchronous=self.synchronous)
        with self.store.tx() as tx:
            requeued = tx.requeue_running_activities()
            saved_now = tx.get_meta(VIRTUAL_NOW_KEY)
            key = self._given_key or tx.get_meta(SYSTEM_KEY_META)
            if key is None:
                key = secrets.token_urlsafe(32)
            if tx.get_meta(SYSTEM_KEY_META) != key:
                tx.set_meta(SYSTEM_KEY_META, key)
        self.system_key = key
        if requeued:
            log.info("re-running %d activities that were running at the last stop", requeued)
        self.concurrency = Concurrency.from_settings(self.index.host_json, self.activity_workers)
        self.threads = WorkerThreads(self.concurrency.worker_threads)
        self.engine = Engine(
            self.store,
            self.index,
            self.clock,
            check_sequencing=self.check_sequencing,
            threads=self.threads,
        )
        if isinstance(self.clock, VirtualClock):
            if saved_now:
                self.clock.restore(parse(saved_now))
            self.clock.on_jump(self.engine.persist_virtual_now)
        self.management = Management(self.store, self.index, self.clock)
        self.pool = ActivityPool(
            self.store,
            self.index,
            self.clock,
            self.binding_json(),
            workers=self.concurrency.max_activities,
            threads=self.threads,
        )
        self.store.on_change(self.engine.wake)
        self.store.on_change(self.pool.wake)
        header = principal_header(self.local_roles) if self.local_roles else None
        front = HttpFront(
            self.index,
            self.management,
            self.binding_json,
            self.stats,
            local_principal=header,
            system_key=self.system_key,
        )
        # The keyless RPC listener is on loopback whatever the public bind address is.
        self._rpc_runner, self.rpc_port = run_on_loop(
            self._serve(front.rpc_application(), "127.0.0.1", 0)
        )
        self._runner, self.port = run_on_loop(
            self._serve(front.application(), self.bind_host, self.requested_port)
        )
        # Activities got the binding before the port was known; give them the real one.
        self.pool.client_binding_json = self.binding_json()
        self.engine.start()
        self.pool.start()
        self._start_trigger_kinds()
        self._started = True
        return self

    @staticmethod
    async def _serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        return runner, int(runner.addresses[0][1])

    def _start_trigger_kinds(self) -> None:
        by_type: dict[str, list[FunctionEntry]] = {}
        for entry in self.index.functions:
            if entry.trigger_type not in _IGNORED_TRIGGERS:
                by_type.setdefault(entry.trigger_type, []).append(entry)
        for binding_type, entries in by_type.items():
            factory = trigger_kind_for(binding_type)
            names = ", ".join(e.name for e in entries)
            if factory is None:
                log.warning("no trigger kind registered for %s; idle: %s", binding_type, names)
                continue
            kind = factory()
            kind.start(self, entries)
            self._kinds.append(kind)

    def stop(self) -> None:
        """Stop serving, let the current episode and activities finish, close the file."""
        if not self._started:
            return
        self._started = False
        for kind in self._kinds:
            try:
                kind.stop()
            except Exception:
                log.exception("trigger kind failed to stop")
        for runner in (self._runner, self._rpc_runner):
            if runner is not None:
                run_on_loop(runner.cleanup())
        self.engine.stop()
        self.pool.stop()
        self.store.close()

    def __enter__(self) -> DevHost:
        """Start on entering the block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving the block."""
        self.stop()

    # -- addresses --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.bind_host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Base URL of the app's HTTP routes (``.../api``)."""
        prefix = self.index.route_prefix
        return f"{self.base_url}/{prefix}" if prefix else self.base_url

    @property
    def webhook_url(self) -> str:
        """Base URL of the Durable management API (calls need ``code=`` :attr:`system_key`)."""
        return self.base_url + WEBHOOK_PREFIX

    @property
    def rpc_url(self) -> str:
        """Base URL of the keyless management API on loopback (the SDK client's rpcBaseUrl)."""
        return f"http://127.0.0.1:{self.rpc_port}{RPC_PREFIX}/"

    def ready_info(self) -> dict[str, Any]:
        """What ``python -m devhost`` prints after READY."""
        return {
            "api": self.api_url,
            "webhooks": self.webhook_url,
            # Local only (loopback, this database): what a caller of the webhooks passes as code.
            "systemKey": self.system_key,
            "db": str(self.db_path),
            "clock": "virtual" if self.clock.virtual else "real",
            "taskHub": self.index.hub_name,
            "functions": sorted(e.name for e in self.index.functions),
            "localPrincipal": list(self.local_roles) if self.local_roles else None,
        }

    def stats(self) -> dict[str, Any]:
        """Engine counters (also served at ``GET /_devhost/stats``)."""
        stats = self.engine.stats
        return {
            "episodes": stats.episodes,
            "oracleChecks": stats.oracle_checks,
            "sequenceMismatches": list(stats.sequence_mismatches),
            "versionRejections": stats.version_rejections,
            "checkSequencing": self.check_sequencing,
            "workerThreads": self.concurrency.worker_threads,
            "maxConcurrentActivityFunctions": self.concurrency.max_activities,
            "peakActivities": self.pool.peak,
            "peakWorkerThreads": self.threads.peak,
            "now": self.clock.now().isoformat(),
        }

    def binding_json(self, origin: str | None = None) -> str:
        """The ``durableClient`` binding value the real host would pass, pointing here."""
        origin = origin or self.base_url
        base = origin + WEBHOOK_PREFIX
        # As the real host: the public URLs carry the system key, the RPC base does not.
        query = f"taskHub={self.index.hub_name}&connection=Storage&code={self.system_key}"
        instance = base + "/instances/INSTANCEID"
        return json.dumps(
            {
                "taskHubName": self.index.hub_name,
                "creationUrls": {
                    "createNewInstancePostUri": (
                        f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]?{query}"
                    ),
                    "createAndWaitOnNewInstancePostUri": (
                        f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]"
                        f"?timeout={{timeoutInSeconds}}&pollingInterval={{intervalInSeconds}}"
                        f"&{query}"
                    ),
                },
                "managementUrls": {
                    "id": "INSTANCEID",
                    "statusQueryGetUri": f"{instance}?{query}",
                    "sendEventPostUri": f"{instance}/raiseEvent/{{eventName}}?{query}",
                    "terminatePostUri": f"{instance}/terminate?reason={{text}}&{query}",
                    "rewindPostUri": f"{instance}/rewind?reason={{text}}&{query}",
                    "purgeHistoryDeleteUri": f"{instance}?{query}",
                    "restartPostUri": f"{instance}/restart?{query}",
                    "suspendPostUri": f"{instance}/suspend?reason={{text}}&{query}",
                    "resumePostUri": f"{instance}/resume?reason={{text}}&{query}",
                },
                "baseUrl": base,
                "requiredQueryStringParameters": query,
                # The real host's RPC endpoint: a separate port on loopback, no key.
                "rpcBaseUrl": self.rpc_url,
                "httpBaseUrl": "",
                "connectionName": "Storage",
            }
        )

    # -- in-process API ---------------------------------------------------------------------
    def client(self) -> Any:
        """A real ``DurableOrchestrationClient`` bound to this host (use it via :meth:`run`)."""
        import azure.durable_functions as df

        return df.DurableOrchestrationClient(self.binding_json())

    def run(self, coro: Any, timeout: float | None = 60) -> Any:
        """Run a coroutine on the shared loop (where the SDK's HTTP session lives)."""
        return run_on_loop(coro, timeout)

    def invoke(self, entry: FunctionEntry, trigger_args: dict[str, Any]) -> Any:
        """Invoke a function for a trigger kind; returns its result. Call from any thread."""
        kwargs = build_kwargs(entry, trigger_args, self.binding_json(), str(self.app_dir))
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return run_on_loop(call_async(entry, kwargs))
        raise RuntimeError("DevHost.invoke blocks; from the loop use invoke_async")

    async def invoke_async(self, entry: FunctionEntry, trigger_args: dict[str, Any]) -> Any:
        """Invoke a function from a coroutine running on the shared loop."""
        kwargs = build_kwargs(entry, trigger_args, self.binding_json(), str(self.app_dir))
        return await call_async(entry, kwargs)

    def start_new(
        self,
        name: str,
        client_input: Any = None,
        instance_id: str | None = None,
        version: str | None = None,
    ) -> str:
        """Start like ``client.start_new`` does (input through ``df_dumps`` + the JSON hop).

        ``version``: the instance's orchestration version (default: host.json defaultVersion).
        """
        from azure.functions._durable_functions import df_dumps

        raw = json.dumps(df_dumps(client_input)) if client_input is not None else None
        return self.management.start_raw(name, instance_id, raw, version)

    def status(self, instance_id: str, **flags: bool) -> dict[str, Any]:
        """Status payload (``show_input``, ``show_history``, ``show_history_output``)."""
        return self.management.status(instance_id, **flags)

    def raise_event(self, instance_id: str, name: str, data: Any = None) -> None:
        """Raise an event like ``client.raise_event`` (payload posted as ``json.dumps``)."""
        self.management.raise_event(instance_id, name, json.dumps(json.dumps(data)))

    def terminate(self, instance_id: str, reason: str = "") -> None:
        """Terminate an instance."""
        self.management.terminate(instance_id, reason)

    def suspend(self, instance_id: str, reason: str = "") -> None:
        """Suspend an instance."""
        self.management.suspend(instance_id, reason)

    def resume(self, instance_id: str, reason: str = "") -> None:
        """Resume an instance."""
        self.management.resume(instance_id, reason)

    def purge(self, instance_id: str) -> int:
        """Purge an instance's history."""
        return self.management.purge(instance_id)

    def wait_for(
        self,
        instance_id: str,
        timeout: float = 30.0,
        statuses: tuple[str, ...] = TERMINAL,
    ) -> dict[str, Any]:
        """Poll until the instance reaches one of ``statuses``; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            inst = self.management.instance(instance_id)
            if inst is not None and inst.status in statuses:
                return self.status(instance_id, show_input=True)
            if time.monotonic() > deadline:
                state = inst.status if inst else "missing"
                raise TimeoutError(f"{instance_id} is still {state} after {timeout}s")
            time.sleep(0.01)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The shared event loop."""
        return shared_loop()
