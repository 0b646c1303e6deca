"""Preflight: the read-only checks before any change, as a pure function of observed facts.

The activity (activities/preflight.py) reads ARM and fills :class:`PreflightFacts`; this module
decides. Rules from DOC virtual-network-workspaces-resources and how-to-create-workspace
(arm-behaviour.md §3.1, §3.5-§3.7): a tier that hosts workspaces; the VNet in the service's
region and subscription; a /27../24 subnet used by nothing else and delegated to nothing or to
exactly what the mode needs; Microsoft.Web registered (or registrable); names free or already
this run's; a shared gateway with room (30 workspaces, created after 2025-04-15).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from shared.wire_model import WireModel

WORKSPACE_TIERS = {"premium", "premiumv2", "standardv2", "basicv2"}
DELEGATION_FOR_MODE = {
    "integration": "Microsoft.Web/serverFarms",
    "injection": "Microsoft.Web/hostingEnvironments",
}
MAX_WORKSPACES_PER_GATEWAY = 30
MULTI_WORKSPACE_SINCE = "2025-04-15"


class Finding(WireModel):
    check: str
    ok: bool
    detail: str


class SubnetPrior(WireModel):
    """What the network step changes on the subnet, as it was before the run (for its undo)."""

    delegations: list[str]  # service names
    nsg_id: str | None = None


class SubnetFacts(WireModel):
    subscription: str
    region: str
    prefixes: list[str]
    delegations: list[str]
    users: list[str]  # ids of what uses the subnet (NICs, links, private endpoints ...)
    # None in results of a preflight that did not record it (runs started before it existed).
    prior: SubnetPrior | None = None


class SharedGatewayFacts(WireModel):
    exists: bool
    region: str = ""
    subscription: str = ""
    created_at: str = ""  # ISO date
    linked_workspaces: int = 0
    provisioning_state: str = ""


class PreflightFacts(WireModel):
    mode: Literal["none", "integration", "injection"]
    service_exists: bool
    service_tier: str = ""
    service_region: str = ""
    service_subscription: str = ""
    subnet: SubnetFacts | None = None
    subnet_error: str | None = None
    web_provider_state: str = "Registered"
    workspace_owner: Literal["free", "ours", "foreign"] = "free"
    gateway_owner: Literal["free", "ours", "foreign", "not-created"] = "free"
    shared_gateway: SharedGatewayFacts | None = None
    notes: list[str] = Field(default_factory=list)


def _region(value: str) -> str:
    return value.replace(" ", "").lower()


def evaluate(facts: PreflightFacts) -> list[Finding]:
    """Every check with its verdict and a detail that names the problem and the fix."""
    out: list[Finding] = []

    def add(check: str, ok: bool, detail: str) -> None:
        out.append(Finding(check=check, ok=ok, detail=detail))

    if not facts.service_exists:
        add("apimService", False, "The APIM service was not found; check apimServiceId.")
        return out
    tier_ok = facts.service_tier.replace(" ", "").lower() in WORKSPACE_TIERS
    add(
        "apimTier",
        tier_ok,
        f"Tier {facts.service_tier} "
        + (
            "hosts workspaces."
            if tier_ok
            else "does not host workspaces; use Premium or a v2 tier."
        ),
    )
    # A shared gateway already has its network; the subnet rules apply to a new gateway only.
    if facts.mode != "none" and facts.shared_gateway is None:
        _subnet_findings(facts, add)
    if facts.workspace_owner == "foreign":
        add("workspaceName", False, "A workspace with this name exists and is not this run's.")
    else:
        add("workspaceName", True, "The workspace name is free or already this run's.")
    if facts.shared_gateway is not None:
        _shared_gateway_findings(facts, facts.shared_gateway, add)
    elif facts.gateway_owner == "foreign":
        add("gatewayName", False, "A gateway with this name exists and is not this run's.")
    else:
        add("gatewayName", True, "The gateway name is free or already this run's.")
    return out


Record = Callable[[str, bool, str], None]


def _subnet_findings(facts: PreflightFacts, record: Record) -> None:
    subnet = facts.subnet
    if subnet is None:
        record("subnet", False, facts.subnet_error or "The subnet was not found; check subnetId.")
        return
    same_region = _region(subnet.region) == _region(facts.service_region)
    record(
        "subnetRegion",
        same_region,
        f"The VNet is in {subnet.region}, the APIM service in {facts.service_region}"
        + ("." if same_region else "; they must be in the same region."),
    )
    same_sub = subnet.subscription.lower() == facts.service_subscription.lower()
    record(
        "subnetSubscription",
        same_sub,
        "The VNet is in the service's subscription."
        if same_sub
        else "The VNet must be in the APIM service's subscription.",
    )
    sizes = [ipaddress.ip_network(p, strict=False).prefixlen for p in subnet.prefixes]
    size_ok = bool(sizes) and all(24 <= s <= 27 for s in sizes)
    record(
        "subnetSize",
        size_ok,
        f"The subnet is {', '.join(subnet.prefixes) or 'without a prefix'}"
        + ("." if size_ok else "; a workspace gateway needs /27 to /24."),
    )
    wanted = DELEGATION_FOR_MODE[facts.mode]
    delegation_ok = [d.lower() for d in subnet.delegations] in ([], [wanted.lower()])
    record(
        "subnetDelegation",
        delegation_ok,
        f"Delegations: [{', '.join(subnet.delegations)}]"
        + ("." if delegation_ok else f"; the subnet must be undelegated or delegated to {wanted}."),
    )
    record(
        "subnetDedicated",
        not subnet.users,
        "Nothing else uses the subnet."
        if not subnet.users
        else f"The subnet is used by {subnet.users[0]}; a workspace gateway needs its own subnet.",
    )
    registered = facts.web_provider_state in ("Registered", "Registering")
    record(
        "webProvider",
        registered or facts.web_provider_state in ("NotRegistered", "Unregistered"),
        f"Microsoft.Web is {facts.web_provider_state}"
        + ("." if registered else "; the network step registers it before delegating."),
    )


def _shared_gateway_findings(facts: PreflightFacts, gw: SharedGatewayFacts, add: object) -> None:
    record = add
    assert callable(record)
    if not gw.exists:
        record(
            "sharedGateway", False, "The existing gateway was not found; check existingGatewayId."
        )
        return
    problems = []
    if _region(gw.region) != _region(facts.service_region):
        problems.append(f"it is in {gw.region}, the service in {facts.service_region}")
    if gw.subscription.lower() != facts.service_subscription.lower():
        problems.append("it is in another subscription")
    if gw.created_at[:10] < MULTI_WORKSPACE_SINCE and gw.linked_workspaces >= 1:
        problems.append("it was created before 2025-04-15 and already serves a workspace")
    if gw.linked_workspaces >= MAX_WORKSPACES_PER_GATEWAY:
        problems.append(f"it already serves {MAX_WORKSPACES_PER_GATEWAY} workspaces")
    if gw.provisioning_state not in ("Succeeded", ""):
        problems.append(f"it is {gw.provisioning_state}")
    record(
        "sharedGateway",
        not problems,
        "The shared gateway has room."
        if not problems
        else "Cannot join: " + "; ".join(problems) + ".",
    )


def passed(findings: list[Finding]) -> bool:
    return all(f.ok for f in findings)


class PreflightInput(WireModel):
    apim_service_id: str
    mode: Literal["none", "integration", "injection"]
    subnet_id: str | None = None
    workspace_name: str
    gateway_id: str | None = None
    existing_gateway_id: str | None = None
    instance_id: str


class PreflightResult(WireModel):
    passed: bool
    findings: list[Finding]
    facts: PreflightFacts
    # The subnet as the VNet's GET returned it (raw JSON with its ETag): the subnet step writes
    # from it under If-Match instead of reading it again (issue 17, item 4). Not a fact shown
    # to anyone (the dry run answers ``facts``). None: not kept (older results, no subnet, or a
    # body over activities.preflight.SUBNET_READ_MAX_CHARS); left out of the wire form then.
    subnet_read: SkipJsonSchema[dict[str, Any] | None] = Field(
        default=None, exclude_if=lambda v: v is None
    )
