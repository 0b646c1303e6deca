"""Operator event payloads: JSON text or decoded values, and the safe reading when unclear."""

from __future__ import annotations

import pytest

from shared.operator_events import (
    parse_approval,
    parse_private_ip,
    parse_stalled_decision,
    wait_event,
    wait_kind,
)


@pytest.mark.parametrize("payload", [{"approved": True}, '{"approved": true}', True, "true"])
def test_approval_is_read_from_any_shape(payload):
    assert parse_approval(payload).approved


@pytest.mark.parametrize(
    "payload", ['{"approved": false}', {"approved": "yes"}, "no", None, 1, '"approved"']
)
def test_anything_but_an_explicit_yes_is_a_refusal(payload):
    assert not parse_approval(payload).approved


def test_a_refusal_keeps_the_approvers_reason():
    decision = parse_approval({"approved": False, "by": "bob", "reason": "budget"})
    assert (decision.by, decision.reason) == ("bob", "budget")


@pytest.mark.parametrize(
    ("payload", "action"),
    [('{"action": "keepWaiting"}', "keepWaiting"), ("keepWaiting", "keepWaiting"),
     ({"action": "abort"}, "abort"), ({"action": "wait"}, "abort"), (None, "abort")],
)  # fmt: skip
def test_stalled_decision_keeps_waiting_only_when_told_so(payload, action):
    assert parse_stalled_decision(payload) == action


@pytest.mark.parametrize("payload", ['{"ip": "10.20.1.4"}', "10.20.1.4", {"ip": " 10.20.1.4 "}])
def test_private_ip_is_read_from_any_shape(payload):
    assert parse_private_ip(payload).ip == "10.20.1.4"


@pytest.mark.parametrize("payload", ["8.8.8.8", "10.0.0", "127.0.0.1", {"ip": None}, "fe80::1"])
def test_a_public_or_malformed_ip_is_refused_with_a_reason(payload):
    supplied = parse_private_ip(payload)
    assert supplied.ip is None and supplied.problem


@pytest.mark.parametrize("ip", ["10.20.2.4", "10.20.2.254", "10.30.0.100"])
def test_a_usable_address_of_the_gateway_subnet_is_accepted(ip):
    assert parse_private_ip({"ip": ip}, ["10.20.2.0/24", "10.30.0.0/25"]).ip == ip


def test_an_address_outside_the_gateway_subnet_is_refused_naming_the_subnet():
    supplied = parse_private_ip({"ip": "10.99.0.4"}, ["10.20.2.0/24"])
    assert supplied.ip is None
    assert "not in the gateway subnet" in supplied.problem and "10.20.2.0/24" in supplied.problem


@pytest.mark.parametrize("ip", ["10.20.2.0", "10.20.2.1", "10.20.2.2", "10.20.2.3", "10.20.2.255"])
def test_the_five_addresses_azure_reserves_are_refused(ip):
    supplied = parse_private_ip(ip, ["10.20.2.0/24"])
    assert supplied.ip is None and "reserved by Azure" in supplied.problem


def test_each_wait_has_its_own_event_name_and_a_readable_kind():
    assert wait_event("private_ip", 2) == "private_ip-2"
    assert wait_kind("private_ip-2") == "private_ip"
    assert wait_kind("stalled_decision") == "stalled_decision"
    assert wait_event("approval", 1) != wait_event("approval", 2)
