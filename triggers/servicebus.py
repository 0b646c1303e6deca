"""Service Bus trigger on ``onboarding-requests``: same contract and dedup as the HTTP API.

A message that can never be valid (not UTF-8 JSON, not an object, contract or guardrail
violations, over 64 KiB) is not retried: the function returns, so the host completes it, after
publishing a ``rejected`` event on ``onboarding-events`` that carries the message's id, delivery
count and enqueued time, a reason a person can act on, the field errors (and policy
``violations``) and the original body. That event is the documented equivalent of
dead-lettering with a reason (docs/servicebus.md): a classic Python function cannot settle or
dead-letter its own message. If publishing the event fails, the function raises, so the message
is retried and, after the queue's max delivery count, dead-lettered by Service Bus: a rejection
is never lost. Failures that may pass (Durable client errors, unreadable policy settings) raise
for the same reason.

A ticket that already has a run is answered as triggers/resubmission.py decides (its running
or identical run, a new attempt ``<id>-r<N>`` after a failure, a refusal after a success), and
a ``resubmitted`` event on ``onboarding-events`` says which; a ticket's run is never restarted
in place (Durable would replace a finished instance if asked to start it).

Service Bus does not tell the function who sent a message (the sender's right is its RBAC role
on the queue), so the run records the requester from the message's ``requestedBy`` application
property, else the request's ``requestedBy`` field.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from activities.notifications import publish_event
from shared.guardrails import Violation
from shared.request import TICKET_ID, FieldError, OnboardingRequest, RequestInvalid, char_problem
from shared.saga_models import Requester
from triggers.intake import (
    MAX_BODY_BYTES,
    BodyUnreadable,
    RequestTooLarge,
    decode_any,
    saga_input,
)
from triggers.resubmission import start_or_resubmit
from triggers.settings import guardrails, saga_policy
from triggers.team_intake import team_message

bp = df.Blueprint()
log = logging.getLogger("onboarding.servicebus")
QUEUE = "onboarding-requests"

# A rejected event must fit the topic: Service Bus Standard (our tier, infra/modules/
# servicebus.bicep) takes messages of at most 256 KB including system and application
# properties, Premium 100 MB (learn.microsoft.com/azure/service-bus-messaging/
# service-bus-quotas, "Message size for a queue, topic, or subscription entity"). The event's
# JSON is kept within MAX_EVENT_BYTES, leaving the rest for properties (a few hundred bytes
# here; at most 64 KB for any message). Everything sender-driven in it has its own share and
# is cut with a flag when it does not fit: the errors, the violations, then the body.
MAX_EVENT_BYTES = 192 * 1024
ERRORS_BUDGET = 48 * 1024
VIOLATIONS_BUDGET = 24 * 1024
# The rejected event keeps at most this much of the original body (flagged when cut).
MAX_KEPT_BODY = 64 * 1024
# JSON escaping can grow text up to 6x (control characters, 12 bytes for an astral character);
# past this the body goes as base64 (4/3) of what still fits.
MAX_ESCAPED_BODY = 96 * 1024
MAX_ERRORS = 100  # field errors are sender-driven (one per bad array item); keep the event small
MAX_TEXT = 512
CONTRACT_DOC = "docs/request-contract.md"
POLICY_DOC = "docs/security.md#guardrails"


@bp.service_bus_queue_trigger(arg_name="msg", queue_name=QUEUE, connection="ServiceBusConnection")
@bp.durable_client_input(client_name="client")
async def onboarding_message(
    msg: func.ServiceBusMessage, client: df.DurableOrchestrationClient
) -> None:
    body = msg.get_body()
    body_type = _amqp_body_type(msg)
    if body_type is not None and not body:
        await _reject(msg, body, "notData", _why_not_data(body_type), [FieldError(
            field="$", message=f"the message body is an AMQP {body_type}, not data")])  # fmt: skip
        return
    try:
        request = decode_any(body)
    except RequestInvalid as invalid:
        category, reason = _why_invalid(invalid, body)
        await _reject(msg, body, category, reason, invalid.errors)
        return
    # SettingInvalid (an unreadable POLICY_* setting) propagates: retried, then dead-lettered.
    if not isinstance(request, OnboardingRequest):  # a change of access or an offboarding
        requester = Requester(name=_property(msg, "requestedBy") or request.requested_by,
                              source="servicebus", claimed=request.requested_by)  # fmt: skip
        await team_message(msg, body, client, request, guardrails(), requester)
        return
    violations = guardrails().check(request)
    if violations:
        errors = [FieldError(field=v.field, message=v.message) for v in violations]
        await _reject(msg, body, "policy", _why_policy(violations), errors,
                      violations=[v.model_dump() for v in violations])  # fmt: skip
        return
    requester = Requester(
        name=_property(msg, "requestedBy") or request.requested_by,
        source="servicebus",
        claimed=request.requested_by,
    )
    # A resend of the same ticket (another MessageId, or handled concurrently) finds its run; a
    # changed request after a failure starts a new attempt, after a success it is refused
    # (triggers/resubmission.py). Each of these is said on the topic: a resubmitted event.
    run = await start_or_resubmit(
        client, request, lambda: saga_input(request, saga_policy(), requester), requester.name
    )
    if run.word is not None:
        _duplicate(msg, run.run_id, run.word)
        # Raises when the topic cannot take it: the message is retried, and the retry finds the
        # same decision (a new attempt is found as running), so the event is not lost.
        await asyncio.to_thread(publish_event, run.event(request.ticket_id, msg.message_id))
        return
    log.info("started %s from message %s", run.run_id, msg.message_id,
             extra={"instanceId": run.run_id, "messageId": msg.message_id})  # fmt: skip


def _duplicate(msg: func.ServiceBusMessage, instance_id: str, word: str) -> None:
    log.info("message %s is for the ticket of %s: %s", msg.message_id, instance_id, word,
             extra={"instanceId": instance_id, "messageId": msg.message_id,
                    "resubmission": word})  # fmt: skip


# -- rejection ---------------------------------------------------------------------------------


def _why_invalid(invalid: RequestInvalid, body: bytes) -> tuple[str, str]:
    """A category and a sentence saying what is wrong and what to do about it."""
    if isinstance(invalid, RequestTooLarge):
        return "tooLarge", (
            f"The message body is {len(body)} bytes; an onboarding request may be at most "
            f"{MAX_BODY_BYTES} bytes. Shorten it (descriptions, repeated access entries) and "
            "send it again."
        )
    only = invalid.errors[0] if len(invalid.errors) == 1 else None
    if isinstance(invalid, BodyUnreadable) and only is not None:
        if invalid.category == "empty":
            return "empty", (
                "The message body is empty. Send the onboarding request as a UTF-8 JSON object "
                f"({CONTRACT_DOC})."
            )
        if invalid.category == "notUtf8":
            why = only.message.removeprefix("the request ").split(";")[0]
            return "notUtf8", (
                f"The message body is not UTF-8 JSON: it {why}. Send the onboarding request as "
                f"UTF-8 encoded JSON without a byte order mark ({CONTRACT_DOC})."
            )
        return "notJson", (
            f"The message body is {only.message}. Send the onboarding request as one JSON "
            f"object ({CONTRACT_DOC}); the body below is what arrived."
        )
    if only is not None and only.field == "$":
        return "notObject", (
            f"The message body is JSON but {only.message.removeprefix('the request ')}, not "
            "an array or a single value. Send one onboarding request per message."
        )
    listed = "; ".join(f"{e.field}: {e.message}" for e in invalid.errors[:3])
    more = f" (and {len(invalid.errors) - 3} more)" if len(invalid.errors) > 3 else ""
    return "contract", _cut(
        limit=1000,
        text=f"The request breaks the request contract in {len(invalid.errors)} field(s): "
        f"{listed}{more}. Fix the fields named in 'errors' and send it again ({CONTRACT_DOC}).",
    )


def _amqp_body_type(msg: func.ServiceBusMessage) -> str | None:
    """``value`` or ``sequence`` when the host says the AMQP body is not data sections.

    Only devhost says so (trigger metadata ``AmqpBodyType``, devhost/servicebus_kind.py); the
    Functions host cannot bind such a body for a Python function at all (docs/servicebus.md).
    """
    value = (msg.metadata or {}).get("AmqpBodyType")
    return value if value in ("value", "sequence") else None


def _why_not_data(body_type: str) -> str:
    return (
        f"The message body is an AMQP {body_type} section, not data: the app reads the request "
        "only from the message's data (what the Service Bus SDKs send for bytes or text). Send "
        f"the onboarding request as the UTF-8 JSON body of the message ({CONTRACT_DOC})."
    )


def _why_policy(violations: list[Violation]) -> str:
    listed = "; ".join(f"{v.field}: {v.message}" for v in violations[:3])
    return _cut(
        limit=1000,
        text=f"The request is outside this deployment's policy ({len(violations)} rule(s)): "
        f"{listed}. Change the named fields, or ask the platform team to change the POLICY_* "
        f"settings ({POLICY_DOC}).",
    )


async def _reject(
    msg: func.ServiceBusMessage,
    body: bytes,
    category: str,
    reason: str,
    errors: list[FieldError],
    violations: list[dict[str, Any]] | None = None,
) -> None:
    log.warning("rejected message %s (%s)", msg.message_id, category,
                extra={"messageId": msg.message_id, "category": category})  # fmt: skip
    event = rejected_event(msg, body, category, reason, errors, violations)
    # Raises when the topic cannot take it: the message is then retried, not lost. The SDK's
    # send blocks (a new link takes about a second): off the event loop, which serves every
    # other request and message of this worker meanwhile.
    await asyncio.to_thread(publish_event, event)


def rejected_event(
    msg: func.ServiceBusMessage,
    body: bytes,
    category: str,
    reason: str,
    errors: list[FieldError],
    violations: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ``rejected`` event for ``msg``: its JSON is at most MAX_EVENT_BYTES, whatever came in.

    ``errorCount``/``violationCount`` are the totals and ``errorsTruncated``/
    ``violationsTruncated`` say when fewer are listed; ``bodySize`` and ``bodySha256`` describe
    the whole body, ``bodyTruncated`` says when less of it is kept.
    """
    listed = _fit([_bounded(e) for e in errors[:MAX_ERRORS]], ERRORS_BUDGET)
    event: dict[str, Any] = {
        "kind": "rejected",
        "at": dt.datetime.now(dt.UTC).isoformat(),
        "messageId": _cut(str(msg.message_id or ""), 128),
        "sequenceNumber": msg.sequence_number,
        "deliveryCount": msg.delivery_count,
        "enqueuedTimeUtc": _iso(msg.enqueued_time_utc),
        "category": category,
        "reason": _cut(reason, 1000),
        "errors": listed,
        "errorCount": len(errors),
        "errorsTruncated": len(listed) < len(errors),
    }
    if violations is not None:
        shown = _fit([{k: _cut(str(v)) for k, v in item.items()} for item in violations],
                     VIOLATIONS_BUDGET)  # fmt: skip
        event.update(violations=shown, violationCount=len(violations),
                     violationsTruncated=len(shown) < len(violations))  # fmt: skip
    ticket = _ticket_of(body)
    if ticket is not None:
        # Correlation id = ticket, like every other event, so the ticketing system can match it.
        event["ticketId"] = ticket
    shape = {"bodySize": len(body), "bodySha256": hashlib.sha256(body).hexdigest(),
             "bodyTruncated": True, "bodyEncoding": "base64", "body": ""}  # fmt: skip
    room = MAX_EVENT_BYTES - _json_size({**event, **shape})
    event.update(_kept_body(body, room))
    return event


def _json_size(value: Any) -> int:
    # The size of the event as event_message() writes it (ensure_ascii: one byte per char).
    return len(json.dumps(value, sort_keys=True))


def _fit(items: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The leading items whose JSON fits ``budget`` bytes."""
    kept: list[dict[str, Any]] = []
    used = 2
    for item in items:
        used += _json_size(item) + 2
        if used > budget:
            break
        kept.append(item)
    return kept


def _kept_body(body: bytes, room: int) -> dict[str, Any]:
    """As much of ``body`` as fits ``room`` bytes of JSON: UTF-8 text when the whole body is
    UTF-8 and its escaped prefix fits, else base64 of the longest prefix that fits."""
    kept = body[:MAX_KEPT_BODY]
    shape: dict[str, Any] = {"bodySize": len(body), "bodySha256": hashlib.sha256(body).hexdigest()}
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    else:
        # The whole body is UTF-8, so only a character split at the cut can fail to decode.
        text = kept.decode("utf-8", "ignore")
    if text is not None and _json_size(text) <= min(MAX_ESCAPED_BODY, room):
        size = len(text.encode("utf-8"))
        return {**shape, "body": text, "bodyEncoding": "utf-8", "bodyTruncated": size < len(body)}
    kept = kept[: max(0, (room - 2) // 4 * 3)]
    return {**shape, "body": base64.b64encode(kept).decode("ascii"), "bodyEncoding": "base64",
            "bodyTruncated": len(kept) < len(body)}  # fmt: skip


def _ticket_of(body: bytes) -> str | None:
    """The body's ticket id when it is a well-formed one (bare request or CloudEvents data)."""
    try:
        payload = json.loads(body.decode("utf-8"))  # UnicodeDecodeError is a ValueError
    except (ValueError, RecursionError):
        return None
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
        payload = payload["data"] if "specversion" in payload else payload
    ticket = payload.get("ticketId") if isinstance(payload, dict) else None
    return ticket if isinstance(ticket, str) and TICKET_ID.fullmatch(ticket) else None


def _bounded(error: FieldError) -> dict[str, Any]:
    # Unknown-field paths echo the sender's keys, which may be arbitrarily long.
    return {"field": _cut(error.field), "message": _cut(error.message)}


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else None


def _property(msg: func.ServiceBusMessage, name: str) -> str | None:
    props = getattr(msg, "application_properties", None) or {}
    value = props.get(name)
    # Bounded like the contract's requestedBy: a property is sender-controlled text, and one
    # holding control characters is not used at all (the request's own requestedBy is).
    if not isinstance(value, str) or char_problem(value, name=False) is not None:
        return None
    return value.strip()[:256] or None
