"""The subnet step writes from preflight's read under If-Match (issue 17, item 4).

Preflight reads the subnet in its VNet's GET (raw JSON with the subnet's ETag); the subnet step
starts from that copy instead of reading again. If-Match makes a stale copy harmless: a write
over a change made since fails (412) and the step reads afresh, so that change is kept; and a
copy that says "nothing to do" is never trusted (the step reads afresh to decide).
"""

from __future__ import annotations

from typing import Any

from activities.network import configure_subnet, ensure_nsg
from activities.preflight import run_preflight
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput
from shared.preflight import PreflightInput
from tests.simulator.conftest import APIM_ID, SUB, subnet_id

ASE = "Microsoft.Web/hostingEnvironments"
SUBNET = subnet_id("snet-gw-a")


def _read(factory) -> dict[str, Any]:
    pre = run_preflight(
        PreflightInput(apim_service_id=APIM_ID, mode="injection", subnet_id=SUBNET,
                       workspace_name="ws-sub", gateway_id=None, instance_id="run-sub"),
        factory,
    )  # fmt: skip
    assert pre.subnet_read is not None and pre.subnet_read["etag"]
    assert "subnetRead" not in pre.facts.model_dump(by_alias=True)  # not shown by a dry run
    return pre.subnet_read


def _on_subnet(sim) -> list[str]:
    return [
        r["method"] for r in sim.requests() if r["path"].split("?")[0].lower() == SUBNET.lower()
    ]


def _inp(nsg_id: str, read: dict[str, Any] | None) -> ConfigureSubnetInput:
    return ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE, nsg_id=nsg_id,
                                prior_delegations=[], prior_nsg_id=None, read=read)  # fmt: skip


def _nsg(factory) -> str:
    inp = EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-sub", mode="injection")
    return ensure_nsg(inp, factory).nsg_id


def test_a_fresh_read_from_preflight_is_written_without_reading_the_subnet_again(sim, factory):
    read, nsg_id = _read(factory), _nsg(factory)
    sim.call("DELETE", "/_sim/requests")
    record = configure_subnet(_inp(nsg_id, read), factory)
    assert record.changed and _on_subnet(sim) == ["PUT"]
    props = sim.resource(SUBNET)["properties"]
    assert [d["properties"]["serviceName"] for d in props["delegations"]] == [ASE]
    assert props["networkSecurityGroup"]["id"].lower() == nsg_id.lower()


def test_a_change_made_since_preflight_fails_the_write_and_is_kept(sim, factory):
    read, nsg_id = _read(factory), _nsg(factory)
    # Someone adds a service endpoint after preflight: the copy's ETag is stale.
    network = factory.network(SUB)
    subnet = network.subnets.get("rg-network", "vnet-apim", "snet-gw-a")
    subnet.service_endpoints = [{"service": "Microsoft.Storage"}]
    network.subnets.begin_create_or_update("rg-network", "vnet-apim", "snet-gw-a", subnet).result()
    sim.call("DELETE", "/_sim/requests")
    configure_subnet(_inp(nsg_id, read), factory)
    assert _on_subnet(sim) == ["PUT", "GET", "PUT"]  # 412, read afresh, write
    props = sim.resource(SUBNET)["properties"]
    assert [e["service"] for e in props["serviceEndpoints"]] == ["Microsoft.Storage"]
    assert [d["properties"]["serviceName"] for d in props["delegations"]] == [ASE]


def test_a_copy_saying_nothing_to_do_is_not_trusted(sim, factory):
    nsg_id = _nsg(factory)
    configure_subnet(_inp(nsg_id, None), factory)  # delegated, NSG attached
    done = _read(factory)  # a copy in which the subnet is as wanted
    network = factory.network(SUB)
    subnet = network.subnets.get("rg-network", "vnet-apim", "snet-gw-a")
    subnet.delegations = []  # someone removes the delegation afterwards
    network.subnets.begin_create_or_update("rg-network", "vnet-apim", "snet-gw-a", subnet).result()
    configure_subnet(_inp(nsg_id, done), factory)
    props = sim.resource(SUBNET)["properties"]
    assert [d["properties"]["serviceName"] for d in props["delegations"]] == [ASE]
