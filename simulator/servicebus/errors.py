"""The one catalogue of errors the Service Bus simulator reports, with Service Bus names.

Each fault carries the AMQP error condition the real service uses (the azure-servicebus SDK
maps conditions to exception classes, see ``_ERROR_CODE_TO_ERROR_MAPPING`` in its pyamqp
transport) and the HTTP-like status code that ``$management`` replies put in ``statusCode``.
The link layer turns a fault into a link detach, a rejected delivery or a management reply;
the backend only raises them.
"""

from __future__ import annotations

# Conditions the SDK recognises. ``amqp:not-found`` (not ``com.microsoft:entity-not-found``)
# is what the SDK turns into MessagingEntityNotFoundError, so unknown entities use it.
NOT_FOUND = "amqp:not-found"
NOT_ALLOWED = "amqp:not-allowed"
NOT_IMPLEMENTED = "amqp:not-implemented"
DECODE_ERROR = "amqp:decode-error"
MESSAGE_SIZE_EXCEEDED = "amqp:link:message-size-exceeded"
MESSAGE_LOCK_LOST = "com.microsoft:message-lock-lost"
MESSAGE_NOT_FOUND = "com.microsoft:message-not-found"
ARGUMENT_ERROR = "com.microsoft:argument-error"
ARGUMENT_OUT_OF_RANGE = "com.microsoft:argument-out-of-range"
SESSION_CANNOT_BE_LOCKED = "com.microsoft:session-cannot-be-locked"


class ServiceBusFault(Exception):
    """A failure the simulated service reports to its client."""

    def __init__(self, condition: str, description: str, status_code: int) -> None:
        super().__init__(description)
        self.condition = condition
        self.description = description
        self.status_code = status_code


def entity_not_found(namespace: str, path: str) -> ServiceBusFault:
    return ServiceBusFault(
        NOT_FOUND,
        f"The messaging entity 'sb://{namespace}/{path}' could not be found. "
        "Declare it in the simulator's entity config.",
        404,
    )


def lock_lost(token: str) -> ServiceBusFault:
    return ServiceBusFault(
        MESSAGE_LOCK_LOST,
        f"The lock supplied is invalid. Either the lock expired, or the message has already "
        f"been removed from the queue. Lock token: {token}.",
        410,
    )


def message_not_found(sequence_number: int) -> ServiceBusFault:
    return ServiceBusFault(
        MESSAGE_NOT_FOUND,
        f"Failed to lock one or more specified messages. The message with sequence number "
        f"{sequence_number} does not exist or is not deferred.",
        404,
    )


def not_allowed(description: str) -> ServiceBusFault:
    return ServiceBusFault(NOT_ALLOWED, description, 400)


def not_implemented(description: str) -> ServiceBusFault:
    return ServiceBusFault(NOT_IMPLEMENTED, description, 501)


def argument_error(description: str) -> ServiceBusFault:
    return ServiceBusFault(ARGUMENT_ERROR, description, 400)


def decode_error(description: str) -> ServiceBusFault:
    return ServiceBusFault(DECODE_ERROR, description, 400)


def message_too_large(size: int, limit: int) -> ServiceBusFault:
    return ServiceBusFault(
        MESSAGE_SIZE_EXCEEDED,
        f"The received message (size {size} bytes) exceeds the limit ({limit} bytes).",
        413,
    )
