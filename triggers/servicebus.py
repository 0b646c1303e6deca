"""Service Bus trigger on ``onboarding-requests``: same contract and dedup as the HTTP API.

A message that can never be valid is not retried: it is completed, and its full body and the
field errors are published as a ``rejected`` event on ``onboarding-events`` (the documented
equivalent of dead-lettering, since a Python function cannot dead-letter its own message).
A request outside the deployment's guardrails (shared/guardrails.py) is treated the same way:
no run, a ``rejected`` event carrying the ``violations`` (rule, field, message) and, for readers
of ``errors``, the same problems as {field, message}. Failures that may pass (Durable client
errors, unreadable policy settings) raise, so the message is retried and, after the queue's max
delivery count, dead-lettered by Service Bus.

Service Bus does not tell the function who sent a message (the sender's right is its RBAC role
on the queue), so the run records the requester from the message's ``requestedBy`` application
property, else the request's ``requestedBy`` field.
"""

from __future__ import annotations

import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from activities.notifications import publish_event
from shared import names
from shared.request import FieldError, RequestInvalid
from shared.saga_models import Requester
from triggers.intake import decode, saga_input
from triggers.operator_api import record_new_run
from triggers.settings import guardrails, saga_policy

bp = df.Blueprint()
log = logging.getLogger("onboarding.servicebus")
QUEUE = "onboarding-requests"


@bp.service_bus_queue_trigger(arg_name="msg", queue_name=QUEUE, connection="ServiceBusConnection")
@bp.durable_client_input(client_name="client")
async def onboarding_message(
    msg: func.ServiceBusMessage, client: df.DurableOrchestrationClient
) -> None:
    body = msg.get_body()
    try:
        request = decode(body)
    except RequestInvalid as invalid:
        _reject(msg, body, invalid.errors)
        return
    violations = guardrails().check(request)
    if violations:
        errors = [FieldError(field=v.field, message=v.message) for v in violations]
        _reject(msg, body, errors, violations=[v.model_dump() for v in violations])
        return
    existing = await client.get_status(request.instance_id)
    if existing and existing.runtime_status is not None:
        log.info("duplicate for %s", request.instance_id, extra={"instanceId": request.instance_id})
        return
    requester = Requester(
        name=_property(msg, "requestedBy") or request.requested_by,
        source="servicebus",
        claimed=request.requested_by,
    )
    await client.start_new(
        names.SAGA, request.instance_id, saga_input(request, saga_policy(), requester)
    )
    await record_new_run(
        client, request.instance_id, request.model_dump(by_alias=True, mode="json"), requester.name
    )


def _reject(
    msg: func.ServiceBusMessage, body: bytes, errors: list[FieldError], **extra: Any
) -> None:
    log.warning("rejected message %s", msg.message_id, extra={"messageId": msg.message_id})
    publish_event(
        {"kind": "rejected", "messageId": msg.message_id, "at": str(msg.enqueued_time_utc),
         "errors": [e.model_dump() for e in errors], **extra,
         "body": body[:65536].decode("utf-8", "replace")}
    )  # fmt: skip


def _property(msg: func.ServiceBusMessage, name: str) -> str | None:
    props = getattr(msg, "application_properties", None) or {}
    value = props.get(name)
    # Bounded like the contract's requestedBy: a property is sender-controlled text.
    return (value.strip()[:256] or None) if isinstance(value, str) else None
