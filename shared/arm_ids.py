"""Parsing the ARM ids the app handles (subnets, VNets, NSGs), with errors that name the id."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubnetRef:
    subscription: str
    resource_group: str
    vnet: str
    subnet: str

    @property
    def vnet_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Network/virtualNetworks/{self.vnet}"
        )

    @property
    def id(self) -> str:
        return f"{self.vnet_id}/subnets/{self.subnet}"

    def nsg_id(self, name: str) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Network/networkSecurityGroups/{name}"
        )


def parse_subnet_id(subnet_id: str) -> SubnetRef:
    """``/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/n``."""
    parts = [p for p in subnet_id.split("/") if p]
    shape = ["subscriptions", None, "resourcegroups", None, "providers", "microsoft.network",
             "virtualnetworks", None, "subnets", None]  # fmt: skip
    if len(parts) != len(shape) or any(
        want is not None and got.lower() != want for got, want in zip(parts, shape, strict=True)
    ):
        raise ValueError(
            f"'{subnet_id}' is not a subnet id; expected /subscriptions/<sub>/resourceGroups/<rg>"
            "/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>"
        )
    return SubnetRef(parts[1], parts[3], parts[7], parts[9])


def name_of(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def resource_group_of(resource_id: str) -> str:
    parts = [p for p in resource_id.split("/") if p]
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "resourcegroups":
            return parts[i + 1]
    raise ValueError(f"'{resource_id}' names no resource group")


def gateway_id_for(service_id: str, gateway_name: str) -> str:
    """The id of a workspace gateway named ``gateway_name`` beside the APIM service."""
    head = service_id.split("/providers/")[0]
    return f"{head}/providers/Microsoft.ApiManagement/gateways/{gateway_name}"


def vnet_id_of(subnet_id: str) -> str:
    return parse_subnet_id(subnet_id).vnet_id
