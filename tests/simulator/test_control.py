"""The /_sim/ control API: reset, seed, state, faults, clock, timings and the request log."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.simulator.conftest import NET_RG, SUB, VNET, VNET_ID, subnet_id

SUBNET_PATH = subnet_id("snet-gw-a") + "?api-version=2026-03-01"


def test_state_lists_resources_in_arm_form_and_the_directory(sim):
    state = sim.state()
    subnet = sim.resource(subnet_id("snet-gw-a"))
    assert subnet is not None
    assert subnet["type"] == "Microsoft.Network/virtualNetworks/subnets"
    assert subnet["properties"]["addressPrefix"] == "10.20.1.0/24"
    vnet = sim.resource(VNET_ID)
    assert vnet["location"] == "westeurope"
    assert state["clock"]["mode"] == "virtual"
    assert "principals" in state["directory"]


def test_reset_restores_the_default_seed(sim, network):
    network.subnets.begin_delete(NET_RG, VNET, "snet-gw-a").result()
    assert sim.resource(subnet_id("snet-gw-a")) is None
    sim.call("POST", "/_sim/reset")
    assert sim.resource(subnet_id("snet-gw-a")) is not None


def test_reset_without_seed_empties_everything(sim, network):
    sim.call("POST", "/_sim/reset", {"seed": False})
    assert sim.state()["resources"] == []
    with pytest.raises(HttpResponseError) as err:
        network.subnets.get(NET_RG, VNET, "snet-gw-a")
    assert err.value.error.code == "SubscriptionNotFound"


def test_seed_adds_a_vnet_the_sdk_can_read(sim, network):
    added = sim.call(
        "POST",
        "/_sim/seed",
        {
            "resources": [
                {
                    "id": f"/subscriptions/{SUB}/resourceGroups/{NET_RG}/providers/Microsoft.Network/virtualNetworks/vnet-extra",
                    "location": "westeurope",
                    "properties": {
                        "addressSpace": {"addressPrefixes": ["10.50.0.0/16"]},
                        "subnets": [
                            {"name": "s1", "properties": {"addressPrefix": "10.50.1.0/24"}}
                        ],
                    },
                }
            ]
        },
    )
    assert added["added"]["resources"] == 1
    assert network.subnets.get(NET_RG, "vnet-extra", "s1").address_prefix == "10.50.1.0/24"


def test_seed_with_unknown_field_is_refused_by_name(sim):
    status, _, body = sim.raw("POST", "/_sim/seed", {"resorces": []})
    assert status == 400
    assert "resorces" in body["error"]["message"]


def test_deterministic_fault_fails_next_n_calls_then_clears(sim, network):
    rule = sim.fault(
        method="GET",
        path="*/subnets/snet-gw-a",
        status=429,
        code="SubscriptionRequestsThrottled",
        retryAfter=7,
        count=2,
    )["rules"][0]
    for _ in range(2):
        with pytest.raises(HttpResponseError) as err:
            network.subnets.get(NET_RG, VNET, "snet-gw-a")
        assert err.value.status_code == 429
        assert err.value.error.code == "SubscriptionRequestsThrottled"
        assert err.value.response.headers["Retry-After"] == "7"
    assert network.subnets.get(NET_RG, VNET, "snet-gw-a").name == "snet-gw-a"
    listed = sim.call("GET", "/_sim/faults")["rules"]
    assert [(r["id"], r["hits"], r["count"]) for r in listed] == [(rule["id"], 2, 0)]


def test_fault_does_not_change_state(sim, network):
    sim.fault(method="DELETE", path="*/subnets/*", status=500, code="InternalServerError")
    with pytest.raises(HttpResponseError):
        network.subnets.begin_delete(NET_RG, VNET, "snet-gw-a")
    assert sim.resource(subnet_id("snet-gw-a")) is not None


def test_regex_fault_matches_only_its_method(sim, network):
    sim.fault(
        method="PUT", path="^.*/subnets/[^/]+$", status=409, code="AnotherOperationInProgress"
    )
    assert network.subnets.get(NET_RG, VNET, "snet-gw-a").name == "snet-gw-a"


def test_probability_fault_is_repeatable_for_a_seed(sim, network):
    def outcomes() -> list[bool]:
        sim.call("DELETE", "/_sim/faults")
        sim.fault(path="*/subnets/snet-gw-a", status=503, probability=0.5, seed=42)
        results = []
        for _ in range(12):
            try:
                network.subnets.get(NET_RG, VNET, "snet-gw-a")
                results.append(True)
            except HttpResponseError:
                results.append(False)
        return results

    first = outcomes()
    assert first == outcomes()
    assert True in first and False in first


def test_invalid_fault_rule_names_every_problem(sim):
    status, _, body = sim.raw("POST", "/_sim/faults", {"status": 200, "count": 0, "probability": 2})
    assert status == 400
    message = body["error"]["message"]
    for word in ("'path'", "'status'", "'count'", "'probability'"):
        assert word in message


def test_deleting_a_fault_rule_by_id(sim, network):
    rule = sim.fault(path="*", status=500)["rules"][0]
    status, _, _ = sim.raw("DELETE", f"/_sim/faults/{rule['id']}")
    assert status == 204
    assert network.subnets.get(NET_RG, VNET, "snet-gw-a").name == "snet-gw-a"


def test_clock_advances_by_hours_and_minutes(sim):
    before = sim.call("GET", "/_sim/clock")
    after = sim.advance(hours=3, minutes=30)
    assert before["mode"] == after["mode"] == "virtual"
    assert before["now"].startswith("2026-01-01T08:00:00")
    assert after["now"].startswith("2026-01-01T11:30:00")


def test_clock_refuses_to_go_backwards(sim):
    status, _, body = sim.raw("POST", "/_sim/clock/advance", {"hours": -1})
    assert status == 400
    assert body["error"]["code"] == "InvalidClockAdvance"


def test_request_log_counts_arm_calls_not_control_calls(sim, network):
    network.subnets.get(NET_RG, VNET, "snet-gw-a")
    with pytest.raises(ResourceNotFoundError):
        network.subnets.get(NET_RG, VNET, "nope")
    log = sim.requests()
    assert [(r["method"], r["status"]) for r in log] == [("GET", 200), ("GET", 404)]
    assert log[0]["path"] == subnet_id("snet-gw-a")


def test_timings_update_and_refuse_unknown_names(sim):
    assert sim.timings(gatewayBuildMinutes=30)["gatewayBuildMinutes"] == 30
    status, _, body = sim.raw("POST", "/_sim/timings", {"gatewayBuildMinute": 30})
    assert status == 400
    assert "gatewayBuildMinutes" in body["error"]["message"]


def test_unknown_control_call_is_404_with_a_pointer(sim):
    status, _, body = sim.raw("GET", "/_sim/nothing")
    assert status == 404
    assert "README" in body["error"]["message"]


def test_a_reset_fault_drops_the_connection_without_an_answer(sim, network):
    from azure.core.exceptions import ServiceResponseError

    sim.fault(method="GET", path="*/subnets/snet-gw-a", reset=True, count=1)
    with pytest.raises(ServiceResponseError):
        network.subnets.get(NET_RG, VNET, "snet-gw-a")
    assert network.subnets.get(NET_RG, VNET, "snet-gw-a").name == "snet-gw-a"  # spent
    dropped = [r for r in sim.call("GET", "/_sim/requests") if r["status"] == 0]
    assert [r["method"] for r in dropped] == ["GET"]


def test_reset_must_be_a_boolean(sim):
    with pytest.raises(Exception, match="400"):
        sim.fault(method="GET", path="*", reset="yes")
