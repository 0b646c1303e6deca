"""The ``serviceBusTrigger`` trigger kind: receives from Service Bus and invokes functions.

For every function with a Service Bus queue or topic-subscription trigger, a listener thread
opens a peek-lock receiver with the real ``azure-servicebus`` SDK and hands each message,
converted to ``azure.functions.ServiceBusMessage``, to ``host.invoke`` on a worker pool of
``maxConcurrentCalls`` threads. Settlement follows the Functions Service Bus extension: the
message is completed when the function returns (``autoCompleteMessages``) and abandoned when
it raises, so Service Bus redelivers it and dead-letters it after the entity's max delivery
count. The listener renews the lock while the function runs (in the second half of each
lock period, for at most ``maxAutoLockRenewalDuration``). Options come from host.json
``extensions.serviceBus``.

The connection is resolved like the Functions host does: the app setting (environment
variable) named by ``connection`` (``AzureWebJobs<name>`` first, then ``<name>``) holds a
connection string, or ``<name>__fullyQualifiedNamespace`` names a namespace reached with
``DefaultAzureCredential``. A missing setting leaves the function idle with a warning.

Not supported (a warning names the function, which stays idle): session-enabled triggers and
``cardinality="many"``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import threading
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.servicebus import ServiceBusClient, ServiceBusReceivedMessage, ServiceBusReceiver

    from devhost.app_index import FunctionEntry

log = logging.getLogger("devhost.servicebus")

BINDING_TYPE = "serviceBusTrigger"
# How long one receive call may block: bounds both how quickly stop() is noticed and how
# long a finished invocation waits for its settlement (settling happens between receives).
POLL_SECONDS = 0.2
# How long stop() lets running invocations finish before leaving their messages unsettled.
DEFAULT_STOP_GRACE = 10.0


# -- options ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServiceBusOptions:
    """The host.json ``extensions.serviceBus`` settings devhost honours (extension defaults)."""

    auto_complete_messages: bool = True
    max_concurrent_calls: int = 16
    max_auto_lock_renewal_duration: float = 300.0
    prefetch_count: int = 0

    @classmethod
    def from_host_json(cls, host_json: Mapping[str, Any]) -> ServiceBusOptions:
        """Read the v5 extension layout, falling back to the v2-4 ``messageHandlerOptions``."""
        section = host_json.get("extensions", {}).get("serviceBus", {}) or {}
        legacy = section.get("messageHandlerOptions", {}) or {}
        defaults = cls()
        auto_complete = section.get("autoCompleteMessages", legacy.get("autoComplete"))
        concurrency = section.get("maxConcurrentCalls", legacy.get("maxConcurrentCalls"))
        renewal = section.get("maxAutoLockRenewalDuration", legacy.get("maxAutoRenewDuration"))
        prefetch = section.get("prefetchCount")
        return cls(
            auto_complete_messages=(
                defaults.auto_complete_messages if auto_complete is None else bool(auto_complete)
            ),
            max_concurrent_calls=max(1, int(concurrency or defaults.max_concurrent_calls)),
            max_auto_lock_renewal_duration=(
                defaults.max_auto_lock_renewal_duration
                if renewal is None
                else parse_timespan(renewal)
            ),
            prefetch_count=max(0, int(prefetch or 0)),
        )


_TIMESPAN = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<h>\d+):(?P<m>\d+):(?P<s>\d+(?:\.\d+)?)$")


def parse_timespan(value: Any) -> float:
    """Seconds from a .NET TimeSpan string (``[d.]hh:mm:ss[.fff]``) or a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _TIMESPAN.match(str(value).strip())
    if not match:
        raise ValueError(f"not a TimeSpan: {value!r}")
    days = int(match["days"] or 0)
    return days * 86400 + int(match["h"]) * 3600 + int(match["m"]) * 60 + float(match["s"])


# -- connection ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServiceBusConnection:
    """Where a trigger's ``connection`` setting points: a connection string or a namespace."""

    setting: str
    connection_string: str | None = None
    namespace: str | None = None
    client_id: str | None = None

    def client(self) -> ServiceBusClient:
        """A sync ``ServiceBusClient`` for this connection."""
        from azure.servicebus import ServiceBusClient

        if self.connection_string is not None:
            return ServiceBusClient.from_connection_string(self.connection_string)
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential(managed_identity_client_id=self.client_id)
        return ServiceBusClient(str(self.namespace), credential)


def resolve_connection(
    name: str | None, env: Mapping[str, str] | None = None
) -> ServiceBusConnection | None:
    """Look the setting up as the Functions host does; None when nothing is configured."""
    env = os.environ if env is None else env
    name = name or "ServiceBus"  # the extension's default connection name
    # WebJobs tries the AzureWebJobs-prefixed name first; ConnectionStrings:X is also a value.
    for candidate in (f"AzureWebJobs{name}", name):
        for key in (candidate, f"ConnectionStrings__{candidate}"):
            value = env.get(key)
            if value:
                return ServiceBusConnection(setting=key, connection_string=value)
        namespace = env.get(f"{candidate}__fullyQualifiedNamespace")
        if namespace:
            return ServiceBusConnection(
                setting=f"{candidate}__fullyQualifiedNamespace",
                namespace=namespace,
                client_id=env.get(f"{candidate}__clientId"),
            )
    return None


_SETTING_EXPR = re.compile(r"%([^%]+)%")


def resolve_app_setting_expressions(text: str, env: Mapping[str, str] | None = None) -> str:
    """Replace ``%Setting%`` in an entity name by the setting's value (KeyError if missing)."""
    env = os.environ if env is None else env

    def lookup(match: re.Match[str]) -> str:
        return env[match.group(1)]

    return _SETTING_EXPR.sub(lookup, text)


# -- message conversion ----------------------------------------------------------------------
def _text(value: Any) -> Any:
    """AMQP strings arrive from the SDK as bytes; the host hands the worker text."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    return value


# Trigger metadata devhost adds for a message whose AMQP body is not data sections (see
# _body): "value" or "sequence". The real host has no such key; docs/local-development.md.
BODY_TYPE_METADATA = "AmqpBodyType"


def _body(message: ServiceBusReceivedMessage) -> tuple[bytes, str | None]:
    """The body the worker gets, and the AMQP body type when it is not data.

    The Service Bus extension binds a trigger to text with its MessageToStringConverter
    (Azure/azure-sdk-for-net, Microsoft.Azure.WebJobs.Extensions.ServiceBus): data sections are
    the body; an AMQP value that is a string is its text; any other value and a sequence cannot
    be bound ("cannot be bound to a string"). The Python SDK hands AMQP strings and binaries
    alike as bytes, so a bytes value is taken for text. For a body the host cannot bind, devhost
    still invokes the function, with an empty body and ``AmqpBodyType`` in the trigger metadata,
    so an app can reject the message once instead of failing every delivery (in Azure the
    invocation fails and the broker dead-letters the message after its max delivery count).
    Never raises: a body that cannot be converted must not fail the delivery.
    """
    from azure.servicebus.amqp import AmqpMessageBodyType

    kind = message.body_type
    if kind == AmqpMessageBodyType.DATA:
        return b"".join(message.body), None
    if kind == AmqpMessageBodyType.VALUE:
        value = message.body
        if isinstance(value, bytes):
            return value, "value"
        if isinstance(value, str):
            return value.encode("utf-8"), "value"
        return b"", "value"
    return b"", "sequence"


def to_functions_message(message: ServiceBusReceivedMessage) -> Any:
    """The ``azure.functions.ServiceBusMessage`` the Python worker would build for ``message``."""
    from azure.functions import meta
    from azure.functions.servicebus import ServiceBusMessage

    properties = {
        str(_text(key)): _text(value)
        for key, value in (message.application_properties or {}).items()
    }
    # The Functions host reads DeliveryCount from the .NET SDK, which counts the current
    # delivery (1 on the first); the Python SDK reports the AMQP header (0 on the first).
    delivery_count = (message.delivery_count or 0) + 1
    lock_token = None if message.lock_token is None else str(message.lock_token)
    subject = _text(message.subject)
    state = message.state
    fields: dict[str, Any] = {
        "message_id": _text(message.message_id) or "",
        "content_type": _text(message.content_type),
        "correlation_id": _text(message.correlation_id),
        "dead_letter_error_description": message.dead_letter_error_description,
        "dead_letter_reason": message.dead_letter_reason,
        "dead_letter_source": message.dead_letter_source,
        "delivery_count": delivery_count,
        "enqueued_sequence_number": message.enqueued_sequence_number,
        "enqueued_time_utc": message.enqueued_time_utc,
        "expires_at_utc": message.expires_at_utc,
        "label": subject,
        "locked_until": message.locked_until_utc,
        "lock_token": lock_token,
        "partition_key": _text(message.partition_key),
        "reply_to": _text(message.reply_to),
        "reply_to_session_id": _text(message.reply_to_session_id),
        "scheduled_enqueue_time_utc": message.scheduled_enqueue_time_utc,
        "sequence_number": message.sequence_number,
        "session_id": _text(message.session_id),
        "state": None if state is None else int(state),
        "subject": subject,
        "time_to_live": message.time_to_live,
        "to": _text(message.to),
    }
    body, body_type = _body(message)
    metadata = {
        "MessageId": meta.Datum(fields["message_id"], "string"),
        "DeliveryCount": meta.Datum(delivery_count, "int"),
        "SequenceNumber": meta.Datum(message.sequence_number, "int"),
        "ApplicationProperties": meta.Datum(json.dumps(properties, default=str), "json"),
        "UserProperties": meta.Datum(json.dumps(properties, default=str), "json"),
    }
    for key, name in (
        ("ContentType", "content_type"),
        ("CorrelationId", "correlation_id"),
        ("Label", "label"),
        ("Subject", "subject"),
        ("LockToken", "lock_token"),
        ("SessionId", "session_id"),
        ("ReplyTo", "reply_to"),
        ("To", "to"),
    ):
        if fields[name] is not None:
            metadata[key] = meta.Datum(fields[name], "string")
    if body_type is not None:
        metadata[BODY_TYPE_METADATA] = meta.Datum(body_type, "string")
    for key, name in (
        ("EnqueuedTimeUtc", "enqueued_time_utc"),
        ("ExpiresAtUtc", "expires_at_utc"),
        ("LockedUntil", "locked_until"),
    ):
        value = fields[name]
        if isinstance(value, dt.datetime):
            metadata[key] = meta.Datum(value.isoformat(), "string")
    return ServiceBusMessage(
        body=body,
        trigger_metadata=metadata,
        application_properties=properties,
        user_properties=dict(properties),
        **fields,
    )


# -- listener --------------------------------------------------------------------------------
def describe_entity(trigger: Any) -> str:
    """``queue 'q'`` or ``topic 't' subscription 's'`` (as declared, for messages)."""
    queue = getattr(trigger, "queue_name", None)
    if queue:
        return f"queue {queue!r}"
    topic = getattr(trigger, "topic_name", None)
    subscription = getattr(trigger, "subscription_name", None)
    return f"topic {topic!r} subscription {subscription!r}"


class _Listener:
    """One function's receive loop (its own thread) and invocation pool."""

    def __init__(
        self,
        host: Any,
        entry: FunctionEntry,
        connection: ServiceBusConnection,
        options: ServiceBusOptions,
        stop_grace: float,
    ) -> None:
        self.host = host
        self.entry = entry
        self.connection = connection
        self.options = options
        self.stop_grace = stop_grace
        self.entity = describe_entity(entry.trigger)
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(
            max_workers=options.max_concurrent_calls, thread_name_prefix=f"sb-{entry.name}"
        )
        self._thread = threading.Thread(target=self._run, name=f"sb-{entry.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self._stopping.set()

    def join(self) -> None:
        self._thread.join(self.stop_grace + 30)
        # Invocations still running past the grace keep their worker; nothing settles them.
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _receiver(self, client: ServiceBusClient) -> ServiceBusReceiver:
        from azure.servicebus import ServiceBusReceiveMode

        trigger = self.entry.trigger
        kwargs: dict[str, Any] = {
            "receive_mode": ServiceBusReceiveMode.PEEK_LOCK,
            "prefetch_count": self.options.prefetch_count,
        }
        queue = getattr(trigger, "queue_name", None)
        if queue:
            return client.get_queue_receiver(resolve_app_setting_expressions(queue), **kwargs)
        return client.get_subscription_receiver(
            resolve_app_setting_expressions(trigger.topic_name),
            resolve_app_setting_expressions(trigger.subscription_name),
            **kwargs,
        )

    def _run(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                with self.connection.client() as client, self._receiver(client) as receiver:
                    log.info("function %s listening on %s", self.entry.name, self.entity)
                    self._pump(receiver)
                return
            except Exception as error:  # the host keeps retrying a failed listener, so do we
                if self._stopping.is_set():
                    return
                log.error(
                    "function %s: Service Bus receiver on %s failed (%s); retrying in %.0f s",
                    self.entry.name,
                    self.entity,
                    error,
                    backoff,
                )
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 30.0)

    def _pump(self, receiver: ServiceBusReceiver) -> None:
        in_flight: dict[Future[None], _InFlight] = {}
        # Every receiver call (receive, settle, renew) stays on this thread. The sync SDK's
        # transport holds its socket lock for each 0.2 s read, so AutoLockRenewer's threads
        # starve while a receive loop runs on the same receiver and short locks expire.
        while not self._stopping.is_set():
            self._settle_finished(receiver, in_flight)
            self._renew_due(receiver, in_flight)
            free = self.options.max_concurrent_calls - len(in_flight)
            if free <= 0:
                wait(in_flight, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                continue
            # One message per receive, as the host's processor asks for (ServiceBusProcessor
            # receives one per concurrent call): with more, the SDK keeps pulling for 0.2 s
            # after the first message arrives (_further_pull_receive_timeout), so every
            # lone message waited ~200 ms before its function started.
            messages = receiver.receive_messages(max_message_count=1, max_wait_time=POLL_SECONDS)
            for message in messages:
                future = self._pool.submit(self._invoke, message)
                in_flight[future] = _InFlight(message)
        deadline = time.monotonic() + self.stop_grace
        while in_flight:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            wait(in_flight, timeout=min(remaining, POLL_SECONDS), return_when=FIRST_COMPLETED)
            self._settle_finished(receiver, in_flight)
            self._renew_due(receiver, in_flight)
        if in_flight:
            log.warning(
                "function %s: %d invocation(s) still running after %.1f s; their messages stay "
                "unsettled and are redelivered when the lock expires",
                self.entry.name,
                len(in_flight),
                self.stop_grace,
            )

    def _invoke(self, message: ServiceBusReceivedMessage) -> None:
        converted = to_functions_message(message)
        self.host.invoke(self.entry, {self.entry.trigger.name: converted})

    def _renew_due(
        self, receiver: ServiceBusReceiver, in_flight: dict[Future[None], _InFlight]
    ) -> None:
        now = _utc_now()
        for item in in_flight.values():
            if not item.renewing or item.message.locked_until_utc is None:
                continue
            if time.monotonic() - item.received_at >= self.options.max_auto_lock_renewal_duration:
                item.renewing = False  # like the host: past maxAutoLockRenewalDuration it lapses
                continue
            if (item.message.locked_until_utc - now).total_seconds() > item.renew_margin:
                continue
            try:
                receiver.renew_message_lock(item.message)
            except Exception as error:
                item.renewing = False
                log.warning(
                    "function %s: renewing the lock of message %s failed (%s); it may be "
                    "redelivered while the function runs",
                    self.entry.name,
                    item.message.message_id,
                    error,
                )

    def _settle_finished(
        self, receiver: ServiceBusReceiver, in_flight: dict[Future[None], _InFlight]
    ) -> None:
        for future in [f for f in in_flight if f.done()]:
            message = in_flight.pop(future).message
            error = future.exception()
            try:
                if error is not None:
                    log.warning(
                        "function %s failed on message %s (delivery %d): %r; abandoning it",
                        self.entry.name,
                        message.message_id,
                        (message.delivery_count or 0) + 1,
                        error,
                    )
                    receiver.abandon_message(message)
                elif self.options.auto_complete_messages:
                    receiver.complete_message(message)
            except Exception as settle_error:  # lock lost: Service Bus redelivers it
                log.warning(
                    "function %s: settling message %s failed: %s",
                    self.entry.name,
                    message.message_id,
                    settle_error,
                )


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _InFlight:
    """A message being processed, with what its lock renewal needs."""

    def __init__(self, message: ServiceBusReceivedMessage) -> None:
        self.message = message
        self.received_at = time.monotonic()
        self.renewing = True
        locked_until = message.locked_until_utc
        span = 60.0 if locked_until is None else (locked_until - _utc_now()).total_seconds()
        # Renew in the second half of the lock (at most 10 s before expiry, as the SDK's
        # AutoLockRenewer does), leaving several loop turns to get it done.
        self.renew_margin = min(10.0, max(span, 0.0) / 2)


class ServiceBusKind:
    """Trigger kind for ``serviceBusTrigger``: one peek-lock listener per function."""

    def __init__(self, stop_grace: float = DEFAULT_STOP_GRACE) -> None:
        """``stop_grace``: seconds stop() waits for running invocations."""
        self.stop_grace = stop_grace
        self.listeners: list[_Listener] = []

    def start(self, host: Any, functions: list[FunctionEntry]) -> None:
        """Open a listener for every function that is configured and supported."""
        options = ServiceBusOptions.from_host_json(host.index.host_json)
        if not options.auto_complete_messages:
            log.warning(
                "host.json serviceBus.autoCompleteMessages is false: Python functions cannot "
                "settle messages, so successful ones are redelivered when their lock expires"
            )
        for entry in functions:
            listener = self._listener(host, entry, options)
            if listener is not None:
                self.listeners.append(listener)
                listener.start()

    def _listener(
        self, host: Any, entry: FunctionEntry, options: ServiceBusOptions
    ) -> _Listener | None:
        trigger = entry.trigger
        entity = describe_entity(trigger)
        if getattr(trigger, "is_sessions_enabled", False):
            log.warning(
                "function %s (%s): session-enabled Service Bus triggers are not supported by "
                "devhost; the function stays idle",
                entry.name,
                entity,
            )
            return None
        cardinality = getattr(trigger, "cardinality", None)
        if str(getattr(cardinality, "value", cardinality) or "one").lower() == "many":
            log.warning(
                "function %s (%s): cardinality 'many' (batches) is not supported by devhost; "
                "the function stays idle",
                entry.name,
                entity,
            )
            return None
        setting = trigger.connection or "ServiceBus"
        connection = resolve_connection(setting)
        if connection is None:
            log.warning(
                "function %s (%s): app setting %r is not set (expected %r holding a connection "
                "string, or %r); the function stays idle",
                entry.name,
                entity,
                setting,
                setting,
                f"{setting}__fullyQualifiedNamespace",
            )
            return None
        for name in ("queue_name", "topic_name", "subscription_name"):
            value = getattr(trigger, name, None)
            try:
                if value:
                    resolve_app_setting_expressions(value)
            except KeyError as missing:
                log.warning(
                    "function %s: app setting %s used in %s %r is not set; the function stays idle",
                    entry.name,
                    missing,
                    name,
                    value,
                )
                return None
        return _Listener(host, entry, connection, options, self.stop_grace)

    def stop(self) -> None:
        """Stop receiving everywhere, then wait (up to the grace) for running invocations."""
        for listener in self.listeners:
            listener.request_stop()
        for listener in self.listeners:
            listener.join()
        self.listeners.clear()
