"""The AMQP 1.0 side of the Service Bus simulator: sockets, proton engine, link routing.

Thin on purpose: it accepts TCP connections on 127.0.0.1, lets python-qpid-proton's engine
(``Transport``/``Connection``/``Collector``, no reactor) speak the protocol, and maps what
the azure-servicebus SDK does onto :class:`~simulator.servicebus.backend.ServiceBusBackend`:

* SASL ANONYMOUS, then CBS: ``put-token`` requests on ``$cbs`` are answered 202 with the
  request's message id as correlation id (tokens are not checked);
* a client sender link to ``<queue>`` or ``<topic>`` enqueues (batches unpacked);
* a client receiver link from ``<queue>``, ``<topic>/Subscriptions/<sub>`` or their
  ``/$DeadLetterQueue`` gets one delivery per credit, tagged with the 16 lock-token bytes;
  dispositions (accepted / modified / rejected / released) settle, and the outcome is echoed
  because the SDK waits for it;
* ``<entity>/$management`` request/response (renew-lock, peek, update-disposition,
  receive-by-sequence-number, schedule / cancel) with ``statusCode`` in the reply.

One background thread owns every proton object; other threads only touch the backend
(which has its own lock) and wake the loop through a socket pair.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import cproton  # type: ignore[import-untyped]
from proton import (
    UNDESCRIBED,
    Array,
    Collector,
    Condition,
    Connection,
    Data,
    Delivery,
    Disposition,
    Event,
    Link,
    Message,
    Terminus,
    Transport,
    symbol,
)

from simulator.servicebus import codec, errors
from simulator.servicebus.backend import MessageStore, SendTarget, ServiceBusBackend

log = logging.getLogger(__name__)

# What a sender may put in one message; the SDK sizes its batches from this (Standard tier).
MAX_MESSAGE_SIZE = 256 * 1024
# How often the loop looks at the clock when nothing happens on the wire: bounds how late a
# lock expiry or a scheduled message is noticed, also after a virtual clock jumps.
POLL_INTERVAL = 0.05
# Credit the simulator keeps open on every link a client sends on.
SEND_CREDIT = 100


@dataclass
class _LinkRole:
    """What one link is for, decided at attach."""

    kind: str  # "cbs" | "mgmt" | "send" | "receive" | "reply"
    address: str
    store: MessageStore | None = None
    target: SendTarget | None = None
    node: MessageStore | SendTarget | None = None
    presettled: bool = False
    # incoming bytes of a transfer that spans several frames, and how many arrived in all
    partial: dict[bytes, bytearray] = field(default_factory=dict)
    partial_size: dict[bytes, int] = field(default_factory=dict)


@dataclass
class _Client:
    sock: socket.socket
    transport: Transport
    connection: Connection
    collector: Collector
    id: int = 0


class AmqpServer:
    """Serves one backend on a TCP port from a background thread."""

    def __init__(self, backend: ServiceBusBackend, host: str = "127.0.0.1", port: int = 0) -> None:
        self.backend = backend
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A restarted simulator can take its old port back at once.
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(32)
        self._listener.setblocking(False)
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._clients: dict[socket.socket, _Client] = {}
        self._next_id = 0
        self._seen_version = -1
        self._tag_counter = 0

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"servicebus-sim:{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()

    def wake(self) -> None:
        """Make the loop look at the backend now (after a change from another thread)."""
        # If already stopped, or the pipe is full, a wake-up is pending anyway: ignore.
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    # ----------------------------------------------------------------- the loop

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._listener, selectors.EVENT_READ, "accept")
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        try:
            while not self._stopping.is_set():
                deadline = self._service_all(selector)
                timeout = max(0.0, min(POLL_INTERVAL, deadline - time.monotonic()))
                for key, mask in selector.select(timeout):
                    if key.data == "accept":
                        self._accept(selector)
                    elif key.data == "wake":
                        with contextlib.suppress(BlockingIOError):
                            self._wake_r.recv(4096)
                    else:
                        client = self._clients.get(key.fileobj)  # type: ignore[call-overload]
                        if client is not None:
                            self._io(client, mask)
        except Exception:
            log.exception("the Service Bus simulator loop failed")
            raise
        finally:
            for client in list(self._clients.values()):
                self._drop(selector, client)
            selector.close()

    def _accept(self, selector: selectors.BaseSelector) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            transport = Transport(Transport.SERVER)
            sasl = transport.sasl()
            # The SDK authenticates with SASL ANONYMOUS and then with a CBS token.
            sasl.allowed_mechs("ANONYMOUS")
            connection = Connection()
            collector = Collector()
            connection.collect(collector)
            transport.bind(connection)
            self._next_id += 1
            client = _Client(sock, transport, connection, collector, id=self._next_id)
            self._clients[sock] = client
            selector.register(sock, selectors.EVENT_READ, "client")

    def _service_all(self, selector: selectors.BaseSelector) -> float:
        """Run timers, process events, offer messages, flush output; the next tick deadline."""
        self.backend.tick()
        pump = self.backend.version != self._seen_version
        self._seen_version = self.backend.version
        now = time.monotonic()
        deadline = now + POLL_INTERVAL
        for client in list(self._clients.values()):
            try:
                next_tick = client.transport.tick(now)
                if next_tick:
                    deadline = min(deadline, next_tick)
                self._process(client, pump)
                self._write(client)
            except Exception:
                log.exception("connection %s failed; dropping it", client.id)
                client.transport.close_tail()
                client.transport.close_head()
            if client.transport.closed:
                self._drop(selector, client)
                continue
            events = selectors.EVENT_READ
            if client.transport.pending() > 0:
                events |= selectors.EVENT_WRITE
            selector.modify(client.sock, events, "client")
        return deadline

    def _io(self, client: _Client, mask: int) -> None:
        try:
            if mask & selectors.EVENT_READ:
                self._read(client)
            if mask & selectors.EVENT_WRITE:
                self._write(client)
        except Exception:
            # One misbehaving connection must not take the namespace down with it.
            log.exception("connection %s failed; dropping it", client.id)
            client.transport.close_tail()
            client.transport.close_head()

    def _read(self, client: _Client) -> None:
        capacity = client.transport.capacity()
        if capacity < 0:
            return
        try:
            data = client.sock.recv(max(capacity, 1) if capacity else 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            if capacity:
                client.transport.push(data)
        else:
            client.transport.close_tail()
        self._process(client, pump=False)

    def _write(self, client: _Client) -> None:
        while True:
            pending = client.transport.pending()
            if pending <= 0:
                return
            chunk = client.transport.peek(pending) or b""
            try:
                sent = client.sock.send(chunk)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                client.transport.close_head()
                return
            client.transport.pop(sent)

    def _drop(self, selector: selectors.BaseSelector, client: _Client) -> None:
        self._clients.pop(client.sock, None)
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(client.sock)
        client.sock.close()
        client.transport.unbind()

    # ----------------------------------------------------------------- events

    def _process(self, client: _Client, pump: bool) -> None:
        flows = False
        while True:
            event = client.collector.peek()
            if event is None:
                break
            flows |= self._on_event(client, event)
            client.collector.pop()
        if pump or flows:
            self._pump(client)
            # Sending may have produced more events (e.g. deliveries to settle).
            while (event := client.collector.peek()) is not None:
                self._on_event(client, event)
                client.collector.pop()

    def _on_event(self, client: _Client, event: Event) -> bool:
        kind = event.type
        link = event.link
        if kind == Event.CONNECTION_REMOTE_OPEN:
            client.connection.container = "servicebus-simulator"
            client.connection.open()
        elif kind == Event.SESSION_REMOTE_OPEN:
            if event.session is not None:
                event.session.open()
        elif kind == Event.LINK_REMOTE_OPEN and link is not None:
            self._attach(client, link)
            return True
        elif kind == Event.LINK_FLOW:
            return True
        elif kind == Event.DELIVERY and event.delivery is not None:
            self._delivery(client, event.delivery)
        elif kind in (Event.LINK_REMOTE_CLOSE, Event.LINK_REMOTE_DETACH) and link is not None:
            # Locks of unsettled deliveries stay until they expire, as on the real service.
            _set_role(link, None)
            if link.state & Link.LOCAL_ACTIVE:
                link.close()
        elif kind == Event.SESSION_REMOTE_CLOSE:
            session = event.session
            if session is not None and session.state & Link.LOCAL_ACTIVE:
                session.close()
        elif kind == Event.CONNECTION_REMOTE_CLOSE:
            if client.connection.state & Link.LOCAL_ACTIVE:
                client.connection.close()
        elif kind == Event.TRANSPORT_ERROR:
            log.info("connection %s: transport error %s", client.id, client.transport.condition)
        return False

    # ----------------------------------------------------------------- attach

    def _attach(self, client: _Client, link: Link) -> None:
        remote = link.remote_source if link.is_sender else link.remote_target
        address = remote.address or ""
        try:
            role = self._role_for(link, address)
        except errors.ServiceBusFault as fault:
            log.info("attach to %r refused: %s", address, fault.description)
            # Answer the attach with no terminus, then detach with the error: how a broker
            # refuses a link. The SDK raises the condition (amqp:not-found ->
            # MessagingEntityNotFoundError).
            link.open()
            link.condition = _condition(fault)
            link.close()
            return
        link.source.copy(link.remote_source)
        link.target.copy(link.remote_target)
        if link.is_sender:
            link.snd_settle_mode = (
                Link.SND_SETTLED if role.presettled else link.remote_snd_settle_mode
            )
            if role.kind == "reply":
                link.snd_settle_mode = Link.SND_MIXED
        else:
            link.rcv_settle_mode = Link.RCV_FIRST
            link.max_message_size = MAX_MESSAGE_SIZE
        link.open()
        _set_role(link, role)
        if link.is_receiver:
            link.flow(SEND_CREDIT)

    def _role_for(self, link: Link, address: str) -> _LinkRole:
        path = ServiceBusBackend.normalise(address)
        if path.lower() == "$cbs":
            return _LinkRole("reply" if link.is_sender else "cbs", path)
        if path.lower().endswith("/$management"):
            node = self.backend.management_node(path)
            return _LinkRole("reply" if link.is_sender else "mgmt", path, node=node)
        if link.is_receiver:
            return _LinkRole("send", path, target=self.backend.sendable(path))
        if _has_session_filter(link.remote_source):
            raise errors.not_implemented("Sessions are not supported by the simulator.")
        store = self.backend.receivable(path)
        presettled = link.remote_snd_settle_mode == Link.SND_SETTLED
        return _LinkRole("receive", path, store=store, presettled=presettled)

    # ----------------------------------------------------------------- deliveries

    def _delivery(self, client: _Client, delivery: Delivery) -> None:
        link = delivery.link
        role = _role(link)
        if role is None:
            if not delivery.settled:
                delivery.settle()
            return
        if link.is_receiver:
            self._incoming(client, role, link, delivery)
        elif delivery.updated and role.kind == "receive":
            self._settlement(role, delivery)
        elif delivery.remote_state or delivery.settled:
            delivery.settle()

    def _incoming(self, client: _Client, role: _LinkRole, link: Link, delivery: Delivery) -> None:
        # Keyed by tag (unique among a link's unsettled deliveries): proton hands each frame's
        # event a fresh Delivery wrapper, so id(delivery) lost the first frames of a large one.
        tag = _tag_bytes(delivery)
        buffer = role.partial.setdefault(tag, bytearray())
        while True:
            chunk = link.recv(max(delivery.pending, 1))
            if not chunk:
                break
            # Past the limit only the size is kept: an over-size transfer is refused when it
            # ends, without holding all of it in memory.
            if len(buffer) <= MAX_MESSAGE_SIZE:
                buffer.extend(chunk)
            role.partial_size[tag] = role.partial_size.get(tag, 0) + len(chunk)
        if delivery.partial:
            return
        del role.partial[tag]
        size = role.partial_size.pop(tag, len(buffer))
        link.advance()
        try:
            if role.kind == "cbs":
                self._reply(client, role, bytes(buffer), self._cbs)
            elif role.kind == "mgmt":
                self._reply(client, role, bytes(buffer), self._management)
            else:
                assert role.target is not None
                if size > MAX_MESSAGE_SIZE:
                    raise errors.message_too_large(size, MAX_MESSAGE_SIZE)
                self.backend.send(role.target.path, codec.unpack_transfer(bytes(buffer)))
            delivery.update(Disposition.ACCEPTED)
        except errors.ServiceBusFault as fault:
            log.info("transfer on %s rejected: %s", role.address, fault.description)
            delivery.local.condition = _condition(fault)
            delivery.update(Disposition.REJECTED)
        delivery.settle()
        if link.credit < SEND_CREDIT // 2:
            link.flow(SEND_CREDIT - link.credit)

    def _settlement(self, role: _LinkRole, delivery: Delivery) -> None:
        """A client settled (or changed the state of) a message it received from us."""
        assert role.store is not None
        token: str | None = getattr(delivery, _TOKEN_ATTR, None)
        state = delivery.remote_state
        remote = delivery.remote
        try:
            if token is None:
                raise errors.lock_lost("(none)")
            if state == Disposition.ACCEPTED:
                self.backend.complete(role.store, token)
            elif state == Disposition.RELEASED:
                self.backend.release(role.store, token)
            elif state == Disposition.MODIFIED:
                if remote.undeliverable:
                    self.backend.defer(role.store, token)
                elif remote.failed:
                    self.backend.abandon(role.store, token)
                else:
                    self.backend.release(role.store, token)
            elif state == Disposition.REJECTED:
                info = _condition_info(remote.condition)
                self.backend.dead_letter(
                    role.store,
                    token,
                    _text(info.get("DeadLetterReason")),
                    _text(info.get("DeadLetterErrorDescription")),
                )
            elif not delivery.settled:
                return  # "received" or no state: not a settlement yet
            # The SDK waits for the outcome it asked for to come back settled.
            if state == Disposition.MODIFIED:
                delivery.local.failed = bool(remote.failed)
                delivery.local.undeliverable = bool(remote.undeliverable)
            if state is not None:
                delivery.update(state)
        except errors.ServiceBusFault as fault:
            delivery.local.condition = _condition(fault)
            delivery.update(Disposition.REJECTED)
        delivery.settle()

    def _pump(self, client: _Client) -> None:
        """Offer messages to every receiving link that has credit."""
        for link in _links(client.connection):
            role = _role(link)
            if role is None or role.kind != "receive" or role.store is None:
                continue
            if not link.state & Link.LOCAL_ACTIVE:
                continue
            while link.credit > 0:
                item = self.backend.receive(role.store, peek_lock=not role.presettled)
                if item is None:
                    break
                tag = codec.lock_token_tag(item.lock_token) if item.lock_token else self._tag()
                # proton's hints say str, but bytes are what it sends verbatim as the tag
                delivery = link.delivery(tag)  # type: ignore[arg-type]
                link.send(item.payload)
                link.advance()
                if role.presettled:
                    delivery.settle()
                elif item.lock_token is not None:
                    setattr(delivery, _TOKEN_ATTR, str(item.lock_token))
            if link.drain_mode and link.credit > 0:
                link.drained()

    def _tag(self) -> bytes:
        self._tag_counter += 1
        return uuid.UUID(int=self._tag_counter).bytes_le

    # ----------------------------------------------------------------- request/response

    def _reply(
        self,
        client: _Client,
        role: _LinkRole,
        raw: bytes,
        handler: Callable[[_LinkRole, Message], Message],
    ) -> None:
        request = Message()
        request.decode(raw)
        response = handler(role, request)
        response.correlation_id = request.id
        reply_to = request.reply_to or role.address
        link = self._reply_link(client, reply_to) or self._reply_link(client, role.address)
        if link is None:
            log.warning("no reply link for %s on connection %s", role.address, client.id)
            return
        delivery = link.delivery(self._tag())  # type: ignore[arg-type]
        link.send(response.encode())
        link.advance()
        delivery.settle()

    def _reply_link(self, client: _Client, address: str) -> Link | None:
        wanted = ServiceBusBackend.normalise(address).lower()
        for link in _links(client.connection):
            role = _role(link)
            if (
                role is not None
                and role.kind == "reply"
                and role.address.lower() == wanted
                and link.state & Link.LOCAL_ACTIVE
            ):
                return link
        return None

    def _cbs(self, role: _LinkRole, request: Message) -> Message:
        operation = _app_properties(request).get("operation")
        if operation != "put-token":
            return _status_message(
                400, f"Unsupported CBS operation {operation!r}.", cbs=True, condition=None
            )
        # Any token is accepted (there are no identities to check), but like Azure the put-token
        # fails with 404 when its audience names an entity that does not exist; the Python SDK
        # raises that as ServiceBusAuthenticationError "... Status code: 404 ... not found".
        audience = ServiceBusBackend.normalise(str(_app_properties(request).get("name") or ""))
        if audience:
            try:
                self.backend.known(audience)
            except errors.ServiceBusFault as fault:
                return _status_message(
                    fault.status_code, fault.description, cbs=True, condition=None
                )
        return _status_message(202, "Accepted", cbs=True, condition=None)

    def _management(self, role: _LinkRole, request: Message) -> Message:
        operation = str(_app_properties(request).get("operation") or "")
        body = request.body if isinstance(request.body, dict) else {}
        try:
            value, status = self._operate(role, operation, body)
        except errors.ServiceBusFault as fault:
            log.info("management %s on %s failed: %s", operation, role.address, fault.description)
            return _status_message(
                fault.status_code, fault.description, cbs=False, condition=fault.condition
            )
        response = _status_message(
            status, "OK" if status == 200 else "No Content", cbs=False, condition=None
        )
        response.body = value
        return response

    def _operate(self, role: _LinkRole, operation: str, body: dict[Any, Any]) -> tuple[Any, int]:
        node = role.node
        args = {str(k): v for k, v in body.items()}
        if isinstance(node, SendTarget):
            if operation == "com.microsoft:schedule-message":
                payloads = [bytes(item["message"]) for item in args.get("messages", [])]
                numbers = self.backend.schedule(node.path, payloads)
                return {"sequence-numbers": _array(Data.LONG, numbers)}, 200
            if operation == "com.microsoft:cancel-scheduled-message":
                self.backend.cancel_scheduled(
                    node.path, [int(n) for n in _items(args.get("sequence-numbers"))]
                )
                return {}, 200
            raise errors.not_implemented(
                f"Operation {operation!r} is not supported on {node.path}."
            )
        assert isinstance(node, MessageStore)
        store = node
        if operation == "com.microsoft:renew-lock":
            tokens = [str(t) for t in _items(args.get("lock-tokens"))]
            until = self.backend.renew(store, tokens)
            stamps = [codec.ms(u) for u in until]
            return {"expirations": _array(Data.TIMESTAMP, stamps)}, 200
        if operation == "com.microsoft:peek-message":
            start = int(args.get("from-sequence-number") or 0)
            count = int(args.get("message-count") or 1)
            found = self.backend.peek(store, start, count)
            if not found:
                return None, 204
            return {"messages": [{"message": p} for p in found]}, 200
        if operation == "com.microsoft:update-disposition":
            tokens = [str(t) for t in _items(args.get("lock-tokens"))]
            self.backend.settle_by_token(
                store,
                str(args.get("disposition-status")),
                tokens,
                _text(args.get("deadletter-reason")),
                _text(args.get("deadletter-description")),
            )
            return {}, 200
        if operation == "com.microsoft:receive-by-sequence-number":
            numbers = [int(n) for n in _items(args.get("sequence-numbers"))]
            # receiver-settle-mode 0 = receive-and-delete, 1 = peek-lock (the SDK's encoding)
            peek_lock = int(args.get("receiver-settle-mode") or 0) == 1
            delivered = self.backend.receive_deferred(store, numbers, peek_lock=peek_lock)
            messages = []
            for item in delivered:
                entry: dict[str, Any] = {"message": item.payload}
                if item.lock_token is not None:
                    entry["lock-token"] = item.lock_token
                messages.append(entry)
            return {"messages": messages}, 200
        raise errors.not_implemented(f"Operation {operation!r} is not supported by the simulator.")


def _status_message(status: int, description: str, *, cbs: bool, condition: str | None) -> Message:
    # CBS replies use "status-code"; $management replies use "statusCode" (see the SDK's
    # _pyamqp/cbs.py and management_link.py).
    props: dict[str, Any] = (
        {"status-code": status, "status-description": description}
        if cbs
        else {"statusCode": status, "statusDescription": description}
    )
    if condition is not None:
        props["errorCondition"] = symbol(condition)
    return Message(properties=props)


def _app_properties(message: Message) -> dict[str, Any]:
    properties: dict[Any, Any] = dict(message.properties or {})
    return {str(k): v for k, v in properties.items()}


def _array(kind: int, values: list[Any]) -> Array:
    return Array(cast(Any, UNDESCRIBED), kind, *values)


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, Array):
        return list(value.elements)
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _condition_info(condition: Condition | None) -> dict[str, Any]:
    if condition is None or not condition.info:
        return {}
    info: Any = condition.info
    if isinstance(info, Data):
        info.rewind()
        info = info.get_object() if info.next() else {}
    return {str(k): v for k, v in dict(info).items()} if isinstance(info, dict) else {}


def _has_session_filter(source: Terminus) -> bool:
    filters = source.filter
    filters.rewind()
    if not filters.next():
        return False
    value = filters.get_object()
    return isinstance(value, dict) and any("session-filter" in str(k) for k in value)


# Proton keeps attributes set on a wrapper in the C object's record, so a role set at attach
# is found again on the (new) wrapper objects later events hand out.
_ROLE_ATTR = "sim_role"
# Likewise the lock token of a delivery we sent (proton reads delivery tags back as UTF-8
# text, which 16 random bytes are not, so the tag itself is never read).
_TOKEN_ATTR = "sim_lock_token"  # noqa: S105 - an attribute name, not a secret


def _tag_bytes(delivery: Delivery) -> bytes:
    """The delivery tag as the bytes on the wire.

    ``Delivery.tag`` decodes them as UTF-8, but a tag is binary: the SDK counts transfers in a
    4-byte big-endian tag, and its 128th (``00 00 00 80``) raised UnicodeDecodeError, which
    dropped the connection on every 128th message of a link.
    """
    return cproton.bytes2pybytes(cproton.lib.pn_delivery_tag(delivery._impl))


def _role(link: Link) -> _LinkRole | None:
    return getattr(link, _ROLE_ATTR, None)


def _condition(fault: errors.ServiceBusFault) -> Condition:
    """The AMQP error for ``fault``, with an ``info`` map as the service sends one.

    The SDK reads a rejected outcome's error as ``[condition, description, info]`` and indexes
    all three (pyamqp ``_on_send_complete``: ``error_info[0][2]``); without ``info`` its
    completion callback failed with an IndexError and ``send_messages`` never returned.
    """
    info = {symbol("com.microsoft:tracking-id"): str(uuid.uuid4())}
    return Condition(fault.condition, fault.description, cast(Any, info))


def _set_role(link: Link, role: _LinkRole | None) -> None:
    setattr(link, _ROLE_ATTR, role)


def _links(connection: Connection) -> list[Link]:
    found: list[Link] = []
    link = connection.link_head(0)
    while link is not None:
        found.append(link)
        link = link.next(0)
    return found
