"""The trigger-kind registry: how a Service Bus receiver (or any other trigger) plugs in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions.servicebus import ServiceBusMessage

from devhost import DevHost, register_trigger_kind
from devhost.app_index import FunctionEntry
from devhost.trigger_kinds import unregister_trigger_kind
from tests.devhost.conftest import APP, REPO

pytestmark = pytest.mark.timeout(60)


class FakeServiceBusKind:
    """Delivers one message to each serviceBusTrigger function when started."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, host: Any, functions: list[FunctionEntry]) -> None:
        for entry in functions:
            self.started.append(entry.trigger.queue_name)
            message = ServiceBusMessage(
                body=b"{}", message_id="sb-msg-1", application_properties={}, user_properties={}
            )
            host.invoke(entry, {entry.trigger.name: message})

    def stop(self) -> None:
        self.started.clear()


@pytest.fixture
def kind() -> Iterator[FakeServiceBusKind]:
    created = FakeServiceBusKind()
    register_trigger_kind("serviceBusTrigger", lambda: created)
    yield created
    unregister_trigger_kind("serviceBusTrigger")


def test_registered_kind_invokes_its_functions_with_the_durable_client(
    kind: FakeServiceBusKind, tmp_path: Path
) -> None:
    with DevHost(APP, app_dir=REPO, db=tmp_path / "sb.sqlite", clock="virtual") as host:
        assert kind.started == ["jobs"]
        # The listener used the injected durable client to start an orchestration.
        assert host.wait_for("sb-msg-1")["output"][0] == "Hello Tokyo"


def test_built_in_kinds_cannot_be_replaced() -> None:
    with pytest.raises(ValueError):
        register_trigger_kind("httpTrigger", lambda: FakeServiceBusKind())
    assert isinstance(func.AuthLevel.ANONYMOUS, func.AuthLevel)
