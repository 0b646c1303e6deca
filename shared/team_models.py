"""Typed inputs and outputs of the team-record activities (issue 15)."""

from __future__ import annotations

from pydantic import Field

from shared.access_models import RoleRecord
from shared.team_record import DnsPart, GatewayPart, GrantPart, NetworkPart, RunRef, TeamRecord
from shared.wire_model import WireModel


class ReadTeamInput(WireModel):
    team: str
    apim_service_id: str
    workspace: str


class TeamLookup(WireModel):
    found: bool
    record: TeamRecord | None = None


class UpdateTeamInput(WireModel):
    """What a finished run changed: grants added/removed, or what an offboarding left."""

    team: str
    apim_service_id: str
    workspace: str
    run: RunRef
    added: list[GrantPart] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)  # assignment ids
    offboarded: bool = False  # the offboarding finished (else it failed with ``left`` there)
    left: TeamRecord | None = None  # an offboarding's: what is still there


class ReleaseGrantInput(WireModel):
    """Stop a team relying on one of its grants (``record``: the team record's RoleRecord, whose
    ``instance_id`` is the run that relies on it); the assignment goes only if nobody else
    relies on it and it bears that run's mark."""

    record: RoleRecord
    by: str  # the run releasing it (for logs)


class ReleaseRecord(WireModel):
    """What release_grant did (its undo record): the reliance row it removed, and the
    assignment as it was when it deleted it (``deleted``), so undo can put both back."""

    record: RoleRecord
    deleted: bool
    kept: str | None = None  # why the assignment stays (another team relies on it, not ours)
    role_definition_id: str | None = None
    principal_id: str | None = None
    principal_type: str | None = None
    description: str | None = None


class OffboardPreflightInput(WireModel):
    workspace_id: str | None = None
    gateway_id: str | None = None
    link_id: str | None = None  # the team's own link (not counted among the gateway's others)


class OffboardFacts(WireModel):
    """What an offboarding's preflight read: what the workspace holds, who else uses the
    gateway."""

    workspace_exists: bool
    apis: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    gateway_exists: bool = False
    other_links: list[str] = Field(default_factory=list)  # workspaces linked besides this team's


class GatewayPresence(WireModel):
    gateway_id: str
    exists: bool
    state: str | None = None


class HandOverInput(WireModel):
    """A gateway an offboarded team made and other workspaces still use: its parts go to the
    record of the first team (by workspace id) that links it, so its last user's offboarding
    removes it."""

    gateway: GatewayPart
    network: NetworkPart | None = None
    dns: DnsPart | None = None
    to_workspaces: list[str]  # the workspace ids still linked to the gateway
    run: RunRef


class HandedOver(WireModel):
    team: str | None = None  # the team whose record now holds the gateway (None: no record)
    workspace: str | None = None
