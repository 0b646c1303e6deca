"""A request for a ticket that may already have runs: find them, decide, start or answer.

The decision is shared/resubmission.py's (pure); this module reads the ticket's runs from
Durable (its first run and the attempts ``<first>-r<N>``), compares the request with the latest
run's, and starts a new attempt through :func:`triggers.run_start.start_or_find` (so two
identical requests racing still start one run). Both entry points (HTTP and Service Bus) call
:func:`start_or_resubmit` for an onboarding; the Service Bus trigger publishes what happened as
a ``resubmitted`` event (shared/cloud_events.py), so the ticket never waits on silence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import azure.durable_functions as df

from shared import resubmission as rs
from shared import status_model
from shared.cloud_events import ResubmittedEvent
from shared.request import OnboardingRequest
from triggers.run_start import start_or_find


@dataclass(frozen=True)
class Resubmitted:
    """What :func:`start_or_resubmit` did with a request."""

    decision: rs.Decision
    run_id: str  # the run the request is answered with (new or found)
    first: str  # the ticket's first run
    existing: Any | None = None  # the run's Durable status when one was found, not started
    previous: str | None = None  # the latest run the request was compared with
    changed: list[str] = field(default_factory=list)
    previous_outcome: str | None = None

    @property
    def refused(self) -> bool:
        return self.decision in ("refusedSucceeded", "refusedState")

    @property
    def started(self) -> bool:
        return not self.refused and self.existing is None

    @property
    def word(self) -> str | None:
        """The ``resubmission`` word of the answer (None for a ticket's first request)."""
        if self.decision == "start" and self.existing is None:
            return None
        if self.refused:
            return "refused"
        if self.decision == "start":  # raced: another request started the first run
            return "running"
        return self.decision

    def detail(self) -> str:
        if self.decision == "running" or (self.decision == "start" and self.existing):
            return f"The ticket's run {self.run_id} is still going; this request changes nothing."
        if self.decision == "identical":
            return (f"The ticket's run {self.run_id} ended {self.previous_outcome} with this very "
                    "request; nothing was started.")  # fmt: skip
        if self.decision == "newAttempt":
            return (f"The request differs from the one of {self.previous} (which ended "
                    f"{self.previous_outcome}) in {', '.join(self.changed)}: a new attempt "
                    f"{self.run_id} started.")  # fmt: skip
        if self.decision == "refusedSucceeded":
            return (f"The ticket's run {self.previous} succeeded; a changed request "
                    f"({', '.join(self.changed)}) does not replace it. Open a new ticket for the "
                    "change, or resend the identical request to read the run.")  # fmt: skip
        if self.decision == "refusedState":
            return (
                f"The ticket's run {self.previous} ended {self.previous_outcome} and may "
                "have left resources behind: a changed request cannot start a new attempt "
                "until an operator compensates or cleans it up (docs/operators.md)."
            )
        return f"The ticket's first run {self.run_id} started."

    def event(self, ticket_id: str, message_id: str | None) -> dict[str, Any]:
        """The ``resubmitted`` event (Service Bus) saying what happened."""
        outcome = {"running": "running", "identical": "identical", "newAttempt": "newAttempt",
                   "refused": "refused"}[self.word or "running"]  # fmt: skip
        return ResubmittedEvent(
            kind="resubmitted", ticket_id=ticket_id, instance_id=self.run_id,
            at=dt.datetime.now(dt.UTC).isoformat(), outcome=outcome,  # type: ignore[arg-type]
            detail=self.detail(), attempt_of=self.first if self.run_id != self.first else None,
            previous=self.previous, changed=self.changed, message_id=message_id,
        ).model_dump(by_alias=True, exclude_none=True)  # fmt: skip


async def _status(client: df.DurableOrchestrationClient, run_id: str) -> Any | None:
    status = await client.get_status(run_id, show_input=True)
    return status if status and status.runtime_status is not None else None


async def ticket_runs(client: df.DurableOrchestrationClient, first: str) -> list[Any]:
    """The ticket's runs that exist: the first, then ``-r1``, ``-r2`` ... (Durable statuses).

    Operator retries fill ``-r1`` upwards, new attempts ``-r2`` upwards, so ``-r1`` may be free
    while ``-r2`` exists: the probe stops at the second free id in a row.
    """
    found = await _status(client, first)
    if found is None:
        return []
    runs = [found]
    misses = 0
    for run_id in rs.attempt_ids(first):
        status = await _status(client, run_id)
        if status is None:
            misses += 1
            if misses >= 2:
                break
            continue
        misses = 0
        runs.append(status)
    return runs


def _latest(runs: list[Any]) -> Any:
    def created(status: Any) -> str:
        value: Any = getattr(status, "created_time", None)
        return str(value.isoformat()) if hasattr(value, "isoformat") else str(value or "")

    return max(runs, key=lambda s: (created(s), s.instance_id))


def outcome_of(status: Any) -> str:
    runtime = getattr(status.runtime_status, "value", status.runtime_status)
    custom = status.custom_status if isinstance(status.custom_status, dict) else {}
    return status_model.outcome_of(runtime, custom, status.output)


def request_of(status: Any) -> dict[str, Any] | None:
    inp = status_model.decoded(getattr(status, "input_", None))
    request = inp.get("request") if isinstance(inp, dict) else None
    if not isinstance(request, dict):
        return None
    try:
        return rs.normalised(request)
    except ValueError:
        return None


async def start_or_resubmit(
    client: df.DurableOrchestrationClient,
    request: OnboardingRequest,
    make_input: Callable[[], Any],
    requested_by: str | None,
) -> Resubmitted:
    """Start the ticket's first run, answer its latest run, start a new attempt or refuse."""
    first = request.instance_id
    body = request.model_dump(by_alias=True, mode="json")
    runs = await ticket_runs(client, first)
    if not runs:
        started = await start_or_find(client, first, make_input, body, requested_by)
        return Resubmitted("start", first, first, existing=started.existing)
    latest = _latest(runs)
    outcome = outcome_of(latest)
    previous = request_of(latest)
    changed = rs.changed_fields(previous, rs.normalised(body)) if previous is not None else ["$"]
    decision = rs.decide(outcome, not changed)
    common = {"previous": latest.instance_id, "changed": changed, "previous_outcome": outcome}
    if decision != "newAttempt":
        return Resubmitted(decision, latest.instance_id, first, existing=latest, **common)
    new_id = rs.next_attempt(first, [s.instance_id for s in runs])
    if new_id is None:
        return Resubmitted("refusedState", latest.instance_id, first, existing=latest, **common)
    started = await start_or_find(client, new_id, make_input, body, requested_by,
                                  retryOf=first)  # fmt: skip
    return Resubmitted("newAttempt", new_id, first, existing=started.existing, **common)


async def attempts_view(client: df.DurableOrchestrationClient, view: dict[str, Any]) -> dict:
    """``attemptOf`` and ``attempts`` for a run's view: the ticket's runs linked both ways."""
    from shared.request import instance_id_for

    ticket = view.get("ticketId")
    if not isinstance(ticket, str) or not ticket:
        return {}
    first = instance_id_for(ticket)
    if rs.attempt_number(first, str(view.get("id"))) is None:
        return {}
    runs = await ticket_runs(client, first)
    ids = sorted((s.instance_id for s in runs), key=lambda i: rs.attempt_number(first, i) or 0)
    if len(ids) < 2:
        return {}
    return {"attemptOf": first if view.get("id") != first else None, "attempts": ids}
