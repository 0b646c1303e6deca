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
OUTCOMES = ("Succeeded", "Compensated", "CompensationFailed", "Failed")
TERMINAL_STATUSES = ("Completed", "Failed", "Terminated", "Canceled")
# The contract's count buckets (docs/operators.md); each counts as the status filter would.
COUNT_KEYS = ("Pending", "Running", "Completed", "Failed", "Terminated", "Succeeded",
              "Compensated")  # fmt: skip
WAITING_ON_OPERATOR = "waitingOnOperator"

# Row properties the API returns, in the contract's order; extras follow.
CONTRACT_FIELDS = (
    "id", "ticketId", "team", "workspace", "apimServiceId", "mode", "status", "outcome", "step",
    "waitingFor", "requestedBy", "createdAt", "updatedAt",
)  # fmt: skip
EXTRA_FIELDS = ("lastAction", "retryOf", "failedStep", "error")
ROW_FIELDS = CONTRACT_FIELDS + EXTRA_FIELDS
MAX_TEXT = 1000  # Table strings may be 32K chars; an index row needs only the gist
_FILTERS = ("ticket", "team", "workspace", "status", "step", "requestedBy")
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
        "outcome": None,
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
    fields: dict[str, Any] = {"status": "Running", "waitingFor": None}
    at = event.get("at")
    if isinstance(at, str):
        fields["updatedAt"] = at
    step = event.get("step")
    if kind == "stepDone":
        fields["step"] = step
    elif kind == "waitingOnOperator":
        fields["step"] = step
        fields["waitingFor"] = _text(event.get("waitingFor"))
    elif kind == "failed":
        fields.update(step="compensate", failedStep=step, error=_text(event.get("error")))
    elif kind in _TERMINAL_KINDS:
        # The orchestration returns right after this milestone: Durable will say Completed.
        outcome = event.get("outcome") or _TERMINAL_KINDS[kind]
        fields.update(status="Completed", outcome=outcome,
                      step="report" if outcome == "Succeeded" else "done")  # fmt: skip
    return fields


def fields_from_status(status: Any) -> dict[str, Any]:
    """The row's view of a Durable status (repairs a row the milestones did not finish)."""
    runtime = getattr(status.runtime_status, "value", status.runtime_status)
    fields: dict[str, Any] = {"status": runtime}
    output = status.output if isinstance(status.output, dict) else {}
    if runtime in TERMINAL_STATUSES:
        fields["waitingFor"] = None
        if output.get("outcome"):
            fields["outcome"] = output["outcome"]
        if runtime == "Failed":
            fields["error"] = _text(status.output)
    updated = getattr(status, "last_updated_time", None)
    if isinstance(updated, dt.datetime):
        fields["updatedAt"] = iso(updated)
    return fields


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)[:MAX_TEXT]


def clean_row(entity: Mapping[str, Any]) -> dict[str, Any]:
    """The API's form of a stored row: the contract's fields (None when absent), then extras."""
    item = {name: entity.get(name) for name in CONTRACT_FIELDS}
    item.update({name: entity[name] for name in EXTRA_FIELDS if entity.get(name) is not None})
    return item


def is_terminal(row: Mapping[str, Any]) -> bool:
    return row.get("status") in TERMINAL_STATUSES


def waiting_on_operator(row: Mapping[str, Any]) -> bool:
    # Only the waitingOnOperator milestone sets waitingFor; every later one clears it.
    return row.get("status") == "Running" and bool(row.get("waitingFor"))


def count(rows: list[Mapping[str, Any]]) -> dict[str, int]:
    """The contract's counts: each bucket counts the rows its ``status`` filter would list."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    counts[WAITING_ON_OPERATOR] = 0
    for row in rows:
        for key in {row.get("status"), row.get("outcome")} & set(COUNT_KEYS):
            counts[str(key)] += 1
        if waiting_on_operator(row):
            counts[WAITING_ON_OPERATOR] += 1
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
        return " and ".join(parts)


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
        if name == "status":
            allowed = (*RUNTIME_STATUSES, *OUTCOMES)
            if value not in allowed:
                raise BadParameter(name, f"must be one of {', '.join(allowed)}")
            continue
        equals[name] = value
    status = (params.get("status") or "").strip() or None
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
    return ListQuery(equals, status, created_from, created_to, top, continuation)


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
