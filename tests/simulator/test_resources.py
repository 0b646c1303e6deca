"""Microsoft.Resources through the real ResourceManagementClient: providers and resource groups."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.resource.resources import ResourceManagementClient

from simulator import Simulator
from tests.simulator.conftest import APIM_RG, OTHER_SUB, SUB, SimControl, StaticToken, _kwargs


@pytest.fixture
def sandbox(sim) -> ResourceManagementClient:
    """A client on the sandbox subscription, where Microsoft.Web is NotRegistered."""
    return ResourceManagementClient(StaticToken(), OTHER_SUB, **_kwargs(sim.sim))


def test_registered_provider_reads_registered(resources):
    provider = resources.providers.get("Microsoft.Web")
    assert provider.namespace == "Microsoft.Web"
    assert provider.registration_state == "Registered"
    assert provider.id == f"/subscriptions/{SUB}/providers/Microsoft.Web"
    assert "serverFarms" in [t.resource_type for t in provider.resource_types]


def test_namespace_lookup_ignores_case(resources):
    assert resources.providers.get("microsoft.web").namespace == "Microsoft.Web"


def test_register_answers_200_registering_then_registered_after_a_read(sandbox, sim):
    assert sandbox.providers.get("Microsoft.Web").registration_state == "NotRegistered"
    # REC-resource test_provider_registration: 200 synchronously, body already Registering.
    registering = sandbox.providers.register("Microsoft.Web")
    assert registering.registration_state == "Registering"
    assert [r["status"] for r in sim.requests() if r["method"] == "POST"] == [200]
    states = [sandbox.providers.get("Microsoft.Web").registration_state for _ in range(2)]
    assert states == ["Registering", "Registered"]


@pytest.fixture(scope="module")
def own_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    """A private simulator for tests that move the clock (the session clock never goes back)."""
    with Simulator(tmp_path_factory.mktemp("resources-clock"), clock="virtual") as simulator:
        yield simulator


def test_registration_also_completes_with_simulated_time(own_simulator):
    sim = SimControl(own_simulator)
    sim.call("POST", "/_sim/reset")
    sandbox = ResourceManagementClient(StaticToken(), OTHER_SUB, **_kwargs(own_simulator))
    sandbox.providers.register("Microsoft.Web")
    sim.advance(minutes=1)
    assert sandbox.providers.get("Microsoft.Web").registration_state == "Registered"


def test_register_twice_is_harmless(resources):
    assert resources.providers.register("Microsoft.Web").registration_state == "Registered"


def test_unknown_namespace_is_not_found(resources):
    with pytest.raises(ResourceNotFoundError) as err:
        resources.providers.get("Microsoft.Nope")
    assert err.value.error.code == "InvalidResourceNamespace"


def test_list_providers(resources):
    namespaces = {p.namespace for p in resources.providers.list()}
    assert {"Microsoft.Web", "Microsoft.Network", "Microsoft.ApiManagement"} <= namespaces


def test_get_resource_group(resources):
    group = resources.resource_groups.get(APIM_RG)
    assert group.name == APIM_RG
    assert group.location == "westeurope"
    assert group.properties.provisioning_state == "Succeeded"
    assert group.id == f"/subscriptions/{SUB}/resourceGroups/{APIM_RG}"


def test_missing_resource_group_is_named(resources):
    with pytest.raises(ResourceNotFoundError) as err:
        resources.resource_groups.get("rg-nope")
    assert err.value.error.code == "ResourceGroupNotFound"


def test_missing_subscription_is_not_found(sim):
    client = ResourceManagementClient(
        StaticToken(), "00000000-aaaa-4bbb-8ccc-000000000000", **_kwargs(sim.sim)
    )
    with pytest.raises(ResourceNotFoundError) as err:
        client.resource_groups.get(APIM_RG)
    assert err.value.error.code == "SubscriptionNotFound"
