"""HTTP handlers for Microsoft.Network virtual networks, subnets, NSGs and security rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.handlers.common import async_status, created_or_ok, listing, location_status
from simulator.ids import ResourceId
from simulator.lro import Operation
from simulator.router import Router
from simulator.wire import Request, Response

if TYPE_CHECKING:
    from simulator.core import Simulation

_NET = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network"
_VNET = _NET + "/virtualNetworks/{vnet}"
_NSG = _NET + "/networkSecurityGroups/{nsg}"
_OPS = "/subscriptions/{sub}/providers/Microsoft.Network/locations/{region}"


def _rid(req: Request, *pairs: tuple[str, str]) -> ResourceId:
    p = req.params
    return ResourceId(
        p["sub"],
        p["rg"],
        "Microsoft.Network",
        tuple(t for t, _ in pairs),
        tuple(p[n] for _, n in pairs),
    )


def _vnet_rid(req: Request) -> ResourceId:
    return _rid(req, ("virtualNetworks", "vnet"))


def _subnet_rid(req: Request) -> ResourceId:
    return _rid(req, ("virtualNetworks", "vnet"), ("subnets", "subnet"))


def _nsg_rid(req: Request) -> ResourceId:
    return _rid(req, ("networkSecurityGroups", "nsg"))


def _rule_rid(req: Request) -> ResourceId:
    return _rid(req, ("networkSecurityGroups", "nsg"), ("securityRules", "rule"))


def _op_urls(sim: Simulation, req: Request, op: Operation) -> tuple[str, str]:
    base = f"/subscriptions/{req.params['sub']}/providers/Microsoft.Network/locations/{op.region}"
    version = req.arg("api-version")
    return (
        sim.url(f"{base}/operations/{op.op_id}?api-version={version}"),
        sim.url(f"{base}/operationResults/{op.op_id}?api-version={version}"),
    )


def _written(
    sim: Simulation, req: Request, result: tuple[dict[str, Any], bool, Operation]
) -> Response:
    # NRP: 200/201 with the body already Updating + Azure-AsyncOperation (REC-network).
    body, created, op = result
    async_url, _ = _op_urls(sim, req, op)
    headers = {"Azure-AsyncOperation": async_url, "azure-asyncnotification": "Enabled"}
    return Response(created_or_ok(created), body, headers)


def _read(body: dict[str, Any]) -> Response:
    # NRP answers a GET with the body's weak ETag in an `etag` header too (REC-network
    # test_network_nsg: GET .../securityRules/web -> `etag: W/"8f6a3390-..."`, the body's).
    return Response(200, body, {"ETag": body["etag"]})


def _deleted(sim: Simulation, req: Request, op: Operation | None) -> Response:
    if op is None:
        return Response(204)
    async_url, location = _op_urls(sim, req, op)
    return Response(202, None, {"Azure-AsyncOperation": async_url, "Location": location})


def get_vnet(sim: Simulation, req: Request) -> Response:
    return _read(sim.network.get_vnet(_vnet_rid(req)))


def list_vnets(sim: Simulation, req: Request) -> Response:
    return Response(200, listing(sim.network.list_vnets(req.params["sub"], req.params.get("rg"))))


def put_vnet(sim: Simulation, req: Request) -> Response:
    return _written(sim, req, sim.network.put_vnet(_vnet_rid(req), req.json(), req.headers))


def delete_vnet(sim: Simulation, req: Request) -> Response:
    return _deleted(sim, req, sim.network.delete_vnet(_vnet_rid(req)))


def get_subnet(sim: Simulation, req: Request) -> Response:
    return _read(sim.network.get_subnet(_subnet_rid(req)))


def list_subnets(sim: Simulation, req: Request) -> Response:
    return Response(200, listing(sim.network.list_subnets(_vnet_rid(req))))


def put_subnet(sim: Simulation, req: Request) -> Response:
    return _written(sim, req, sim.network.put_subnet(_subnet_rid(req), req.json(), req.headers))


def delete_subnet(sim: Simulation, req: Request) -> Response:
    return _deleted(sim, req, sim.network.delete_subnet(_subnet_rid(req)))


def get_nsg(sim: Simulation, req: Request) -> Response:
    return _read(sim.network.get_nsg(_nsg_rid(req)))


def list_nsgs(sim: Simulation, req: Request) -> Response:
    return Response(200, listing(sim.network.list_nsgs(req.params["sub"], req.params.get("rg"))))


def put_nsg(sim: Simulation, req: Request) -> Response:
    return _written(sim, req, sim.network.put_nsg(_nsg_rid(req), req.json(), req.headers))


def delete_nsg(sim: Simulation, req: Request) -> Response:
    return _deleted(sim, req, sim.network.delete_nsg(_nsg_rid(req)))


def get_rule(sim: Simulation, req: Request) -> Response:
    return _read(sim.network.get_rule(_rule_rid(req)))


def list_rules(sim: Simulation, req: Request) -> Response:
    return Response(200, listing(sim.network.list_rules(_nsg_rid(req))))


def put_rule(sim: Simulation, req: Request) -> Response:
    return _written(sim, req, sim.network.put_rule(_rule_rid(req), req.json(), req.headers))


def delete_rule(sim: Simulation, req: Request) -> Response:
    return _deleted(sim, req, sim.network.delete_rule(_rule_rid(req)))


def poll_async(sim: Simulation, req: Request) -> Response:
    return async_status(sim, req.params["op"])


def poll_location(sim: Simulation, req: Request) -> Response:
    return location_status(sim, req.params["op"], sim.url(req.path) + "?" + _query(req))


def _query(req: Request) -> str:
    return "&".join(f"{k}={v}" for k, v in req.query.items())


def register(router: Router) -> None:
    """Add the Microsoft.Network routes (private DNS has its own module)."""
    router.add("GET", _OPS + "/operations/{op}", poll_async)
    router.add("GET", _OPS + "/operationResults/{op}", poll_location)
    router.add(
        "GET", "/subscriptions/{sub}/providers/Microsoft.Network/virtualNetworks", list_vnets
    )
    router.add("GET", _NET + "/virtualNetworks", list_vnets)
    router.add("GET", _VNET, get_vnet)
    router.add("PUT", _VNET, put_vnet)
    router.add("DELETE", _VNET, delete_vnet)
    router.add("GET", _VNET + "/subnets", list_subnets)
    router.add("GET", _VNET + "/subnets/{subnet}", get_subnet)
    router.add("PUT", _VNET + "/subnets/{subnet}", put_subnet)
    router.add("DELETE", _VNET + "/subnets/{subnet}", delete_subnet)
    router.add(
        "GET", "/subscriptions/{sub}/providers/Microsoft.Network/networkSecurityGroups", list_nsgs
    )
    router.add("GET", _NET + "/networkSecurityGroups", list_nsgs)
    router.add("GET", _NSG, get_nsg)
    router.add("PUT", _NSG, put_nsg)
    router.add("DELETE", _NSG, delete_nsg)
    router.add("GET", _NSG + "/securityRules", list_rules)
    router.add("GET", _NSG + "/securityRules/{rule}", get_rule)
    router.add("PUT", _NSG + "/securityRules/{rule}", put_rule)
    router.add("DELETE", _NSG + "/securityRules/{rule}", delete_rule)
