"""Network activities against the simulator: idempotent forward steps, exact undo, classified errors."""

from __future__ import annotations

from typing import Any

import pytest

from activities.network import configure_subnet, ensure_nsg, restore_subnet, undo_nsg
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput
from shared.step_errors import StepError
from tests.simulator.conftest import subnet_id

ASE = "Microsoft.Web/hostingEnvironments"
SUBNET = subnet_id("snet-gw-a")


def _network_state(sim) -> list[dict[str, Any]]:
    """Network resources without the fields every write renews (etags, GUIDs)."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in {"etag", "resourceGuid"}}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return sorted(
        (clean(r) for r in sim.state()["resources"] if r["type"].startswith("Microsoft.Network/")
         and "privateDns" not in r["type"]),
        key=lambda r: r["id"],
    )  # fmt: skip


def _writes(sim) -> list[str]:
    return [r["method"] for r in sim.requests() if r["method"] in {"PUT", "DELETE"}]


def test_ensure_nsg_creates_it_with_the_injection_rules(sim, factory):
    record = ensure_nsg(
        EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="injection"), factory
    )
    assert record.created is True
    nsg = sim.resource(record.nsg_id)
    assert {r["name"] for r in nsg["properties"]["securityRules"]} == set(record.added_rules)
    assert len(record.added_rules) == 4


def test_ensure_nsg_twice_writes_nothing_the_second_time(sim, factory):
    inp = EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="injection")
    ensure_nsg(inp, factory)
    writes = len(_writes(sim))
    again = ensure_nsg(inp, factory)
    assert (again.created, again.added_rules) == (False, [])
    assert len(_writes(sim)) == writes


def test_configure_subnet_delegates_and_attaches_in_one_put(sim, factory):
    nsg = ensure_nsg(EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="injection"), factory)
    record = configure_subnet(
        ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE, nsg_id=nsg.nsg_id), factory
    )
    assert record.changed is True
    assert (record.prior_delegations, record.prior_nsg_id) == ([], None)
    props = sim.resource(SUBNET)["properties"]
    assert [d["properties"]["serviceName"] for d in props["delegations"]] == [ASE]
    assert props["networkSecurityGroup"]["id"].lower() == nsg.nsg_id.lower()


def test_configure_subnet_twice_changes_nothing(sim, factory):
    inp = ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE)
    configure_subnet(inp, factory)
    puts = _writes(sim).count("PUT")
    assert configure_subnet(inp, factory).changed is False
    assert _writes(sim).count("PUT") == puts


def test_undo_leaves_the_network_as_it_was(sim, factory):
    before = _network_state(sim)
    nsg = ensure_nsg(EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="injection"), factory)
    subnet = configure_subnet(
        ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE, nsg_id=nsg.nsg_id), factory
    )
    restore_subnet(subnet, factory)
    undo_nsg(nsg, factory)
    assert _network_state(sim) == before


def test_undo_of_an_existing_nsg_removes_only_the_rules_this_run_added(sim, factory):
    first = ensure_nsg(
        EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="integration"), factory
    )
    second = ensure_nsg(
        EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="injection"), factory
    )
    assert second.created is False
    assert len(second.added_rules) == 3
    undo_nsg(second, factory)
    rules = sim.resource(first.nsg_id)["properties"]["securityRules"]
    assert [r["name"] for r in rules] == first.added_rules


def test_undo_tolerates_already_gone(sim, factory):
    nsg = ensure_nsg(EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="injection"), factory)
    undo_nsg(nsg, factory)
    undo_nsg(nsg, factory)
    assert sim.resource(nsg.nsg_id) is None


def test_subnet_in_use_is_a_permanent_error_naming_the_code(sim, factory):
    with pytest.raises(StepError) as err:
        configure_subnet(
            ConfigureSubnetInput(subnet_id=subnet_id("snet-nic"), delegation=ASE), factory
        )
    assert err.value.kind == "permanent"
    assert err.value.code == "SubnetDelegationsCannotChangeWhenSubnetUsedByResource"
    assert "snet-nic" in err.value.message


def test_throttling_is_classified_with_its_retry_after(sim, factory):
    sim.fault(method="GET", path="*/subnets/snet-gw-a", status=429,
              code="SubscriptionRequestsThrottled", retryAfter=12)  # fmt: skip
    with pytest.raises(StepError) as err:
        configure_subnet(ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE), factory)
    assert (err.value.kind, err.value.retry_after) == ("throttled", 12.0)
    assert sim.resource(SUBNET)["properties"]["delegations"] == []
