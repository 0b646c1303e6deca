"""The NSG rules a workspace gateway subnet needs, per network mode (a pure decision).

Source: DOC api-management/virtual-network-workspaces-resources.md and its include
api-management-virtual-network-v2-nsg-rules.md (arm-behaviour.md §3.4): injection needs inbound
AzureLoadBalancer -> subnet:80 and VirtualNetwork -> subnet:80,443, outbound -> Storage:443 and
-> AzureKeyVault:443; integration keeps only the outbound Storage rule, because inbound NSG
rules are not enforced for VNet integration. Priorities start at 100 and leave gaps so an
operator can slot rules in between. A subnet may have several prefixes (``addressPrefixes``):
the inbound rules cover all of them (``destinationAddressPrefixes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

NetworkMode = Literal["none", "integration", "injection"]

RULE_PREFIX = "apim-ws-"


@dataclass(frozen=True)
class NsgRule:
    """One security rule in the ARM wire form's vocabulary."""

    name: str
    direction: Literal["Inbound", "Outbound"]
    priority: int
    source: str
    destination: str | tuple[str, ...]  # one prefix or service tag, or several prefixes
    ports: tuple[str, ...]

    @property
    def destinations(self) -> tuple[str, ...]:
        return (self.destination,) if isinstance(self.destination, str) else self.destination

    def to_arm(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "protocol": "Tcp",
            "access": "Allow",
            "direction": self.direction,
            "priority": self.priority,
            "sourceAddressPrefix": self.source,
            "sourcePortRange": "*",
        }
        if len(self.destinations) == 1:
            props["destinationAddressPrefix"] = self.destinations[0]
        else:
            props["destinationAddressPrefixes"] = list(self.destinations)
        if len(self.ports) == 1:
            props["destinationPortRange"] = self.ports[0]
        else:
            props["destinationPortRanges"] = list(self.ports)
        return {"name": self.name, "properties": props}


def required_rules(mode: NetworkMode, subnet_prefixes: str | Sequence[str]) -> list[NsgRule]:
    """The rules for ``mode`` on a subnet with ``subnet_prefixes`` (one or all of the subnet's
    prefixes); none for mode ``none``."""
    if mode == "none":
        return []
    prefixes = (subnet_prefixes,) if isinstance(subnet_prefixes, str) else tuple(subnet_prefixes)
    subnet_prefix: str | tuple[str, ...] = prefixes[0] if len(prefixes) == 1 else prefixes
    outbound = [
        NsgRule(
            f"{RULE_PREFIX}out-storage", "Outbound", 100, "VirtualNetwork", "Storage", ("443",)
        ),
    ]
    if mode == "integration":
        return outbound
    return [
        NsgRule(
            f"{RULE_PREFIX}in-azure-lb", "Inbound", 100, "AzureLoadBalancer", subnet_prefix, ("80",)
        ),
        NsgRule(
            f"{RULE_PREFIX}in-vnet", "Inbound", 110, "VirtualNetwork", subnet_prefix, ("80", "443")
        ),
        *outbound,
        NsgRule(
            f"{RULE_PREFIX}out-keyvault",
            "Outbound",
            110,
            "VirtualNetwork",
            "AzureKeyVault",
            ("443",),
        ),
    ]


def missing_rules(wanted: list[NsgRule], present: list[dict[str, Any]]) -> list[NsgRule]:
    """The wanted rules an existing NSG lacks (compared by name, then by what they allow)."""
    by_name = {str(r.get("name", "")).lower(): r.get("properties", {}) for r in present}
    missing = []
    for rule in wanted:
        props = by_name.get(rule.name.lower())
        if props is None or _differs(rule, props):
            missing.append(rule)
    return missing


def _differs(rule: NsgRule, props: dict[str, Any]) -> bool:
    wanted = rule.to_arm()["properties"]
    for field in ("access", "direction", "priority", "sourceAddressPrefix"):
        if str(props.get(field, "")).lower() != str(wanted[field]).lower():
            return True
    destinations = props.get("destinationAddressPrefixes") or [
        props.get("destinationAddressPrefix")
    ]
    if sorted(str(d).lower() for d in destinations if d) != sorted(
        d.lower() for d in rule.destinations
    ):
        return True
    ports = props.get("destinationPortRanges") or [props.get("destinationPortRange")]
    return sorted(str(p) for p in ports if p) != sorted(rule.ports)
