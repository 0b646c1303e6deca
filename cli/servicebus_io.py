"""What the ``onboard`` command does over Service Bus: send a request, read status events.

``onboard submit FILE --via servicebus`` puts the file on queue ``onboarding-requests`` as the
ticketing system would (docs/servicebus.md): MessageId = the ticket id, so the queue's
duplicate detection drops a resend within its window; content type application/json;
application property ``requestedBy`` from the file. A file that is not valid JSON is sent
anyway: the app rejects it with a ``rejected`` event, which is what someone testing that path
wants to see. ``onboard events`` reads the topic ``onboarding-events`` through a subscription
of its own, ``operators`` (never the ticketing system's), and only peeks: the events stay for
the next look; ``--consume`` receives them instead (peek-lock, each completed only after it is
printed, so an interrupted reader loses nothing).

Where the namespace is: ``--connection-string`` or the app setting ``ServiceBusConnection``
(the ``servicebus`` value ``onboard serve`` prints), or ``--namespace`` /
``ServiceBusConnection__fullyQualifiedNamespace`` with ``DefaultAzureCredential``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from cli.api_client import CliError

QUEUE = "onboarding-requests"
TOPIC = "onboarding-events"
# The operators' own subscription (infra/modules/servicebus.bicep): peeked by default, so
# reading it takes nothing from the ticketing system's subscription or from anyone else.
OPERATORS_SUBSCRIPTION = "operators"
SETTING = "ServiceBusConnection"
NAMESPACE_SETTING = f"{SETTING}__fullyQualifiedNamespace"
MAX_MESSAGE_ID = 128  # Service Bus limit on MessageId


@dataclass(frozen=True)
class Target:
    """Where to connect; ``describe`` never contains a key."""

    connection_string: str | None = None
    namespace: str | None = None

    @property
    def describe(self) -> str:
        if self.namespace:
            return self.namespace
        for part in (self.connection_string or "").split(";"):
            name, _, value = part.partition("=")
            if name.strip().lower() == "endpoint":
                return value.strip().removeprefix("sb://").rstrip("/")
        return "the namespace of the connection string"


def target(connection_string: str | None, namespace: str | None) -> Target:
    """The namespace from the options, else the app settings; CliError naming what to set."""
    if connection_string and namespace:
        raise CliError("pass either --connection-string or --namespace, not both")
    if namespace:
        return Target(namespace=namespace)
    if connection_string:
        return Target(connection_string=connection_string)
    if os.environ.get(SETTING):
        return Target(connection_string=os.environ[SETTING])
    if os.environ.get(NAMESPACE_SETTING):
        return Target(namespace=os.environ[NAMESPACE_SETTING])
    raise CliError(
        f'no Service Bus namespace: set {SETTING} to a connection string (the "servicebus" '
        "value `onboard serve` prints), pass --connection-string, or pass --namespace "
        f"<name>.servicebus.windows.net (or set {NAMESPACE_SETTING}) to sign in with "
        "DefaultAzureCredential"
    )


def _client(where: Target) -> Any:
    from azure.servicebus import ServiceBusClient

    # One retry: a command should fail in seconds, not after the SDK's minute of back-off.
    if where.namespace:
        from azure.identity import DefaultAzureCredential

        return ServiceBusClient(where.namespace, DefaultAzureCredential(), retry_total=1)
    try:
        return ServiceBusClient.from_connection_string(str(where.connection_string), retry_total=1)
    except ValueError:
        # The SDK's message may quote the string, key included; say what shape is wanted.
        raise CliError(
            f"the Service Bus connection string (--connection-string or {SETTING}) is not "
            "valid; it looks like Endpoint=sb://<namespace>/;SharedAccessKeyName=<name>;"
            "SharedAccessKey=<key>"
        ) from None


def _failure(where: Target, entity: str, err: Exception) -> CliError:
    from azure.servicebus.exceptions import (
        ServiceBusAuthenticationError,
        ServiceBusAuthorizationError,
        ServiceBusConnectionError,
    )

    text = str(err).splitlines()[0][:300] if str(err) else type(err).__name__
    if isinstance(err, ServiceBusConnectionError):
        return CliError(f"cannot reach Service Bus at {where.describe} ({text}); is it running?")
    # An unknown entity fails the CBS token exchange; the 404 is only in the inner exception.
    detail = f"{err} {getattr(err, 'inner_exception', '')}".lower()
    if "could not be found" in detail or "not-found" in detail or "404" in detail:
        return CliError(f"{entity} does not exist in {where.describe}")
    if isinstance(err, ServiceBusAuthenticationError | ServiceBusAuthorizationError):
        return CliError(
            f"Service Bus at {where.describe} refused access to {entity} ({text}); the identity "
            "needs the Azure Service Bus Data Sender (submit) or Data Receiver (events) role"
        )
    return CliError(f"Service Bus at {where.describe}, {entity}: {text}")


# -- submit ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    message_id: str
    ticket: str | None
    size: int
    requested_by: str | None
    is_json: bool
    namespace: str


def request_fields(body: bytes) -> tuple[bool, str | None, str | None]:
    """(is JSON, ticketId, requestedBy) found leniently: bare request or CloudEvents data."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return False, None, None
    if (
        isinstance(payload, dict)
        and "specversion" in payload
        and isinstance(payload.get("data"), dict)
    ):
        payload = payload["data"]
    if not isinstance(payload, dict):
        return True, None, None
    ticket, requested_by = payload.get("ticketId"), payload.get("requestedBy")
    return (
        True,
        ticket.strip() or None if isinstance(ticket, str) else None,
        requested_by.strip() or None if isinstance(requested_by, str) else None,
    )


def send_request(
    body: bytes, where: Target, *, message_id: str | None = None, queue: str = QUEUE
) -> Sent:
    from azure.servicebus import ServiceBusMessage
    from azure.servicebus.exceptions import ServiceBusError

    is_json, ticket, requested_by = request_fields(body)
    if message_id is None:
        # MessageId = ticket lets the queue's duplicate detection drop a resend; a ticket too
        # long to be a MessageId is invalid anyway, so any unique id will do for its rejection.
        usable = ticket is not None and len(ticket) <= MAX_MESSAGE_ID
        message_id = ticket if usable and ticket else uuid.uuid4().hex
    elif not 0 < len(message_id) <= MAX_MESSAGE_ID:
        raise CliError(f"--message-id must be 1 to {MAX_MESSAGE_ID} characters")
    message = ServiceBusMessage(
        body,
        message_id=message_id,
        content_type="application/json",
        application_properties={"requestedBy": requested_by} if requested_by else None,
    )
    with _client(where) as client:
        try:
            with client.get_queue_sender(queue) as sender:
                sender.send_messages(message)
        except ServiceBusError as err:
            raise _failure(where, f"queue {queue}", err) from None
    return Sent(message_id, ticket, len(body), requested_by, is_json, where.describe)


def describe_sent(sent: Sent, queue: str = QUEUE) -> list[str]:
    lines = [
        f"sent to queue {queue} on {sent.namespace}: MessageId {sent.message_id}, "
        f"{sent.size} bytes, content type application/json"
        + (f", requestedBy {sent.requested_by}" if sent.requested_by else "")
    ]
    if not sent.is_json:
        lines.append("note: the file is not valid JSON; the app will reject it (onboard events)")
    elif sent.ticket is None:
        lines.append("note: no ticketId in the file; the app will reject it (onboard events)")
    elif sent.message_id == sent.ticket:
        lines.append(
            f"ticket {sent.ticket}: a resend with the same MessageId within the queue's "
            "duplicate-detection window (10 min) is dropped by Service Bus; use --message-id "
            "for a corrected resend"
        )
    return lines


# -- events ------------------------------------------------------------------------------------


def event_data(body: Any) -> Any:
    """The event inside a CloudEvents 1.0 envelope (its ``data``); any other body as it is."""
    if isinstance(body, dict) and body.get("specversion") and isinstance(body.get("data"), dict):
        return body["data"]
    return body


def event_line(body: Any, message: Any = None) -> str:
    """time, kind, ticket, instance, then the step or a summary of the event."""
    body = event_data(body)
    if not isinstance(body, dict):
        subject = getattr(message, "subject", None) or "?"
        return f"{'-':<25}  {subject:<17}  (not JSON) {str(body)[:200]}"
    kind = str(body.get("kind") or getattr(message, "subject", None) or "?")
    at = str(body.get("at") or body.get("enqueuedTimeUtc") or "-")
    ticket = str(body.get("ticketId") or "-")
    instance = str(body.get("instanceId") or "-")
    return f"{at:<25}  {kind:<17}  {ticket:<12}  {instance:<22}  {_summary(kind, body)}".rstrip()


def _summary(kind: str, body: dict[str, Any]) -> str:
    step = body.get("step")
    if kind == "stepDone":
        created = body.get("created") or []
        return f"{step} done" + (f" (created {len(created)})" if created else "")
    if kind == "waitingOnOperator":
        return (f"{step}: waiting for {body.get('waitingFor')}; raise '{body.get('event')}' "
                f"before {body.get('until')}")  # fmt: skip
    if kind == "succeeded":
        hostname = body.get("hostname")
        return "succeeded" + (f", gateway hostname {hostname}" if hostname else "")
    if kind == "failed":
        return f"{step} failed: {body.get('error')}"
    if kind in {"compensated", "compensationFailed"}:
        left = body.get("leftovers") or []
        return f"outcome {body.get('outcome')}" + (f", leftovers {', '.join(left)}" if left else "")
    if kind == "resubmitted":
        return f"{body.get('outcome')}: {body.get('detail')}"
    if kind == "rejected":
        return f"message {body.get('messageId')}: {body.get('reason') or body.get('errors')}"
    return str(step or "")


def _decode(message: Any) -> Any:
    raw = message.body
    data = raw if isinstance(raw, bytes | str) else b"".join(raw)
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    try:
        return json.loads(text)
    except ValueError:
        return text


def receive_events(
    where: Target,
    *,
    subscription: str,
    follow: bool,
    max_events: int | None,
    raw: bool,
    wait: float,
    out: IO[str] = sys.stdout,
    topic: str = TOPIC,
    stop: Callable[[], bool] = lambda: False,
    consume: bool = False,
) -> int:
    """Print events until the subscription is idle for ``wait`` s (or forever with follow).

    Without ``consume`` the events are peeked (browsed in sequence order): they stay on the
    subscription for its other readers and for the next look. With ``consume`` each is
    received in peek-lock and completed once printed (an interrupted reader loses nothing).
    """
    from azure.servicebus import ServiceBusReceiveMode
    from azure.servicebus.exceptions import ServiceBusError

    printed = 0
    entity = f"topic {topic} subscription {subscription}"
    with _client(where) as client:
        try:
            receiver = client.get_subscription_receiver(
                topic, subscription, receive_mode=ServiceBusReceiveMode.PEEK_LOCK
            )
            if not consume:
                with receiver:
                    return _browse(receiver, follow, max_events, raw, wait, out, stop)
            with receiver:
                idle_since = time.monotonic()
                while not stop() and (max_events is None or printed < max_events):
                    room = 50 if max_events is None else min(50, max_events - printed)
                    batch = receiver.receive_messages(max_message_count=room, max_wait_time=1)
                    if not batch:
                        if not follow and time.monotonic() - idle_since >= wait:
                            break
                        continue
                    idle_since = time.monotonic()
                    for message in batch:
                        body = _decode(message)
                        line = json.dumps(body) if raw else event_line(body, message)
                        print(line, file=out, flush=True)
                        receiver.complete_message(message)
                        printed += 1
        except ServiceBusError as err:
            raise _failure(where, entity, err) from None
    return printed


def _browse(receiver: Any, follow: bool, max_events: int | None, raw: bool, wait: float,
            out: IO[str], stop: Callable[[], bool]) -> int:  # fmt: skip
    """Peek the subscription from its oldest message on; nothing is locked or removed."""
    printed = 0
    next_number = 1  # sequence numbers start at 1; a peek from n returns n and later
    idle_since = time.monotonic()
    while not stop() and (max_events is None or printed < max_events):
        room = 50 if max_events is None else min(50, max_events - printed)
        batch = receiver.peek_messages(max_message_count=room, sequence_number=next_number)
        if not batch:
            if not follow and time.monotonic() - idle_since >= wait:
                break
            time.sleep(min(1.0, max(wait, 0.1)))  # a peek answers at once, even when empty
            continue
        idle_since = time.monotonic()
        for message in batch:
            body = _decode(message)
            print(json.dumps(body) if raw else event_line(body, message), file=out, flush=True)
            printed += 1
            next_number = max(next_number, int(message.sequence_number or 0) + 1)
    return printed
