"""Network activities against the simulator: idempotent forward steps, exact undo, classified errors."""

from __future__ import annotations

from typing import Any

import pytest
from azure.mgmt.network.models import NetworkSecurityGroup

from activities.network import configure_subnet, ensure_nsg, restore_subnet, undo_nsg
from activities.preflight import run_preflight
from shared.arm_ids import ArmId
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput
from shared.preflight import PreflightInput
from shared.step_errors import StepError
from tests.simulator.conftest import APIM_ID, subnet_id

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


# --- at-least-once: a retry after a lost result still knows what this run did ----------------

INSTANCE = "onboard-chg0012345"
OURS = {"onboarding-instance": INSTANCE}
TEAM_NSG = (
    f"{SUBNET.split('/providers/')[0]}/providers/Microsoft.Network/networkSecurityGroups/nsg-team"
)


def _attach_team_nsg(sim, factory) -> None:
    """Before the run: the subnet already carries the team's own NSG."""
    sim.call("POST", "/_sim/seed", {"resources": [
        {"id": TEAM_NSG, "location": "westeurope", "properties": {"securityRules": []}},
    ]})  # fmt: skip
    ref = ArmId.parse(SUBNET)
    net = factory.network(ref.subscription)
    subnet = net.subnets.get(ref.resource_group, ref.parent.name, ref.name)
    subnet.network_security_group = NetworkSecurityGroup(id=TEAM_NSG)
    net.subnets.begin_create_or_update(
        ref.resource_group, ref.parent.name, ref.name, subnet
    ).result()


def test_ensure_nsg_retried_after_a_lost_result_still_owns_the_nsg_it_created(sim, factory):
    inp = EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="injection", tags=OURS)
    first = ensure_nsg(inp, factory)  # its result is lost; the orchestrator calls again
    again = ensure_nsg(inp, factory)
    assert again.created is True
    assert sorted(again.added_rules) == sorted(first.added_rules)
    undo_nsg(again, factory)
    assert sim.resource(again.nsg_id) is None


def test_an_nsg_tagged_by_another_run_is_not_this_runs(sim, factory):
    other = {"onboarding-instance": "onboard-other"}
    ensure_nsg(EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="injection", tags=other),
               factory)  # fmt: skip
    mine = ensure_nsg(
        EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="injection", tags=OURS), factory
    )
    assert (mine.created, mine.added_rules) == (False, [])


def test_rules_added_to_an_existing_nsg_are_still_this_runs_after_a_lost_result(sim, factory):
    before = ensure_nsg(  # an NSG that was there before the run, with the Storage rule
        EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="integration"), factory
    )
    inp = EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="injection", tags=OURS)
    first = ensure_nsg(inp, factory)  # lost
    again = ensure_nsg(inp, factory)
    assert again.created is False
    assert sorted(again.added_rules) == sorted(first.added_rules)
    assert len(again.added_rules) == 3
    undo_nsg(again, factory)
    rules = sim.resource(before.nsg_id)["properties"]["securityRules"]
    assert [r["name"] for r in rules] == before.added_rules


def test_configure_subnet_retried_after_a_lost_result_is_undone_to_the_state_before_the_run(
    sim, factory
):
    _attach_team_nsg(sim, factory)
    before = _network_state(sim)
    pre = run_preflight(
        PreflightInput(apim_service_id=APIM_ID, mode="injection", subnet_id=SUBNET,
                       workspace_name="ws-payments", instance_id=INSTANCE),
        factory,
    )  # fmt: skip
    assert pre.facts.subnet is not None and pre.facts.subnet.prior is not None
    prior = pre.facts.subnet.prior
    assert (prior.delegations, prior.nsg_id) == ([], TEAM_NSG)
    nsg = ensure_nsg(
        EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="injection", tags=OURS), factory
    )
    inp = ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE, nsg_id=nsg.nsg_id,
                               prior_delegations=prior.delegations, prior_nsg_id=prior.nsg_id)  # fmt: skip
    configure_subnet(inp, factory)  # its result is lost; the orchestrator calls again
    again = configure_subnet(inp, factory)
    assert again.changed is True
    assert (again.prior_delegations, again.prior_nsg_id) == ([], TEAM_NSG)
    restore_subnet(again, factory)
    undo_nsg(nsg, factory)
    assert _network_state(sim) == before


def test_configure_subnet_with_no_prior_state_given_reads_it_as_before(sim, factory):
    _attach_team_nsg(sim, factory)
    record = configure_subnet(ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE), factory)
    assert (record.changed, record.prior_delegations, record.prior_nsg_id) == (True, [], TEAM_NSG)


def test_a_subnet_that_was_already_as_wanted_before_the_run_is_not_undone(sim, factory):
    _attach_team_nsg(sim, factory)
    configure_subnet(ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE), factory)  # before
    puts = _writes(sim).count("PUT")
    inp = ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE, nsg_id=TEAM_NSG,
                               prior_delegations=[ASE], prior_nsg_id=TEAM_NSG)  # fmt: skip
    assert configure_subnet(inp, factory).changed is False
    assert _writes(sim).count("PUT") == puts
