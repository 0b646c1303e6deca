"""Service Bus trigger on ``gateway-events``: a gateway's ARM write event wakes its waiters.

Event Grid delivers the gateways' resource-group events here when the push signal is deployed
(``gatewayPushSignal`` in infra/main.bicep; shared/gateway_signal.py). For each gateway write
event the function finds the waiters registered for that gateway (rows ``watch_gateway`` wrote
in the run index's table) and raises to each the event its current wait listens for (its custom
status's ``signalEvent``, ``gateway_write-<poll>``: one name per wait, see
orchestrators/gateway_waiter.py); a waiter between waits (polling) gets nothing, its poll is
under way; a waiter that no longer runs loses its row.
The event only says "look now": the waiter confirms with one GET, so duplicates, early events
(ARM may raise them when the PUT is accepted) and events of someone else's write are harmless.

A message that is not a gateway write event (not JSON, another event type, another resource)
is completed with a log line, never retried or dead-lettered: it can never become useful.
A failure to read the table or to raise the event raises, so Service Bus redelivers the
message (the waiter's polls notice the build anyway; a redelivered event costs one GET).
"""

from __future__ import annotations

import asyncio
import logging

import azure.durable_functions as df
import azure.functions as func

from activities.gateway_signal import forget, watchers
from shared.gateway_signal import QUEUE, GatewaySignal, parse_message, signal_event

bp = df.Blueprint()
log = logging.getLogger("onboarding.gateway_signal")
RUNNING = {"Running", "Pending", "ContinuedAsNew"}


@bp.service_bus_queue_trigger(arg_name="msg", queue_name=QUEUE, connection="ServiceBusConnection")
@bp.durable_client_input(client_name="client")
async def gateway_write_event(
    msg: func.ServiceBusMessage, client: df.DurableOrchestrationClient
) -> None:
    signals, ignored = parse_message(msg.get_body())
    for reason in ignored:
        log.info("gateway event message %s: ignored (%s)", msg.message_id, reason,
                 extra={"messageId": msg.message_id})  # fmt: skip
    for signal in signals:
        await _wake(client, signal, msg.message_id)


async def _wake(client: df.DurableOrchestrationClient, signal: GatewaySignal,
                message_id: str | None) -> None:  # fmt: skip
    waiting = await asyncio.to_thread(watchers, signal.gateway_id)
    if not waiting:
        log.info("gateway %s %s: no waiter registered", signal.gateway_id, signal.outcome,
                 extra={"messageId": message_id})  # fmt: skip
    for instance_id in waiting:
        status = await client.get_status(instance_id)
        state = getattr(status, "runtime_status", None)
        if getattr(state, "value", state) not in RUNNING:
            await asyncio.to_thread(forget, signal.gateway_id, instance_id)
            continue
        event = signal_event(getattr(status, "custom_status", None))
        if event is None:
            log.info("gateway %s %s: %s is not waiting", signal.gateway_id, signal.outcome,
                     instance_id, extra={"instanceId": instance_id})  # fmt: skip
            continue
        await client.raise_event(instance_id, event, signal.model_dump(by_alias=True, mode="json"))
        log.info("gateway %s %s: raised %s to %s", signal.gateway_id, signal.outcome, event,
                 instance_id,
                 extra={"instanceId": instance_id, "messageId": message_id})  # fmt: skip
