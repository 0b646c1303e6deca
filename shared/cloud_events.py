"""The status events on topic ``onboarding-events`` as CloudEvents 1.0 (structured JSON; pure).

Every event the app publishes is one CloudEvents 1.0 JSON object (structured content mode,
``application/cloudevents+json``), whatever its kind:

* ``type``: ``<TYPE_PREFIX><kind>`` (e.g. ``apim-workspace-onboarding.succeeded``), one per kind
  (:data:`KINDS`);
* ``source``: the run the event is about (``/onboardings/<run id>``), or the queue for a request
  that never became a run (``/queues/onboarding-requests``);
* ``subject``: the ticket id (absent only when a rejected message carries no readable ticket);
* ``id``: a UUID derived from the run and the milestone (run id, kind, step, orchestration time)
  or, for a rejection, from the queue message (sequence number, MessageId): a redelivered or
  replayed publish carries the same ``id`` (and the same Service Bus MessageId, so duplicate
  detection drops it), two different milestones never do;
* ``time``: when it happened (the orchestration's clock for a run's milestones);
* ``dataschema``: the JSON Schema of the kind (docs/events/<kind>.schema.json, whose ``$id`` it
  is); ``data``: the event itself, as it always was (``kind``, ``ticketId``, ``instanceId``,
  ``at`` and what the kind says).

The Service Bus message keeps CorrelationId = ticket and Subject = kind.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, get_args

from pydantic import Field

from shared.request import FieldError
from shared.saga_models import EventKind, StatusEvent
from shared.wire_model import WireModel

SPEC_VERSION = "1.0"
TYPE_PREFIX = "apim-workspace-onboarding."
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
QUEUE_SOURCE = "/queues/onboarding-requests"
# A name-based UUID namespace of this product's events (fixed: ids stay stable across releases).
_NAMESPACE = uuid.UUID("5b0e6a53-7c55-4d0b-9a63-2f6c0e7f4a11")
# The schemas' ids; a deployment may publish docs/events/ and point EVENT_SCHEMA_BASE there.
DEFAULT_SCHEMA_BASE = "urn:apim-workspace-onboarding:events:"

ResubmissionKind = Literal["resubmitted"]
RESUBMISSION_KINDS: tuple[str, ...] = get_args(ResubmissionKind)
KINDS: tuple[str, ...] = (*get_args(EventKind), "rejected", *RESUBMISSION_KINDS)


class RejectedEvent(WireModel):
    """A Service Bus message that can never be a run (triggers/servicebus.py rejected_event)."""

    kind: Literal["rejected"]
    at: str
    message_id: str
    sequence_number: int | None = None
    delivery_count: int | None = None
    enqueued_time_utc: str | None = None
    category: str
    reason: str
    errors: list[FieldError]
    error_count: int
    errors_truncated: bool
    violations: list[dict[str, str]] | None = None
    violation_count: int | None = None
    violations_truncated: bool | None = None
    ticket_id: str | None = None
    body: str
    body_encoding: Literal["utf-8", "base64"]
    body_size: int
    body_sha256: str
    body_truncated: bool


class ResubmittedEvent(WireModel):
    """A request arrived for a ticket that already has a run: what the app did with it."""

    kind: Literal["resubmitted"]
    ticket_id: str
    instance_id: str  # the run the request was answered with (a new attempt's own id)
    at: str
    outcome: Literal["running", "identical", "newAttempt", "refused"]
    detail: str
    attempt_of: str | None = None  # a new attempt: the ticket's first run
    previous: str | None = None  # the run the request was compared with
    changed: list[str] = Field(default_factory=list)  # the request fields that differ
    message_id: str | None = None


def event_type(kind: str) -> str:
    return f"{TYPE_PREFIX}{kind}"


def schema_uri(kind: str, base: str = DEFAULT_SCHEMA_BASE) -> str:
    return f"{base}{kind}" if base.endswith(":") else f"{base.rstrip('/')}/{kind}.schema.json"


def _key(event: dict[str, Any]) -> str:
    kind = str(event.get("kind", ""))
    keys: tuple[str, ...]
    if kind == "rejected":
        keys = ("kind", "sequenceNumber", "messageId")
    elif kind in RESUBMISSION_KINDS:
        keys = ("instanceId", "kind", "messageId", "at")
    else:
        keys = ("instanceId", "kind", "step", "at")
    return "\x1f".join(str(event.get(k, "")) for k in keys)


def event_id(event: dict[str, Any]) -> str:
    """Stable for the same milestone (a replayed or retried publish), distinct otherwise."""
    return str(uuid.uuid5(_NAMESPACE, _key(event)))


def envelope(event: dict[str, Any], schema_base: str = DEFAULT_SCHEMA_BASE) -> dict[str, Any]:
    """The CloudEvent of ``event`` (a milestone, rejection or resubmission payload)."""
    kind = str(event.get("kind", ""))
    instance = event.get("instanceId")
    ce: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "type": event_type(kind),
        "source": f"/onboardings/{instance}" if instance else QUEUE_SOURCE,
        "id": event_id(event),
        "time": event.get("at"),
        "datacontenttype": "application/json",
        "dataschema": schema_uri(kind, schema_base),
        "data": event,
    }
    ticket = event.get("ticketId")
    if ticket:
        ce["subject"] = str(ticket)
    return ce


def data_model(kind: str) -> type[WireModel]:
    if kind == "rejected":
        return RejectedEvent
    if kind in RESUBMISSION_KINDS:
        return ResubmittedEvent
    return StatusEvent


def json_schema(kind: str, schema_base: str = DEFAULT_SCHEMA_BASE) -> dict[str, Any]:
    """The JSON Schema (2020-12) of a whole CloudEvent of ``kind``: envelope and data."""
    data = data_model(kind).model_json_schema(by_alias=True, mode="serialization")
    defs = data.pop("$defs", {})
    data["properties"]["kind"] = {"const": kind}
    data["required"] = sorted({*data.get("required", []), "kind"})
    if kind not in ("rejected", *RESUBMISSION_KINDS):
        # A run's milestone always names its ticket and run, and when (orchestration time).
        data["required"] = sorted({*data["required"], "ticketId", "instanceId", "at"})
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_uri(kind, schema_base),
        "title": f"Onboarding event: {kind}",
        "description": "A CloudEvents 1.0 event (structured JSON) on topic onboarding-events; "
        "see docs/servicebus.md and shared/cloud_events.py.",
        "type": "object",
        "required": ["specversion", "type", "source", "id", "time", "datacontenttype",
                     "dataschema", "data"],
        "properties": {
            "specversion": {"const": SPEC_VERSION},
            "type": {"const": event_type(kind)},
            "source": {"type": "string", "minLength": 1},
            "subject": {"type": "string", "minLength": 1},
            "id": {"type": "string", "format": "uuid"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"type": "string", "minLength": 1},
            "data": data,
        },
        "additionalProperties": False,
    }  # fmt: skip
    if kind != "rejected":
        schema["required"].append("subject")
    if defs:
        schema["$defs"] = defs
    return schema
