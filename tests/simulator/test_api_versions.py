"""Only the api-versions a resource type really has are served (simulator/api_versions.py)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import WorkspaceContract

from simulator.api_versions import resource_type
from tests.simulator.conftest import APIM_ID, APIM_RG, SUB, VNET_ID, StaticToken


def test_the_pinned_sdks_versions_are_served(sim, network, apim, dns, authz):
    network.virtual_networks.get("rg-network", "vnet-apim")
    apim.api_gateway.get(APIM_RG, "gw-shared")
    list(dns.private_zones.list())
    list(authz.role_definitions.list("/", filter="roleName eq 'Reader'"))


def test_a_version_the_type_lacks_is_no_registered_provider_found(sim):
    status, _, body = sim.raw("GET", f"{VNET_ID}?api-version=2014-01-01")
    assert status == 400
    assert body["error"]["code"] == "NoRegisteredProviderFound"
    message = body["error"]["message"]
    assert "API version '2014-01-01' for type 'virtualNetworks'" in message
    assert "The supported api-versions are '2015-06-15, " in message


def test_gateways_are_younger_than_the_service(sim):
    gateways = APIM_ID.split("/service/")[0] + "/gateways/gw-shared"
    assert sim.raw("GET", f"{APIM_ID}?api-version=2022-08-01")[0] == 200
    status, _, body = sim.raw("GET", f"{gateways}?api-version=2022-08-01")
    assert status == 400 and "for type 'gateways'" in body["error"]["message"]


def test_a_write_names_its_region(sim):
    status, _, body = sim.raw(
        "PUT", f"{VNET_ID}?api-version=2014-01-01",
        {"location": "West Europe", "properties": {"addressSpace": {"addressPrefixes": []}}},
    )  # fmt: skip
    assert status == 400 and "location 'westeurope'" in body["error"]["message"]


def test_an_sdk_pinned_to_a_version_without_workspaces_is_refused(sim):
    old = ApiManagementClient(
        StaticToken(), SUB, base_url=sim.sim.url, connection_verify=str(sim.sim.ca),
        retry_total=0, api_version="2021-08-01",
    )  # fmt: skip
    with pytest.raises(HttpResponseError) as err:
        old.workspace.create_or_update(
            APIM_RG, "apim-contoso", "ws-old", WorkspaceContract(display_name="Old")
        )
    assert err.value.error.code == "NoRegisteredProviderFound"


def test_arms_own_calls_serve_any_well_formed_version(sim):
    status, _, _ = sim.raw(
        "GET", f"/subscriptions/{SUB}/providers/Microsoft.Web?api-version=2016-02-01"
    )
    assert status == 200


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"{VNET_ID}/subnets/s", ("Microsoft.Network", "virtualNetworks/subnets")),
        (f"{VNET_ID}/subnets", ("Microsoft.Network", "virtualNetworks/subnets")),
        (f"{APIM_ID}/providers/Microsoft.Authorization/roleAssignments/x",
         ("Microsoft.Authorization", "roleAssignments")),
        (f"/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/"
         "privateDnsZones/z/A/@", ("Microsoft.Network", "privateDnsZones/A")),
        (f"/subscriptions/{SUB}/resourceGroups/rg-apim", None),
    ],
)  # fmt: skip
def test_the_type_is_the_last_providers(path, expected):
    assert resource_type(path) == expected
