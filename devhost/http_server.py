"""The HTTP front: the app's HTTP triggers under ``/api`` and the Durable management API.

Both live on one port, like ``func start``: ``create_check_status_response`` rewrites the
management URLs to the origin of the triggering request, so the webhook routes must answer on
the same host:port as the app's routes. Like the real host, the webhooks need the system key
(``code=`` or ``x-functions-key``; the URLs handed to the app carry it) and answer 401 without
it; the SDK's client calls the same operations on a separate keyless RPC listener bound to
127.0.0.1 (the real host's ``rpcBaseUrl``, 127.0.0.1:17071). Auth levels of the app's own
routes are ignored (as Core Tools does locally); headers such as ``x-ms-client-principal``
reach the function unchanged. With a local principal
configured, a request that has no ``x-ms-client-principal`` gets that one (local_auth.py).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

import azure.functions as func
from aiohttp import web

from devhost.app_index import AppIndex, FunctionEntry
from devhost.invocation import build_kwargs, call_async
from devhost.local_auth import with_local_principal
from devhost.local_signin import add_routes as add_signin_routes
from devhost.local_signin import cookie_principal
from devhost.management import Management, ManagementError
from devhost.routing import Router

log = logging.getLogger("devhost.http")

WEBHOOK_PREFIX = "/runtime/webhooks/durabletask"
# The local RPC endpoint's path, as on the real host (http://127.0.0.1:17071/durabletask/).
RPC_PREFIX = "/durabletask"
KEY_HEADER = "x-functions-key"
_RPC = web.AppKey("rpc", bool)
CONTINUATION_HEADER = "x-ms-continuation-token"
_RUNNING_STATES = ("Running", "Pending", "ContinuedAsNew", "Suspended")


def _flag(request: web.Request, name: str, default: bool = False) -> bool:
    """Booleans arrive as ``True``/``true``/``TRUE``: the host parses them case-insensitively."""
    value = request.query.get(name)
    return default if value is None else value.strip().lower() == "true"


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    if body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status,
        text=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


class HttpFront:
    """Builds the aiohttp application for one host."""

    def __init__(
        self,
        index: AppIndex,
        management: Management,
        binding_json: Callable[[str | None], str],
        stats: Callable[[], dict[str, Any]] | None = None,
        local_principal: str | None = None,
        system_key: str | None = None,
    ) -> None:
        """``binding_json(origin)`` returns the durableClient JSON for a request origin.

        ``local_principal``: an ``x-ms-client-principal`` value added to trigger requests that
        carry none (devhost/local_auth.py); None leaves every request as it came.
        """
        self.stats = stats
        self.local_principal = local_principal
        # None: webhooks open (only for a front built without a host, e.g. in a unit test).
        self.system_key = system_key
        self.index = index
        self.management = management
        self.binding_json = binding_json
        self.router = Router()
        for entry in index.of_trigger("httpTrigger"):
            route = getattr(entry.trigger, "route", None) or entry.name
            methods = [getattr(m, "value", str(m)) for m in (entry.trigger.methods or [])]
            self.router.add(route, methods or None, entry)

    def application(self) -> web.Application:
        """The public application: the webhooks (system key required) and the app's routes."""
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[self._key_guard])
        self._management_routes(app, WEBHOOK_PREFIX)
        if self.stats is not None:
            app.router.add_get("/_devhost/stats", self.stats_view)
        add_signin_routes(app)  # the dashboard's Sign in link, locally (devhost/local_signin.py)
        prefix = "/" + self.index.route_prefix if self.index.route_prefix else ""
        # [\s\S], not ".": a path with an encoded newline (%0A) is still the app's to answer.
        app.router.add_route("*", prefix + r"/{tail:[\s\S]*}", self.trigger)
        return app

    def rpc_application(self) -> web.Application:
        """The keyless management API for the SDK's client; serve it on 127.0.0.1 only."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app[_RPC] = True
        self._management_routes(app, RPC_PREFIX)
        return app

    @web.middleware
    async def _key_guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """401 for a webhook call without the system key, as the Functions host answers."""
        path = request.path
        if self.system_key is not None and (
            path == WEBHOOK_PREFIX or path.startswith(WEBHOOK_PREFIX + "/")
        ):
            given = request.query.get("code") or request.headers.get(KEY_HEADER) or ""
            if not hmac.compare_digest(given.encode(), self.system_key.encode()):
                return web.Response(status=401)
        return await handler(request)

    def _management_routes(self, app: web.Application, hooks: str) -> None:
        app.router.add_post(hooks + "/orchestrators/{name}", self.start)
        app.router.add_post(hooks + "/orchestrators/{name}/{instance_id}", self.start)
        app.router.add_get(hooks + "/instances", self.query)
        app.router.add_get(hooks + "/instances/", self.query)
        app.router.add_delete(hooks + "/instances", self.purge_by)
        app.router.add_delete(hooks + "/instances/", self.purge_by)
        app.router.add_get(hooks + "/instances/{instance_id}", self.status)
        app.router.add_delete(hooks + "/instances/{instance_id}", self.purge)
        app.router.add_post(hooks + "/instances/{instance_id}/raiseEvent/{event}", self.raise_event)
        app.router.add_post(hooks + "/instances/{instance_id}/terminate", self.terminate)
        app.router.add_post(hooks + "/instances/{instance_id}/suspend", self.suspend)
        app.router.add_post(hooks + "/instances/{instance_id}/resume", self.resume)
        app.router.add_post(hooks + "/instances/{instance_id}/restart", self.restart)
        app.router.add_post(hooks + "/instances/{instance_id}/rewind", self.rewind)

    # -- management API ---------------------------------------------------------------------
    @staticmethod
    def origin(request: web.Request) -> str:
        """scheme://host:port of the request."""
        return f"{request.scheme}://{request.host}"

    def check_status_body(self, request: web.Request, instance_id: str) -> dict[str, str]:
        """The management URLs for an instance (the body of a 202 start response).

        A start over the RPC listener answers with the public URLs, as the real host does.
        """
        origin = None if request.app.get(_RPC) else self.origin(request)
        urls = json.loads(self.binding_json(origin))["managementUrls"]
        return {key: value.replace("INSTANCEID", instance_id) for key, value in urls.items()}

    def _accepted(self, request: web.Request, instance_id: str) -> web.Response:
        body = self.check_status_body(request, instance_id)
        headers = {"Location": body["statusQueryGetUri"], "Retry-After": "10"}
        return _json(202, body, headers)

    async def _guard(self, call: Callable[[], web.Response]) -> web.Response:
        try:
            return call()
        except ManagementError as exc:
            return _json(exc.status, exc.body)

    async def start(self, request: web.Request) -> web.Response:
        """POST orchestrators/{name}[/{instanceId}][?version=&timeout=&pollingInterval=]."""
        body = await request.text()
        try:
            instance_id = self.management.start(
                request.match_info["name"],
                request.match_info.get("instance_id"),
                body,
                request.query.get("version"),
            )
        except ManagementError as exc:
            return _json(exc.status, exc.body)
        timeout = request.query.get("timeout")
        if timeout:
            interval = float(request.query.get("pollingInterval", "1"))
            deadline = asyncio.get_running_loop().time() + float(timeout)
            while asyncio.get_running_loop().time() < deadline:
                inst = self.management.instance(instance_id)
                if inst is not None and inst.status not in _RUNNING_STATES:
                    if inst.status == "Completed":
                        return web.Response(
                            status=200, text=inst.output or "null", content_type="application/json"
                        )
                    return _json(200, self.management.status(instance_id, show_input=True))
                await asyncio.sleep(interval)
        return self._accepted(request, instance_id)

    async def status(self, request: web.Request) -> web.Response:
        """GET instances/{id}: 202 while running, 200 when finished, 404 (empty) if unknown."""
        instance_id = request.match_info["instance_id"]
        try:
            payload = self.management.status(
                instance_id,
                # The host's default is true (HttpApiHandler: showInput defaults to true).
                show_input=_flag(request, "showInput", default=True),
                show_history=_flag(request, "showHistory"),
                show_history_output=_flag(request, "showHistoryOutput"),
            )
        except ManagementError as exc:
            return _json(exc.status, exc.body)
        if payload["runtimeStatus"] in _RUNNING_STATES:
            location = str(request.url)
            return _json(202, payload, {"Location": location, "Retry-After": "5"})
        if payload["runtimeStatus"] == "Failed" and _flag(
            request, "returnInternalServerErrorOnFailure"
        ):
            return _json(500, payload)
        return _json(200, payload)

    async def query(self, request: web.Request) -> web.Response:
        """GET instances/ with filters; paging through ``x-ms-continuation-token``."""
        statuses = request.query.get("runtimeStatus")
        try:
            page = self.management.query(
                created_from=request.query.get("createdTimeFrom"),
                created_to=request.query.get("createdTimeTo"),
                statuses=[s for s in statuses.split(",") if s] if statuses else None,
                prefix=request.query.get("instanceIdPrefix"),
                page_size=int(request.query.get("top", "100")),
                continuation_token=request.headers.get(CONTINUATION_HEADER),
                show_input=_flag(request, "showInput", default=True),
            )
        except (ManagementError, ValueError) as exc:
            status = exc.status if isinstance(exc, ManagementError) else 400
            return _json(status, str(exc))
        headers = {CONTINUATION_HEADER: page.continuation_token} if page.continuation_token else {}
        return _json(200, page.items, headers)

    async def raise_event(self, request: web.Request) -> web.Response:
        """POST instances/{id}/raiseEvent/{name}: JSON only, 202 / 404 / 410."""
        if request.content_type != "application/json":
            return _json(400, "Only application/json request content is supported")
        body = await request.text()
        try:
            self.management.raise_event(
                request.match_info["instance_id"], request.match_info["event"], body
            )
        except ManagementError as exc:
            return _json(exc.status, exc.body)
        except ValueError:
            return _json(400, "Invalid JSON content")
        return web.Response(status=202)

    async def _control(self, request: web.Request, operation: Callable[..., None]) -> web.Response:
        try:
            operation(request.match_info["instance_id"], request.query.get("reason"))
        except ManagementError as exc:
            return _json(exc.status, exc.body)
        return web.Response(status=202)

    async def terminate(self, request: web.Request) -> web.Response:
        """POST instances/{id}/terminate?reason=."""
        return await self._control(request, self.management.terminate)

    async def suspend(self, request: web.Request) -> web.Response:
        """POST instances/{id}/suspend?reason=."""
        return await self._control(request, self.management.suspend)

    async def resume(self, request: web.Request) -> web.Response:
        """POST instances/{id}/resume?reason=."""
        return await self._control(request, self.management.resume)

    async def restart(self, request: web.Request) -> web.Response:
        """POST instances/{id}/restart?restartWithNewInstanceId=true|false."""
        try:
            new_id = self.management.restart(
                request.match_info["instance_id"],
                _flag(request, "restartWithNewInstanceId", default=True),
            )
        except ManagementError as exc:
            return _json(exc.status, exc.body)
        return self._accepted(request, new_id)

    async def rewind(self, request: web.Request) -> web.Response:
        """Rewind is not supported by devhost."""
        return _json(501, "devhost does not support rewind")

    async def purge(self, request: web.Request) -> web.Response:
        """DELETE instances/{id}."""
        try:
            deleted = self.management.purge(request.match_info["instance_id"])
        except ManagementError as exc:
            return _json(exc.status, exc.body)
        return _json(200, {"instancesDeleted": deleted})

    async def purge_by(self, request: web.Request) -> web.Response:
        """DELETE instances/?createdTimeFrom=..[&createdTimeTo=..][&runtimeStatus=..]."""
        statuses = request.query.get("runtimeStatus")
        try:
            deleted = self.management.purge_by(
                created_from=request.query.get("createdTimeFrom"),
                created_to=request.query.get("createdTimeTo"),
                statuses=[s for s in statuses.split(",") if s] if statuses else None,
            )
        except ManagementError as exc:
            return _json(exc.status, exc.body)
        return _json(200, {"instancesDeleted": deleted})

    async def stats_view(self, request: web.Request) -> web.Response:
        """devhost-only: engine counters, including sequencing cross-check results."""
        assert self.stats is not None
        return _json(200, self.stats())

    # -- HTTP triggers ----------------------------------------------------------------------
    async def trigger(self, request: web.Request) -> web.StreamResponse:
        """Dispatch ``/api/<route>`` to the matching HTTP-triggered function."""
        path = request.match_info["tail"]
        found = self.router.resolve(path, request.method)
        if found is None:
            status = 405 if self.router.path_exists(path) else 404
            return web.Response(status=status)
        entry, route_params = found
        http_request = func.HttpRequest(
            method=request.method,
            url=str(request.url),
            headers=with_local_principal(
                dict(request.headers), self.local_principal or cookie_principal(request)
            ),
            params=dict(request.query),
            route_params=route_params,
            body=await request.read(),
        )
        kwargs = build_kwargs(
            entry,
            {entry.trigger.name: http_request},
            self.binding_json(self.origin(request)),
            str(self.index.app_dir),
        )
        try:
            result = await call_async(entry, kwargs)
        except Exception:
            log.exception("function %s failed", entry.name)
            return web.Response(status=500)
        return to_aiohttp(entry, result)


def to_aiohttp(entry: FunctionEntry, result: Any) -> web.Response:
    """Convert the ``$return`` value like the worker's HTTP output converter."""
    if result is None:
        return web.Response(status=204)
    if isinstance(result, func.HttpResponse):
        headers = {k: v for k, v in result.headers.items() if k.lower() != "content-length"}
        if not any(k.lower() == "content-type" for k in headers) and result.mimetype:
            content_type = result.mimetype
            if result.charset and content_type.startswith("text/"):
                content_type += f"; charset={result.charset}"
            headers["Content-Type"] = content_type
        return web.Response(status=result.status_code, body=result.get_body(), headers=headers)
    if isinstance(result, str | bytes):
        return web.Response(status=200, body=result.encode() if isinstance(result, str) else result)
    log.warning("function %s returned %s; sending it as JSON", entry.name, type(result).__name__)
    return web.Response(status=200, text=json.dumps(result), content_type="application/json")
