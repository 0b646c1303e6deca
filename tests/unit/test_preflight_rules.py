"""The preflight rules alone, on hand-made facts."""

from __future__ import annotations

from shared.preflight import PreflightFacts, SharedGatewayFacts, SubnetFacts, evaluate, passed


def _facts(**kw) -> PreflightFacts:
    base = {
        "mode": "injection",
        "service_exists": True,
        "service_tier": "Premium",
        "service_region": "West Europe",
        "service_subscription": "s1",
        "subnet": SubnetFacts(subscription="s1", region="westeurope", prefixes=["10.0.1.0/24"],
                              delegations=[], users=[]),
    }  # fmt: skip
    return PreflightFacts(**{**base, **kw})


def _failed(facts: PreflightFacts) -> set[str]:
    return {f.check for f in evaluate(facts) if not f.ok}


def test_regions_compare_without_case_and_spaces():
    assert passed(evaluate(_facts()))


def test_a_28_is_too_small_and_a_23_too_big():
    for prefix in ("10.0.1.0/28", "10.0.0.0/23"):
        subnet = _facts().subnet.model_copy(update={"prefixes": [prefix]})
        assert _failed(_facts(subnet=subnet)) == {"subnetSize"}


def test_delegation_for_the_other_mode_fails():
    subnet = _facts().subnet.model_copy(update={"delegations": ["Microsoft.Web/serverFarms"]})
    assert _failed(_facts(subnet=subnet)) == {"subnetDelegation"}
    assert not _failed(_facts(subnet=subnet, mode="integration"))


def test_v2_tiers_host_workspaces_and_developer_does_not():
    assert not _failed(_facts(service_tier="StandardV2"))
    assert _failed(_facts(service_tier="Developer")) == {"apimTier"}


def test_old_gateway_with_a_workspace_cannot_take_another():
    gw = SharedGatewayFacts(exists=True, region="West Europe", subscription="s1",
                            created_at="2025-02-01T00:00:00Z", linked_workspaces=1,
                            provisioning_state="Succeeded")  # fmt: skip
    assert _failed(_facts(shared_gateway=gw, subnet=None)) == {"sharedGateway"}


def test_full_gateway_cannot_take_another():
    gw = SharedGatewayFacts(exists=True, region="westeurope", subscription="s1",
                            created_at="2025-09-01T00:00:00Z", linked_workspaces=30,
                            provisioning_state="Succeeded")  # fmt: skip
    failed = [f for f in evaluate(_facts(shared_gateway=gw, subnet=None)) if not f.ok]
    assert [f.check for f in failed] == ["sharedGateway"]
    assert "30" in failed[0].detail


def test_mode_none_skips_subnet_checks():
    assert passed(evaluate(_facts(mode="none", subnet=None)))
