"""Drift (issue 15, item 4): a team's record compared with what ARM holds now, and the repair.

Pure. The observe_team activity reads ARM (:class:`Observation`); :func:`compare` turns the
record and the observation into findings; :func:`repair_plan` says which recorded state a
repair run re-applies, with the activities and ownership of the run that made it (marks, tags,
reliance rows stay the original run's). What cannot be re-applied from the record (a deleted
workspace, gateway or link; a grant added outside the product) is reported, never "repaired".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from shared.access_models import AssignRoleInput
from shared.apim_models import INSTANCE_TAG
from shared.arm_ids import ArmId
from shared.dns_models import PrivateDnsInput
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput
from shared.nsg_rules import missing_rules, required_rules
from shared.preflight import DELEGATION_FOR_MODE
from shared.team_record import TeamRecord, scope_of
from shared.wire_model import WireModel

FindingKind = Literal[
    "workspaceGone", "linkGone", "gatewayGone", "grantMissing", "grantAdded", "nsgGone",
    "nsgRuleChanged", "delegationRemoved", "nsgAssociationRemoved", "dnsRecordChanged",
]  # fmt: skip
REPAIRABLE = {"grantMissing", "nsgRuleChanged", "delegationRemoved", "nsgAssociationRemoved",
              "dnsRecordChanged", "nsgGone"}  # fmt: skip


class ObservedGrant(WireModel):
    assignment_id: str
    principal_id: str | None = None
    role_definition_id: str | None = None


class Observation(WireModel):
    """What ARM holds now for the parts a record lists (None: the part is not recorded)."""

    workspace_exists: bool | None = None
    link_exists: bool | None = None
    gateway_exists: bool | None = None
    grants_present: list[str] = Field(default_factory=list)  # recorded ids still there
    workspace_grants: list[ObservedGrant] = Field(default_factory=list)  # all at ws scope
    nsg_rules: list[dict[str, Any]] | None = None  # None: the NSG is gone (or not recorded)
    subnet_prefixes: list[str] = Field(default_factory=list)
    subnet_delegations: list[str] | None = None
    subnet_nsg_id: str | None = None
    dns_ips: list[str] | None = None  # the @ A record's addresses; None: record or zone gone


class ObserveInput(WireModel):
    record: TeamRecord


class Finding(WireModel):
    kind: FindingKind
    resource_id: str
    expected: str | None = None
    actual: str | None = None
    repairable: bool = False


class TeamDrift(WireModel):
    team: str
    workspace: str
    apim_service_id: str
    checked_at: str
    run: str  # the drift check that found it
    findings: list[Finding] = Field(default_factory=list)


def _finding(kind: FindingKind, rid: str, expected: Any = None, actual: Any = None) -> Finding:
    text = lambda v: None if v is None else str(v)  # noqa: E731 - a local formatter
    return Finding(kind=kind, resource_id=rid, expected=text(expected), actual=text(actual),
                   repairable=kind in REPAIRABLE)  # fmt: skip


def compare(record: TeamRecord, seen: Observation) -> list[Finding]:
    """Every difference between the record and ARM, in the record's order."""
    found: list[Finding] = []
    if record.workspace and record.workspace.record.created and seen.workspace_exists is False:
        found.append(_finding("workspaceGone", record.workspace.record.workspace_id))
    if record.link and seen.link_exists is False:
        found.append(_finding("linkGone", record.link.record.link_id))
    if record.gateway and seen.gateway_exists is False:
        found.append(_finding("gatewayGone", record.gateway.record.gateway_id))
    present = {a.lower() for a in seen.grants_present}
    for grant in record.grants:
        if grant.record.assignment_id.lower() not in present:
            found.append(_finding("grantMissing", grant.record.assignment_id,
                                  f"{grant.role} for {grant.principal_id}", "absent"))  # fmt: skip
    recorded = {g.record.assignment_id.lower() for g in record.grants}
    for extra in seen.workspace_grants:
        if extra.assignment_id.lower() not in recorded:
            actual = f"{extra.role_definition_id} for {extra.principal_id}"
            found.append(_finding("grantAdded", extra.assignment_id, "absent", actual))
    found.extend(_network(record, seen))
    dns = record.dns
    if dns is not None and dns.private_ip and seen.dns_ips != [dns.private_ip]:
        actual = ", ".join(seen.dns_ips) if seen.dns_ips else "absent"
        found.append(_finding("dnsRecordChanged", dns.record.zone_id, dns.private_ip, actual))
    return found


def _network(record: TeamRecord, seen: Observation) -> list[Finding]:
    net = record.network
    if net is None:
        return []
    found: list[Finding] = []
    nsg_id = net.nsg.nsg_id if net.nsg else None
    if net.nsg is not None and net.mode in ("integration", "injection"):
        if seen.nsg_rules is None:
            found.append(_finding("nsgGone", net.nsg.nsg_id))
        else:
            wanted = required_rules(net.mode, seen.subnet_prefixes or [""])  # type: ignore[arg-type]
            for rule in missing_rules(wanted, seen.nsg_rules):
                rid = f"{net.nsg.nsg_id}/securityRules/{rule.name}"
                expected = rule.to_arm()["properties"]
                found.append(_finding("nsgRuleChanged", rid, expected, "changed or absent"))
    if net.subnet is not None and net.subnet_id and seen.subnet_delegations is not None:
        delegation = DELEGATION_FOR_MODE.get(net.mode)
        if delegation and delegation not in seen.subnet_delegations:
            found.append(_finding("delegationRemoved", net.subnet_id, delegation,
                                  ", ".join(seen.subnet_delegations) or "none"))  # fmt: skip
        if nsg_id and (seen.subnet_nsg_id or "").lower() != nsg_id.lower():
            found.append(_finding("nsgAssociationRemoved", net.subnet_id, nsg_id,
                                  seen.subnet_nsg_id or "none"))  # fmt: skip
    return found


@dataclass
class RepairPlan:
    grants: list[AssignRoleInput] = field(default_factory=list)
    nsg: EnsureNsgInput | None = None
    subnet: ConfigureSubnetInput | None = None
    dns: PrivateDnsInput | None = None
    not_repairable: list[Finding] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.grants or self.nsg or self.subnet or self.dns)

    def summary(self) -> dict[str, Any]:
        return {
            "grants": [g.scope + " " + g.role_name + " " + g.principal_id for g in self.grants],
            "nsg": self.nsg.nsg_name if self.nsg else None,
            "subnet": self.subnet.subnet_id if self.subnet else None,
            "dns": self.dns.zone_name if self.dns else None,
            "notRepairable": [f"{f.kind} {f.resource_id}" for f in self.not_repairable],
        }


def repair_plan(record: TeamRecord, findings: list[Finding]) -> RepairPlan:
    """The recorded state to re-apply for ``findings``, each as the run that made it."""
    plan = RepairPlan(not_repairable=[f for f in findings if not f.repairable])
    kinds = {f.kind for f in findings}
    missing = {f.resource_id.lower() for f in findings if f.kind == "grantMissing"}
    for grant in record.grants:
        if grant.record.assignment_id.lower() in missing:
            plan.grants.append(AssignRoleInput(
                scope=scope_of(grant.record.assignment_id), role_name=grant.role,
                principal_id=grant.principal_id, principal_type=grant.principal_type,
                instance_id=grant.record.instance_id or grant.run))  # fmt: skip
    net = record.network
    if net is not None and net.subnet_id and net.mode in DELEGATION_FOR_MODE:
        if net.nsg is not None and kinds & {"nsgRuleChanged", "nsgGone"}:
            name = ArmId.parse(net.nsg.nsg_id).name
            plan.nsg = EnsureNsgInput(subnet_id=net.subnet_id, nsg_name=name,
                                      mode=net.mode,  # type: ignore[arg-type]
                                      tags={INSTANCE_TAG: net.run})  # fmt: skip
        if net.subnet is not None and kinds & {"delegationRemoved", "nsgAssociationRemoved"}:
            plan.subnet = ConfigureSubnetInput(
                subnet_id=net.subnet_id, delegation=DELEGATION_FOR_MODE[net.mode],
                nsg_id=net.nsg.nsg_id if net.nsg else None,
                prior_delegations=net.subnet.prior_delegations,
                prior_nsg_id=net.subnet.prior_nsg_id)  # fmt: skip
    dns = record.dns
    if dns is not None and dns.private_ip and "dnsRecordChanged" in kinds:
        zone = ArmId.parse(dns.record.zone_id)
        group = f"/subscriptions/{zone.subscription}/resourceGroups/{zone.resource_group}"
        plan.dns = PrivateDnsInput(dns_resource_group_id=group, zone_name=dns.zone_name,
                                   vnet_id=dns.record.vnet_id, private_ip=dns.private_ip,
                                   instance_id=dns.run)  # fmt: skip
    return plan


class ListTeamsInput(WireModel):
    team: str | None = None  # None: every active team


class TeamRecords(WireModel):
    records: list[TeamRecord] = Field(default_factory=list)


class DriftCheckInput(WireModel):
    team: str | None = None


class RepairRequest(WireModel):
    """An operator's repair of one team's workspace (POST /api/teams/{team}/repair)."""

    ticket_id: str
    team: str
    apim_service_id: str
    workspace: str
    requested_by: str
    reason: str = ""
