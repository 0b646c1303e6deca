"""A run's view for the API, read from Durable: the status model (shared/status_model.py) live.

``GET /api/onboardings/{id}``, the timeline and every action's answer show the same view. A
run that runs calls side by side lists their sub-orchestrations in its custom status
(``children``); each child's own custom status says when its call is being retried, so the
view reads those few children too (at most status_model's 50, concurrently) and shows the
step ``retrying`` with its attempt, last error and next try, as it does for a single call.
"""

from __future__ import annotations

import asyncio
from typing import Any

from shared import status_model as sm


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _runtime(status: Any) -> str | None:
    value = getattr(status, "runtime_status", None)
    return getattr(value, "value", value)


def view_of(status: Any, child_retrying: dict[str, sm.Retrying] | None = None) -> dict[str, Any]:
    """The view of a Durable status (its input too, when it was read with ``show_input``)."""
    view = sm.run_view(
        status.instance_id, _runtime(status), status.custom_status, status.output,
        getattr(status, "input_", None), _iso(status.created_time),
        _iso(status.last_updated_time), child_retrying,
    )  # fmt: skip
    return sm.view_json(view)


async def children_retrying(client: Any, custom: Any) -> dict[str, sm.Retrying]:
    """The retries of the parallel calls running now, by step (the latest attempt wins)."""
    ids = sm.children_of(custom)
    if not ids:
        return {}

    async def read(child: str) -> Any:
        try:
            return await client.get_status(child)
        except Exception:  # a child we cannot read only hides its retry; the view stands
            return None

    found: dict[str, sm.Retrying] = {}
    for status in await asyncio.gather(*(read(c) for c in ids)):
        got = sm.child_retrying(getattr(status, "custom_status", None))
        if got is None:
            continue
        step, retry = got
        if step not in found or retry.attempt > found[step].attempt:
            found[step] = retry
    return found


async def live_view(client: Any, status: Any) -> dict[str, Any]:
    """``view_of`` with the parallel calls' retries read from their children."""
    custom = status.custom_status if isinstance(status.custom_status, dict) else {}
    retrying = {}
    if sm.outcome_of(_runtime(status), custom, status.output) in sm.ACTIVE_OUTCOMES:
        retrying = await children_retrying(client, custom)
    return view_of(status, retrying)


async def read_view(client: Any, instance_id: str) -> dict[str, Any] | None:
    """The live view of a run (read with its input, for ticket, team and workspace), or None."""
    status = await client.get_status(instance_id, show_input=True)
    if not status or status.runtime_status is None:
        return None
    return await live_view(client, status)
