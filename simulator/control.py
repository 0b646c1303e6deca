"""The control API under ``/_sim/``: reset, seed, state, faults, clock, timings, request log.

Scripts and tests outside the project rely on these names; simulator/README.md documents
each call. Control calls are not ARM calls: they are not logged, faulted or versioned.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from simulator import errors
from simulator.errors import ArmError
from simulator.ids import parse
from simulator.wire import Request, Response

if TYPE_CHECKING:
    from simulator.core import Simulation


def handle(sim: Simulation, req: Request) -> Response:
    try:
        return _route(sim, req)
    except ArmError as exc:
        return Response(exc.status, exc.body(), dict(exc.headers))


def _route(sim: Simulation, req: Request) -> Response:
    path = req.path.rstrip("/")
    m = req.method
    if path == "/_sim/health" and m == "GET":
        return Response(200, {"status": "ok"})
    if path == "/_sim/reset" and m == "POST":
        body = req.json_or_empty()
        sim.reset(seed=bool(body.get("seed", True)))
        return Response(200, {"reset": True, "seeded": bool(body.get("seed", True))})
    if path == "/_sim/seed" and m == "POST":
        return Response(200, {"added": sim.seed(req.json())})
    if path == "/_sim/state" and m == "GET":
        return Response(200, sim.state())
    if path == "/_sim/faults":
        if m == "GET":
            return Response(200, {"rules": sim.faults.to_json()})
        if m == "POST":
            rules = sim.faults.add(req.json())
            return Response(201, {"rules": [r.to_json() for r in rules]})
        if m == "DELETE":
            sim.faults.clear()
            return Response(204)
    if path.startswith("/_sim/faults/") and m == "DELETE":
        rule_id = path.rsplit("/", 1)[1]
        if not sim.faults.remove(rule_id):
            raise errors.ArmError(404, "FaultRuleNotFound", f"No fault rule '{rule_id}'.")
        return Response(204)
    if path == "/_sim/clock" and m == "GET":
        return Response(200, sim.clock.describe())
    if path == "/_sim/clock/advance" and m == "POST":
        sim.clock.advance(_duration(req.json()))
        sim.tick()
        return Response(200, sim.clock.describe())
    if path == "/_sim/clock/set" and m == "POST":
        _set_clock(sim, req.json())
        sim.tick()
        return Response(200, sim.clock.describe())
    if path == "/_sim/requests":
        if m == "GET":
            since = _int_arg(req, "since", 0)
            bodies = (req.arg("bodies") or "").lower() in ("true", "1")
            return Response(200, [_log_row(row, bodies) for row in sim.request_log[since:]])
        if m == "DELETE":
            sim.request_log.clear()
            return Response(204)
    if path == "/_sim/timings":
        if m == "GET":
            return Response(200, sim.timings.to_json())
        if m == "POST":
            sim.timings.update(req.json())
            return Response(200, sim.timings.to_json())
    if path == "/_sim/eventgrid":
        if m == "POST":
            sim.eventgrid.configure(req.json())
        if m in ("GET", "POST"):
            return Response(200, sim.eventgrid.to_json())
    if path == "/_sim/behaviour":
        if m == "GET":
            return Response(200, sim.timings.behaviour_json())
        if m == "POST":
            sim.timings.update_behaviour(req.json())
            return Response(200, sim.timings.behaviour_json())
    if path == "/_sim/portal/gateway" and m == "GET":
        # An operator's view outside ARM (the portal's Overview): the VIP ARM never shows.
        try:
            gateway = parse(req.arg("id") or "")
        except ValueError as exc:
            raise errors.bad_request("InvalidQuery", f"'id' must be a gateway id: {exc}") from exc
        return Response(200, sim.apim.portal_overview(gateway))
    if path == "/_sim/provisioning" and m == "POST":
        return Response(200, sim.apim.set_provisioning_rule(req.json()))
    if path == "/_sim/servicebus" and m == "GET":
        if sim.servicebus is None:
            raise ArmError(
                404,
                "ServiceBusNotRunning",
                "This simulator runs without Service Bus; start it with --servicebus.",
            )
        return Response(200, sim.servicebus.snapshot())
    if path == "/_sim/authorization":
        if m == "GET":
            since = _int_arg(req, "since", 0)
            return Response(200, sim.access.log[since:])
        if m == "DELETE":
            sim.access.reset()
            return Response(204)
    if path == "/_sim/directory/principals" and m == "POST":
        return Response(201, sim.authorization.add_principal(req.json()))
    raise ArmError(
        404,
        "UnknownControlCall",
        f"No control call {m} {req.path}. See simulator/README.md, section 'Control API'.",
    )


def _log_row(row: dict[str, Any], bodies: bool) -> dict[str, Any]:
    """A request log row as shown: ``requestBody`` / ``responseBody`` (parsed JSON, else text,
    None when empty) only with ``?bodies=true``."""
    shown = {k: v for k, v in row.items() if not k.startswith("_")}
    if bodies:
        shown["requestBody"] = _decoded(row.get("_requestBody", b""))
        shown["responseBody"] = _decoded(row.get("_responseBody", b""))
    return shown


def _decoded(raw: bytes) -> Any:
    if not raw.strip():
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _duration(body: dict[str, Any]) -> dt.timedelta:
    allowed = {"days", "hours", "minutes", "seconds"}
    unknown = sorted(set(body) - allowed)
    if unknown or not body:
        raise errors.bad_request(
            "InvalidClockAdvance",
            f"Give one or more of {sorted(allowed)} as numbers"
            + (f"; unknown: {unknown}" if unknown else "")
            + ".",
        )
    parts: dict[str, float] = {}
    for name, value in body.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise errors.bad_request(
                "InvalidClockAdvance",
                f"'{name}' must be a number >= 0 (the clock never goes back).",
            )
        parts[name] = float(value)
    return dt.timedelta(**parts)


def _set_clock(sim: Simulation, body: dict[str, Any]) -> None:
    raw = body.get("now")
    try:
        when = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        sim.clock.set(when)
    except ValueError as exc:
        raise errors.bad_request(
            "InvalidClockSet", f"'now' must be a later ISO time: {exc}"
        ) from exc


def _int_arg(req: Request, name: str, default: int) -> int:
    raw = req.arg(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise errors.bad_request("InvalidQuery", f"'{name}' must be an integer >= 0.")
    return value
