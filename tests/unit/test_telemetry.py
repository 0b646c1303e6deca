"""One run's telemetry joins by ticket: every log record and span of the run, from the trigger,
the orchestrator (not while replaying) and the activities, carries ticketId, instanceId and step,
and those reach Application Insights as custom dimensions (the Azure Monitor exporter's own
conversion of the records is applied to what an in-memory exporter captured)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
from azure.monitor.opentelemetry.exporter.export.logs._exporter import _convert_log_to_envelope
from azure.monitor.opentelemetry.exporter.export.trace._exporter import _convert_span_to_envelope
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from activities import functions
from shared import run_log, telemetry
from shared.activity_table import ACTIVITIES
from triggers import run_start

FIELDS = ("ticketId", "instanceId", "step")


class Exported:
    def __init__(self) -> None:
        self.logs = InMemoryLogRecordExporter()
        self.spans = InMemorySpanExporter()

    def dimensions(self) -> list[dict[str, Any]]:
        """customDimensions of every exported item, as Application Insights would store them."""
        items = [_convert_log_to_envelope(r) for r in self.logs.get_finished_logs()]
        items += [_convert_span_to_envelope(s) for s in self.spans.get_finished_spans()]
        return [_properties(item) for item in items]


def _properties(item: Any) -> dict[str, Any]:
    """The telemetry item's properties: what Application Insights shows as customDimensions."""
    return dict(item.data.base_data.properties or {})


@pytest.fixture
def exported(monkeypatch: pytest.MonkeyPatch) -> Iterator[Exported]:
    out = Exported()
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(out.logs))
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(telemetry.RunContextSpanProcessor())
    tracer_provider.add_span_processor(SimpleSpanProcessor(out.spans))
    monkeypatch.setattr(telemetry, "tracer_provider", tracer_provider)
    logger = logging.getLogger(telemetry.LOGGER_NAME)
    handler = LoggingHandler(level=logging.INFO, logger_provider=logger_provider)
    logger.addHandler(handler)
    telemetry.add_run_filter(logger)  # what configure() does to the distro's handler
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class FakeClient:
    """The Durable client start_or_find talks to: no run yet, start accepted."""

    async def get_status(self, instance_id: str) -> Any:
        return None

    async def start_new(self, name: str, instance_id: str, client_input: Any) -> str:
        return instance_id


def _trigger(ticket: str, instance: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_index(*_a: Any, **_k: Any) -> None:
        return None

    monkeypatch.setattr(run_start, "record_new_run", no_index)

    async def http_start() -> None:  # one trigger invocation (its own task, like the worker's)
        await run_start.start_or_find(
            FakeClient(),
            instance,
            lambda: {},
            {"ticketId": ticket},
            "admin",
        )
        logging.getLogger("onboarding.http").info("accepted %s", instance)

    asyncio.run(http_start())


def _orchestrator(ticket: str, instance: str) -> None:
    ctx = SimpleNamespace(instance_id=instance, is_replaying=False)
    run_log.milestone(ctx, ticket, "onboarding started", mode="injection")
    run_log.milestone(ctx, ticket, "step done", step="workspace")
    replaying = SimpleNamespace(instance_id=instance, is_replaying=True)
    run_log.milestone(replaying, ticket, "step done", step="replayed-must-not-appear")


def _activity(ticket: str, instance: str, monkeypatch: pytest.MonkeyPatch) -> None:
    row = ACTIVITIES["create_workspace"]

    def fake_create(inp: Any) -> dict[str, Any]:
        logging.getLogger("onboarding.activities.apim").info("workspace PUT accepted")
        tracer = telemetry.trace.get_tracer("azure-sdk", tracer_provider=telemetry.tracer_provider)
        with tracer.start_as_current_span("PUT workspaces"):  # an Azure SDK dependency span
            pass
        return {"ok": True}

    monkeypatch.setitem(functions.IMPLEMENTATIONS, row.name, fake_create)
    permissive = dataclasses.replace(row, input=cast(Any, SimpleNamespace(model_validate=dict)))
    payload = {"instanceId": instance, "ticketId": ticket, "name": "ws"}
    functions.invoke(permissive, json.dumps(payload))


def _run(ticket: str, instance: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _trigger(ticket, instance, monkeypatch)
    _orchestrator(ticket, instance)
    _activity(ticket, instance, monkeypatch)


def test_every_record_and_span_of_a_run_carries_ticket_instance_and_step(
    exported: Exported, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run("CHG-7001", "onboard-chg-7001", monkeypatch)
    dims = exported.dimensions()
    # trigger log, 2 milestones (not the replayed one), 2 activity logs, activity and SDK spans
    assert len(dims) == 7
    for item in dims:
        missing = [f for f in FIELDS if not item.get(f)]
        assert not missing, f"{item} lacks {missing}"
        assert item["ticketId"] == "CHG-7001" and item["instanceId"] == "onboard-chg-7001"
    steps = {item["step"] for item in dims}
    assert steps == {"intake", "run", "workspace"}
    assert "replayed-must-not-appear" not in steps


def test_two_runs_join_by_ticket_without_mixing(
    exported: Exported, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run("CHG-7001", "onboard-chg-7001", monkeypatch)
    _run("CHG-7002", "onboard-chg-7002", monkeypatch)
    by_ticket: dict[str, set[str]] = {}
    for item in exported.dimensions():
        by_ticket.setdefault(item["ticketId"], set()).add(item["instanceId"])
    assert by_ticket == {"CHG-7001": {"onboard-chg-7001"}, "CHG-7002": {"onboard-chg-7002"}}


def test_fields_do_not_leak_past_an_activity_or_overwrite_explicit_extras(
    exported: Exported, monkeypatch: pytest.MonkeyPatch
) -> None:
    _activity("CHG-7001", "onboard-chg-7001", monkeypatch)
    assert telemetry.current() == telemetry.RunFields()
    logging.getLogger("onboarding.other").info("outside any run")
    with telemetry.run_scope("scope", "CHG-1", "onboard-chg-1", "dns"):
        logging.getLogger("onboarding.x").info("explicit", extra={"step": "network"})
    outside, explicit = _last_two_logs(exported)
    assert not any(outside.get(f) for f in FIELDS)
    assert explicit["step"] == "network" and explicit["ticketId"] == "CHG-1"


def _last_two_logs(exported: Exported) -> tuple[dict[str, Any], dict[str, Any]]:
    logs = [_properties(_convert_log_to_envelope(r)) for r in exported.logs.get_finished_logs()]
    return logs[-2], logs[-1]


def test_run_ids_are_found_at_the_top_or_one_level_down() -> None:
    assert telemetry.run_ids({"ticketId": "T", "instanceId": "I"}) == ("T", "I")
    assert telemetry.run_ids({"event": {"ticketId": "T", "instanceId": "I"}}) == ("T", "I")
    assert telemetry.run_ids({"subnetId": "x"}) == (None, None)
    assert telemetry.run_ids("not a dict") == (None, None)


def test_configure_is_a_no_op_without_a_connection_string() -> None:
    assert telemetry.configure({}) is False
