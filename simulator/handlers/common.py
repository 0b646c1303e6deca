"""Helpers the provider handlers share: LRO headers and status-poll answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator import errors
from simulator.lro import Operation
from simulator.wire import Response

if TYPE_CHECKING:
    from simulator.core import Simulation


def retry_after(sim: Simulation, headers: dict[str, str]) -> dict[str, str]:
    if sim.timings.poll_retry_after_seconds is not None:
        headers["Retry-After"] = str(sim.timings.poll_retry_after_seconds)
    return headers


def async_status(sim: Simulation, op_id: str, in_progress_status: int = 200) -> Response:
    """Answer an Azure-AsyncOperation poll: ``{"status": ...}`` (+ ``error`` on failure)."""
    op = _op(sim, op_id)
    sim.operations.poll(op)
    status = 200 if op.done else in_progress_status
    return Response(status, op.status_body(), retry_after(sim, {}))


def location_status(sim: Simulation, op_id: str, location_url: str) -> Response:
    """Answer a Location poll: 202 while running; when done, the result (200) or 204."""
    op = _op(sim, op_id)
    sim.operations.poll(op)
    if not op.done:
        return Response(202, None, retry_after(sim, {"Location": location_url}))
    if op.outcome != "Succeeded":
        err = op.error or {"code": "OperationFailed", "message": "The operation failed."}
        return Response(400, {"error": err})
    result = op.result()
    return Response(200, result) if result is not None else Response(204)


def _op(sim: Simulation, op_id: str) -> Operation:
    op = sim.operations.get(op_id)
    if op is None:
        raise errors.ArmError(404, "OperationNotFound", f"The operation '{op_id}' was not found.")
    return op


def created_or_ok(created: bool) -> int:
    return 201 if created else 200


def listing(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"value": items}
