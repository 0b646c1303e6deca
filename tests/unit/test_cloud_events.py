"""Events as CloudEvents 1.0 (issue 14, item 4): every kind has a JSON Schema in docs/events/
that its envelope matches, ids are stable for the same milestone and distinct otherwise, and the
Service Bus message keeps CorrelationId = ticket."""

from __future__ import annotations

import json
from typing import Any

import pytest

from activities.notifications import event_message
from shared import cloud_events
from shared.saga_models import StatusEvent
from tests.cloud_event_check import check_cloud_event

AT = "2026-11-23T09:31:02.250000+00:00"


def _milestones() -> list[dict[str, Any]]:
    base = {"ticketId": "CHG-1002", "instanceId": "onboard-chg-1002", "at": AT}
    return [
        StatusEvent(kind="accepted", **base).payload(),
        StatusEvent(kind="stepDone", step="gateway", created=["/x"], **base).payload(),
        StatusEvent(
            kind="waitingOnOperator",
            step="approval",
            waiting_for="approval",
            event="approval-1",
            until=AT,
            asks={"approval": {"team": "t"}},
            **base,
        ).payload(),
        StatusEvent(kind="succeeded", hostname="gw.example", outcome="Succeeded", **base).payload(),
        StatusEvent(kind="failed", step="access", error="AuthorizationFailed: x", **base).payload(),
        StatusEvent(kind="compensated", leftovers=[], outcome="Compensated", **base).payload(),
        StatusEvent(
            kind="compensationFailed", leftovers=["/y"], outcome="CompensationFailed", **base
        ).payload(),
    ]


def _envelope(message: Any) -> dict[str, Any]:
    raw = message.body if isinstance(message.body, bytes) else b"".join(message.body)
    return dict(json.loads(raw))


@pytest.mark.parametrize("event", _milestones(), ids=lambda e: e["kind"])
def test_each_milestone_is_a_cloud_event_of_its_kinds_schema(event: dict[str, Any]) -> None:
    message = event_message(event)
    ce = _envelope(message)
    assert check_cloud_event(ce) == event
    assert ce["type"] == f"apim-workspace-onboarding.{event['kind']}"
    assert ce["source"] == "/onboardings/onboard-chg-1002" and ce["subject"] == "CHG-1002"
    assert ce["time"] == AT and ce["dataschema"].endswith(event["kind"])
    assert message.correlation_id == "CHG-1002" and message.message_id == ce["id"]
    assert message.content_type == "application/cloudevents+json; charset=utf-8"


def test_ids_are_stable_for_a_milestone_and_distinct_between_milestones() -> None:
    events = _milestones()
    again = [event_message(e).message_id for e in _milestones()]
    assert [event_message(e).message_id for e in events] == again
    assert len(set(again)) == len(again)
    later = {**events[1], "at": "2026-11-23T09:40:00+00:00"}
    other_step = {**events[1], "step": "access"}
    other_run = {**events[1], "instanceId": "onboard-chg-1003"}
    ids = {cloud_events.event_id(e) for e in (events[1], later, other_step, other_run)}
    assert len(ids) == 4


def test_a_rejection_without_a_ticket_has_no_subject_and_the_queue_as_source() -> None:
    event = {"kind": "rejected", "at": AT, "messageId": "m-1", "sequenceNumber": 7,
             "deliveryCount": 1, "enqueuedTimeUtc": AT, "category": "notJson",
             "reason": "not JSON", "errors": [{"field": "$", "message": "x"}], "errorCount": 1,
             "errorsTruncated": False, "body": "nope", "bodyEncoding": "utf-8", "bodySize": 4,
             "bodySha256": "0" * 64, "bodyTruncated": False}  # fmt: skip
    ce = _envelope(event_message(event))
    assert check_cloud_event(ce) == event
    assert "subject" not in ce and ce["source"] == cloud_events.QUEUE_SOURCE
    assert event_message(event).correlation_id is None
    redelivered = {**event, "deliveryCount": 2, "at": "2026-11-23T10:00:00+00:00"}
    assert cloud_events.event_id(redelivered) == ce["id"]  # the same queue message


def test_a_schema_refuses_an_event_of_another_kind() -> None:
    ce = _envelope(event_message(_milestones()[0]))
    ce["type"] = "apim-workspace-onboarding.succeeded"
    with pytest.raises(Exception):  # noqa: B017 - jsonschema_rs.ValidationError
        check_cloud_event(ce)


def test_the_schema_base_setting_moves_dataschema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_SCHEMA_BASE", "https://docs.example/events/")
    ce = _envelope(event_message(_milestones()[0]))
    assert ce["dataschema"] == "https://docs.example/events/accepted.schema.json"
