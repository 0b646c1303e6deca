"""Pure parts of the simulator, tested alone: ids, clock, timings, fault rules, routing."""

from __future__ import annotations

import datetime as dt

import pytest

from simulator.clock import VIRTUAL_EPOCH, Clock, iso
from simulator.errors import ArmError
from simulator.faults import FaultBook, parse_rule
from simulator.ids import key, parse, region_key, same
from simulator.router import Router
from simulator.settings import Timings

SUBNET = (
    "/subscriptions/s1/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v1/subnets/a"
)


def test_parse_subnet_id_gives_type_name_and_parent():
    rid = parse(SUBNET)
    assert rid.full_type == "Microsoft.Network/virtualNetworks/subnets"
    assert rid.name == "a"
    assert str(rid.parent()).endswith("/virtualNetworks/v1")
    assert str(rid) == SUBNET


def test_parse_refuses_a_non_arm_id_with_a_reason():
    with pytest.raises(ValueError, match="must start /subscriptions/"):
        parse("/resourceGroups/rg")
    with pytest.raises(ValueError, match="well-formed"):
        parse("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks")


def test_ids_compare_without_case():
    assert same(SUBNET, SUBNET.upper())
    assert key(SUBNET + "/") == key(SUBNET)


def test_regions_compare_without_case_and_spaces():
    assert region_key("West Europe") == region_key("westeurope")


def test_virtual_clock_moves_only_when_told():
    clock = Clock("virtual")
    assert clock.now() == VIRTUAL_EPOCH
    clock.advance(dt.timedelta(hours=3))
    assert clock.now() == VIRTUAL_EPOCH + dt.timedelta(hours=3)
    with pytest.raises(ValueError):
        clock.advance(dt.timedelta(seconds=-1))
    with pytest.raises(ValueError):
        clock.set(VIRTUAL_EPOCH)


def test_real_clock_advance_adds_an_offset():
    clock = Clock("real")
    before = dt.datetime.now(dt.UTC)
    clock.advance(dt.timedelta(hours=2))
    assert clock.now() - before >= dt.timedelta(hours=2)


def test_iso_has_seven_fraction_digits_and_z():
    assert iso(VIRTUAL_EPOCH) == "2026-01-01T08:00:00.0000000Z"


def test_timings_refuse_wrong_types_without_applying_any():
    timings = Timings()
    with pytest.raises(ArmError):
        timings.update({"gatewayBuildMinutes": 10, "gatewayExposesPrivateIp": "yes"})
    assert timings.gateway_build_minutes == 180


def test_timings_accept_null_retry_after():
    timings = Timings()
    timings.update({"pollRetryAfterSeconds": 3})
    timings.update({"pollRetryAfterSeconds": None})
    assert timings.poll_retry_after_seconds is None


def test_fault_rule_default_count_is_one():
    book = FaultBook()
    book.add({"path": "*/subnets/*", "status": 503})
    assert book.check("GET", "/x/subnets/a") is not None
    assert book.check("GET", "/x/subnets/a") is None


def test_fault_rule_rejects_count_and_probability_together():
    with pytest.raises(ArmError, match="not both"):
        parse_rule({"path": "*", "count": 1, "probability": 0.5})


def test_router_matches_any_scope_and_ignores_case():
    router = Router()
    router.add("GET", "{scope*}/providers/Microsoft.Authorization/roleAssignments/{name}", _noop)
    found = router.match("GET", SUBNET + "/providers/microsoft.authorization/roleassignments/abc")
    assert found is not None
    assert found[1] == {"scope": SUBNET, "name": "abc"}
    assert router.match("PUT", SUBNET) is None


def _noop(sim, req):  # pragma: no cover - never called
    raise AssertionError
