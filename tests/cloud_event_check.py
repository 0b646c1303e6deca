"""Reading the app's events in tests as a consumer would: each Service Bus message on
``onboarding-events`` is one CloudEvents 1.0 JSON object that must match the JSON Schema of its
kind in docs/events/ (issue 14, item 4); the tests then look at its ``data``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

EVENTS = Path(__file__).resolve().parents[1] / "docs" / "events"


@cache
def _validator(kind: str) -> Any:
    schema = json.loads((EVENTS / f"{kind}.schema.json").read_text())
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def check_cloud_event(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` validated against its kind's schema; its ``data``."""
    kind = str(event["type"]).rsplit(".", 1)[-1]
    _validator(kind).validate(event)
    assert event["data"]["kind"] == kind
    return dict(event["data"])


def event_data(message: Any) -> dict[str, Any]:
    """A received message's event, after checking it is the CloudEvent the docs promise."""
    raw = message.body if isinstance(message.body, bytes) else b"".join(message.body)
    event = json.loads(raw)
    data = check_cloud_event(event)
    assert str(message.content_type).startswith("application/cloudevents+json")
    assert str(message.message_id) == event["id"]
    assert message.correlation_id == event.get("subject")  # the ticket
    assert message.subject == data["kind"]
    return data
