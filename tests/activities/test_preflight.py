"""Preflight against the default seed: each check passes where it should and fails by name."""

from __future__ import annotations

import pytest

from activities.preflight import run_preflight
from shared.preflight import PreflightInput
from tests.simulator.conftest import APIM_ID, OTHER_SUB, subnet_id

GW_RG = APIM_ID.split("/service/")[0]


def _inp(**kw) -> PreflightInput:
    base = {
        "apim_service_id": APIM_ID,
        "mode": "injection",
        "subnet_id": subnet_id("snet-gw-a"),
        "workspace_name": "ws-payments",
        "gateway_id": GW_RG + "/gateways/gw-payments",
        "instance_id": "onboard-chg1",
    }
    return PreflightInput(**{**base, **kw})


def _failed(result) -> set[str]:
    return {f.check for f in result.findings if not f.ok}


def test_clean_subnet_passes_every_check(sim, factory):
    result = run_preflight(_inp(), factory)
    assert result.passed, result.findings
    assert {f.check for f in result.findings} >= {
        "apimTier", "subnetRegion", "subnetSubscription", "subnetSize", "subnetDelegation",
        "subnetDedicated", "webProvider", "workspaceName", "gatewayName",
    }  # fmt: skip


def test_preflight_changes_nothing(sim, factory):
    run_preflight(_inp(), factory)
    assert {r["method"] for r in sim.requests()} == {"GET"}


@pytest.mark.parametrize(
    ("kw", "check"),
    [
        ({"apim_service_id": APIM_ID + "-dev"}, "apimTier"),
        ({"subnet_id": subnet_id("snet-small")}, "subnetSize"),
        ({"subnet_id": subnet_id("snet-nic")}, "subnetDedicated"),
        ({"subnet_id": subnet_id("snet-shared"), "mode": "injection"}, "subnetDelegation"),
        ({"subnet_id": subnet_id("snet-gw", "vnet-eastus").replace("rg-network/", "rg-network-eastus/")},
         "subnetRegion"),
        ({"subnet_id": subnet_id("snet-missing")}, "subnet"),
        ({"existing_gateway_id": GW_RG + "/gateways/gw-legacy"}, "sharedGateway"),
        ({"workspace_name": "ws-legacy"}, "workspaceName"),
    ],
)  # fmt: skip
def test_each_rule_fails_by_name(sim, factory, kw, check):
    assert check in _failed(run_preflight(_inp(**kw), factory))


def test_vnet_in_another_subscription_fails(sim, factory):
    sid = f"/subscriptions/{OTHER_SUB}/resourceGroups/rg-sandbox/providers/Microsoft.Network/virtualNetworks/vnet-sandbox/subnets/snet-gw"
    result = run_preflight(_inp(subnet_id=sid), factory)
    assert "subnetSubscription" in _failed(result)
    assert result.facts.web_provider_state == "NotRegistered"


def test_joining_the_shared_gateway_passes(sim, factory):
    result = run_preflight(
        _inp(mode="integration", subnet_id=None, existing_gateway_id=GW_RG + "/gateways/gw-shared"),
        factory,
    )
    assert result.passed, result.findings


def test_missing_service_fails_first(sim, factory):
    result = run_preflight(_inp(apim_service_id=APIM_ID + "-nope"), factory)
    assert [f.check for f in result.findings] == ["apimService"]


def test_the_subnet_state_before_the_run_is_recorded_for_its_undo(sim, factory):
    result = run_preflight(_inp(subnet_id=subnet_id("snet-shared"), mode="integration"), factory)
    prior = result.facts.subnet.prior
    assert (prior.delegations, prior.nsg_id) == (["Microsoft.Web/serverFarms"], None)
