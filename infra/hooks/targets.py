"""The scopes a deployment reaches outside its own resource group, from the azd environment.

main.bicep grants the app identity rights in the resource groups and subscriptions that these
azd environment values name (infra/main.parameters.json maps them to its parameters); the azd
hooks read the same values to validate them before provisioning and to remove those grants
before `azd down`. Standard library only: hooks run on the deployer's machine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LISTS = {
    "ONBOARDING_APIM_SERVICES": ("subscriptionId", "resourceGroupName", "serviceName"),
    "ONBOARDING_ALLOWED_VNETS": ("subscriptionId", "resourceGroupName", "vnetName", "subnetNames"),
    "ONBOARDING_DNS_RESOURCE_GROUPS": ("subscriptionId", "resourceGroupName"),
    "ONBOARDING_GATEWAY_RESOURCE_GROUPS": ("subscriptionId", "resourceGroupName"),
}
REQUIRED = ("ONBOARDING_APIM_SERVICES",)


class EnvInvalid(ValueError):
    """An azd environment value cannot be used; the message names it and what it must hold."""


@dataclass(frozen=True)
class Targets:
    groups: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    subscriptions: frozenset[str] = field(default_factory=frozenset)
    # Subscriptions where a custom role is defined at subscription scope (provider reader).
    role_subscriptions: frozenset[str] = field(default_factory=frozenset)

    def role_scopes(self) -> set[str]:
        """Scopes where main.bicep defines custom roles, lower-cased for comparison."""
        scopes = {f"/subscriptions/{s}/resourcegroups/{g}".lower() for s, g in self.groups}
        return scopes | {f"/subscriptions/{s}".lower() for s in self.role_subscriptions}


def entries(env: Mapping[str, str], name: str) -> list[dict[str, Any]]:
    """One azd environment value as a list of objects with the keys main.bicep reads."""
    raw = (env.get(name) or "").strip()
    if not raw:
        if name in REQUIRED:
            raise EnvInvalid(f"{name} is not set: azd env set {name} '<JSON array>'")
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        raise EnvInvalid(f"{name} is not valid JSON: {raw[:80]}") from None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise EnvInvalid(f"{name} must be a JSON array of objects")
    keys = LISTS[name]
    for i, item in enumerate(value):
        missing = [k for k in keys if not item.get(k)]
        if missing:
            raise EnvInvalid(f"{name}[{i}] lacks {', '.join(missing)}")
        if name == "ONBOARDING_ALLOWED_VNETS" and not (
            isinstance(item["subnetNames"], list)
            and all(isinstance(s, str) and s for s in item["subnetNames"])
        ):
            raise EnvInvalid(f"{name}[{i}].subnetNames must be a non-empty array of subnet names")
    if name in REQUIRED and not value:
        raise EnvInvalid(f"{name} must name at least one entry")
    return value


def from_env(env: Mapping[str, str]) -> Targets:
    apim = entries(env, "ONBOARDING_APIM_SERVICES")
    vnets = entries(env, "ONBOARDING_ALLOWED_VNETS")
    dns = entries(env, "ONBOARDING_DNS_RESOURCE_GROUPS")
    gateways = entries(env, "ONBOARDING_GATEWAY_RESOURCE_GROUPS") or apim
    groups = {
        (e["subscriptionId"], e["resourceGroupName"]) for e in (*apim, *vnets, *dns, *gateways)
    }
    vnet_subscriptions = {v["subscriptionId"] for v in vnets}
    return Targets(
        groups=frozenset(groups),
        subscriptions=frozenset({s for s, _ in groups} | vnet_subscriptions),
        role_subscriptions=frozenset(vnet_subscriptions),
    )
