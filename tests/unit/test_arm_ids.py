"""shared/arm_ids.py: the one ARM id parser (shapes, case, refusals, round trip, builders)."""

from __future__ import annotations

import pytest

from shared.arm_ids import (
    APIM_SERVICE,
    RESOURCE_GROUP,
    SUBNET,
    ArmId,
    gateway_id_for,
    vnet_id_of,
)

SUB = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
GROUP = f"/subscriptions/{SUB}/resourceGroups/rg-APIM"
SERVICE = f"{GROUP}/providers/Microsoft.ApiManagement/service/apim-Contoso"
WORKSPACE = f"{SERVICE}/workspaces/ws-payments"
GATEWAY = f"{GROUP}/providers/Microsoft.ApiManagement/gateways/gw-payments"
LINK = f"{GATEWAY}/configConnections/ws-payments"
NET = f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network"
VNET = f"{NET}/virtualNetworks/vnet-Hub"
SUBNET_ID = f"{VNET}/subnets/snet-gw"
NSG = f"{NET}/networkSecurityGroups/nsg-gw"
ZONE = f"{NET}/privateDnsZones/gw-payments.gateway.westeurope-01.azure-api.net"
ZONE_LINK = f"{ZONE}/virtualNetworkLinks/link-vnet-Hub"
RECORD = f"{ZONE}/A/@"
ASSIGNMENT = f"{WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/0b1c-2d3e"


@pytest.mark.parametrize(
    ("resource_id", "group", "resource_type", "names"),
    [
        (f"/subscriptions/{SUB}", None, "Microsoft.Resources/subscriptions", ()),
        (GROUP, "rg-APIM", RESOURCE_GROUP, ()),
        (SERVICE, "rg-APIM", APIM_SERVICE, ("apim-Contoso",)),
        (WORKSPACE, "rg-APIM", "Microsoft.ApiManagement/service/workspaces",
         ("apim-Contoso", "ws-payments")),
        (GATEWAY, "rg-APIM", "Microsoft.ApiManagement/gateways", ("gw-payments",)),
        (LINK, "rg-APIM", "Microsoft.ApiManagement/gateways/configConnections",
         ("gw-payments", "ws-payments")),
        (VNET, "rg-net", "Microsoft.Network/virtualNetworks", ("vnet-Hub",)),
        (SUBNET_ID, "rg-net", SUBNET, ("vnet-Hub", "snet-gw")),
        (NSG, "rg-net", "Microsoft.Network/networkSecurityGroups", ("nsg-gw",)),
        (ZONE, "rg-net", "Microsoft.Network/privateDnsZones",
         ("gw-payments.gateway.westeurope-01.azure-api.net",)),
        (ZONE_LINK, "rg-net", "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
         ("gw-payments.gateway.westeurope-01.azure-api.net", "link-vnet-Hub")),
        (RECORD, "rg-net", "Microsoft.Network/privateDnsZones/A",
         ("gw-payments.gateway.westeurope-01.azure-api.net", "@")),
    ],
)  # fmt: skip
def test_valid_shapes_parse_and_print_back(resource_id, group, resource_type, names):
    rid = ArmId.parse(resource_id)
    assert rid.subscription == SUB
    assert rid.group == group
    assert rid.resource_type == resource_type
    assert rid.names == names
    assert rid.name == (names[-1] if names else group or SUB)
    assert str(rid) == resource_id
    assert ArmId.parse(resource_id, resource_type) == rid


def test_the_parts_of_a_child_resource():
    link = ArmId.parse(LINK)
    assert (link.provider, link.types) == (
        "Microsoft.ApiManagement",
        ("gateways", "configConnections"),
    )
    assert (link.resource_group, link.name, link.scope) == ("rg-APIM", "ws-payments", None)
    assert str(link.parent) == GATEWAY
    assert str(link.parent.parent) == GROUP
    assert str(link.parent.parent.parent) == f"/subscriptions/{SUB}"
    assert str(link.resource_group_id) == GROUP
    assert link.parent.child("configConnections", "ws-payments") == link


def test_an_extension_resource_keeps_its_scope():
    assignment = ArmId.parse(ASSIGNMENT)
    assert assignment.resource_type == "Microsoft.Authorization/roleAssignments"
    assert (assignment.subscription, assignment.resource_group) == (SUB, "rg-APIM")
    assert assignment.name == "0b1c-2d3e"
    assert assignment.scope == ArmId.parse(WORKSPACE)
    assert str(assignment.parent) == WORKSPACE
    assert str(assignment) == ASSIGNMENT
    at_group = ArmId.parse(f"{GROUP}/providers/Microsoft.Authorization/roleAssignments/x")
    assert (at_group.scope, str(at_group.parent)) == (None, GROUP)


def test_keywords_namespaces_and_types_match_without_case_and_names_keep_theirs():
    shouting = (
        f"/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/rg-net/PROVIDERS/microsoft.network"
        "/VIRTUALNETWORKS/vnet-Hub/SUBNETS/snet-gw"
    )
    rid = ArmId.parse(shouting)
    assert (rid.resource_group, rid.parent.name, rid.name) == ("rg-net", "vnet-Hub", "snet-gw")
    assert str(rid) == (
        f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/microsoft.network"
        "/VIRTUALNETWORKS/vnet-Hub/SUBNETS/snet-gw"
    )
    # Parsed as an expected type, the id takes that type's spelling.
    assert str(ArmId.parse(shouting, SUBNET)) == SUBNET_ID
    assert vnet_id_of(shouting) == VNET


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        (SUBNET_ID + "/", SUBNET_ID),
        (SUBNET_ID[1:], SUBNET_ID),
        (SUBNET_ID.replace("/subnets/", "//subnets/"), SUBNET_ID),
        (GROUP.replace("resourceGroups", "resourcegroups"), GROUP),
        (SERVICE.replace("/providers/", "/Providers/"), SERVICE),
    ],
)
def test_round_trip_gives_the_normalized_id(given, normalized):
    assert str(ArmId.parse(given)) == normalized
    assert str(ArmId.parse(str(ArmId.parse(given)))) == normalized


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "/",
        "not-an-id",
        "/resourceGroups/rg",
        "/subscriptions",
        f"/subscriptions/{SUB}/resourceGroups",
        f"/subscriptions/{SUB}/rg-apim",
        f"{GROUP}/Microsoft.ApiManagement/service/apim",
        f"{GROUP}/providers",
        f"{GROUP}/providers/Microsoft.Network",
        f"{GROUP}/providers/Microsoft.Network/virtualNetworks",
        f"{VNET}/subnets",
        f"{SERVICE}/providers/Microsoft.Authorization",
    ],
)
def test_malformed_ids_are_refused_naming_the_id_and_the_shape(bad):
    with pytest.raises(ValueError, match="expected /subscriptions/<sub>") as caught:
        ArmId.parse(bad)
    assert f"'{bad}'" in str(caught.value)


@pytest.mark.parametrize("other", [VNET, NSG, GROUP, f"{NET}/subnets/x", ASSIGNMENT, "junk"])
def test_an_id_of_another_type_is_refused_with_the_expected_shape(other):
    with pytest.raises(ValueError) as caught:
        ArmId.parse(other, SUBNET)
    assert str(caught.value) == (
        f"'{other}' is not a subnet id; expected /subscriptions/<sub>/resourceGroups/<rg>"
        "/providers/Microsoft.Network/virtualNetworks/<virtualNetwork>/subnets/<subnet>"
    )


def test_an_expected_type_needs_its_whole_shape():
    with pytest.raises(ValueError, match=r"is not a resource group id; expected .*<rg>$"):
        ArmId.parse(SERVICE, RESOURCE_GROUP)
    with pytest.raises(ValueError, match="is not a subnet id"):  # no resource group
        ArmId.parse(SUBNET_ID.replace("/resourceGroups/rg-net", ""), SUBNET)


def test_what_has_no_resource_group_parent_or_children_says_so():
    subscription = ArmId.parse(f"/subscriptions/{SUB}")
    with pytest.raises(ValueError, match=f"'/subscriptions/{SUB}' names no resource group"):
        _ = subscription.resource_group
    with pytest.raises(ValueError, match="has no parent"):
        _ = subscription.parent
    with pytest.raises(ValueError, match="only resources have children"):
        ArmId.parse(GROUP).child("subnets", "x")
    with pytest.raises(ValueError, match="one name per type"):
        ArmId(SUB, "rg", "Microsoft.Network", ("virtualNetworks",), ())


def test_ids_built_in_the_resource_group_of_another():
    subnet = ArmId.parse(SUBNET_ID, SUBNET)
    assert str(subnet.nsg("nsg-gw")) == NSG
    assert str(ArmId.parse(SERVICE).gateway("gw-payments")) == GATEWAY
    assert str(ArmId.parse(GROUP.replace("rg-APIM", "rg-net")).in_group(
        "Microsoft.Network", "privateDnsZones", "gw-payments.gateway.westeurope-01.azure-api.net"
    )) == ZONE  # fmt: skip


def test_gateway_id_for_sits_beside_the_service():
    assert gateway_id_for(SERVICE, "gw-payments") == GATEWAY
    lower = SERVICE.replace("resourceGroups", "resourcegroups").replace("/service/", "/SERVICE/")
    assert gateway_id_for(lower, "gw-payments") == GATEWAY
    with pytest.raises(ValueError, match="is not a service id"):
        gateway_id_for(GATEWAY, "gw-payments")


def test_vnet_id_of_a_subnet():
    assert vnet_id_of(SUBNET_ID) == VNET
    assert vnet_id_of(SUBNET_ID + "/") == VNET
    with pytest.raises(ValueError, match=f"'{VNET}' is not a subnet id"):
        vnet_id_of(VNET)
