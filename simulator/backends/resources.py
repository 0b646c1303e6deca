"""Microsoft.Resources: subscriptions, resource groups and resource provider registration.

Registration follows the recorded real flow (REC-resource ``test_provider_registration``):
``POST .../providers/{ns}/register`` answers 200 synchronously with ``Registering``; the state
becomes ``Registered`` after ``providerRegistrationSeconds`` of simulated time or after
``providerRegistrationPolls`` reads, whichever comes first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from simulator import errors
from simulator.backends.base import Backend

# Resource types listed per namespace in provider bodies; enough for callers that inspect them.
_PROVIDER_TYPES: dict[str, list[str]] = {
    "Microsoft.Web": ["serverFarms", "sites", "hostingEnvironments"],
    "Microsoft.Network": ["virtualNetworks", "networkSecurityGroups", "privateDnsZones"],
    "Microsoft.ApiManagement": ["service", "gateways"],
    "Microsoft.Authorization": ["roleAssignments", "roleDefinitions"],
    "Microsoft.Resources": ["resourceGroups", "deployments"],
}
KNOWN_NAMESPACES = {ns.lower(): ns for ns in _PROVIDER_TYPES}
REGISTRATION_STATES = {"NotRegistered", "Unregistered", "Registering", "Registered"}


@dataclass
class Provider:
    namespace: str
    state: str
    registering_since: dt.datetime | None = None
    reads_while_registering: int = 0


@dataclass
class Subscription:
    subscription_id: str
    display_name: str
    groups: dict[str, tuple[str, str]] = field(default_factory=dict)  # lower -> (name, location)
    providers: dict[str, Provider] = field(default_factory=dict)  # lower namespace -> Provider


class ResourcesBackend(Backend):
    """Subscriptions, their resource groups and provider registration states."""

    def reset(self) -> None:
        self.subscriptions: dict[str, Subscription] = {}

    # --- seeding ---------------------------------------------------------------------------

    def add_subscription(
        self, subscription_id: str, display_name: str, providers: dict[str, str]
    ) -> None:
        sub = self.subscriptions.setdefault(
            subscription_id.lower(), Subscription(subscription_id, display_name)
        )
        for ns in KNOWN_NAMESPACES.values():
            sub.providers.setdefault(ns.lower(), Provider(ns, "NotRegistered"))
        for ns, state in providers.items():
            if state not in REGISTRATION_STATES:
                raise errors.bad_request(
                    "InvalidSeed",
                    f"Provider state '{state}' for {ns} is not one of "
                    f"{sorted(REGISTRATION_STATES)}.",
                )
            sub.providers[ns.lower()] = Provider(KNOWN_NAMESPACES.get(ns.lower(), ns), state)

    def add_group(self, subscription_id: str, name: str, location: str) -> None:
        sub = self.subscription(subscription_id)
        sub.groups[name.lower()] = (name, location)

    # --- lookups used by every backend ------------------------------------------------------

    def subscription(self, subscription_id: str) -> Subscription:
        sub = self.subscriptions.get(subscription_id.lower())
        if sub is None:
            raise errors.subscription_not_found(subscription_id)
        return sub

    def resolve_group(self, subscription_id: str, group: str | None) -> tuple[str, str]:
        sub = self.subscription(subscription_id)
        if group is None:
            raise errors.bad_request("InvalidResourceId", "The id names no resource group.")
        found = sub.groups.get(group.lower())
        if found is None:
            raise errors.resource_group_not_found(group)
        return found

    def is_registered(self, subscription_id: str, namespace: str) -> bool:
        provider = self.subscription(subscription_id).providers.get(namespace.lower())
        return provider is not None and provider.state == "Registered"

    # --- operations ------------------------------------------------------------------------

    def tick(self) -> None:
        done_after = dt.timedelta(seconds=self.sim.timings.provider_registration_seconds)
        now = self.sim.clock.now()
        for sub in self.subscriptions.values():
            for p in sub.providers.values():
                started = p.registering_since
                if p.state == "Registering" and started and now - started >= done_after:
                    p.state = "Registered"

    def get_provider(self, subscription_id: str, namespace: str) -> dict[str, Any]:
        provider = self._provider(subscription_id, namespace)
        if provider.state == "Registering":
            if provider.reads_while_registering >= self.sim.timings.provider_registration_polls:
                provider.state = "Registered"
            provider.reads_while_registering += 1
        return self._provider_json(subscription_id, provider)

    def register(self, subscription_id: str, namespace: str) -> dict[str, Any]:
        provider = self._provider(subscription_id, namespace)
        if provider.state != "Registered":
            provider.state = "Registering"
            provider.registering_since = self.sim.clock.now()
            provider.reads_while_registering = 0
        return self._provider_json(subscription_id, provider)

    def list_providers(self, subscription_id: str) -> list[dict[str, Any]]:
        sub = self.subscription(subscription_id)
        return [self._provider_json(subscription_id, p) for p in sub.providers.values()]

    def get_group(self, subscription_id: str, group: str) -> dict[str, Any]:
        name, location = self.resolve_group(subscription_id, group)
        return {
            "id": f"/subscriptions/{subscription_id}/resourceGroups/{name}",
            "name": name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": location,
            "properties": {"provisioningState": "Succeeded"},
        }

    def _provider(self, subscription_id: str, namespace: str) -> Provider:
        sub = self.subscription(subscription_id)
        provider = sub.providers.get(namespace.lower())
        if provider is None:
            raise errors.provider_not_found(namespace)
        return provider

    @staticmethod
    def _provider_json(subscription_id: str, p: Provider) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{subscription_id}/providers/{p.namespace}",
            "namespace": p.namespace,
            "registrationState": p.state,
            "registrationPolicy": "RegistrationRequired",
            "resourceTypes": [
                {"resourceType": t, "locations": [], "apiVersions": []}
                for t in _PROVIDER_TYPES.get(p.namespace, [])
            ],
        }

    def subscriptions_json(self) -> list[dict[str, Any]]:
        return [
            {
                "subscriptionId": s.subscription_id,
                "displayName": s.display_name,
                "providers": {p.namespace: p.state for p in s.providers.values()},
                "resourceGroups": [{"name": n, "location": loc} for n, loc in s.groups.values()],
            }
            for s in self.subscriptions.values()
        ]
