"""devhost's serviceBusTrigger kind with the real azure-servicebus SDK against the simulator.

Each test starts its own simulated namespace and a DevHost on the sample app
``tests.devhost.apps.servicebus_app``, sends with the SDK and asserts what the functions saw
and what is left in the entities afterwards.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from azure.functions.decorators.core import Cardinality
from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusSubQueue

from devhost import DevHost, register_trigger_kind
from devhost.servicebus_kind import (
    ServiceBusKind,
    ServiceBusOptions,
    parse_timespan,
    resolve_connection,
)
from devhost.trigger_kinds import unregister_trigger_kind
from simulator.servicebus import ServiceBusSimulator
from tests.devhost.apps import servicebus_app
from tests.devhost.conftest import REPO, http

pytestmark = pytest.mark.timeout(60)

APP = "tests.devhost.apps.servicebus_app"
ENTITIES = {
    "queues": {
        "orders": {"lock_duration": 30},
        "poison": {"lock_duration": 30, "max_delivery_count": 3},
        "slow": {"lock_duration": 2},
        "blocking": {"lock_duration": 1},
    },
    "topics": {"events": {"subscriptions": {"audit": {}, "other": {}}}},
}


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServiceBusSimulator]:
    servicebus_app.reset()
    with ServiceBusSimulator(entities=ENTITIES) as started:
        monkeypatch.setenv(servicebus_app.CONNECTION, started.connection_string)
        monkeypatch.delenv(servicebus_app.MISSING_CONNECTION, raising=False)
        yield started
    servicebus_app.RELEASE.set()  # never leave a blocked invocation behind


@pytest.fixture
def client(sim: ServiceBusSimulator) -> Iterator[ServiceBusClient]:
    with ServiceBusClient.from_connection_string(sim.connection_string, retry_total=0) as c:
        yield c


@pytest.fixture
def new_host(tmp_path: Path) -> Iterator[Callable[[], DevHost]]:
    """Starts hosts on one database; every host still running at the end is stopped."""
    started: list[DevHost] = []

    def make() -> DevHost:
        host = DevHost(APP, app_dir=REPO, db=tmp_path / "sb.sqlite", clock="virtual")
        started.append(host.start())
        return host

    yield make
    for host in started:
        host.stop()


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.05)


def send(client: ServiceBusClient, queue_or_topic: str, message: ServiceBusMessage) -> None:
    with client.get_queue_sender(queue_or_topic) as sender:
        sender.send_messages(message)


def queue_view(sim: ServiceBusSimulator, queue: str) -> dict[str, Any]:
    view: dict[str, Any] = sim.snapshot()["queues"][queue]
    return view


def settled_empty(sim: ServiceBusSimulator, queue: str) -> bool:
    view = queue_view(sim, queue)
    return not view["messages"] and view["dead_letter_count"] == 0


def test_message_invokes_the_function_once_and_is_completed(
    sim: ServiceBusSimulator, client: ServiceBusClient, new_host: Callable[[], DevHost]
) -> None:
    new_host()
    send(
        client,
        "orders",
        ServiceBusMessage(
            b'{"order": 7}',
            message_id="order-7",
            subject="created",
            correlation_id="corr-7",
            content_type="application/json",
            application_properties={"team": "payments", "attempt": 3},
        ),
    )
    (got,) = eventually(lambda: servicebus_app.seen("on_order"))
    assert got["body"] == b'{"order": 7}'
    assert got["message_id"] == "order-7" == got["metadata_id"]
    assert got["delivery_count"] == 1  # the Functions host counts the current delivery
    assert got["properties"] == {"team": "payments", "attempt": 3} == got["user_properties"]
    assert got["subject"] == got["label"] == "created"
    assert got["correlation_id"] == "corr-7"
    assert got["content_type"] == "application/json"
    assert got["sequence_number"] == 1
    assert got["enqueued"] is not None
    eventually(lambda: settled_empty(sim, "orders"))
    with client.get_queue_receiver("orders") as receiver:
        assert receiver.peek_messages(max_message_count=10) == []
    time.sleep(0.5)  # nothing comes back once completed
    assert len(servicebus_app.seen("on_order")) == 1


def test_value_and_sequence_bodies_are_delivered_once_and_never_fail_the_delivery(
    sim: ServiceBusSimulator, client: ServiceBusClient, new_host: Callable[[], DevHost]
) -> None:
    """Bodies that are not data sections, as other AMQP clients send them: a string value is its
    text (the extension's string converter); any other value or a sequence arrives with an empty
    body and ``AmqpBodyType`` in the metadata, once, and is completed (it used to fail the
    conversion on every delivery and end in the dead-letter queue)."""
    from azure.servicebus.amqp import AmqpAnnotatedMessage, AmqpMessageProperties

    new_host()
    bodies = {
        "v-str": {"value_body": '{"order": 8}'},
        "v-map": {"value_body": {"order": 9, "lines": [1, 2]}},
        "v-int": {"value_body": 42},
        "v-list": {"value_body": [1, "two", None]},
        "seq": {"sequence_body": [[1, 2], ["three"]]},
    }
    with client.get_queue_sender("orders") as sender:
        for name, body in bodies.items():
            props = AmqpMessageProperties(message_id=name)
            sender.send_messages(AmqpAnnotatedMessage(**body, properties=props))
    got = eventually(lambda: (s := servicebus_app.seen("on_order")) and len(s) >= 5 and s)
    by_id = {g["message_id"]: g for g in got}
    assert by_id["v-str"]["body"] == b'{"order": 8}' and by_id["v-str"]["body_type"] == "value"
    for name in ("v-map", "v-int", "v-list"):
        assert by_id[name]["body"] == b"" and by_id[name]["body_type"] == "value", name
    assert by_id["seq"]["body"] == b"" and by_id["seq"]["body_type"] == "sequence"
    assert all(g["delivery_count"] == 1 for g in got)
    eventually(lambda: settled_empty(sim, "orders"))
    time.sleep(0.5)
    assert len(servicebus_app.seen("on_order")) == 5


def test_a_failing_function_is_redelivered_then_dead_lettered(
    sim: ServiceBusSimulator, client: ServiceBusClient, new_host: Callable[[], DevHost]
) -> None:
    new_host()
    send(client, "poison", ServiceBusMessage(b"bad input", message_id="poison-1"))
    eventually(lambda: queue_view(sim, "poison")["dead_letter_count"] == 1)
    counts = [d["delivery_count"] for d in servicebus_app.seen("always_fails")]
    assert counts == [1, 2, 3]  # the queue's max delivery count is 3
    assert not queue_view(sim, "poison")["messages"]
    with client.get_queue_receiver(
        "poison", sub_queue=ServiceBusSubQueue.DEAD_LETTER, max_wait_time=2
    ) as dlq:
        (dead,) = dlq.receive_messages(max_message_count=5, max_wait_time=2)
        assert b"".join(dead.body) == b"bad input"
        assert dead.message_id == "poison-1"
        assert dead.dead_letter_reason == "MaxDeliveryCountExceeded"
        dlq.complete_message(dead)


def test_the_lock_is_renewed_while_a_long_function_runs(
    sim: ServiceBusSimulator, client: ServiceBusClient, new_host: Callable[[], DevHost]
) -> None:
    new_host()
    assert queue_view(sim, "slow")["lock_duration"] == 2
    send(client, "slow", ServiceBusMessage(b"long job", application_properties={"sleep": 3.5}))
    eventually(lambda: servicebus_app.seen("slow"))
    eventually(lambda: settled_empty(sim, "slow"), timeout=15)
    time.sleep(0.5)
    # Without renewal the 2 s lock would expire mid-run and the message come back.
    assert [d["delivery_count"] for d in servicebus_app.seen("slow")] == [1]


def test_a_topic_subscription_trigger_receives_only_its_subscription(
    sim: ServiceBusSimulator, client: ServiceBusClient, new_host: Callable[[], DevHost]
) -> None:
    new_host()
    with client.get_topic_sender("events") as sender:
        sender.send_messages(ServiceBusMessage(b"user joined", message_id="evt-1"))
    (got,) = eventually(lambda: servicebus_app.seen("audit"))
    assert got["body"] == b"user joined"
    assert got["message_id"] == "evt-1"
    subscriptions = eventually(
        lambda: (
            (subs := sim.snapshot()["topics"]["events"]["subscriptions"])
            and not subs["audit"]["messages"]
            and subs
        )
    )
    # The other subscription is nobody's trigger: its copy is still there.
    assert [m["message_id"] for m in subscriptions["other"]["messages"]] == ["evt-1"]


def test_a_missing_connection_setting_leaves_the_function_idle_and_the_host_up(
    sim: ServiceBusSimulator,
    client: ServiceBusClient,
    new_host: Callable[[], DevHost],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="devhost"):
        host = new_host()
    warnings = [r.getMessage() for r in caplog.records if "orphan" in r.getMessage()]
    assert len(warnings) == 1
    assert servicebus_app.MISSING_CONNECTION in warnings[0]
    assert "idle" in warnings[0]
    assert http("GET", host.base_url + "/_devhost/stats").status == 200
    send(client, "orders", ServiceBusMessage(b"still served", message_id="o-1"))
    eventually(lambda: servicebus_app.seen("on_order"))
    assert servicebus_app.seen("orphan") == []


def test_stop_waits_for_an_invocation_that_finishes_within_the_grace(
    sim: ServiceBusSimulator, client: ServiceBusClient, new_host: Callable[[], DevHost]
) -> None:
    host = new_host()
    send(client, "slow", ServiceBusMessage(b"short job", application_properties={"sleep": 1}))
    eventually(lambda: servicebus_app.seen("slow"))
    started = time.monotonic()
    host.stop()
    assert time.monotonic() - started < 5
    # The invocation finished during stop() and its message was completed before closing.
    assert settled_empty(sim, "slow")


@pytest.fixture
def short_grace() -> Iterator[None]:
    register_trigger_kind("serviceBusTrigger", lambda: ServiceBusKind(stop_grace=0.3))
    yield
    unregister_trigger_kind("serviceBusTrigger")


@pytest.mark.usefixtures("short_grace")
def test_stop_with_a_message_in_flight_loses_nothing(
    sim: ServiceBusSimulator, client: ServiceBusClient, new_host: Callable[[], DevHost]
) -> None:
    host = new_host()
    send(client, "blocking", ServiceBusMessage(b"in flight", message_id="inflight-1"))
    eventually(lambda: servicebus_app.seen("blocking"))
    started = time.monotonic()
    host.stop()
    assert time.monotonic() - started < 3  # does not wait for the blocked function
    # Neither completed nor abandoned: still in the queue, waiting for its lock to expire.
    assert [m["message_id"] for m in queue_view(sim, "blocking")["messages"]] == ["inflight-1"]
    servicebus_app.RELEASE.set()  # the orphaned invocation now returns; nobody settles it
    time.sleep(0.2)
    assert len(queue_view(sim, "blocking")["messages"]) == 1

    new_host()
    eventually(lambda: len(servicebus_app.seen("blocking")) == 2)
    eventually(lambda: settled_empty(sim, "blocking"))
    deliveries = servicebus_app.seen("blocking")
    assert [d["message_id"] for d in deliveries] == ["inflight-1", "inflight-1"]
    assert [d["delivery_count"] for d in deliveries] == [1, 2]


def test_options_come_from_host_json_with_the_extension_defaults() -> None:
    assert ServiceBusOptions.from_host_json({}) == ServiceBusOptions(
        auto_complete_messages=True,
        max_concurrent_calls=16,
        max_auto_lock_renewal_duration=300.0,
        prefetch_count=0,
    )
    configured = ServiceBusOptions.from_host_json(
        {
            "extensions": {
                "serviceBus": {
                    "maxConcurrentCalls": 4,
                    "autoCompleteMessages": False,
                    "maxAutoLockRenewalDuration": "00:01:30",
                }
            }
        }
    )
    assert configured.max_concurrent_calls == 4
    assert configured.auto_complete_messages is False
    assert configured.max_auto_lock_renewal_duration == 90.0
    legacy = ServiceBusOptions.from_host_json(
        {"extensions": {"serviceBus": {"messageHandlerOptions": {"maxConcurrentCalls": 2}}}}
    )
    assert legacy.max_concurrent_calls == 2
    assert parse_timespan("1.00:00:01.5") == 86401.5


def test_connection_settings_are_resolved_like_the_functions_host() -> None:
    assert resolve_connection("SB", {}) is None
    plain = resolve_connection("SB", {"SB": "Endpoint=sb://x"})
    assert plain is not None and plain.connection_string == "Endpoint=sb://x"
    prefixed = resolve_connection("SB", {"AzureWebJobsSB": "Endpoint=sb://a", "SB": "b"})
    assert prefixed is not None and prefixed.setting == "AzureWebJobsSB"
    identity = resolve_connection(
        "SB", {"SB__fullyQualifiedNamespace": "ns.servicebus.windows.net", "SB__clientId": "id"}
    )
    assert identity is not None
    assert identity.connection_string is None
    assert (identity.namespace, identity.client_id) == ("ns.servicebus.windows.net", "id")
    default = resolve_connection(None, {"AzureWebJobsServiceBus": "Endpoint=sb://d"})
    assert default is not None and default.setting == "AzureWebJobsServiceBus"


def test_sessions_and_batches_are_refused_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(
        "DEVHOST_TEST_SB_UNUSED", "Endpoint=sb://127.0.0.1:1;UseDevelopmentEmulator=true"
    )
    host = SimpleNamespace(index=SimpleNamespace(host_json={}))

    def entry(name: str, **trigger: Any) -> Any:
        binding = SimpleNamespace(
            name="msg", queue_name="q", connection="DEVHOST_TEST_SB_UNUSED", **trigger
        )
        return SimpleNamespace(name=name, trigger=binding)

    kind = ServiceBusKind()
    with caplog.at_level(logging.WARNING, logger="devhost"):
        kind.start(
            host,
            [
                entry("sessions", is_sessions_enabled=True, cardinality=None),
                entry("batches", is_sessions_enabled=None, cardinality=Cardinality.MANY),
            ],
        )
    assert kind.listeners == []
    messages = [r.getMessage() for r in caplog.records]
    assert any("sessions" in m and "session-enabled" in m for m in messages)
    assert any("batches" in m and "cardinality 'many'" in m for m in messages)
    kind.stop()


class _OneCallReceiver:
    """A receiver stand-in that records what the listener asks for, then stops it."""

    def __init__(self, listener: Any) -> None:
        self.listener = listener
        self.asked: list[int] = []

    def receive_messages(self, max_message_count: int, max_wait_time: float) -> list[Any]:
        self.asked.append(max_message_count)
        self.listener.request_stop()
        return []


def test_the_listener_receives_one_message_per_call_so_a_lone_message_is_not_held() -> None:
    # With max_message_count > 1 the SDK keeps pulling for 0.2 s after the first message
    # (its _further_pull_receive_timeout), which delayed every lone request by ~200 ms.
    from devhost.servicebus_kind import _Listener

    trigger = SimpleNamespace(queue_name="orders", name="msg")
    entry = SimpleNamespace(name="f", trigger=trigger)
    options = ServiceBusOptions.from_host_json({})
    listener = _Listener(None, entry, None, options, stop_grace=0)  # type: ignore[arg-type]
    receiver = _OneCallReceiver(listener)
    listener._pump(receiver)  # type: ignore[arg-type]
    assert receiver.asked == [1]
