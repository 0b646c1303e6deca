"""Strict input (issue 19 item 3): whole-string patterns, strict JSON types, UTF-8 only, and no
control characters in anything that reaches an ARM URL, a header or a tag.

Each case goes through ``POST /api/onboardings`` (400 naming the field, nothing started) and
through ``parse_request`` where the case is about the contract itself.
"""

from __future__ import annotations

import codecs
import copy
import json
from typing import Any

import pytest

from shared.request import RequestInvalid, parse_request
from tests.unit.test_request_contract import SERVICE, SHARED_GW, SUBNET, VALID
from tests.unit.test_triggers import FakeClient, _post
from triggers.intake import decode


def _with(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    body = copy.deepcopy(base or VALID)
    *parents, last = path.split(".")
    node: Any = body
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return body


SHARED = _with("gateway", {"existingGatewayId": SHARED_GW, "network": {"mode": "none"}})
del SHARED["dns"]


def _refused(body: bytes | dict[str, Any]) -> list[str]:
    """POST the body: 400, nothing started; the fields named."""
    client = FakeClient()
    response = _post(client, body)
    assert response.status_code == 400, (response.status_code, response.get_body()[:300])
    assert client.started == []
    return [e["field"] for e in json.loads(response.get_body())["errors"]]


# -- patterns match the whole value -------------------------------------------------------------

NEWLINE_CASES = [
    ("ticketId", "CHG0012345\n", VALID),
    ("workspace.name", "ws-payments\n", VALID),
    ("gateway.name", "gw-nl\n", VALID),
    ("apimServiceId", SERVICE + "\n", VALID),
    ("gateway.network.subnetId", SUBNET + "\n", VALID),
    ("dns.resourceGroupId", VALID["dns"]["resourceGroupId"] + "\n", VALID),
    ("gateway.existingGatewayId", SHARED_GW + "\n", SHARED),
]


@pytest.mark.parametrize("path,value,base", NEWLINE_CASES, ids=[c[0] for c in NEWLINE_CASES])
def test_a_trailing_newline_is_refused_in_every_id_and_name(path, value, base):
    assert path in _refused(_with(path, value, base))


# -- strict JSON types ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, False, "2", "1", 2.0, 1.5, None, [1], {"n": 1}])
def test_capacity_must_be_a_json_integer(value):
    assert _refused(_with("gateway.capacity", value)) == ["gateway.capacity"]


@pytest.mark.parametrize(
    "path,value",
    [("team", 5), ("requestedBy", True), ("workspace.displayName", 1.0),
     ("workspace.description", ["APIs"]), ("access.0.principalId", 123),
     ("notify", {"replyTo": 7}), ("notify", {"emails": "a@b.example"})],
)  # fmt: skip
def test_strings_are_not_made_from_other_types(path, value):
    assert _refused(_with(path, value))


# -- UTF-8 only -----------------------------------------------------------------------------------

TEXT = json.dumps(VALID)


@pytest.mark.parametrize(
    "raw",
    [TEXT.encode("utf-16"), TEXT.encode("utf-16-le"), TEXT.encode("utf-16-be"),
     TEXT.encode("utf-32"), TEXT.encode("utf-32-le"), codecs.BOM_UTF8 + TEXT.encode()],
    ids=["utf16-bom", "utf16le", "utf16be", "utf32-bom", "utf32le", "utf8-bom"],
)  # fmt: skip
def test_only_utf8_without_a_byte_order_mark_is_read(raw):
    assert _refused(raw) == ["$"]
    with pytest.raises(RequestInvalid) as refused:
        decode(raw)
    assert "UTF-8" in refused.value.errors[0].message


def test_json_that_python_reads_but_json_does_not_allow_is_refused():
    for raw in (TEXT.replace('"capacity": 1', '"capacity": NaN'),
                TEXT.replace('"capacity": 1', '"capacity": Infinity')):  # fmt: skip
        assert _refused(raw.encode()) == ["$"]


def test_a_key_given_twice_is_refused_not_silently_last_wins():
    raw = TEXT.replace('"team": "payments"', '"team": "payments", "team": "fraud"')
    fields = _refused(raw.encode())
    assert fields == ["team"]


# -- control characters ---------------------------------------------------------------------------

CONTROL = ["\x00", "\x07", "\x1b", "\n", "\r", "\t", "\x7f", "\x85", "\u2028", "\u202e", "\ud800"]
NAMES_AND_IDS = [
    ("ticketId", "CHG{}12", VALID),
    ("workspace.name", "ws{}payments", VALID),
    ("gateway.name", "gw{}x", VALID),
    ("apimServiceId", SERVICE.replace("apim-contoso", "apim{}contoso"), VALID),
    ("gateway.network.subnetId", SUBNET.replace("snet-gw-a", "snet{}a"), VALID),
    ("gateway.existingGatewayId", SHARED_GW.replace("gw-shared", "gw{}shared"), SHARED),
    ("dns.resourceGroupId", VALID["dns"]["resourceGroupId"] + "{}x", VALID),
]
TEXTS = ["team", "requestedBy", "workspace.displayName", "notify.replyTo"]


@pytest.mark.parametrize("char", CONTROL, ids=[f"U+{ord(c):04X}" for c in CONTROL])
@pytest.mark.parametrize("path,template,base", NAMES_AND_IDS, ids=[n[0] for n in NAMES_AND_IDS])
def test_names_and_ids_never_carry_control_characters(path, template, base, char):
    assert path in _refused(_with(path, template.format(char), base))


@pytest.mark.parametrize("char", CONTROL, ids=[f"U+{ord(c):04X}" for c in CONTROL])
@pytest.mark.parametrize("path", TEXTS)
def test_single_line_text_never_carries_control_characters(path, char):
    body = _with("notify", {"replyTo": "ticketing"}) if path.startswith("notify") else VALID
    assert _refused(_with(path, f"pay{char}ments", body)) == [path]


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\ud800", "\u202e"])
def test_the_description_may_have_line_breaks_but_no_other_control_character(char):
    ok = parse_request(_with("workspace.description", "Payments APIs.\r\n\tOwned by team P."))
    assert ok.workspace.description.startswith("Payments")
    assert _refused(_with("workspace.description", f"APIs{char}")) == ["workspace.description"]


def test_a_refusal_names_the_code_point_and_never_echoes_the_character():
    client = FakeClient()
    response = _post(client, _with("team", "pay\x1b[31mments"))
    text = response.get_body().decode()
    assert "U+001B" in text and "\x1b" not in text and "\\u001b" not in text


@pytest.mark.parametrize("name", ["ws/payments", "ws\\payments", "ws%2Fpayments"])
def test_a_workspace_name_holds_nothing_that_changes_its_arm_url(name):
    assert _refused(_with("workspace.name", name)) == ["workspace.name"]


@pytest.mark.parametrize("segment", ["rg apim", "rg?x", "rg#x", "rg%20x", "rg\\x"])
def test_id_segments_hold_nothing_that_changes_an_arm_url(segment):
    assert _refused(_with("apimServiceId", SERVICE.replace("rg-apim", segment))) == [
        "apimServiceId"
    ]


@pytest.mark.parametrize("path", ["team", "requestedBy", "workspace.displayName"])
def test_required_text_is_not_blank(path):
    assert _refused(_with(path, "   ")) == [path]


def test_the_valid_requests_still_pass():
    assert parse_request(VALID).ticket_id == "CHG0012345"
    assert parse_request(SHARED).gateway.existing_gateway_id == SHARED_GW
    assert parse_request(_with("workspace.displayName", "Paiements — équipe ✓ 👩‍💻"))


# -- the same rules over Service Bus ------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,category",
    [(TEXT.encode("utf-16-le"), "notUtf8"), (TEXT.encode("utf-16"), "notUtf8"),
     (codecs.BOM_UTF8 + TEXT.encode(), "notUtf8"),
     (TEXT.replace('"capacity": 1', '"capacity": NaN').encode(), "notJson"),
     (TEXT.replace('"team": "payments"', '"team": "a", "team": "b"').encode(), "contract"),
     (json.dumps(_with("gateway.name", "gw-nl\n")).encode(), "contract"),
     (json.dumps(_with("gateway.capacity", "2")).encode(), "contract")],
    ids=["utf16le", "utf16-bom", "utf8-bom", "nan", "repeated-key", "newline", "string-number"],
)  # fmt: skip
def test_service_bus_rejects_the_same_bodies_once_with_the_right_category(raw, category):
    from tests.unit.test_servicebus_rejections import _deliver
    from triggers import servicebus

    published: list[dict[str, Any]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(servicebus, "publish_event", published.append)
        client = FakeClient()
        _deliver(raw, client)
    [event] = published
    assert event["kind"] == "rejected" and event["category"] == category, event["reason"]
    assert client.started == []


def test_a_requested_by_property_with_control_characters_is_not_recorded():
    import asyncio
    import inspect

    from azure.functions.servicebus import ServiceBusMessage

    from triggers import servicebus

    client = FakeClient()
    msg = ServiceBusMessage(body=json.dumps(VALID).encode(), message_id="m-1",
                            application_properties={"requestedBy": "mallory\r\nX-Admin: 1"},
                            user_properties={}, delivery_count=1, sequence_number=1)  # fmt: skip
    handler = inspect.unwrap(servicebus.onboarding_message._function._func)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(servicebus, "publish_event", lambda event: None)
        asyncio.run(handler(msg, client))
    [(_, _, saga_input)] = client.started
    assert saga_input["requestedBy"]["name"] == VALID["requestedBy"]
