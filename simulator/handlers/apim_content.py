"""HTTP handlers for APIs and products inside an APIM workspace (backends/apim_content.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.handlers.common import created_or_ok
from simulator.ids import ResourceId
from simulator.router import Router
from simulator.wire import Request, Response

if TYPE_CHECKING:
    from simulator.core import Simulation

_WS = ("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{svc}"
       "/workspaces/{ws}")  # fmt: skip


def _ws(req: Request) -> ResourceId:
    p = req.params
    return ResourceId(p["sub"], p["rg"], "Microsoft.ApiManagement", ("service", "workspaces"),
                      (p["svc"], p["ws"]))  # fmt: skip


def _item(req: Request, kind: str) -> ResourceId:
    ws = _ws(req)
    return ResourceId(ws.subscription, ws.resource_group, ws.namespace, (*ws.types, kind),
                      (*ws.names, req.params["name"]))  # fmt: skip


def _handlers(kind: str):  # type: ignore[no-untyped-def]
    def put(sim: Simulation, req: Request) -> Response:
        body, created = sim.apim_content.put(_item(req, kind), kind, req.json(), req.headers)
        return Response(created_or_ok(created), body)

    def get(sim: Simulation, req: Request) -> Response:
        return Response(200, sim.apim_content.get(_item(req, kind), kind))

    def listing(sim: Simulation, req: Request) -> Response:
        items = sim.apim_content.list_items(_ws(req), kind)
        return Response(200, {"value": items, "count": len(items)})

    def delete(sim: Simulation, req: Request) -> Response:
        return Response(200 if sim.apim_content.delete(_item(req, kind), kind) else 204)

    return put, get, listing, delete


def register(router: Router) -> None:
    for kind in ("apis", "products"):
        put, get, listing, delete = _handlers(kind)
        router.add("GET", f"{_WS}/{kind}", listing)
        router.add("GET", f"{_WS}/{kind}/{{name}}", get)
        router.add("PUT", f"{_WS}/{kind}/{{name}}", put)
        router.add("DELETE", f"{_WS}/{kind}/{{name}}", delete)
