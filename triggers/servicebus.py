"""Service Bus trigger on ``onboarding-requests``: same contract and dedup as the HTTP API.

A message that can never be valid is not retried: it is completed, and its full body and the
field errors are published as a ``rejected`` event on ``onboarding-events`` (the documented
equivalent of dead-lettering, since a Python function cannot dead-letter its own message).
Failures that may pass (Durable client errors) raise, so the message is retried and, after the
queue's max delivery count, dead-lettered by Service Bus.
"""

from __future__ import annotations

import logging

import azure.durable_functions as df
import azure.functions as func

from activities.notifications import publish_event
from shared import names
from shared.request import RequestInvalid
from triggers.intake import decode, saga_input
from triggers.settings import saga_policy

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
        log.warning("rejected message %s", msg.message_id, extra={"messageId": msg.message_id})
        publish_event(
            {"kind": "rejected", "messageId": msg.message_id, "at": str(msg.enqueued_time_utc),
             "errors": [e.model_dump() for e in invalid.errors],
             "body": body[:65536].decode("utf-8", "replace")}
        )  # fmt: skip
        return
    existing = await client.get_status(request.instance_id)
    if existing and existing.runtime_status is not None:
        log.info("duplicate for %s", request.instance_id, extra={"instanceId": request.instance_id})
        return
    await client.start_new(names.SAGA, request.instance_id, saga_input(request, saga_policy()))
