"""A team's record: what the product made (or found) for one onboarded workspace, and which run.

Issue 15, item 1. One record per team and workspace (a team may onboard more than one
workspace). Every part holds the **undo record** the activity that made it returned (the same
typed record compensation uses: shared/activity_table.py), so a later run (change of access,
offboarding, repair) reverses or re-applies it with the existing undo/do activities and their
ownership checks, and ``run`` names the run that made or last changed the part.

Pure: built from an onboarding's recorded undo entries (:func:`from_onboarding`), changed by a
change of access (:func:`apply_access_change`) or an offboarding (:func:`mark_offboarded`).
Every function is idempotent per run: a record that already lists the run is returned as it is,
so a retried or replayed writer never applies a change twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import Field

from shared.access_models import RoleRecord
from shared.apim_models import GatewayRecord, LinkRecord, WorkspaceRecord
from shared.dns_models import PrivateDnsRecord
from shared.network_models import NsgRecord, SubnetRecord
from shared.saga_models import UndoEntry
from shared.wire_model import WireModel

RunKind = Literal["onboard", "changeAccess", "offboard", "repair"]
Scope = Literal["service", "workspace", "gateway"]
PrincipalType = Literal["User", "Group", "ServicePrincipal"]
TeamStatus = Literal["active", "offboarding", "offboarded"]


class RunRef(WireModel):
    """A run that changed the record: its id, kind, when it ended, and how."""

    id: str
    kind: RunKind
    at: str
    outcome: str = "Succeeded"
    ticket_id: str | None = None


class WorkspacePart(WireModel):
    name: str
    record: WorkspaceRecord
    run: str


class GatewayPart(WireModel):
    record: GatewayRecord  # created: this team's run made it (shared: False when joined)
    shared: bool
    run: str


class LinkPart(WireModel):
    record: LinkRecord
    run: str


class NetworkPart(WireModel):
    mode: str
    subnet_id: str | None = None
    nsg: NsgRecord | None = None
    subnet: SubnetRecord | None = None  # with the subnet's prior delegation and NSG
    run: str


class DnsPart(WireModel):
    record: PrivateDnsRecord  # zone/link/record and whether this team's run created each
    zone_name: str
    private_ip: str | None = None
    run: str


class GrantPart(WireModel):
    """One grant of the team: who, where, what, the assignment, and who made it."""

    principal_id: str
    principal_type: PrincipalType
    scope: Scope
    role: str
    record: RoleRecord  # created: this product made it (else it was there and is relied on)
    run: str

    def key(self) -> tuple[str, str, str]:
        return (self.principal_id.lower(), self.scope, self.role)


class TeamRecord(WireModel):
    team: str
    apim_service_id: str
    workspace_name: str
    mode: str = "none"
    status: TeamStatus = "active"
    workspace: WorkspacePart | None = None
    gateway: GatewayPart | None = None
    link: LinkPart | None = None
    network: NetworkPart | None = None
    dns: DnsPart | None = None
    grants: list[GrantPart] = Field(default_factory=list)
    runs: list[RunRef] = Field(default_factory=list)
    updated_at: str | None = None

    def has_run(self, run_id: str) -> bool:
        return any(r.id == run_id for r in self.runs)

    @property
    def gateway_id(self) -> str | None:
        return self.gateway.record.gateway_id if self.gateway else None

    @property
    def workspace_id(self) -> str | None:
        return self.workspace.record.workspace_id if self.workspace else None

    def grant(self, principal_id: str, scope: str, role: str) -> GrantPart | None:
        wanted = (principal_id.lower(), scope, role)
        return next((g for g in self.grants if g.key() == wanted), None)


class GrantSpec(WireModel):
    """A grant named by a request (add or remove): principal, type, scope, role."""

    principal_id: str
    principal_type: PrincipalType
    scope: Scope
    role: str


def team_key(team: str, apim_service_id: str, workspace_name: str) -> str:
    """The record's RowKey: stable, Table-safe, one per team, APIM service and workspace.

    Service ids compare case-insensitively (ARM), team and workspace names exactly.
    """
    text = f"{team}|{apim_service_id.strip().rstrip('/').lower()}|{workspace_name}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def scope_kind(scope_id: str, service_id: str) -> Scope:
    """Which of the contract's scopes an assignment's scope id is."""
    lowered = scope_id.lower()
    if "/workspaces/" in lowered:
        return "workspace"
    if "/microsoft.apimanagement/gateways/" in lowered:
        return "gateway"
    return "service"


def scope_of(assignment_id: str) -> str:
    return assignment_id.split("/providers/Microsoft.Authorization/", 1)[0]


def grant_from_record(record: RoleRecord, service_id: str, run: str) -> GrantPart | None:
    """The grant an assign_role record stands for (None for records without who/what)."""
    if not (record.role_name and record.principal_id and record.principal_type):
        return None
    return GrantPart(
        principal_id=record.principal_id, principal_type=record.principal_type,
        scope=scope_kind(scope_of(record.assignment_id), service_id), role=record.role_name,
        record=record, run=run,
    )  # fmt: skip


def from_onboarding(
    request: dict[str, Any],
    entries: Iterable[tuple[str, dict[str, Any]]],
    run_id: str,
    at: str,
) -> TeamRecord:
    """The record of a succeeded onboarding from its request and recorded (activity, output)s.

    ``entries`` are the ledger's undo entries as (undo activity, recorded output): the last
    record of each kind wins (a held call that was retried records again).
    """
    gateway = request.get("gateway") or {}
    network = gateway.get("network") or {}
    service_id = str(request["apimServiceId"])
    record = TeamRecord(
        team=str(request["team"]), apim_service_id=service_id,
        workspace_name=str((request.get("workspace") or {})["name"]),
        mode=str(network.get("mode") or "none"),
        runs=[RunRef(id=run_id, kind="onboard", at=at, ticket_id=request.get("ticketId"))],
        updated_at=at,
    )  # fmt: skip
    nsg: NsgRecord | None = None
    subnet: SubnetRecord | None = None
    grants: dict[tuple[str, str, str], GrantPart] = {}
    for activity, payload in entries:
        if activity == "delete_workspace":
            ws = WorkspaceRecord.model_validate(payload)
            record.workspace = WorkspacePart(name=record.workspace_name, record=ws, run=run_id)
        elif activity == "delete_gateway":
            gw = GatewayRecord.model_validate(payload)
            record.gateway = GatewayPart(record=gw, shared=False, run=run_id)
        elif activity == "unlink_workspace":
            link = LinkRecord.model_validate(payload)
            if not link.deferred:
                record.link = LinkPart(record=link, run=run_id)
        elif activity == "undo_nsg":
            nsg = NsgRecord.model_validate(payload)
        elif activity == "restore_subnet":
            subnet = SubnetRecord.model_validate(payload)
        elif activity == "undo_private_dns":
            dns = PrivateDnsRecord.model_validate(payload)
            zone = dns.zone_id.rsplit("/", 1)[-1]
            record.dns = DnsPart(record=dns, zone_name=zone, private_ip=dns.private_ip,
                                 run=run_id)  # fmt: skip
        elif activity == "remove_role":
            part = grant_from_record(RoleRecord.model_validate(payload), service_id, run_id)
            if part is not None:
                grants[part.key()] = part
    shared = gateway.get("existingGatewayId")
    if shared:
        record.gateway = GatewayPart(
            record=GatewayRecord(gateway_id=str(shared), created=False), shared=True, run=run_id
        )
    if nsg is not None or subnet is not None:
        record.network = NetworkPart(mode=record.mode, subnet_id=network.get("subnetId"),
                                     nsg=nsg, subnet=subnet, run=run_id)  # fmt: skip
    record.grants = list(grants.values())
    return record


def inventory_of(
    request: dict[str, Any], undo: Sequence[UndoEntry], run_id: str, at: str
) -> dict[str, Any]:
    """The JSON form of a succeeded onboarding's record (the ledger's undo entries)."""
    entries = [(e.activity, e.payload) for e in undo]
    return from_onboarding(request, entries, run_id, at).model_dump(by_alias=True, mode="json")


def apply_access_change(
    record: TeamRecord,
    added: Sequence[GrantPart],
    removed: Sequence[str],
    run: RunRef,
) -> TeamRecord:
    """The record after a change of access: grants added (or re-recorded), assignment ids gone.

    Idempotent: a record that already lists the run is returned unchanged.
    """
    if record.has_run(run.id):
        return record
    gone = {a.lower() for a in removed}
    grants = [g for g in record.grants if g.record.assignment_id.lower() not in gone]
    for part in added:
        grants = [g for g in grants if g.key() != part.key()] + [part]
    return record.model_copy(update={"grants": grants, "runs": [*record.runs, run],
                                     "updated_at": run.at})  # fmt: skip


def merge_onboarding(existing: TeamRecord | None, new: TeamRecord) -> TeamRecord:
    """An onboarding's record written over what the store holds for the same key.

    A retried write of the same run keeps the stored record (it may have been changed since);
    a new onboarding of an offboarded workspace starts a fresh record that keeps the history.
    """
    if existing is None:
        return new
    run_id = new.runs[0].id
    if existing.has_run(run_id):
        return existing
    return new.model_copy(update={"runs": [*existing.runs, *new.runs]})


def mark_offboarded(record: TeamRecord, run: RunRef, left: TeamRecord, done: bool) -> TeamRecord:
    """After an offboarding: ``left`` holds the parts still there (kept on purpose, e.g. a
    gateway other workspaces use, or not yet removed when a step failed); ``done`` says the
    offboarding finished (status offboarded), else the team stays active with what is left."""
    if record.has_run(run.id):
        return record
    status: TeamStatus = "offboarded" if done else "active"
    return left.model_copy(update={"status": status, "runs": [*record.runs, run],
                                   "updated_at": run.at})  # fmt: skip


def take_over(
    record: TeamRecord,
    gateway: GatewayPart,
    network: NetworkPart | None,
    dns: DnsPart | None,
    run: RunRef,
) -> TeamRecord:
    """``record`` after it takes over a gateway its maker left (with its network and DNS, each
    still naming the run that made it). Idempotent per run."""
    if record.has_run(run.id):
        return record
    return record.model_copy(update={
        "gateway": gateway.model_copy(update={"shared": False}),
        "network": network or record.network, "dns": dns or record.dns,
        "runs": [*record.runs, run], "updated_at": run.at})  # fmt: skip


def summary(record: TeamRecord) -> dict[str, Any]:
    """The list view of a record: enough to find a team and see what it holds."""
    return {
        "team": record.team,
        "workspace": record.workspace_name,
        "apimServiceId": record.apim_service_id,
        "status": record.status,
        "mode": record.mode,
        "gatewayId": record.gateway_id,
        "sharedGateway": record.gateway.shared if record.gateway else None,
        "grants": len(record.grants),
        "runs": [r.id for r in record.runs],
        "updatedAt": record.updated_at,
    }
