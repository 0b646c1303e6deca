"""The subnet write: the whole resource as ARM returned it, guarded by its ETag.

A subnet carries properties the app does not touch and the SDK's model may not even know
(``ipAllocations``, ``sharingScope``, ``ipamPoolPrefixAllocations``, ``serviceGateway``, ones a
later api-version adds). PUT replaces the whole subnet, so the forward step and its undo must send
back everything they read, changing only delegations and the NSG, and must not overwrite a
change someone made between their read and their write (``If-Match``; NRP answers 412).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

from activities.network import configure_subnet, ensure_nsg, restore_subnet
from shared.azure_clients import ArmSettings, ClientFactory, StaticTokenCredential
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput
from shared.step_errors import StepError
from tests.simulator.conftest import VNET_ID, SimControl

ASE = "Microsoft.Web/hostingEnvironments"
RICH_VNET = VNET_ID.replace("vnet-apim", "vnet-rich")
SUBNET = f"{RICH_VNET}/subnets/snet-rich"
TWO_PREFIXES = f"{RICH_VNET}/subnets/snet-two"
GROUP = VNET_ID.split("/providers/")[0]
EXOTIC = {
    "ipAllocations": [{"id": f"{GROUP}/providers/Microsoft.Network/IpAllocations/ipa-1"}],
    "sharingScope": "Tenant",
    "ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "256", "pool": {"id": "/pool/p1"}}],
    "serviceGateway": {"id": f"{GROUP}/providers/Microsoft.Network/serviceGateways/sgw-1"},
    "futureProperty": {"mode": "Strict", "levels": [1, 2]},  # one no SDK model knows yet
}


@pytest.fixture
def rich(sim: SimControl) -> SimControl:
    sim.call("POST", "/_sim/seed", {"resources": [{
        "id": RICH_VNET, "location": "westeurope",
        "properties": {"addressSpace": {"addressPrefixes": ["10.60.0.0/16"]}, "subnets": [
            {"name": "snet-rich", "properties": {"addressPrefix": "10.60.1.0/24", **EXOTIC}},
            {"name": "snet-two",
             "properties": {"addressPrefixes": ["10.60.2.0/25", "10.60.3.0/25"]}},
        ]},
    }]})  # fmt: skip
    return sim


def _without_etags(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_etags(v) for k, v in value.items() if k != "etag"}
    if isinstance(value, list):
        return [_without_etags(v) for v in value]
    return value


def _subnet(sim: SimControl, subnet_id: str = SUBNET) -> dict[str, Any]:
    found = sim.resource(subnet_id)
    assert found is not None
    return _without_etags(found)


def test_configure_and_restore_keep_every_subnet_property(rich, factory):
    before = _subnet(rich)
    nsg = ensure_nsg(EnsureNsgInput(subnet_id=SUBNET, nsg_name="nsg-gw", mode="injection"), factory)
    record = configure_subnet(
        ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE, nsg_id=nsg.nsg_id), factory
    )
    during = _subnet(rich)["properties"]
    assert {k: during[k] for k in EXOTIC if k in during} == EXOTIC
    assert [d["properties"]["serviceName"] for d in during["delegations"]] == [ASE]
    assert during["networkSecurityGroup"]["id"].lower() == nsg.nsg_id.lower()
    restore_subnet(record, factory)
    assert _subnet(rich) == before


# --- a concurrent writer between the step's read and its write ---------------------------------


@dataclass
class _Interloper(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Before the step's PUT of the subnet reaches ARM, another client changes the subnet.

    The other writer reads the subnet, adds a service endpoint and PUTs it; then simulated time
    passes so its operation ends. The step's PUT then carries a stale If-Match.
    """

    sim: SimControl
    times: int = 1
    seen: list[str] = field(default_factory=list)

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        http = request.http_request
        if http.method != "PUT" or "/subnets/" not in http.url or self.times <= 0:
            return
        self.times -= 1
        path = http.url[http.url.index("/subscriptions/") :]
        status, _, body = self.sim.raw("GET", path)
        assert status == 200
        endpoints = body["properties"].setdefault("serviceEndpoints", [])
        endpoints.append({"service": f"Microsoft.Storage{len(endpoints) or ''}"})
        status, _, _ = self.sim.raw("PUT", path, body)
        assert status == 200
        self.sim.advance(seconds=10)
        self.seen.append(path)


@dataclass(frozen=True)
class _WithPolicy(ArmSettings):
    policy: Any = None

    def client_kwargs(self) -> dict[str, Any]:
        return {**super().client_kwargs(), "per_call_policies": [self.policy]}


def _factory_with(sim: SimControl, policy: _Interloper) -> ClientFactory:
    settings = _WithPolicy(endpoint=sim.sim.url, ca_bundle=str(sim.sim.ca), credential="static",
                           retry_total=0, polling_interval=0, policy=policy)  # fmt: skip
    return ClientFactory(settings, StaticTokenCredential())


def _subnet_puts(sim: SimControl) -> list[int]:
    return [
        r["status"] for r in sim.requests() if r["method"] == "PUT" and "/subnets/" in r["path"]
    ]


def test_a_change_between_read_and_write_is_read_again_and_kept(rich, factory):
    other = _Interloper(rich)
    record = configure_subnet(
        ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE), _factory_with(rich, other)
    )
    assert record.changed is True
    assert len(other.seen) == 1
    # the other writer's PUT, the step's stale PUT (412), the step's PUT after a fresh read
    assert _subnet_puts(rich) == [200, 412, 200]
    props = _subnet(rich)["properties"]
    assert props["serviceEndpoints"] == [{"service": "Microsoft.Storage"}]
    assert [d["properties"]["serviceName"] for d in props["delegations"]] == [ASE]
    assert {k: props[k] for k in EXOTIC} == EXOTIC


def test_the_undo_reads_again_after_a_412_too(rich, factory):
    record = configure_subnet(ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE), factory)
    restore_subnet(record, _factory_with(rich, _Interloper(rich)))
    props = _subnet(rich)["properties"]
    assert props["delegations"] == []
    assert props["serviceEndpoints"] == [{"service": "Microsoft.Storage"}]


def test_a_subnet_that_keeps_changing_is_a_conflict_to_retry_later(rich, factory):
    busy = _Interloper(rich, times=10)
    with pytest.raises(StepError) as err:
        configure_subnet(
            ConfigureSubnetInput(subnet_id=SUBNET, delegation=ASE), _factory_with(rich, busy)
        )
    assert (err.value.kind, err.value.code) == ("conflict", "PreconditionFailed")
    assert 412 in _subnet_puts(rich)
    assert _subnet(rich)["properties"]["delegations"] == []


# --- NSG rules for a subnet with several prefixes ----------------------------------------------


def test_nsg_rules_cover_every_prefix_of_the_subnet(rich, factory):
    nsg = ensure_nsg(
        EnsureNsgInput(subnet_id=TWO_PREFIXES, nsg_name="nsg-two", mode="injection"), factory
    )
    rules = {
        r["name"]: r["properties"] for r in rich.resource(nsg.nsg_id)["properties"]["securityRules"]
    }
    inbound = [p for p in rules.values() if p["direction"] == "Inbound"]
    assert len(inbound) == 2
    for props in inbound:
        assert sorted(props["destinationAddressPrefixes"]) == ["10.60.2.0/25", "10.60.3.0/25"]
        assert not props.get("destinationAddressPrefix")
    again = ensure_nsg(
        EnsureNsgInput(subnet_id=TWO_PREFIXES, nsg_name="nsg-two", mode="injection"), factory
    )
    assert again.added_rules == []  # the rules are recognised as complete
