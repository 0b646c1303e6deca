"""HTTP handlers for Microsoft.ApiManagement: service, workspaces, gateways, config connections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.handlers.common import async_status, created_or_ok, listing, location_status
from simulator.ids import ResourceId
from simulator.lro import Operation
from simulator.router import Router
from simulator.wire import Request, Response

if TYPE_CHECKING:
    from simulator.core import Simulation

_RG = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement"
_SVC = _RG + "/service/{svc}"
_GW = _RG + "/gateways/{gw}"
_NS = "Microsoft.ApiManagement"


def _rid(req: Request, *pairs: tuple[str, str]) -> ResourceId:
    p = req.params
    return ResourceId(
        p["sub"], p["rg"], _NS, tuple(t for t, _ in pairs), tuple(p[n] for _, n in pairs)
    )


def _svc(req: Request) -> ResourceId:
    return _rid(req, ("service", "svc"))


def _ws(req: Request) -> ResourceId:
    return _rid(req, ("service", "svc"), ("workspaces", "ws"))


def _gw(req: Request) -> ResourceId:
    return _rid(req, ("gateways", "gw"))


def _cc(req: Request) -> ResourceId:
    return _rid(req, ("gateways", "gw"), ("configConnections", "cc"))


def _op_url(sim: Simulation, gateway: ResourceId, op: Operation, asynchronous: bool) -> str:
    # SPEC-APIM ApiManagementCreateWorkspacePremiumGateway.json: both headers point at
    # .../gateways/{gw}/operationresults/{id}?api-version=2024-05-01&asyncResponse
    suffix = "&asyncResponse" if asynchronous else ""
    return sim.url(f"{gateway}/operationresults/{op.op_id}?api-version=2024-05-01{suffix}")


def get_service(sim: Simulation, req: Request) -> Response:
    return Response(200, sim.apim.get_service(_svc(req)))


def _with_etag(body: dict[str, object], status: int) -> Response:
    return Response(status, body, {"ETag": f'"{body["etag"]}"'})


def put_workspace(sim: Simulation, req: Request) -> Response:
    body, created = sim.apim.put_workspace(_ws(req), req.json(), req.headers)
    return _with_etag(body, created_or_ok(created))


def get_workspace(sim: Simulation, req: Request) -> Response:
    return _with_etag(sim.apim.workspace_json(sim.apim.get_workspace(_ws(req))), 200)


def head_workspace(sim: Simulation, req: Request) -> Response:
    ws = sim.apim.get_workspace(_ws(req))
    return Response(200, None, {"ETag": f'"{ws.etag}"'})


def list_workspaces(sim: Simulation, req: Request) -> Response:
    # APIM's service-scoped collections carry a count (SPEC-APIM ApiManagementListWorkspaces).
    items = sim.apim.list_workspaces(_svc(req))
    return Response(200, {**listing(items), "count": len(items)})


def delete_workspace(sim: Simulation, req: Request) -> Response:
    return Response(200 if sim.apim.delete_workspace(_ws(req), req.headers) else 204)


def get_workspace_link(sim: Simulation, req: Request) -> Response:
    return Response(200, sim.apim.workspace_link(_svc(req), req.params["ws"]))


def list_workspace_links(sim: Simulation, req: Request) -> Response:
    return Response(200, listing(sim.apim.workspace_links(_svc(req))))


def put_gateway(sim: Simulation, req: Request) -> Response:
    rid = _gw(req)
    body, created, op = sim.apim.put_gateway(rid, req.json(), req.headers)
    headers = {"ETag": f'"{body["etag"]}"'}
    if op is not None:
        headers["Location"] = _op_url(sim, rid, op, True)
        headers["Azure-AsyncOperation"] = _op_url(sim, rid, op, True)
    return Response(created_or_ok(created), body, headers)


def get_gateway(sim: Simulation, req: Request) -> Response:
    body = sim.apim.get_gateway(_gw(req))
    return _with_etag(body, 200)


def list_gateways(sim: Simulation, req: Request) -> Response:
    return Response(200, listing(sim.apim.list_gateways(req.params["sub"], req.params.get("rg"))))


def delete_gateway(sim: Simulation, req: Request) -> Response:
    rid = _gw(req)
    found = sim.apim.delete_gateway(rid)
    if found is None:
        return Response(204)
    # SPEC-APIM ApiManagementGatewayDeleteGateway.json: 202 + location, body Deleting.
    body, op = found
    return Response(202, body, {"Location": _op_url(sim, rid, op, False)})


def poll_gateway_operation(sim: Simulation, req: Request) -> Response:
    if req.arg("asyncResponse") is not None:
        return async_status(sim, req.params["op"])
    return location_status(sim, req.params["op"], sim.url(req.path) + "?api-version=2024-05-01")


def put_link(sim: Simulation, req: Request) -> Response:
    gateway = _gw(req)
    body, created, op = sim.apim.put_link(_cc(req), req.json(), req.headers)
    url = _op_url(sim, gateway, op, True)
    return Response(created_or_ok(created), body, {"Azure-AsyncOperation": url, "Location": url})


def get_link(sim: Simulation, req: Request) -> Response:
    return _with_etag(sim.apim.get_link(_cc(req)), 200)


def list_links(sim: Simulation, req: Request) -> Response:
    return Response(200, listing(sim.apim.list_links(_gw(req))))


def delete_link(sim: Simulation, req: Request) -> Response:
    gateway = _gw(req)
    op = sim.apim.delete_link(_cc(req), req.headers)
    if op is None:
        return Response(204)
    url = _op_url(sim, gateway, op, True)
    return Response(
        202, None, {"Azure-AsyncOperation": url, "Location": _op_url(sim, gateway, op, False)}
    )


def register(router: Router) -> None:
    """Add the Microsoft.ApiManagement routes."""
    router.add("GET", _SVC, get_service)
    router.add("GET", _SVC + "/workspaces", list_workspaces)
    router.add("GET", _SVC + "/workspaces/{ws}", get_workspace)
    router.add("HEAD", _SVC + "/workspaces/{ws}", head_workspace)
    router.add("PUT", _SVC + "/workspaces/{ws}", put_workspace)
    router.add("DELETE", _SVC + "/workspaces/{ws}", delete_workspace)
    router.add("GET", _SVC + "/workspaceLinks", list_workspace_links)
    router.add("GET", _SVC + "/workspaceLinks/{ws}", get_workspace_link)
    router.add(
        "GET", "/subscriptions/{sub}/providers/Microsoft.ApiManagement/gateways", list_gateways
    )
    router.add("GET", _RG + "/gateways", list_gateways)
    router.add("GET", _GW, get_gateway)
    router.add("PUT", _GW, put_gateway)
    router.add("DELETE", _GW, delete_gateway)
    router.add("GET", _GW + "/operationresults/{op}", poll_gateway_operation)
    router.add("GET", _GW + "/configConnections", list_links)
    router.add("GET", _GW + "/configConnections/{cc}", get_link)
    router.add("PUT", _GW + "/configConnections/{cc}", put_link)
    router.add("DELETE", _GW + "/configConnections/{cc}", delete_link)
