"""A dry run's changes: what a run of the request would do to each resource (issue 14, item 6).

Pure: from the rehearsed plan (orchestrators/rehearsal.py: every call with its typed input),
preflight's real facts (what exists, whose it is, the subnet as it is) and the grants found in
ARM, one entry per resource: ``create``, ``modify`` (with ``before`` and ``after``: the
subnet's delegation and NSG), ``reuse`` (it exists and is this ticket's, or a shared gateway is
joined) or ``skip`` (the request needs no such resource), and one entry per grant with what
was checked about it. docs/request-contract.md ("Dry run") shows the shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from shared.apim_names import link_name
from shared.arm_ids import ArmId
from shared.preflight import PreflightResult
from shared.request import OnboardingRequest
from shared.wire_model import WireModel

Action = Literal["create", "modify", "reuse", "skip"]
PLANNED = "<planned>"


class Change(WireModel):
    resource: str  # workspace, nsg, subnet, gateway, link, dns, network
    id: str | None = None
    action: Action
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    detail: str


class GrantCheck(WireModel):
    scope: str  # service | workspace | gateway
    scope_id: str
    role: str
    principal_id: str
    principal_type: str
    action: Literal["create", "reuse"]
    principal_check: str  # what was checked about the principal, in words


class ExistingGrant(WireModel):
    """What a read of the grant's deterministic assignment found (activities/authorization.py)."""

    exists: bool
    principal_type: str | None = None
    role_found: bool = True


def _inputs(plan: Sequence[Mapping[str, Any]], activity: str) -> list[dict[str, Any]]:
    return [dict(c.get("input") or {}) for c in plan if c.get("activity") == activity]


def changes(request: OnboardingRequest, pre: PreflightResult,
            plan: Sequence[Mapping[str, Any]]) -> list[Change]:  # fmt: skip
    """One entry per resource the request concerns, in the order a run touches them."""
    facts = pre.facts
    out: list[Change] = []
    for inp in _inputs(plan, "create_workspace"):
        ours = facts.workspace_owner == "ours"
        out.append(Change(
            resource="workspace", id=f"{inp['serviceId']}/workspaces/{inp['name']}",
            action="reuse" if ours else "create",
            after={"displayName": inp.get("displayName"), "description": inp.get("description")},
            detail="exists and carries this ticket's run tag" if ours else "a new workspace",
        ))  # fmt: skip
    subnet = facts.subnet
    prior = subnet.prior if subnet else None
    nsg_ids = []
    for inp in _inputs(plan, "ensure_nsg"):
        nsg_id = str(ArmId.parse(inp["subnetId"]).nsg(inp["nsgName"]))
        nsg_ids.append(nsg_id)
        on_subnet = bool(prior and prior.nsg_id and prior.nsg_id.lower() == nsg_id.lower())
        out.append(Change(
            resource="nsg", id=nsg_id, action="reuse" if on_subnet else "create",
            after={"mode": inp.get("mode")},
            detail=("already on the subnet; the mode's rules are ensured" if on_subnet else
                    "a new NSG with the mode's rules (an existing one of that name gets the "
                    "rules added)"),
        ))  # fmt: skip
    for inp in _inputs(plan, "configure_subnet"):
        delegations = list(prior.delegations) if prior else (
            list(subnet.delegations) if subnet else [])  # fmt: skip
        nsg_before = prior.nsg_id if prior else None
        before = {"delegations": delegations, "networkSecurityGroup": nsg_before}
        after = {"delegations": [inp["delegation"]], "networkSecurityGroup": inp.get("nsgId")}
        same = [d.lower() for d in delegations] == [inp["delegation"].lower()] and (
            str(nsg_before or "").lower() == str(inp.get("nsgId") or "").lower())  # fmt: skip
        out.append(Change(
            resource="subnet", id=inp["subnetId"], action="reuse" if same else "modify",
            before=before, after=after,
            detail="already delegated with this NSG" if same else
            "one subnet write: delegation and NSG (undone to 'before' on failure)",
        ))  # fmt: skip
    if not _inputs(plan, "configure_subnet") and facts.shared_gateway is None:
        mode = request.gateway.network.mode
        out.append(Change(resource="network", action="skip",
                          detail=f"network mode '{mode}': no NSG, no subnet change"))  # fmt: skip
    for inp in _inputs(plan, "begin_gateway"):
        ours = facts.gateway_owner == "ours"
        out.append(Change(
            resource="gateway", id=inp["gatewayId"], action="reuse" if ours else "create",
            after={"capacity": inp.get("capacity"), "virtualNetworkType": inp.get("networkType"),
                   "subnetId": inp.get("subnetId"), "location": inp.get("location")},
            detail="exists and carries this ticket's run tag" if ours else
            "a new workspace gateway (its build takes hours)",
        ))  # fmt: skip
    if request.gateway.existing_gateway_id:
        shared = facts.shared_gateway
        out.append(Change(
            resource="gateway", id=request.gateway.existing_gateway_id, action="reuse",
            before={"linkedWorkspaces": shared.linked_workspaces} if shared else None,
            detail="joins the shared gateway (never changed or removed by this run)",
        ))  # fmt: skip
    for inp in _inputs(plan, "link_workspace")[:1]:
        name = inp.get("linkName") or link_name(ArmId.parse(inp["workspaceId"]).name)
        out.append(Change(resource="link", id=f"{inp['gatewayId']}/configConnections/{name}",
                          action="create",
                          detail="links the workspace to the gateway"))  # fmt: skip
    dns = _inputs(plan, "ensure_private_dns")
    for inp in dns:
        out.append(Change(
            resource="dns", id=f"{inp['dnsResourceGroupId']}/providers/Microsoft.Network/"
            "privateDnsZones/<the gateway's hostname>", action="create",
            after={"vnetLink": inp.get("vnetId"), "record": "@ A <the gateway's private IP>"},
            detail="private zone named the gateway's hostname, VNet link, A record",
        ))  # fmt: skip
    if not dns:
        out.append(Change(resource="dns", action="skip",
                          detail="no private DNS: only VNet injection with a new gateway needs "
                          "it"))  # fmt: skip
    return out


def grants(request: OnboardingRequest, plan: Sequence[Mapping[str, Any]],
           found: list[ExistingGrant | None]) -> list[GrantCheck]:  # fmt: skip
    """The request's grants, each at its scope's id, with what a read found about it."""
    inputs = _inputs(plan, "assign_role")
    by_key = {(i["scope"], i["roleName"], i["principalId"]): i for i in inputs}
    out: list[GrantCheck] = []
    for grant, existing in zip(request.access, found, strict=True):
        scope_id = next((k[0] for k in by_key if k[1:] == (grant.role, grant.principal_id)
                         and scope_kind(k[0]) == grant.scope), PLANNED)  # fmt: skip
        if existing is not None and existing.exists:
            mismatch = existing.principal_type not in (None, grant.principal_type)
            check = (f"assigned already; the directory says the principal is a "
                     f"{existing.principal_type}" + (f", not a {grant.principal_type}: the run "
                     "would fail this grant" if mismatch else "")) if existing.principal_type \
                else "assigned already"  # fmt: skip
            action: Literal["create", "reuse"] = "reuse"
        elif existing is not None and not existing.role_found:
            check, action = f"no role named '{grant.role}' at this scope", "create"
        else:
            action = "create"
            check = ("not assigned yet; ARM checks the principal when the grant is written "
                     "(PrincipalNotFound is retried for directory replication, then fails the "
                     "step); a dry run has no directory read")  # fmt: skip
        out.append(GrantCheck(scope=grant.scope, scope_id=scope_id, role=grant.role,
                              principal_id=grant.principal_id,
                              principal_type=grant.principal_type, action=action,
                              principal_check=check))  # fmt: skip
    return out


def scope_kind(scope_id: str) -> str:
    lowered = scope_id.lower()
    if "/workspaces/" in lowered:
        return "workspace"
    if "/gateways/" in lowered:
        return "gateway"
    return "service"
