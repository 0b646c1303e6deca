"""Applies a scenario JSON (the seed format documented in simulator/README.md) to a simulation.

Seeding adds to the current state. Resources are given in their ARM form and handed to the
backend that owns their type; anything no backend takes is refused by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator import errors

if TYPE_CHECKING:
    from simulator.core import Simulation

_TOP_LEVEL = {
    "_comment",
    "tenantId",
    "subscriptions",
    "resourceGroups",
    "resources",
    "principals",
    "roleDefinitions",
    "timings",
    "behaviour",
    "eventGrid",
}


def apply_seed(sim: Simulation, scenario: dict[str, Any]) -> dict[str, int]:
    unknown = sorted(set(scenario) - _TOP_LEVEL)
    if unknown:
        raise errors.bad_request(
            "InvalidSeed", f"Unknown seed field(s) {unknown}; known: {sorted(_TOP_LEVEL)}."
        )
    counts = {"subscriptions": 0, "resourceGroups": 0, "resources": 0, "principals": 0}
    if "tenantId" in scenario:
        sim.authorization.tenant_id = str(scenario["tenantId"])
    for sub in _list(scenario, "subscriptions"):
        sim.resources.add_subscription(
            _str(sub, "subscriptionId"), str(sub.get("displayName", "")), sub.get("providers", {})
        )
        counts["subscriptions"] += 1
    for group in _list(scenario, "resourceGroups"):
        sim.resources.add_group(
            _str(group, "subscriptionId"), _str(group, "name"), _str(group, "location")
        )
        counts["resourceGroups"] += 1
    for principal in _list(scenario, "principals"):
        sim.authorization.add_principal(principal)
        counts["principals"] += 1
    for role in _list(scenario, "roleDefinitions"):
        sim.authorization.add_role_definition(role)
    for resource in _list(scenario, "resources"):
        if not isinstance(resource, dict) or not isinstance(resource.get("id"), str):
            raise errors.bad_request("InvalidSeed", f"Seed resource without an 'id': {resource}")
        if not any(backend.seed(resource) for backend in sim.backends):
            raise errors.bad_request(
                "InvalidSeed",
                f"No simulated provider takes the seeded resource {resource['id']}.",
            )
        counts["resources"] += 1
    if "timings" in scenario:
        sim.timings.update(scenario["timings"])
    if "behaviour" in scenario:
        sim.timings.update_behaviour(scenario["behaviour"])
    if "eventGrid" in scenario:
        sim.eventgrid.configure(scenario["eventGrid"])
    return counts


def _list(scenario: dict[str, Any], name: str) -> list[Any]:
    value = scenario.get(name, [])
    if not isinstance(value, list):
        raise errors.bad_request("InvalidSeed", f"Seed field '{name}' must be a list.")
    return value


def _str(item: Any, name: str) -> str:
    if not isinstance(item, dict) or not isinstance(item.get(name), str) or not item[name]:
        raise errors.bad_request("InvalidSeed", f"Seed entry {item} needs a string '{name}'.")
    return str(item[name])
