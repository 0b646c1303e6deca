"""HTTP handlers for Private DNS: zones, virtual network links, record sets, operation polls.

Wire shapes are those of the recorded service (REC-privatedns, azure-cli privatedns
recordings; arm-behaviour.md §3.8): zone and link writes answer 202 with body ``{}``, a
``Location`` under ``privateDnsOperationResults`` and an ``Azure-AsyncOperation`` under
``privateDnsOperationStatuses`` (both beside the resource group); status polls answer 202
``{"status":"InProgress"}`` (repeating both headers) and then 200 with ``Succeeded`` or
``Failed`` + ``error``. Record sets are synchronous. ETags are unquoted GUIDs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator import errors
from simulator.backends.privatedns import DnsWrite
from simulator.handlers.common import created_or_ok, listing, location_status, retry_after
from simulator.ids import ResourceId
from simulator.router import Router
from simulator.wire import Request, Response

if TYPE_CHECKING:
    from simulator.core import Simulation

_GROUP = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network"
_ZONES = _GROUP + "/privateDnsZones"
_ZONE = _ZONES + "/{zone}"
_LINKS = _ZONE + "/virtualNetworkLinks"
_STATUSES = "privateDnsOperationStatuses"
_RESULTS = "privateDnsOperationResults"


def _zone_rid(req: Request) -> ResourceId:
    p = req.params
    return ResourceId(p["sub"], p["rg"], "Microsoft.Network", ("privateDnsZones",), (p["zone"],))


def _link_rid(req: Request) -> ResourceId:
    return _zone_rid(req).child("virtualNetworkLinks", req.params["link"])


def _op_urls(sim: Simulation, req: Request, write: DnsWrite) -> dict[str, str]:
    version = req.arg("api-version")
    base = f"{write.resource_group_path}/providers/Microsoft.Network"
    return {
        "Azure-AsyncOperation": sim.url(
            f"{base}/{_STATUSES}/{write.op.op_id}?api-version={version}"
        ),
        "Location": sim.url(f"{base}/{_RESULTS}/{write.op.op_id}?api-version={version}"),
    }


def _accepted(sim: Simulation, req: Request, write: DnsWrite, body: object) -> Response:
    # REC-privatedns: 202, body "{}" for PUT and empty for DELETE, both operation headers.
    # Retry-After: SPEC-DNS examples show 60, the recordings none; the simulator sends one
    # only when the pollRetryAfterSeconds timing asks (the SDK would otherwise sleep 60 s).
    return Response(202, body, retry_after(sim, _op_urls(sim, req, write)))


def _with_etag(status: int, body: dict[str, object]) -> Response:
    # Private DNS sends the unquoted GUID etag in the header too (REC-privatedns GETs).
    return Response(status, body, {"ETag": str(body["etag"])})


# --- zones -----------------------------------------------------------------------------


def list_zones(sim: Simulation, req: Request) -> Response:
    return Response(200, listing(sim.dns.list_zones(req.params["sub"], req.params.get("rg"))))


def get_zone(sim: Simulation, req: Request) -> Response:
    return _with_etag(200, sim.dns.get_zone(_zone_rid(req)))


def put_zone(sim: Simulation, req: Request) -> Response:
    write = sim.dns.put_zone(_zone_rid(req), req.json(), req.headers)
    return _accepted(sim, req, write, {})


def delete_zone(sim: Simulation, req: Request) -> Response:
    write = sim.dns.delete_zone(_zone_rid(req), req.headers)
    return Response(204) if write is None else _accepted(sim, req, write, None)


# --- virtual network links ------------------------------------------------------------------


def list_links(sim: Simulation, req: Request) -> Response:
    return Response(200, listing(sim.dns.list_links(_zone_rid(req))))


def get_link(sim: Simulation, req: Request) -> Response:
    return _with_etag(200, sim.dns.get_link(_link_rid(req)))


def put_link(sim: Simulation, req: Request) -> Response:
    write = sim.dns.put_link(_link_rid(req), req.json(), req.headers)
    return _accepted(sim, req, write, {})


def delete_link(sim: Simulation, req: Request) -> Response:
    write = sim.dns.delete_link(_link_rid(req), req.headers)
    return Response(204) if write is None else _accepted(sim, req, write, None)


# --- record sets -------------------------------------------------------------------------


def list_all_records(sim: Simulation, req: Request) -> Response:
    return Response(200, listing(sim.dns.list_records(_zone_rid(req), None)))


def list_records(sim: Simulation, req: Request) -> Response:
    return Response(200, listing(sim.dns.list_records(_zone_rid(req), req.params["rtype"])))


def get_record(sim: Simulation, req: Request) -> Response:
    record = sim.dns.get_record(_zone_rid(req), req.params["rtype"], req.params["name"])
    return _with_etag(200, record)


def put_record(sim: Simulation, req: Request) -> Response:
    body = req.json()
    try:
        record, created = sim.dns.put_record(
            _zone_rid(req), req.params["rtype"], req.params["name"], body, req.headers
        )
    except errors.ArmError as exc:
        if exc.status == 412:
            # REC-privatedns test_PutRecordSet_IfNoneMatchFailure_ExpectError: the 412 body
            # is {"code", "message"} without the usual "error" wrapper.
            return Response(412, {"code": exc.code, "message": exc.message})
        raise
    return _with_etag(created_or_ok(created), record)


def delete_record(sim: Simulation, req: Request) -> Response:
    try:
        deleted = sim.dns.delete_record(
            _zone_rid(req), req.params["rtype"], req.params["name"], req.headers
        )
    except errors.ArmError as exc:
        if exc.status == 412:
            return Response(412, {"code": exc.code, "message": exc.message})
        raise
    # SPEC-DNS RecordSet*Delete: 200 when deleted, 204 when there was nothing to delete.
    return Response(200) if deleted else Response(204)


# --- operation polls ---------------------------------------------------------------------


def poll_status(sim: Simulation, req: Request) -> Response:
    op = sim.operations.get(req.params["op"])
    if op is None:
        raise errors.ArmError(
            404, "OperationNotFound", f"The operation '{req.params['op']}' was not found."
        )
    sim.operations.poll(op)
    group = f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"
    if not op.done:
        # REC-privatedns: in-progress polls are 202 and repeat both operation headers.
        headers = _op_urls(sim, req, DnsWrite(op, group))
        return Response(202, {"status": "InProgress"}, retry_after(sim, headers))
    if op.outcome != "Succeeded":
        # Failure is HTTP 200 with status Failed and the error (REC-privatedns).
        return Response(200, {"error": op.error, "status": op.outcome})
    return Response(200, {"status": "Succeeded"})


def poll_result(sim: Simulation, req: Request) -> Response:
    query = "&".join(f"{k}={v}" for k, v in req.query.items())
    return location_status(sim, req.params["op"], sim.url(req.path) + "?" + query)


def register(router: Router) -> None:
    """Add the Private DNS routes; links and the ALL listing before the record-type patterns."""
    router.add("GET", _GROUP + "/" + _STATUSES + "/{op}", poll_status)
    router.add("GET", _GROUP + "/" + _RESULTS + "/{op}", poll_result)
    router.add(
        "GET", "/subscriptions/{sub}/providers/Microsoft.Network/privateDnsZones", list_zones
    )
    router.add("GET", _ZONES, list_zones)
    router.add("GET", _ZONE, get_zone)
    router.add("PUT", _ZONE, put_zone)
    router.add("DELETE", _ZONE, delete_zone)
    router.add("GET", _LINKS, list_links)
    router.add("GET", _LINKS + "/{link}", get_link)
    router.add("PUT", _LINKS + "/{link}", put_link)
    router.add("DELETE", _LINKS + "/{link}", delete_link)
    # azure-mgmt-privatedns 2.0.0 lists every type at ".../aLL"; the router ignores case.
    router.add("GET", _ZONE + "/ALL", list_all_records)
    router.add("GET", _ZONE + "/{rtype}", list_records)
    router.add("GET", _ZONE + "/{rtype}/{name}", get_record)
    router.add("PUT", _ZONE + "/{rtype}/{name}", put_record)
    router.add("DELETE", _ZONE + "/{rtype}/{name}", delete_record)
