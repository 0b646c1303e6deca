"""One status model for a run (issue 14, item 1): the words every reader of a run uses.

The API's run view, the run index's rows, the status events, the CLI and the dashboard all say
how a run stands with these words and nothing else (pure, unit-tested alone):

* ``outcome`` (:data:`OUTCOMES`), at the top of a run: ``Running``, ``WaitingOnOperator``,
  ``Succeeded``, ``Compensating``, ``Compensated``, ``CompensationFailed``, ``Failed``,
  ``Terminated``. Durable's ``runtimeStatus`` (Pending, Running, Completed, ...) stays in the
  view beside it, but a compensated run is ``Completed`` to Durable, so clients read
  ``outcome``.
* per step (:data:`STEP_STATES`): ``pending``, ``running``, ``retrying`` (an attempt failed
  with a retryable error; ``nextRetry`` says when the next attempt starts), ``held`` (the step
  cannot go on until an operator decides: a failed step held for a retry, a stalled build),
  ``succeeded``, ``failed``, ``undoing``, ``undone``, ``skipped``; with ``attempts`` (every
  try, the first included: 1 means no retry) and ``retries`` (the tries after the first of
  each call), ``lastError`` and ``nextRetry``.
* ``waitingFor``: only while an operator must answer: the exact event name to raise, its kind,
  what is asked, the deadline and the action that answers it. What the run works on or waits
  for otherwise (the gateway build, an undo) is ``doing``, until ``until``.

The orchestration publishes what is needed while it runs in its custom status (set by the
ledger and the step runner: pure and replay safe, within the size bound of
shared/custom_status.py): ``retrying`` (step -> attempt, last error, next try), ``undoing`` (the
step being undone), ``hostname`` and ``children`` (the parallel calls' sub-orchestrations,
whose own custom status carries their retries). The functions here turn a Durable status
(runtime status, custom status, output, input) into the view, and a milestone into the
index row's outcome.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal, get_args

from pydantic import Field

from shared import names
from shared.wire_model import WireModel

Outcome = Literal[
    "Running", "WaitingOnOperator", "Succeeded", "Compensating", "Compensated",
    "CompensationFailed", "Failed", "Terminated",
]  # fmt: skip
OUTCOMES: tuple[str, ...] = get_args(Outcome)
ACTIVE_OUTCOMES = ("Running", "WaitingOnOperator", "Compensating")
FINAL_OUTCOMES = ("Succeeded", "Compensated", "CompensationFailed", "Failed", "Terminated")

StepState = Literal[
    "pending", "running", "retrying", "held", "succeeded", "failed", "undoing", "undone",
    "skipped",
]  # fmt: skip
STEP_STATES: tuple[str, ...] = get_args(StepState)

RUNTIME_ACTIVE = ("Pending", "Running", "Suspended", "ContinuedAsNew")
RUNTIME_FINISHED = ("Completed", "Failed", "Terminated", "Canceled")
MAX_ERROR = 500  # a step's lastError in the view (the full text is in the run's history)

# The ledger's own step records (shared/saga_models.StepRecord) say a little less or a little
# differently; a run recorded before this model reads the same through this table.
_RECORDED: dict[str, StepState] = {
    "pending": "pending",
    "running": "running",
    "stalled": "held",
    "succeeded": "succeeded",
    "failed": "failed",
    "skipped": "skipped",
    "undone": "undone",
    "undo-failed": "failed",
}

# How an operator answers each kind of wait (docs/operators.md "API contract").
_ANSWERS = {
    names.EVENT_APPROVAL: (
        "approve or reject: onboard approve {id} [--reject] --reason R, or POST "
        '/api/onboardings/{id}/approve {{"approved": true|false, "reason": "..."}}'
    ),
    names.EVENT_PRIVATE_IP: (
        "supply the gateway's private IP: onboard supply {id} --ip A.B.C.D, or POST "
        '/api/onboardings/{id}/events/private_ip {{"ip": "A.B.C.D"}}'
    ),
    names.EVENT_STALLED_DECISION: (
        "decide on the stalled build: POST /api/onboardings/{id}/events/stalled_decision "
        '{{"action": "keepWaiting"}} or {{"action": "abort"}} (abort undoes the run)'
    ),
    names.EVENT_FAILED_DECISION: (
        "fix the cause named in lastError, then retry the step: onboard retry {id} (POST "
        "/api/onboardings/{id}/retry); or give up: POST "
        '/api/onboardings/{id}/events/failed_decision {{"action": "compensate"}}'
    ),
}
HELD_KINDS = (names.EVENT_FAILED_DECISION, names.EVENT_STALLED_DECISION)


class WaitingFor(WireModel):
    """What an operator must send for the run to go on, and by when."""

    event: str  # the exact external event name of this wait, e.g. "approval-1"
    kind: str  # approval | private_ip | stalled_decision | failed_decision
    what: str  # what is asked, in words
    deadline: str | None = None  # after it the run decides alone (it fails the step, undoes)
    action: str  # how to answer: the CLI command and the API call
    step: str | None = None


class Retrying(WireModel):
    """A call of a step whose last attempt failed with a retryable error."""

    activity: str | None = None
    attempt: int  # the attempt that failed (1 = the first try)
    last_error: str | None = None
    next_retry: str | None = None  # when the next attempt starts (a durable timer)


class StepView(WireModel):
    name: str
    status: StepState
    attempts: int = 0  # every try, the first included
    retries: int = 0  # tries after the first of each call
    last_error: str | None = None
    next_retry: str | None = None
    started: str | None = None
    ended: str | None = None
    created: list[str] = Field(default_factory=list)
    undone: list[str] = Field(default_factory=list)
    created_omitted: int | None = None
    undone_omitted: int | None = None


class RunView(WireModel):
    """``GET /api/onboardings/{id}``: what clients read first comes first."""

    id: str
    outcome: Outcome
    ticket_id: str | None = None
    team: str | None = None
    workspace: str | None = None
    hostname: str | None = None
    current_step: str | None = None
    waiting_for: WaitingFor | None = None
    doing: str | None = None  # what the run works on or waits for now (not an operator)
    until: str | None = None  # when ``doing`` (or the operator wait) ends at the latest
    asks: dict[str, Any] | None = None  # what the operator decides on (approval: the summary)
    steps: list[StepView] = Field(default_factory=list)
    error: str | None = None  # why the run failed (the failed step's error)
    leftovers: list[str] = Field(default_factory=list)  # CompensationFailed: still there
    retry_of: str | None = None
    compensation_of: str | None = None
    runtime_status: str | None = None  # Durable's word, for who needs it
    created_time: str | None = None
    last_updated_time: str | None = None
    output: dict[str, Any] | None = None


class Counts(WireModel):
    """``GET /api/onboardings/counts``: rows per outcome (each the ``outcome=`` filter's list)."""

    running: int = Field(0, alias="Running")
    waiting_on_operator: int = Field(0, alias="WaitingOnOperator")
    succeeded: int = Field(0, alias="Succeeded")
    compensating: int = Field(0, alias="Compensating")
    compensated: int = Field(0, alias="Compensated")
    compensation_failed: int = Field(0, alias="CompensationFailed")
    failed: int = Field(0, alias="Failed")
    terminated: int = Field(0, alias="Terminated")


# --- outcome -----------------------------------------------------------------------------------


def outcome_of(runtime: str | None, custom: Mapping[str, Any], output: Any) -> Outcome:
    """A run's outcome from Durable's runtime status, its custom status and its output."""
    if runtime in ("Terminated", "Canceled"):
        return "Terminated"
    if runtime == "Failed":
        return "Failed"  # the orchestrator itself failed: nothing undid its work
    if runtime == "Completed":
        recorded = output.get("outcome") if isinstance(output, Mapping) else None
        return recorded if recorded in FINAL_OUTCOMES else "Failed"
    if custom.get("step") == "compensate":
        return "Compensating"
    if custom.get("operatorEvent"):
        return "WaitingOnOperator"
    return "Running"


def outcome_of_event(kind: str, outcome: str | None = None) -> Outcome:
    """The run's outcome right after a milestone (a StatusEvent's ``kind``)."""
    if outcome in FINAL_OUTCOMES and kind in ("succeeded", "compensated", "compensationFailed"):
        return outcome  # type: ignore[return-value]
    return {
        "waitingOnOperator": "WaitingOnOperator",
        "failed": "Compensating",
        "succeeded": "Succeeded",
        "compensated": "Compensated",
        "compensationFailed": "CompensationFailed",
    }.get(kind, "Running")  # type: ignore[return-value]


def is_final(outcome: str | None) -> bool:
    return outcome in FINAL_OUTCOMES


# --- waiting for an operator -------------------------------------------------------------------


def wait_kind(event: str) -> str:
    """``private_ip-2`` -> ``private_ip`` (as shared/operator_events.wait_kind)."""
    kind, _, number = event.rpartition("-")
    return kind if kind and number.isdigit() else event


def waiting_for(instance_id: str, custom: Mapping[str, Any]) -> WaitingFor | None:
    """The operator wait the custom status advertises, or None when no operator is asked."""
    event = custom.get("operatorEvent")
    if not event:
        return None
    kind = str(custom.get("operatorWait") or wait_kind(str(event)))
    answer = _ANSWERS.get(kind, "POST /api/onboardings/{id}/events/" + kind + " with the value")
    return WaitingFor(
        event=str(event), kind=kind, what=str(custom.get("waitingFor") or kind),
        deadline=custom.get("until"), action=answer.format(id=instance_id),
        step=custom.get("step"),
    )  # fmt: skip


def action_for(instance_id: str, kind: str) -> str:
    """How an operator answers a wait of ``kind`` (the CLI command and the API call)."""
    answer = _ANSWERS.get(kind, "POST /api/onboardings/{id}/events/" + kind + " with the value")
    return answer.format(id=instance_id)


# --- steps -------------------------------------------------------------------------------------


def retrying_of(custom: Mapping[str, Any]) -> dict[str, Retrying]:
    """The custom status's ``retrying`` map (step -> the call being retried), read leniently."""
    found: dict[str, Retrying] = {}
    raw = custom.get("retrying")
    if not isinstance(raw, Mapping):
        return found
    for step, info in raw.items():
        try:
            found[str(step)] = Retrying.model_validate(info)
        except ValueError:
            continue
    return found


def step_views(
    records: Iterable[Mapping[str, Any]],
    custom: Mapping[str, Any],
    outcome: Outcome,
    retrying: Mapping[str, Retrying] | None = None,
) -> list[StepView]:
    """The steps in the model's words, live retries and holds included."""
    retrying = retrying_of(custom) if retrying is None else retrying
    active = outcome in ACTIVE_OUTCOMES
    current = custom.get("step")
    wait = str(custom.get("operatorWait") or wait_kind(str(custom.get("operatorEvent") or "")))
    views: list[StepView] = []
    for record in records:
        name = str(record.get("name"))
        recorded = str(record.get("status") or "pending")
        status: StepState = _RECORDED.get(recorded, "running")
        error = record.get("error")
        next_retry = None
        attempts = int(record.get("attempts") or 0)  # of the calls that ended
        calls = int(record.get("calls") or 0)
        if active:
            if name == current and wait in HELD_KINDS and status in ("failed", "running", "held"):
                status = "held"
            elif status == "running" and name in retrying:
                retry = retrying[name]
                status, next_retry = "retrying", retry.next_retry
                error = retry.last_error or error
                # The call being retried has made retry.attempt tries so far.
                attempts, calls = attempts + retry.attempt, calls + 1
            elif outcome == "Compensating" and custom.get("undoing") == name:
                status = "undoing"
        elif status in ("running", "held"):
            # The run ended while this step was under way (terminated, or the orchestrator
            # failed): the step did not finish.
            status = "failed"
            error = error or f"the run ended {outcome} during this step"
        if status not in ("retrying", "held", "failed") and error and recorded != "undo-failed":
            error = error if status in ("undone", "undoing") else None
        views.append(StepView(
            name=name, status=status, attempts=attempts,
            retries=max(0, attempts - calls) if calls else 0,
            last_error=str(error)[:MAX_ERROR] if error else None, next_retry=next_retry,
            started=record.get("started"), ended=record.get("ended"),
            created=list(record.get("created") or []), undone=list(record.get("undone") or []),
            created_omitted=record.get("createdOmitted"),
            undone_omitted=record.get("undoneOmitted"),
        ))  # fmt: skip
    return views


# --- the run -----------------------------------------------------------------------------------


def decoded(value: Any) -> Any:
    """Durable hands inputs back as JSON text, sometimes encoded twice (devhost/README.md)."""
    for _ in range(3):
        if not isinstance(value, str | bytes):
            break
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value


def request_facts(inp: Any) -> dict[str, Any]:
    """ticketId, team, workspace (and compensationOf) from a run's input, when it has them."""
    inp = decoded(inp)
    if not isinstance(inp, Mapping):
        return {}
    request = inp.get("request")
    if isinstance(request, Mapping):
        workspace = request.get("workspace")
        return {
            "ticket_id": request.get("ticketId"),
            "team": request.get("team"),
            "workspace": workspace.get("name") if isinstance(workspace, Mapping) else None,
        }
    if inp.get("compensationOf"):  # a compensation run (orchestrators/compensation.py)
        return {"ticket_id": inp.get("ticketId"), "compensation_of": inp.get("compensationOf")}
    return {}


def run_view(
    instance_id: str,
    runtime: str | None,
    custom: Any,
    output: Any,
    inp: Any = None,
    created_time: str | None = None,
    last_updated_time: str | None = None,
    child_retrying: Mapping[str, Retrying] | None = None,
) -> RunView:
    """The view of one run from the parts of its Durable status.

    ``child_retrying`` adds the retries of the parallel calls (read from the custom status of
    the sub-orchestrations the run's custom status lists under ``children``).
    """
    custom = custom if isinstance(custom, Mapping) else {}
    output = output if isinstance(output, Mapping) else None
    outcome = outcome_of(runtime, custom, output)
    records = (output or {}).get("steps") or custom.get("steps") or []
    retrying = {**retrying_of(custom), **(child_retrying or {})}
    steps = step_views(records, custom, outcome, retrying)
    facts = request_facts(inp)
    if output is not None:
        facts.setdefault("ticket_id", output.get("ticketId"))
        facts["ticket_id"] = facts.get("ticket_id") or output.get("ticketId")
        facts.setdefault("compensation_of", output.get("compensationOf"))
    active = outcome in ACTIVE_OUTCOMES
    wait = waiting_for(instance_id, custom) if active else None
    doing = None
    if active and wait is None:
        doing = custom.get("waitingFor")
    error = (output or {}).get("error")
    if runtime == "Failed" and not error:
        error = str(output or "the orchestrator failed")[:MAX_ERROR]
    return RunView(
        id=instance_id, outcome=outcome,
        hostname=(output or {}).get("hostname") or custom.get("hostname"),
        current_step=None if not active else custom.get("step"),
        waiting_for=wait, doing=doing, until=custom.get("until") if active else None,
        asks=custom.get("asks") if wait is not None and isinstance(custom.get("asks"), Mapping)
        else None,
        steps=steps, error=error, leftovers=list((output or {}).get("leftovers") or []),
        runtime_status=runtime, created_time=created_time, last_updated_time=last_updated_time,
        output=dict(output) if output is not None else None, **facts,
    )  # fmt: skip


def view_json(view: RunView) -> dict[str, Any]:
    return view.model_dump(by_alias=True, mode="json")


def children_of(custom: Any) -> list[str]:
    """The sub-orchestration ids of the parallel calls running now (custom ``children``)."""
    if not isinstance(custom, Mapping):
        return []
    raw = custom.get("children")
    return [str(c) for c in raw][:50] if isinstance(raw, list) else []


def child_retrying(child_custom: Any) -> tuple[str, Retrying] | None:
    """A run_step child's own retry (its custom status), as (step, retrying), or None."""
    if not isinstance(child_custom, Mapping) or not child_custom.get("step"):
        return None
    info = child_custom.get("retrying")
    if not isinstance(info, Mapping):
        return None
    try:
        return str(child_custom["step"]), Retrying.model_validate(info)
    except ValueError:
        return None


# --- rows of the run index ---------------------------------------------------------------------


def row_outcome(row: Mapping[str, Any]) -> Outcome:
    """A row's outcome; rows written before the model had one only once the run ended."""
    recorded = row.get("outcome")
    status = row.get("status")
    if recorded in OUTCOMES and (recorded not in ACTIVE_OUTCOMES or status in RUNTIME_ACTIVE
                                 or status is None):  # fmt: skip
        return recorded
    if status == "Terminated":
        return "Terminated"
    if status == "Failed":
        return "Failed"
    if status == "Completed":
        return recorded if recorded in FINAL_OUTCOMES else "Failed"
    if row.get("waitingEvent") or row.get("waitingFor"):
        return "WaitingOnOperator"
    if row.get("step") == "compensate":
        return "Compensating"
    return "Running"


def row_waiting_for(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """A row's operator wait in the view's shape (rows hold it flat: Table entities are)."""
    what = row.get("waitingFor")
    if not what or row_outcome(row) != "WaitingOnOperator":
        return None
    event = str(row.get("waitingEvent") or "")
    kind = wait_kind(event) if event else ""
    return {"event": event or None, "kind": kind or None, "what": what,
            "deadline": row.get("waitingUntil"), "step": row.get("step"),
            "action": action_for(str(row.get("id") or "ID"), kind) if kind else None}  # fmt: skip


def count(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Rows per outcome (every outcome present, 0 when none)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        counts[row_outcome(row)] += 1
    return counts
