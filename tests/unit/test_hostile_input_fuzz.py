"""Property-based: hostile input over the HTTP API and the Service Bus trigger (issue 19).

A valid request is spoiled in the ways a hurried integrator or an attacker would: control,
bidirectional and separator characters put into any text, values of the wrong JSON type,
another text encoding, and sizes around the 64 KiB limit. The oracle does not ask the contract
code: it knows what it spoiled. Whatever comes in, HTTP answers 200/202/400/403/413 and never
5xx; no run starts from a spoiled request; over Service Bus every message either starts a run
(clean ones only) or becomes exactly one ``rejected`` event whose wire size fits the topic.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest
from azure.functions.servicebus import ServiceBusMessage
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.unit.principals import principal_headers
from tests.unit.test_function_app import _INDEXED  # noqa: F401 - index once per process
from tests.unit.test_rejected_event_bounds import _wire_size
from tests.unit.test_request_contract import VALID
from tests.unit.test_triggers import FakeClient, _user_function
from triggers import servicebus
from triggers.intake import MAX_BODY_BYTES

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])  # fmt: skip

# Paths of every string in VALID, and which may hold line breaks.
TEXT_PATHS = [
    ("ticketId",), ("team",), ("requestedBy",), ("apimServiceId",), ("workspace", "name"),
    ("workspace", "displayName"), ("workspace", "description"), ("gateway", "name"),
    ("gateway", "network", "subnetId"), ("dns", "resourceGroupId"),
    ("access", 0, "principalId"), ("access", 0, "role"),
]  # fmt: skip
TYPED_PATHS = [*TEXT_PATHS, ("gateway", "capacity"), ("gateway", "network", "mode"),
               ("access", 0, "scope"), ("access", 0, "principalType")]  # fmt: skip
HOSTILE_CHARS = st.sampled_from(
    ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\u2028", "\u2029", "\u202e",
     "\u2066", "\u200f", "\ud800", "\udfff"]
) | st.characters(categories=["Cc"])  # fmt: skip
WRONG_TYPES = st.sampled_from([True, False, None, 0, 1, 2, -1, 1.5, 2.0, "2", "true", [], {},
                               ["x"], {"a": 1}])  # fmt: skip
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-8-sig"]


def _set(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _get(body: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = body
    for key in path:
        node = node[key]
    return node


@st.composite
def spoiled(draw: st.DrawFn) -> tuple[bytes, bool]:
    """(body, clean): a request with zero or more spoilings; clean means none applied."""
    body = copy.deepcopy(VALID)
    spoilt: set[tuple[Any, ...]] = set()  # paths whose value is spoilt now
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["char", "type", "line-break-in-description"]))
        if how == "char":
            path = draw(st.sampled_from(TEXT_PATHS))
            text = str(_get(body, path))
            at = draw(st.integers(0, len(text)))
            _set(body, path, text[:at] + draw(HOSTILE_CHARS) + text[at:])
            spoilt.add(path)
        elif how == "type":
            path = draw(st.sampled_from(TYPED_PATHS))
            value = draw(WRONG_TYPES)
            if type(value) is type(_get(VALID, path)):
                continue  # "2" for a ticket id is a value, not a wrong type
            _set(body, path, value)
            spoilt.add(path)
        else:  # allowed: a description may hold line breaks (and this replaces what it held)
            _set(body, ("workspace", "description"),
                 "APIs" + draw(st.sampled_from(["\n", "\r\n", "\t"])) + "of team P")  # fmt: skip
            spoilt.discard(("workspace", "description"))
    clean = not spoilt
    text = json.dumps(body, ensure_ascii=draw(st.booleans()))
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ENCODINGS))
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:  # a lone surrogate only survives as a JSON escape
        raw, encoding = json.dumps(body).encode(), "utf-8"
    if encoding != "utf-8":
        clean = False
    pad = draw(st.sampled_from([0, 0, 0, MAX_BODY_BYTES - len(raw), MAX_BODY_BYTES - len(raw) + 1,
                                MAX_BODY_BYTES - len(raw) + 1000]))  # fmt: skip
    if pad > 0 and encoding == "utf-8":
        raw = raw[:-1] + b" " * pad + b"}"  # JSON whitespace: still the same request
    event(f"clean={clean} encoding={encoding} size={'over' if len(raw) > MAX_BODY_BYTES else 'ok'}")
    return raw, clean


@pytest.fixture(scope="module", autouse=True)
def _open_policy() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("AUTH_MODE", raising=False)
        for name in ("POLICY_ALLOWED_APIM_SERVICES", "POLICY_ALLOWED_SUBNETS",
                     "POLICY_ALLOWED_DNS_RESOURCE_GROUPS", "POLICY_MAX_GATEWAY_UNITS",
                     "POLICY_WORKSPACE_NAME_PATTERN"):  # fmt: skip
            mp.delenv(name, raising=False)
        yield


@FUZZ
@given(case=spoiled())
def test_http_never_answers_5xx_and_never_starts_a_spoiled_request(case):
    raw, clean = case
    client = FakeClient()
    req = func.HttpRequest("POST", "http://127.0.0.1:7071/api/onboardings", body=raw,
                           headers=principal_headers())  # fmt: skip
    response = asyncio.run(_user_function("start_onboarding")(req, client))
    status = response.status_code
    assert status in (200, 202, 400, 403, 413), status
    if len(raw) > MAX_BODY_BYTES:
        assert status == 413
    if not clean or len(raw) > MAX_BODY_BYTES:
        assert client.started == [], (status, raw[:200])
    elif status != 403:
        assert status == 202 and len(client.started) == 1
    if status >= 400:
        body = json.loads(response.get_body())
        assert response.mimetype == "application/problem+json" and body["status"] == status


@FUZZ
@given(case=spoiled())
def test_service_bus_starts_clean_requests_and_rejects_the_rest_once_within_the_limit(case):
    raw, clean = case
    published: list[dict[str, Any]] = []
    client = FakeClient()
    msg = ServiceBusMessage(body=raw, message_id="fuzz", application_properties={},
                            user_properties={}, delivery_count=1, sequence_number=1)  # fmt: skip
    handler = inspect.unwrap(servicebus.onboarding_message._function._func)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(servicebus, "publish_event", published.append)
        asyncio.run(handler(msg, client))  # never raises: an invalid message is not retried
    if client.started:
        assert clean and len(raw) <= MAX_BODY_BYTES and published == []
    else:
        [rejected] = published
        assert rejected["kind"] == "rejected"
        assert _wire_size(rejected) <= servicebus.MAX_EVENT_BYTES
        assert not clean or len(raw) > MAX_BODY_BYTES or rejected["category"] == "policy"
