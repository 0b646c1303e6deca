"""Start a ticket's run or find the one it has: the one way every entry point starts a run.

Both start paths (``POST /api/onboardings`` and the Service Bus trigger) call
:func:`start_or_find`; the operator API's retry, which starts ``<root>-r<N>`` runs, shares
:func:`record_new_run`. A run's id is derived from its ticket (shared/request.py), so "is there
a run?" is a status read. Two starts of one ticket can both read "none" (two POSTs at once, or
a resend under another MessageId handled concurrently); Durable then refuses the second
``start_new`` because the first created the instance (the host answers 500 "An Orchestration
instance with the status Pending already exists.", which the SDK raises as a plain
``Exception``). The loser reads the status again and, finding the winner's run, answers exactly
as for a run that existed before: nothing is started twice and nobody sees a 500.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import azure.durable_functions as df

from shared import names, run_index, telemetry
from shared.run_index_store import index_enabled, run_index_table

log = logging.getLogger("onboarding.start")


@dataclass(frozen=True)
class StartOrFind:
    """What :func:`start_or_find` did: ``existing`` is the run found (None when it started one)."""

    instance_id: str
    existing: Any | None = None

    @property
    def started(self) -> bool:
        return self.existing is None


async def start_or_find(
    client: df.DurableOrchestrationClient,
    instance_id: str,
    make_input: Callable[[], Any],
    request: dict[str, Any],
    requested_by: str | None,
    orchestrator: str = names.SAGA,
    **index_extra: Any,
) -> StartOrFind:
    """Start the saga as ``instance_id`` unless a run of that id exists (in any state).

    ``make_input`` builds the saga's input only when a run is to start (it reads settings);
    ``request``, ``requested_by`` and ``index_extra`` (e.g. ``retryOf`` of a new attempt,
    triggers/resubmission.py) go to the run index row of a run started here. An error of
    the start is raised again unless the run exists afterwards (then another start won the race).
    """
    # From here on the trigger's records and spans carry the run's ids (shared/telemetry.py).
    telemetry.bind(request.get("ticketId"), instance_id, "intake")
    existing = await _run(client, instance_id)
    if existing is not None:
        return StartOrFind(instance_id, existing)
    client_input = make_input()
    try:
        await client.start_new(orchestrator, instance_id, client_input)
    except Exception:
        existing = await _run(client, instance_id)
        if existing is None:
            raise
        log.info("%s was started by a concurrent request; answering it as existing",
                 instance_id, extra={"instanceId": instance_id})  # fmt: skip
        return StartOrFind(instance_id, existing)
    await record_new_run(client, instance_id, request, requested_by, **index_extra)
    return StartOrFind(instance_id)


async def _run(client: df.DurableOrchestrationClient, instance_id: str) -> Any | None:
    status = await client.get_status(instance_id)
    return status if status and status.runtime_status is not None else None


async def record_new_run(
    client: df.DurableOrchestrationClient,
    instance_id: str,
    request: dict[str, Any],
    requested_by: str | None,
    **extra: Any,
) -> None:
    """Write a just-started run's first index row (the start paths call this; best effort).

    The creation time is Durable's, so list order and from/to agree with the run's own view
    (locally the host's virtual clock, not the wall clock).
    """
    if not index_enabled():
        return
    try:
        status = await client.get_status(instance_id)
        created = getattr(status, "created_time", None) if status else None
        if not isinstance(created, dt.datetime):
            created = dt.datetime.now(dt.UTC)
        row = run_index.new_row(instance_id, request, requested_by, created, **extra)
        # The Tables SDK is synchronous; keep the event loop (other requests) free meanwhile.
        await asyncio.to_thread(run_index_table().put_run, row)
    except Exception:  # the first milestone writes the row if this does not
        log.warning("run index row not written", extra={"instanceId": instance_id},
                    exc_info=True)  # fmt: skip
