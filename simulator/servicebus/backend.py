"""Entity state of the simulated Service Bus namespace, independent of the wire protocol.

Queues and topic subscriptions are :class:`MessageStore` objects (each with a dead-letter
sub-queue); queues and topics are the things one sends to (:class:`SendTarget`), with
duplicate detection. Every operation runs under one lock, so the AMQP thread and inspection
from tests or a control view can share a backend. Time comes from an injectable clock;
expiry of locks, TTLs and scheduled enqueue times is applied lazily at every operation and by
:meth:`ServiceBusBackend.tick`, which the AMQP loop calls several times a second. Each store
keeps a heap of when its messages next fall due, so expiry touches only the messages whose
time has come, not every stored one (a subscription nobody reads holds every event ever sent).
With a state file every change is written through (JSON, replaced atomically).
"""

from __future__ import annotations

import base64
import datetime as dt
import heapq
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proton import symbol

from simulator.servicebus import codec, errors
from simulator.servicebus.config import EntityConfig, ReceivableSettings, load_entities

log = logging.getLogger(__name__)

ClockFn = Callable[[], "float | dt.datetime"]

DLQ_SUFFIX = "$DeadLetterQueue"
TRANSFER_DLQ_SUFFIX = "$Transfer/$DeadLetterQueue"
STATE_VERSION = 1
# The journal is folded into the snapshot after this many lines at least.
COMPACT_AFTER = 1000

# Reasons the real service writes into DeadLetterReason.
REASON_MAX_DELIVERY = "MaxDeliveryCountExceeded"
REASON_TTL = "TTLExpiredException"


@dataclass
class StoredMessage:
    """One message in one store, with the broker-owned state next to the sender's bytes."""

    sequence_number: int
    enqueued_at: float
    bare: bytes
    annotations: bytes | None = None
    durable: bool | None = None
    priority: int | None = None
    ttl_ms: int | None = None
    message_id: str | None = None
    delivery_count: int = 0
    state: str = "active"  # active | deferred | scheduled
    available_at: float = 0.0
    expires_at: float | None = None
    lock_token: str | None = None
    locked_until: float | None = None
    dead_letter_source: str | None = None
    dead_letter_reason: str | None = None
    dead_letter_description: str | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        # A change to a stored message marks it for the journal (incremental persistence),
        # and a change to one of its times puts its next due time on the store's heap.
        object.__setattr__(self, name, value)
        owner: _Messages | None = self.__dict__.get("_owner")
        if owner is not None:
            owner.touch(self.sequence_number)
            if name in _TIMED_FIELDS:
                owner.schedule(self)
            if name == "lock_token" and value is not None:
                owner.tokens[value] = self.sequence_number

    def due_at(self, is_dlq: bool) -> float | None:
        """The earliest time expiry has something to do with this message (None: never)."""
        times = []
        if self.lock_token is not None:
            # A lock is given its time right after its token; that change schedules it.
            if self.locked_until is None:
                return None
            times.append(self.locked_until)
        if self.state == "scheduled":
            times.append(self.available_at)
        if self.expires_at is not None and not is_dlq and self.lock_token is None:
            # A locked message's TTL is looked at once its lock ends (the unlock schedules
            # the message again), as the scan did.
            times.append(self.expires_at)
        return min(times) if times else None

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "_owner"}
        out["bare"] = base64.b64encode(self.bare).decode("ascii")
        out["annotations"] = (
            None if self.annotations is None else base64.b64encode(self.annotations).decode("ascii")
        )
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> StoredMessage:
        raw = dict(raw)
        raw["bare"] = base64.b64decode(raw["bare"])
        if raw.get("annotations") is not None:
            raw["annotations"] = base64.b64decode(raw["annotations"])
        return cls(**raw)

    def copy_for(self, sequence_number: int) -> StoredMessage:
        fields = {k: v for k, v in self.__dict__.items() if k != "_owner"}
        return StoredMessage(**{**fields, "sequence_number": sequence_number})


# The fields expiry reads: a change to any of them may move the message's due time.
_TIMED_FIELDS = frozenset({"lock_token", "locked_until", "state", "available_at", "expires_at"})


class _Messages(dict[int, StoredMessage]):
    """A store's messages by sequence number, noting which ones changed since the last save,
    and a heap of (due time, sequence number) for expiry.

    Every change of a message's times pushes its new due time; entries left behind by later
    changes or removals are dropped (or found to have nothing due) when they come up, so the
    heap's top is never later than any message's real due time.
    """

    def __init__(self, dirty: set[tuple[MessageStore, int]], store: MessageStore) -> None:
        super().__init__()
        self.dirty, self.store = dirty, store
        self.heap: list[tuple[float, int]] = []
        # Lock token -> sequence number, checked against the message when read (a settled or
        # re-locked message's old token finds a message that no longer holds it).
        self.tokens: dict[str, int] = {}
        # How many heap entries expiry has looked at (tests pin that it does not scan).
        self.examined = 0

    def touch(self, number: int) -> None:
        self.dirty.add((self.store, number))

    def schedule(self, message: StoredMessage) -> None:
        when = message.due_at(self.store.is_dlq)
        if when is not None:
            heapq.heappush(self.heap, (when, message.sequence_number))

    def due(self, now: float) -> list[StoredMessage]:
        """The stored messages with an entry due by ``now``, in sequence order (each once)."""
        numbers = set()
        while self.heap and self.heap[0][0] <= now:
            numbers.add(heapq.heappop(self.heap)[1])
            self.examined += 1
        return [self[n] for n in sorted(numbers) if n in self]

    def __setitem__(self, number: int, message: StoredMessage) -> None:
        super().__setitem__(number, message)
        object.__setattr__(message, "_owner", self)
        self.touch(number)
        self.schedule(message)
        if message.lock_token is not None:
            self.tokens[message.lock_token] = number

    def by_token(self, token: str) -> StoredMessage | None:
        message = self.get(self.tokens.get(token, -1))
        if message is None or message.lock_token != token:
            self.tokens.pop(token, None)
            return None
        return message

    def __delitem__(self, number: int) -> None:
        message = self[number]
        super().__delitem__(number)
        if message.lock_token is not None and self.tokens.get(message.lock_token) == number:
            del self.tokens[message.lock_token]
        if message.__dict__.get("_owner") is self:
            object.__setattr__(message, "_owner", None)
        self.touch(number)

    def pop(self, number: int, *default: Any) -> Any:
        if number not in self:
            if default:
                return default[0]
            raise KeyError(number)
        message = self[number]
        del self[number]
        return message


@dataclass
class Delivered:
    """A message handed to a receiver: its wire bytes and, in peek-lock, its lock."""

    payload: bytes
    sequence_number: int
    lock_token: uuid.UUID | None


class MessageStore:
    """A queue, a subscription or a dead-letter sub-queue: ordered messages and their locks."""

    def __init__(
        self,
        path: str,
        settings: ReceivableSettings,
        *,
        is_dlq: bool = False,
        dirty: set[tuple[MessageStore, int]] | None = None,
    ) -> None:
        self.path = path
        self.settings = settings
        self.is_dlq = is_dlq
        self.messages: dict[int, StoredMessage] = _Messages(set() if dirty is None else dirty, self)
        self.next_sequence = 1
        self.dlq: MessageStore | None = None
        self.transfer_dlq: MessageStore | None = None
        if not is_dlq:
            self.dlq = MessageStore(f"{path}/{DLQ_SUFFIX}", settings, is_dlq=True, dirty=dirty)
            # Nothing is ever auto-forwarded here, so the transfer DLQ stays empty; it exists
            # so that receivers asking for it get an empty entity, as on a real namespace.
            self.transfer_dlq = MessageStore(
                f"{path}/{TRANSFER_DLQ_SUFFIX}", settings, is_dlq=True, dirty=dirty
            )

    def children(self) -> Iterator[MessageStore]:
        yield self
        if self.dlq is not None:
            yield self.dlq
        if self.transfer_dlq is not None:
            yield self.transfer_dlq

    def allocate(self) -> int:
        number = self.next_sequence
        self.next_sequence += 1
        return number

    def by_token(self, token: str) -> StoredMessage | None:
        assert isinstance(self.messages, _Messages)
        return self.messages.by_token(token)


class SendTarget:
    """A queue or a topic: where senders put messages, with duplicate detection."""

    def __init__(
        self,
        path: str,
        stores: list[MessageStore],
        *,
        kind: str,
        dedup: bool,
        window: float,
        default_ttl: float | None,
    ) -> None:
        self.path = path
        self.stores = stores
        self.kind = kind
        self.dedup = dedup
        self.window = window
        self.default_ttl = default_ttl
        self.seen: dict[str, float] = {}  # MessageId -> first enqueue time
        # A topic numbers its messages once; every subscription keeps that number.
        self.next_sequence = 1


class ServiceBusBackend:
    """All entities of one simulated namespace."""

    def __init__(
        self,
        entities: EntityConfig | dict[str, Any] | str | Path | None = None,
        *,
        clock: ClockFn | None = None,
        state_file: Path | None = None,
        namespace: str = "127.0.0.1",
    ) -> None:
        self.config = load_entities(entities)
        self.namespace = namespace
        self._clock = clock or time.time
        self._lock = threading.RLock()
        self.state_file = state_file
        # Bumped on every change so the AMQP loop knows when to offer messages again.
        self.version = 0
        self.targets: dict[str, SendTarget] = {}
        self.stores: dict[str, MessageStore] = {}
        # Messages changed since the last save, and whether a send target's numbering or
        # duplicate-detection memory changed: the journal writes only these.
        self._dirty: set[tuple[MessageStore, int]] = set()
        self._targets_dirty = False
        self._journal_lines = 0
        for name, queue in self.config.queues.items():
            store = MessageStore(name, queue, dirty=self._dirty)
            self._register_store(store)
            self.targets[name.lower()] = SendTarget(
                name,
                [store],
                kind="queue",
                dedup=queue.requires_duplicate_detection,
                window=queue.duplicate_detection_window,
                default_ttl=queue.default_message_ttl,
            )
        for name, topic in self.config.topics.items():
            subs = []
            for sub_name, sub in topic.subscriptions.items():
                store = MessageStore(f"{name}/Subscriptions/{sub_name}", sub, dirty=self._dirty)
                self._register_store(store)
                subs.append(store)
            self.targets[name.lower()] = SendTarget(
                name,
                subs,
                kind="topic",
                dedup=topic.requires_duplicate_detection,
                window=topic.duplicate_detection_window,
                default_ttl=topic.default_message_ttl,
            )
        if state_file is not None and state_file.exists():
            self._load()
        self._dirty.clear()

    # ----------------------------------------------------------------- time and naming

    def now(self) -> float:
        value = self._clock()
        if isinstance(value, dt.datetime):
            return value.timestamp()
        return float(value)

    def _register_store(self, store: MessageStore) -> None:
        for child in store.children():
            self.stores[child.path.lower()] = child

    @staticmethod
    def normalise(address: str) -> str:
        """Entity path from a link address (``amqps://host:port/queue`` or ``queue``)."""
        if "://" in address:
            address = address.split("://", 1)[1]
            address = address.split("/", 1)[1] if "/" in address else ""
        return address.strip("/")

    def receivable(self, address: str) -> MessageStore:
        path = self.normalise(address)
        store = self.stores.get(path.lower())
        if store is None:
            raise errors.entity_not_found(self.namespace, path)
        return store

    def sendable(self, address: str) -> SendTarget:
        path = self.normalise(address)
        target = self.targets.get(path.lower())
        if target is not None:
            return target
        if path.lower() in self.stores:
            raise errors.not_allowed(
                f"Cannot send to '{path}': messages are sent to queues and topics only."
            )
        raise errors.entity_not_found(self.namespace, path)

    def known(self, address: str) -> None:
        """Raise entity-not-found unless ``address`` names an entity or one of its nodes."""
        path = self.normalise(address)
        if path.lower().endswith("/$management"):
            self.management_node(path)
        elif path.lower() not in self.stores and path.lower() not in self.targets:
            raise errors.entity_not_found(self.namespace, path)

    def management_node(self, address: str) -> MessageStore | SendTarget:
        """The entity a ``<entity>/$management`` node belongs to."""
        path = self.normalise(address)
        if not path.lower().endswith("/$management"):
            raise errors.entity_not_found(self.namespace, path)
        entity = path[: -len("/$management")]
        store = self.stores.get(entity.lower())
        if store is not None:
            return store
        target = self.targets.get(entity.lower())
        if target is not None:
            return target
        raise errors.entity_not_found(self.namespace, entity)

    # ----------------------------------------------------------------- sending

    def send(self, address: str, payloads: list[bytes]) -> list[int]:
        """Enqueue encoded messages; returns their sequence numbers (none for duplicates)."""
        with self._lock:
            target = self.sendable(address)
            now = self.now()
            numbers = [
                n
                for n in (self._enqueue(target, codec.parse_message(p), now) for p in payloads)
                if n is not None
            ]
            self._changed()
            return numbers

    def schedule(self, address: str, payloads: list[bytes]) -> list[int]:
        """Enqueue messages that carry ``x-opt-scheduled-enqueue-time`` (or now)."""
        return self.send(address, payloads)

    def cancel_scheduled(self, address: str, numbers: list[int]) -> None:
        with self._lock:
            target = self.sendable(address)
            wanted = set(numbers)
            for store in target.stores:
                for number in list(store.messages):
                    if number in wanted and store.messages[number].state == "scheduled":
                        del store.messages[number]
            self._changed()

    def _enqueue(
        self, target: SendTarget, incoming: codec.IncomingMessage, now: float
    ) -> int | None:
        if target.dedup and incoming.message_id is not None:
            self._prune_seen(target, now)
            if incoming.message_id in target.seen:
                # The service accepts a duplicate and drops it without telling the sender.
                log.info("duplicate MessageId %s on %s dropped", incoming.message_id, target.path)
                return None
            target.seen[incoming.message_id] = now
        number = target.next_sequence
        target.next_sequence += 1
        self._targets_dirty = True
        ttl = incoming.ttl_ms / 1000.0 if incoming.ttl_ms else target.default_ttl
        scheduled = (
            incoming.scheduled_enqueue_ms / 1000.0 if incoming.scheduled_enqueue_ms else None
        )
        base = StoredMessage(
            sequence_number=number,
            enqueued_at=now,
            bare=incoming.bare,
            annotations=incoming.annotations,
            durable=incoming.durable,
            priority=incoming.priority,
            ttl_ms=incoming.ttl_ms,
            message_id=incoming.message_id,
            state="scheduled" if scheduled and scheduled > now else "active",
            available_at=scheduled or now,
        )
        for store in target.stores:
            store_ttl = ttl if ttl is not None else store.settings.default_message_ttl
            message = base.copy_for(number)
            start = max(now, message.available_at)
            message.expires_at = start + store_ttl if store_ttl else None
            store.messages[number] = message
            store.next_sequence = max(store.next_sequence, number + 1)
        return number

    def _prune_seen(self, target: SendTarget, now: float) -> None:
        horizon = now - target.window
        for message_id in [m for m, t in target.seen.items() if t <= horizon]:
            del target.seen[message_id]

    # ----------------------------------------------------------------- receiving

    def receive(self, store: MessageStore, *, peek_lock: bool) -> Delivered | None:
        """The next available message: locked (peek-lock) or removed (receive-and-delete)."""
        with self._lock:
            now = self.now()
            self._expire(store, now)
            for message in store.messages.values():
                if message.state != "active" or message.lock_token is not None:
                    continue
                if not peek_lock:
                    del store.messages[message.sequence_number]
                    self._changed()
                    return Delivered(self._render(store, message), message.sequence_number, None)
                token = uuid.uuid4()
                message.lock_token = str(token)
                message.locked_until = now + store.settings.lock_duration
                self._changed()
                return Delivered(self._render(store, message), message.sequence_number, token)
            return None

    def has_available(self, store: MessageStore) -> bool:
        with self._lock:
            self._expire(store, self.now())
            return any(
                m.state == "active" and m.lock_token is None for m in store.messages.values()
            )

    def _locked(self, store: MessageStore, token: str) -> StoredMessage:
        self._expire(store, self.now())
        message = store.by_token(token)
        if message is None:
            raise errors.lock_lost(token)
        return message

    def complete(self, store: MessageStore, token: str) -> None:
        with self._lock:
            message = self._locked(store, token)
            del store.messages[message.sequence_number]
            self._changed()

    def abandon(self, store: MessageStore, token: str) -> None:
        with self._lock:
            message = self._locked(store, token)
            self._unlock_failed(store, message)
            self._changed()

    def release(self, store: MessageStore, token: str) -> None:
        """Give a message back without counting a delivery (the SDK releases prefetched ones)."""
        with self._lock:
            message = self._locked(store, token)
            message.lock_token = None
            message.locked_until = None
            self._changed()

    def defer(self, store: MessageStore, token: str) -> None:
        with self._lock:
            message = self._locked(store, token)
            message.lock_token = None
            message.locked_until = None
            message.state = "deferred"
            self._changed()

    def dead_letter(
        self, store: MessageStore, token: str, reason: str | None, description: str | None
    ) -> None:
        with self._lock:
            message = self._locked(store, token)
            self._move_to_dlq(store, message, reason, description)
            self._changed()

    def renew(self, store: MessageStore, tokens: list[str]) -> list[float]:
        with self._lock:
            now = self.now()
            until = []
            for token in tokens:
                message = self._locked(store, token)
                message.locked_until = now + store.settings.lock_duration
                until.append(message.locked_until)
            self._changed()
            return until

    def settle_by_token(
        self,
        store: MessageStore,
        status: str,
        tokens: list[str],
        reason: str | None = None,
        description: str | None = None,
    ) -> None:
        """``com.microsoft:update-disposition``: settlement over the management link."""
        actions: dict[str, Callable[[str], None]] = {
            "completed": lambda t: self.complete(store, t),
            "abandoned": lambda t: self.abandon(store, t),
            "defered": lambda t: self.defer(store, t),
            "deferred": lambda t: self.defer(store, t),
            "suspended": lambda t: self.dead_letter(store, t, reason, description),
        }
        action = actions.get(status)
        if action is None:
            raise errors.argument_error(f"Unknown disposition-status {status!r}.")
        with self._lock:
            for token in tokens:
                action(token)

    def receive_deferred(
        self, store: MessageStore, numbers: list[int], *, peek_lock: bool
    ) -> list[Delivered]:
        with self._lock:
            now = self.now()
            self._expire(store, now)
            found = []
            for number in numbers:
                message = store.messages.get(number)
                if message is None or message.state != "deferred" or message.lock_token:
                    raise errors.message_not_found(number)
                found.append(message)
            out = []
            for message in found:
                if peek_lock:
                    token = uuid.uuid4()
                    message.lock_token = str(token)
                    message.locked_until = now + store.settings.lock_duration
                    out.append(
                        Delivered(self._render(store, message), message.sequence_number, token)
                    )
                else:
                    del store.messages[message.sequence_number]
                    out.append(
                        Delivered(self._render(store, message), message.sequence_number, None)
                    )
            self._changed()
            return out

    def peek(self, store: MessageStore, from_sequence: int, count: int) -> list[bytes]:
        """Messages from a sequence number on, without locking (any state, like the service)."""
        with self._lock:
            self._expire(store, self.now())
            picked = sorted(
                (m for m in store.messages.values() if m.sequence_number >= from_sequence),
                key=lambda m: m.sequence_number,
            )[: max(count, 0)]
            return [self._render(store, m, peek=True) for m in picked]

    # ----------------------------------------------------------------- expiry

    def tick(self) -> None:
        """Apply lock expiry, TTL and scheduled enqueue times to every store."""
        with self._lock:
            now = self.now()
            for store in list(self.stores.values()):
                self._expire(store, now)

    def _expire(self, store: MessageStore, now: float) -> None:
        changed = False
        # Only messages whose heap entry is due: the others have no lock, scheduled time or
        # TTL that has run out. Sequence order is the store's order (numbers are inserted
        # increasing), so dead letters are numbered as a scan of the store would number them.
        assert isinstance(store.messages, _Messages)
        for message in store.messages.due(now):
            if message.lock_token is not None and (message.locked_until or 0) <= now:
                # A lock that runs out counts as a failed delivery, like an abandon.
                self._unlock_failed(store, message)
                changed = True
            elif message.state == "scheduled" and message.available_at <= now:
                message.state = "active"
                changed = True
            if (
                message.sequence_number in store.messages
                and message.lock_token is None
                and message.expires_at is not None
                and message.expires_at <= now
                and not store.is_dlq
            ):
                if store.settings.dead_lettering_on_message_expiration:
                    self._move_to_dlq(
                        store, message, REASON_TTL, "The message expired and was dead lettered."
                    )
                else:
                    del store.messages[message.sequence_number]
                changed = True
        if changed:
            self._changed()

    def _unlock_failed(self, store: MessageStore, message: StoredMessage) -> None:
        message.lock_token = None
        message.locked_until = None
        message.delivery_count += 1
        limit = store.settings.max_delivery_count
        if not store.is_dlq and message.delivery_count >= limit:
            self._move_to_dlq(
                store,
                message,
                REASON_MAX_DELIVERY,
                f"Message could not be consumed after {limit} delivery attempts.",
            )

    def _move_to_dlq(
        self,
        store: MessageStore,
        message: StoredMessage,
        reason: str | None,
        description: str | None,
    ) -> None:
        del store.messages[message.sequence_number]
        target = store.dlq or store  # dead-lettering a dead letter keeps it where it is
        extra = {}
        if reason is not None:
            extra["DeadLetterReason"] = reason
        if description is not None:
            extra["DeadLetterErrorDescription"] = description
        moved = message.copy_for(
            target.allocate() if target is not store else message.sequence_number
        )
        moved.bare = (
            codec.with_application_properties(message.bare, extra) if extra else message.bare
        )
        moved.lock_token = None
        moved.locked_until = None
        moved.state = "active"
        moved.expires_at = None  # dead letters do not expire
        moved.dead_letter_source = message.dead_letter_source or store.path
        moved.dead_letter_reason = reason
        moved.dead_letter_description = description
        target.messages[moved.sequence_number] = moved

    # ----------------------------------------------------------------- wire form

    def _render(self, store: MessageStore, message: StoredMessage, *, peek: bool = False) -> bytes:
        annotations: dict[symbol, Any] = {
            codec.X_OPT_SEQUENCE_NUMBER: message.sequence_number,
            codec.X_OPT_ENQUEUED_TIME: codec.ms(message.enqueued_at),
        }
        if message.lock_token is not None and message.locked_until is not None and not peek:
            annotations[codec.X_OPT_LOCKED_UNTIL] = codec.ms(message.locked_until)
        if message.dead_letter_source is not None:
            annotations[codec.X_OPT_DEADLETTER_SOURCE] = message.dead_letter_source
        state_code = {"active": 0, "deferred": 1, "scheduled": 2}[message.state]
        if state_code:
            annotations[codec.X_OPT_MESSAGE_STATE] = state_code
        parts = [
            codec.encode_header(
                message.durable, message.priority, message.ttl_ms, message.delivery_count
            )
        ]
        if message.lock_token is not None and not peek:
            parts.append(
                codec.encode_delivery_annotations(
                    {codec.X_OPT_LOCK_TOKEN: uuid.UUID(message.lock_token)}
                )
            )
        parts.append(codec.merge_annotations(message.annotations, annotations))
        parts.append(message.bare)
        return b"".join(parts)

    # ----------------------------------------------------------------- inspection

    def snapshot(self) -> dict[str, Any]:
        """Every entity with counts and messages, JSON-friendly (tests, control views)."""
        with self._lock:
            now = self.now()
            for store in self.stores.values():
                self._expire(store, now)
            queues = {}
            topics = {}
            for target in self.targets.values():
                if target.kind == "queue":
                    queues[target.path] = self._store_view(target.stores[0], target)
                else:
                    topics[target.path] = {
                        "requires_duplicate_detection": target.dedup,
                        "duplicate_detection_window": target.window,
                        "subscriptions": {
                            s.path.split("/Subscriptions/", 1)[1]: self._store_view(s, None)
                            for s in target.stores
                        },
                    }
            return {"namespace": self.namespace, "queues": queues, "topics": topics}

    def _store_view(self, store: MessageStore, target: SendTarget | None) -> dict[str, Any]:
        view: dict[str, Any] = {
            "path": store.path,
            "lock_duration": store.settings.lock_duration,
            "max_delivery_count": store.settings.max_delivery_count,
            "active_count": sum(1 for m in store.messages.values() if m.state == "active"),
            "deferred_count": sum(1 for m in store.messages.values() if m.state == "deferred"),
            "scheduled_count": sum(1 for m in store.messages.values() if m.state == "scheduled"),
            "locked_count": sum(1 for m in store.messages.values() if m.lock_token),
            "dead_letter_count": len(store.dlq.messages) if store.dlq else 0,
            "messages": [self._message_view(m) for m in store.messages.values()],
            "dead_letters": [
                self._message_view(m) for m in (store.dlq.messages.values() if store.dlq else [])
            ],
        }
        if target is not None:
            view["requires_duplicate_detection"] = target.dedup
            view["duplicate_detection_window"] = target.window
        return view

    @staticmethod
    def _message_view(message: StoredMessage) -> dict[str, Any]:
        view = codec.describe(message.bare, None)
        view.update(
            sequence_number=message.sequence_number,
            enqueued_time=_iso(message.enqueued_at),
            delivery_count=message.delivery_count,
            state=message.state,
            locked_until=None if message.locked_until is None else _iso(message.locked_until),
            dead_letter_reason=message.dead_letter_reason,
            dead_letter_description=message.dead_letter_description,
            dead_letter_source=message.dead_letter_source,
        )
        return view

    # ----------------------------------------------------------------- persistence

    def _changed(self) -> None:
        self.version += 1
        if self.state_file is not None:
            self._persist()

    @property
    def journal_file(self) -> Path:
        assert self.state_file is not None
        return self.state_file.with_suffix(".journal")

    def _persist(self) -> None:
        """Append what changed to the journal; rewrite the snapshot once the journal is long.

        One line per changed message (its state, or its removal) and, after a send, the send
        targets' numbering and duplicate-detection memory: a change costs what it touched, not
        the whole namespace. The snapshot is rewritten (and the journal emptied) when the
        journal holds more lines than twice the stored messages, and at least COMPACT_AFTER.
        """
        lines = []
        for store, number in sorted(self._dirty, key=lambda d: (d[0].path, d[1])):
            message = store.messages.get(number)
            entry: dict[str, Any] = {"store": store.path.lower(), "seq": number,
                                     "next": store.next_sequence}  # fmt: skip
            entry["message"] = None if message is None else message.to_json()
            lines.append(json.dumps(entry))
        self._dirty.clear()
        if self._targets_dirty:
            lines.append(json.dumps({"targets": self._targets_json()}))
            self._targets_dirty = False
        if not lines:
            return
        live = sum(len(s.messages) for s in self.stores.values())
        assert self.state_file is not None
        if not self.state_file.exists() or (
            self._journal_lines + len(lines) > max(COMPACT_AFTER, 2 * live)
        ):
            self._save()
            return
        with self.journal_file.open("a", encoding="utf-8") as journal:
            journal.write("\n".join(lines) + "\n")
        self._journal_lines += len(lines)

    def _targets_json(self) -> dict[str, Any]:
        return {key: {"next_sequence": t.next_sequence, "seen": t.seen}
                for key, t in self.targets.items()}  # fmt: skip

    def _save(self) -> None:
        assert self.state_file is not None
        doc = {
            "version": STATE_VERSION,
            "targets": {
                key: {"next_sequence": t.next_sequence, "seen": t.seen}
                for key, t in self.targets.items()
            },
            "stores": {
                key: {
                    "next_sequence": s.next_sequence,
                    "messages": [m.to_json() for m in s.messages.values()],
                }
                for key, s in self.stores.items()
                if s.messages or s.next_sequence > 1
            },
        }
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc), encoding="utf-8")
        os.replace(tmp, self.state_file)
        # The snapshot holds everything the journal said; a crash before this unlink replays
        # the journal over it, which rewrites the same states.
        self.journal_file.unlink(missing_ok=True)
        self._journal_lines = 0

    def _load(self) -> None:
        assert self.state_file is not None
        doc = json.loads(self.state_file.read_text(encoding="utf-8"))
        if doc.get("version") != STATE_VERSION:
            raise ValueError(f"{self.state_file}: unsupported state version {doc.get('version')}")
        for key, raw in doc.get("targets", {}).items():
            target = self.targets.get(key)
            if target is not None:
                target.next_sequence = int(raw["next_sequence"])
                target.seen = {str(k): float(v) for k, v in raw.get("seen", {}).items()}
        for key, raw in doc.get("stores", {}).items():
            store = self.stores.get(key)
            if store is None:
                log.warning("state for %s dropped: the entity is no longer declared", key)
                continue
            store.next_sequence = int(raw["next_sequence"])
            for item in raw["messages"]:
                message = StoredMessage.from_json(item)
                store.messages[message.sequence_number] = message
        self._replay_journal()

    def _replay_journal(self) -> None:
        """Apply the journal's lines, in order, over the snapshot just loaded."""
        if not self.journal_file.exists():
            return
        for line in self.journal_file.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                log.warning("%s: a torn last line ignored", self.journal_file)
                continue
            self._journal_lines += 1
            if "targets" in entry:
                for key, raw in entry["targets"].items():
                    target = self.targets.get(key)
                    if target is not None:
                        target.next_sequence = int(raw["next_sequence"])
                        target.seen = {str(k): float(v) for k, v in raw["seen"].items()}
                continue
            store = self.stores.get(entry["store"])
            if store is None:
                continue
            store.next_sequence = int(entry["next"])
            number = int(entry["seq"])
            if entry["message"] is None:
                store.messages.pop(number, None)
            else:
                store.messages[number] = StoredMessage.from_json(entry["message"])


def _iso(when: float) -> str:
    return dt.datetime.fromtimestamp(when, dt.UTC).isoformat().replace("+00:00", "Z")
