"""The operators' run index, pure parts: row keys, the row model, filters, paging tokens.

Rows live in one Azure Table (shared/run_index_store.py does the I/O; docs/operators.md says
where and why). Two kinds of entity share the table:

* the run row, PartitionKey ``run``, RowKey ``<inverted creation ticks>-<instance id>``: Table
  Storage returns a partition in RowKey order, so the newest run comes first and a
  continuation token resumes exactly where the previous page stopped, however many rows
  there are; a creation-time range is a RowKey range (a key filter, not a scan);
* a pointer row, PartitionKey ``id``, RowKey ``<instance id>``, whose ``row`` property names
  the run row's RowKey: the milestones and operator actions know only the instance id;
* a reliance row, PartitionKey ``grant-<role assignment name>``, RowKey ``<instance id>``:
  that run relies on that role assignment (it made or found it; activities/authorization.py).
  Written by the grant, removed by that run's own undo, kept when the run succeeds, so an
  undo sees every other onboarding, running or finished, that still needs the grant.

One partition holds 10,000s of runs comfortably (a partition serves ~2,000 entities/s; the
app writes a handful per run).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared import status_model

RUN_PARTITION = "run"
POINTER_PARTITION = "id"
RELIANCE_PREFIX = "grant-"
DEFAULT_TABLE = "onboardingruns"
DEFAULT_TOP = 50
MAX_TOP = 200

# .NET ticks (100 ns since 0001-01-01), as Azure's own inverted-time keys use them.
_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
MAX_TICKS = 3155378975999999999  # DateTime.MaxValue.Ticks
_TICK_DIGITS = 19

RUNTIME_STATUSES = ("Pending", "Running", "Completed", "Failed", "Terminated")
# The status model's outcomes (shared/status_model.py): every row holds one, from the first.
OUTCOMES = status_model.OUTCOMES
TERMINAL_STATUSES = ("Completed", "Failed", "Terminated", "Canceled")

# Row properties the API returns, in the contract's order; extras follow.
CONTRACT_FIELDS = (
    "id", "outcome", "ticketId", "team", "workspace", "apimServiceId", "mode", "step",
    "waitingFor", "doing", "until", "status", "requestedBy", "createdAt", "updatedAt",
)  # fmt: skip
EXTRA_FIELDS = ("lastAction", "retryOf", "failedStep", "error")
# Stored flat (a Table entity has no objects) and shown as the view's ``waitingFor`` object.
WAIT_FIELDS = ("waitingEvent", "waitingUntil")
ROW_FIELDS = CONTRACT_FIELDS + EXTRA_FIELDS
MAX_TEXT = 1000  # Table strings may be 32K chars; an index row needs only the gist
_FILTERS = ("ticket", "team", "workspace", "status", "outcome", "step", "requestedBy")
_FILTER_PROPERTY = {"ticket": "ticketId", "team": "team", "workspace": "workspace",
                    "step": "step", "requestedBy": "requestedBy"}  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadParameter(ValueError):
    """A query parameter cannot be used; ``name`` is the parameter, the message says why."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


# --- keys ------------------------------------------------------------------------------------


def utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC; a naive datetime is taken to be UTC already (Durable's are)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def ticks(moment: dt.datetime) -> int:
    delta = utc(moment) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def time_key(moment: dt.datetime) -> str:
    """The RowKey prefix of a run created at ``moment``: later runs sort first."""
    return f"{MAX_TICKS - ticks(moment):0{_TICK_DIGITS}d}"


def row_key(created_at: dt.datetime, instance_id: str) -> str:
    return f"{time_key(created_at)}-{instance_id}"


def reliance_partition(assignment_name: str) -> str:
    """The partition of the reliance rows of one role assignment (named by a GUID)."""
    return RELIANCE_PREFIX + assignment_name.lower()


def iso(moment: dt.datetime) -> str:
    return utc(moment).isoformat()


def parse_time(text: str) -> dt.datetime:
    """An ISO 8601 time (``Z`` or an offset; naive means UTC); ValueError when it is not one."""
    return utc(dt.datetime.fromisoformat(text.strip()))


# --- the row ---------------------------------------------------------------------------------


def new_row(
    instance_id: str,
    request: Mapping[str, Any],
    requested_by: str | None,
    created_at: dt.datetime,
    **extra: Any,
) -> dict[str, Any]:
    """The first row of a run (status Pending) from its request's JSON form."""
    gateway = request.get("gateway") or {}
    row = {
        "id": instance_id,
        "ticketId": request.get("ticketId"),
        "team": request.get("team"),
        "workspace": (request.get("workspace") or {}).get("name"),
        "apimServiceId": request.get("apimServiceId"),
        "mode": (gateway.get("network") or {}).get("mode"),
        "status": "Pending",
        "outcome": "Running",
        "step": None,
        "waitingFor": None,
        "requestedBy": requested_by or request.get("requestedBy"),
        "createdAt": iso(created_at),
        "updatedAt": iso(created_at),
        **extra,
    }
    return row


_TERMINAL_KINDS = {"succeeded": "Succeeded", "compensated": "Compensated",
                   "compensationFailed": "CompensationFailed"}  # fmt: skip


def fields_from_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """What a milestone (a StatusEvent payload) changes in the run's row.

    The saga publishes milestones in order, one activity each, so the last write wins and a
    replayed publish writes the same values again (idempotent).
    """
    kind = str(event.get("kind", ""))
    now_outcome = status_model.outcome_of_event(kind, event.get("outcome"))
    fields: dict[str, Any] = {"status": "Running", "outcome": now_outcome, "waitingFor": None,
                              "waitingEvent": None, "waitingUntil": None, "doing": None,
                              "until": None}  # fmt: skip
    at = event.get("at")
    if isinstance(at, str):
        fields["updatedAt"] = at
    step = event.get("step")
    if kind == "stepDone":
        fields["step"] = step
    elif kind == "waitingOnOperator":
        fields["step"] = step
        fields["waitingFor"] = _text(event.get("waitingFor"))
        fields["waitingEvent"] = _text(event.get("event"))
        fields["waitingUntil"] = _text(event.get("until"))
    elif kind == "failed":
        fields.update(step="compensate", failedStep=step, error=_text(event.get("error")))
    elif kind in _TERMINAL_KINDS:
        # The orchestration returns right after this milestone: Durable will say Completed.
        outcome = event.get("outcome") or _TERMINAL_KINDS[kind]
        fields.update(status="Completed", outcome=outcome,
                      step="report" if outcome == "Succeeded" else "done")  # fmt: skip
    return fields


# The row's fields that follow the run live (the list repairs them from Durable).
LIVE_FIELDS = ("status", "outcome", "step", "waitingFor", "waitingEvent", "waitingUntil", "doing",
               "until")  # fmt: skip


def fields_from_status(status: Any) -> dict[str, Any]:
    """The row's view of a Durable status: the live step, what the run waits for, its outcome.

    The list repairs rows with it: milestones move a row only when a step ends or a wait
    begins, so during the hours-long build the row would still name the step before it; and a
    run can end without its last milestone (terminated from the portal, a crashed
    orchestrator, a lost publish).
    """
    runtime = getattr(status.runtime_status, "value", status.runtime_status)
    custom = status.custom_status if isinstance(status.custom_status, dict) else {}
    output = status.output if isinstance(status.output, dict) else {}
    outcome = status_model.outcome_of(runtime, custom, status.output)
    fields: dict[str, Any] = {"status": runtime, "outcome": outcome, "waitingFor": None,
                              "waitingEvent": None, "waitingUntil": None, "doing": None,
                              "until": None}  # fmt: skip
    if outcome in status_model.ACTIVE_OUTCOMES:
        wait = status_model.waiting_for(str(status.instance_id), custom)
        if custom.get("step"):
            fields["step"] = custom["step"]
        if wait is not None:
            fields.update(waitingFor=_text(wait.what), waitingEvent=wait.event,
                          waitingUntil=wait.deadline)  # fmt: skip
        else:
            fields.update(doing=_text(custom.get("waitingFor")), until=custom.get("until"))
    if runtime == "Failed":
        fields["error"] = _text(status.output)
    elif outcome in status_model.FINAL_OUTCOMES and output.get("error"):
        fields["error"] = _text(output.get("error"))
    updated = getattr(status, "last_updated_time", None)
    if isinstance(updated, dt.datetime):
        fields["updatedAt"] = iso(updated)
    return fields


def live_changes(row: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The live fields whose value differs from the row's (empty and None are the same)."""
    return {k: v for k, v in fields.items()
            if k in LIVE_FIELDS and (row.get(k) or None) != (v or None)}  # fmt: skip


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)[:MAX_TEXT]


def clean_row(entity: Mapping[str, Any]) -> dict[str, Any]:
    """The API's form of a stored row: the contract's fields (None when absent), then extras.

    ``outcome`` and ``waitingFor`` are the status model's (the wait as the run view's
    object: event, kind, what, deadline, action); Durable's word stays in ``status``.
    """
    item = {name: entity.get(name) for name in CONTRACT_FIELDS}
    item["outcome"] = status_model.row_outcome(entity)
    item["waitingFor"] = status_model.row_waiting_for(entity)
    item.update({name: entity[name] for name in EXTRA_FIELDS if entity.get(name) is not None})
    return item


def is_terminal(row: Mapping[str, Any]) -> bool:
    return row.get("status") in TERMINAL_STATUSES


def waiting_on_operator(row: Mapping[str, Any]) -> bool:
    return status_model.row_outcome(row) == "WaitingOnOperator"


COUNT_SELECT = ["status", "outcome", "waitingFor", "waitingEvent", "step"]


def count(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The contract's counts: rows per outcome, each the list the ``outcome`` filter answers;
    Durable's runtime statuses under ``runtimeStatus`` (each the ``status`` filter's list)."""
    counts: dict[str, Any] = status_model.count(rows)
    runtime = dict.fromkeys(RUNTIME_STATUSES, 0)
    for row in rows:
        if row.get("status") in runtime:
            runtime[str(row["status"])] += 1
    counts["runtimeStatus"] = runtime
    return counts


# --- filters ---------------------------------------------------------------------------------


def quote(value: str) -> str:
    """An OData string literal: single quotes doubled, so user text can never end it."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class ListQuery:
    """A validated list request: equality filters, a creation-time range, a page size."""

    equals: dict[str, str] = field(default_factory=dict)
    status: str | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    top: int = DEFAULT_TOP
    continuation: dict[str, str] | None = None
    outcome: str | None = None  # the status model's outcome (shared/status_model.py)

    def odata(self) -> str:
        """The Table ``$filter``: the run partition, a RowKey range for the times, the rest."""
        parts = [f"PartitionKey eq {quote(RUN_PARTITION)}"]
        if self.created_from is not None:
            # created >= from  <=>  inverted ticks <= inverted(from)  <=>  RowKey < next key
            upper = f"{MAX_TICKS - ticks(self.created_from) + 1:0{_TICK_DIGITS}d}"
            parts.append(f"RowKey lt {quote(upper)}")
        if self.created_to is not None:
            parts.append(f"RowKey ge {quote(time_key(self.created_to))}")
        for name, value in self.equals.items():
            parts.append(f"{_FILTER_PROPERTY[name]} eq {quote(value)}")
        if self.status is not None:
            parts.append(f"(status eq {quote(self.status)} or outcome eq {quote(self.status)})")
        if self.outcome is not None:
            parts.append(outcome_filter(self.outcome))
        return " and ".join(parts)


def outcome_filter(outcome: str) -> str:
    """The OData for rows whose outcome is ``outcome``, as status_model.row_outcome reads a
    row (so each count lists exactly its rows): an active outcome only while Durable's status
    is active, Failed and Terminated also from the status alone (rows written before the model
    had an outcome only at the end)."""
    own = f"outcome eq {quote(outcome)}"
    if outcome in status_model.ACTIVE_OUTCOMES:
        return f"({own} and (status eq 'Running' or status eq 'Pending'))"
    if outcome in ("Failed", "Terminated"):
        return f"({own} or status eq {quote(outcome)})"
    return own


def parse_list_query(params: Mapping[str, str]) -> ListQuery:
    """The list request in ``params``; BadParameter names the first unusable parameter."""
    equals: dict[str, str] = {}
    for name in _FILTERS:
        raw = params.get(name)
        if raw is None or raw.strip() == "":
            continue
        value = raw.strip()
        if len(value) > 256 or _CONTROL.search(value):
            raise BadParameter(name, "must be at most 256 characters without control characters")
        if name in ("status", "outcome"):
            allowed = (*RUNTIME_STATUSES, *OUTCOMES) if name == "status" else OUTCOMES
            if value not in allowed:
                raise BadParameter(name, f"must be one of {', '.join(dict.fromkeys(allowed))}")
            continue
        equals[name] = value
    status = (params.get("status") or "").strip() or None
    outcome = (params.get("outcome") or "").strip() or None
    created_from = _time_param(params, "from", end_of_day=False)
    created_to = _time_param(params, "to", end_of_day=True)
    if created_from and created_to and created_from > created_to:
        raise BadParameter("from", "must not be after 'to'")
    top_text = (params.get("top") or "").strip()
    top = DEFAULT_TOP
    if top_text:
        if not top_text.isdigit() or not 1 <= int(top_text) <= MAX_TOP:
            raise BadParameter("top", f"must be a whole number from 1 to {MAX_TOP}")
        top = int(top_text)
    token = (params.get("continuationToken") or "").strip()
    continuation = decode_token(token) if token else None
    return ListQuery(equals, status, created_from, created_to, top, continuation, outcome)


def _time_param(params: Mapping[str, str], name: str, end_of_day: bool) -> dt.datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            day = dt.datetime.fromisoformat(raw).replace(tzinfo=dt.UTC)
            # A bare date means the whole day: 'to=2026-01-02' includes runs made that day.
            return day + dt.timedelta(days=1, microseconds=-1) if end_of_day else day
        return parse_time(raw)
    except ValueError:
        raise BadParameter(name, "must be an ISO 8601 date or time, e.g. 2026-01-31 or "
                                 "2026-01-31T08:00:00Z") from None  # fmt: skip


# --- continuation tokens ---------------------------------------------------------------------


def encode_token(continuation: Mapping[str, str] | None) -> str | None:
    """An opaque, URL-safe token for the Table continuation (next PartitionKey and RowKey)."""
    if not continuation:
        return None
    body = {"pk": continuation.get("PartitionKey"), "rk": continuation.get("RowKey")}
    text = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode())
    return text.decode().rstrip("=")


def decode_token(token: str) -> dict[str, str]:
    """The Table continuation in ``token``; BadParameter when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body = json.loads(raw)
    except (binascii.Error, ValueError):
        raise BadParameter("continuationToken", "is not a token this API returned") from None
    if not (isinstance(body, dict) and isinstance(body.get("pk"), str)
            and isinstance(body.get("rk"), str | None)):  # fmt: skip
        raise BadParameter("continuationToken", "is not a token this API returned")
    token_dict = {"PartitionKey": body["pk"]}
    if body.get("rk") is not None:
        token_dict["RowKey"] = body["rk"]
    return token_dict


def older_than(days: int, now: dt.datetime) -> ListQuery:
    """The runs created before ``now - days`` (purge by age), as a key-range query."""
    return ListQuery(created_to=utc(now) - dt.timedelta(days=days), top=MAX_TOP)
