"""Over-size messages and frames on the Service Bus simulator (issue 19 item 8): refused at
once, never hung on.

Service Bus Standard takes messages of at most 256 KB including properties
(learn.microsoft.com/azure/service-bus-messaging/service-bus-quotas). A message the SDK lets
through (its own check counts less than the broker does) used to be rejected without the error
``info`` field the SDK reads (``error_info[0][2]``): its completion callback failed with an
IndexError and ``send_messages`` never returned. A frame over the negotiated maximum frame size
is a framing error: the connection is closed, promptly.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Any

import pytest
from azure.servicebus import ServiceBusClient, ServiceBusMessage
from azure.servicebus.exceptions import MessageSizeExceededError, ServiceBusError
from proton import Connection, Transport

from simulator.servicebus import ServiceBusSimulator
from simulator.servicebus.amqp import MAX_MESSAGE_SIZE

pytestmark = pytest.mark.timeout(60)
QUEUE = "onboarding-requests"


@pytest.fixture
def sim():
    with ServiceBusSimulator() as sb:
        yield sb


def _send_in_thread(sim: ServiceBusSimulator, message: ServiceBusMessage) -> dict[str, Any]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with (
                ServiceBusClient.from_connection_string(
                    sim.connection_string, retry_total=0
                ) as client,
                client.get_queue_sender(QUEUE) as sender,
            ):
                sender.send_messages(message, timeout=20)
            outcome["result"] = "sent"
        except Exception as error:
            outcome["error"] = error

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(15)
    outcome["seconds"] = time.monotonic() - started
    outcome["finished"] = not thread.is_alive()
    return outcome


@pytest.mark.parametrize("size", [MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE + 1, 400_000])
def test_a_message_over_the_limit_is_refused_not_hung_on(sim, size):
    outcome = _send_in_thread(sim, ServiceBusMessage(b"x" * size, message_id="big"))
    assert outcome["finished"], f"send_messages still waiting after {outcome['seconds']:.0f} s"
    assert isinstance(outcome.get("error"), MessageSizeExceededError | ServiceBusError), outcome
    assert "exceeds" in str(outcome["error"]) or "size" in str(outcome["error"]).lower()
    assert sim.snapshot()["queues"][QUEUE]["messages"] == []


def test_a_message_under_the_limit_still_goes(sim):
    outcome = _send_in_thread(sim, ServiceBusMessage(b"x" * 200_000, message_id="ok"))
    assert outcome == {**outcome, "result": "sent", "finished": True}
    assert len(sim.snapshot()["queues"][QUEUE]["messages"]) == 1


def _open_link(port: int) -> tuple[socket.socket, Transport]:
    """An AMQP connection with an open sender link, driven by hand (proton engine)."""
    sock = socket.create_connection(("127.0.0.1", port))
    transport = Transport()
    transport.sasl().allowed_mechs("ANONYMOUS")
    connection = Connection()
    transport.bind(connection)
    connection.open()
    session = connection.session()
    session.open()
    sender = session.sender("over-size")
    sender.target.address = QUEUE
    sender.open()
    sock.settimeout(0.05)
    end = time.monotonic() + 2
    while time.monotonic() < end and sender.credit == 0:
        if (pending := transport.pending()) > 0:
            sock.sendall(transport.peek(pending))
            transport.pop(pending)
        try:
            if data := sock.recv(65536):
                transport.push(data)
        except TimeoutError:
            pass
    assert sender.credit > 0
    return sock, transport


@pytest.mark.parametrize("declared", [MAX_MESSAGE_SIZE + 1, 10_000_000, 0x7FFFFFFF])
def test_a_frame_over_the_maximum_frame_size_closes_the_connection_promptly(sim, declared):
    sock, transport = _open_link(sim.port)
    limit = transport.remote_max_frame_size
    assert 0 < limit < declared
    started = time.monotonic()
    sock.settimeout(5)
    closed = False
    try:
        sock.sendall(struct.pack(">IBBH", declared, 2, 0, 0) + b"\x00" * min(declared, 300_000))
        while sock.recv(65536):
            pass
        closed = True
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    except TimeoutError:
        closed = False
    finally:
        sock.close()
    assert closed and time.monotonic() - started < 5
    # The namespace goes on serving others.
    assert _send_in_thread(sim, ServiceBusMessage(b"after", message_id="after"))["result"] == "sent"
