"""AMQP 1.0 message bytes: split into sections, unpack batches, rebuild for delivery.

The simulator keeps what a sender sent byte for byte (properties, application properties,
body, footer: the "bare message") and only rewrites the parts a broker owns: the header
(delivery count) and the message annotations (sequence number, enqueued time, lock). That way
body types, property types and encodings round-trip exactly, whatever the client sent.
Decoding uses python-qpid-proton's ``Data`` codec.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, cast

from proton import Data, Described, Message, symbol, timestamp, ubyte, uint, ulong

from simulator.servicebus import errors

# Section descriptors (AMQP 1.0 §3.2).
HEADER = 0x70
DELIVERY_ANNOTATIONS = 0x71
MESSAGE_ANNOTATIONS = 0x72
PROPERTIES = 0x73
APPLICATION_PROPERTIES = 0x74
DATA = 0x75
AMQP_SEQUENCE = 0x76
AMQP_VALUE = 0x77
FOOTER = 0x78
_BODY = {DATA, AMQP_SEQUENCE, AMQP_VALUE}
_BARE = {PROPERTIES, APPLICATION_PROPERTIES, DATA, AMQP_SEQUENCE, AMQP_VALUE, FOOTER}
_SYMBOLIC = {
    "amqp:header:list": HEADER,
    "amqp:delivery-annotations:map": DELIVERY_ANNOTATIONS,
    "amqp:message-annotations:map": MESSAGE_ANNOTATIONS,
    "amqp:properties:list": PROPERTIES,
    "amqp:application-properties:map": APPLICATION_PROPERTIES,
    "amqp:data:binary": DATA,
    "amqp:amqp-sequence:list": AMQP_SEQUENCE,
    "amqp:amqp-value:*": AMQP_VALUE,
    "amqp:footer:map": FOOTER,
}

# Annotation keys Service Bus sets or reads (see azure/servicebus/_common/constants.py).
X_OPT_SEQUENCE_NUMBER = symbol("x-opt-sequence-number")
X_OPT_ENQUEUED_TIME = symbol("x-opt-enqueued-time")
X_OPT_LOCKED_UNTIL = symbol("x-opt-locked-until")
X_OPT_LOCK_TOKEN = symbol("x-opt-lock-token")
X_OPT_SCHEDULED_ENQUEUE_TIME = symbol("x-opt-scheduled-enqueue-time")
X_OPT_DEADLETTER_SOURCE = symbol("x-opt-deadletter-source")
X_OPT_MESSAGE_STATE = symbol("x-opt-message-state")


@dataclass
class Section:
    code: int
    raw: bytes
    value: Any


def split_sections(raw: bytes) -> list[Section]:
    """Cut an encoded message into its described sections, each with its exact bytes."""
    sections: list[Section] = []
    offset = 0
    data = Data()
    while offset < len(raw):
        data.clear()
        try:
            used = data.decode(raw[offset:])
        except Exception as exc:  # proton raises its own DataException family
            raise errors.decode_error(f"undecodable message section at byte {offset}") from exc
        if used <= 0:
            raise errors.decode_error(f"empty message section at byte {offset}")
        data.rewind()
        data.next()
        value = data.get_object()
        if not isinstance(value, Described):
            raise errors.decode_error("a message section must be a described type")
        descriptor = value.descriptor
        code = (
            _SYMBOLIC.get(str(descriptor))
            if isinstance(descriptor, str)
            else int(cast(Any, descriptor))
        )
        if code is None or not HEADER <= code <= FOOTER:
            raise errors.decode_error(f"unknown message section {descriptor!r}")
        inner = value.value
        if isinstance(inner, memoryview):
            # The view points into the decoder's buffer, which the next section reuses.
            inner = bytes(inner)
        sections.append(Section(code, bytes(raw[offset : offset + used]), inner))
        offset += used
    return sections


def _looks_like_message(payload: bytes) -> bool:
    # An encoded message starts with a described section (0x00 then a small-ulong 0x53 or
    # ulong 0x80 descriptor) and decodes completely into sections with a body.
    if len(payload) < 3 or payload[0] != 0x00 or payload[1] not in (0x53, 0x80):
        return False
    try:
        inner = split_sections(payload)
    except errors.ServiceBusFault:
        return False
    return any(s.code in _BODY for s in inner)


def unpack_transfer(raw: bytes) -> list[bytes]:
    """The messages one transfer carries.

    The SDK sends a batch as one transfer with message-format 0x80013700 whose data sections
    are each a full encoded message. Proton does not expose the message format of an incoming
    delivery, so a batch is recognised by its shape: every data section decodes as a message.
    """
    sections = split_sections(raw)
    data = [s for s in sections if s.code == DATA]
    body = [s for s in sections if s.code in _BODY]
    if data and len(data) == len(body):
        payloads = [bytes(s.value) for s in data]
        if all(_looks_like_message(p) for p in payloads):
            return payloads
    if not body:
        raise errors.decode_error("the message has no body section")
    return [raw]


@dataclass
class IncomingMessage:
    """What the broker keeps of one sent message."""

    durable: bool | None
    priority: int | None
    ttl_ms: int | None
    annotations: bytes | None  # the sender's message-annotations section, verbatim
    bare: bytes
    message_id: str | None
    scheduled_enqueue_ms: int | None


def parse_message(raw: bytes) -> IncomingMessage:
    sections = split_sections(raw)
    durable = priority = ttl = None
    annotations = None
    scheduled = None
    message_id = None
    bare = b""
    for section in sections:
        if section.code == HEADER:
            fields = [*list(section.value or []), None, None, None, None, None]
            durable = bool(fields[0]) if fields[0] is not None else None
            priority = int(fields[1]) if fields[1] is not None else None
            ttl = int(fields[2]) if fields[2] is not None else None
        elif section.code == MESSAGE_ANNOTATIONS:
            annotations = section.raw
            value = (section.value or {}).get(X_OPT_SCHEDULED_ENQUEUE_TIME)
            if value is not None:
                scheduled = _to_ms(value)
        elif section.code == PROPERTIES:
            fields = [*list(section.value or []), None]
            message_id = None if fields[0] is None else _id_text(fields[0])
            bare += section.raw
        elif section.code in _BARE:
            bare += section.raw
        # delivery annotations are per hop and are not kept
    return IncomingMessage(durable, priority, ttl, annotations, bare, message_id, scheduled)


def _to_ms(value: Any) -> int:
    if isinstance(value, dt.datetime):
        return int(value.timestamp() * 1000)
    return int(value)


def _id_text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def _encode(value: Any) -> bytes:
    data = Data()
    data.put_object(value)
    return bytes(data.encode())


def encode_header(
    durable: bool | None, priority: int | None, ttl_ms: int | None, delivery_count: int
) -> bytes:
    fields = [
        durable,
        None if priority is None else ubyte(priority),
        None if ttl_ms is None else uint(ttl_ms),
        # first-acquirer: true only for a delivery nobody has seen before
        delivery_count == 0,
        uint(delivery_count),
    ]
    return _encode(Described(ulong(HEADER), cast(Any, fields)))


def merge_annotations(sender_section: bytes | None, extra: dict[symbol, Any]) -> bytes:
    merged: dict[Any, Any] = {}
    if sender_section:
        merged.update(split_sections(sender_section)[0].value or {})
    merged.update(extra)
    return _encode(Described(ulong(MESSAGE_ANNOTATIONS), cast(Any, merged)))


def encode_delivery_annotations(values: dict[symbol, Any]) -> bytes:
    return _encode(Described(ulong(DELIVERY_ANNOTATIONS), cast(Any, values)))


def with_application_properties(bare: bytes, extra: dict[str, Any]) -> bytes:
    """The bare message with ``extra`` added to (or overriding) its application properties."""
    sections = split_sections(bare) if bare else []
    props: dict[Any, Any] = {}
    for section in sections:
        if section.code == APPLICATION_PROPERTIES:
            props.update(section.value or {})
    props.update(extra)
    encoded = _encode(Described(ulong(APPLICATION_PROPERTIES), cast(Any, props)))
    out = b""
    placed = False
    for section in sections:
        if section.code == APPLICATION_PROPERTIES:
            continue
        if not placed and section.code != PROPERTIES:
            out += encoded
            placed = True
        out += section.raw
    if not placed:
        out += encoded
    return out


def ms(when: float) -> timestamp:
    """An AMQP timestamp (milliseconds since the epoch) from epoch seconds."""
    return timestamp(round(when * 1000))


def lock_token_tag(token: uuid.UUID) -> bytes:
    """The 16-byte delivery tag the SDK reads back as ``uuid.UUID(bytes_le=tag)``."""
    return token.bytes_le


def describe(bare: bytes, annotations: bytes | None) -> dict[str, Any]:
    """A JSON-friendly view of a stored message for snapshots and the control view."""
    message = Message()
    message.decode((annotations or b"") + bare)
    body: Any = message.body
    if isinstance(body, memoryview | bytes):
        raw = bytes(body)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            body = {"base64": base64.b64encode(raw).decode("ascii")}
    return {
        "message_id": None if message.id is None else _id_text(message.id),
        "correlation_id": None
        if message.correlation_id is None
        else _id_text(message.correlation_id),
        "subject": message.subject,
        "content_type": None if message.content_type is None else str(message.content_type),
        "to": message.address,
        "reply_to": message.reply_to,
        "session_id": message.group_id,
        "application_properties": _jsonable(message.properties or {}),
        "body": _jsonable(body),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, memoryview | bytes):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)
